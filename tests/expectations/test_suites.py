"""The suites as code: one per raw entity and per metrics table, each dimension declared as built."""

from __future__ import annotations

from datetime import datetime, timezone

import great_expectations as gx

from expectations.config import load_config
from expectations.spec import DIMENSIONS, SuiteContext
from expectations.suites import METRIC_SUITES, RAW_SUITES
from ingest.schemas import ENTITIES

CTX = SuiteContext(config=load_config(), as_of=datetime(2026, 10, 15, tzinfo=timezone.utc))


def test_every_raw_entity_has_one_suite_on_its_asset():
    assert sorted(s.asset_key for s in RAW_SUITES) == sorted(tuple(e.asset_key) for e in ENTITIES)


def test_declared_dimensions_are_those_of_the_built_expectations():
    for suite in [*RAW_SUITES, *METRIC_SUITES]:
        built = gx.ExpectationSuite(name=suite.name, expectations=suite.build(gx, CTX))
        dimensions = {e.meta["dimension"] for e in built.expectations}
        assert tuple(d for d in DIMENSIONS if d in dimensions) == suite.dimensions, suite.name


def test_freshness_follows_the_family_cadence_against_as_of():
    by_name = {s.name: s for s in RAW_SUITES}

    def freshness(name):
        return [
            e for e in by_name[name].build(gx, CTX)
            if type(e).__name__ == "ExpectColumnMaxToBeBetween"
        ]

    # iam is weekly: 192 h before 2026-10-15 00:00 is 2026-10-07 00:00
    [identities] = freshness("iam.identities")
    assert identities.column == "snapshot_at"
    assert str(identities.min_value).startswith("2026-10-07")
    assert identities.meta["severity"] == "stale"
    # backup is daily: 36 h
    [jobs] = freshness("backup.backup_jobs")
    assert str(jobs.min_value).startswith("2026-10-13 12:00") or str(jobs.min_value).startswith("2026-10-13T12:00")
    # incidents are event-driven (quiet months are normal): no freshness check
    assert freshness("incident.incidents") == []


def test_the_operational_definitions_are_encoded():
    incidents = next(s for s in RAW_SUITES if s.name == "incident.incidents").build(gx, CTX)
    pairs = {(e.column_A, e.column_B) for e in incidents if type(e).__name__ == "ExpectColumnPairValuesAToBeGreaterThanB"}
    assert {("detected_at", "occurred_at"), ("resolved_at", "detected_at"), ("_loaded_at", "detected_at")} <= pairs
    sets = {e.column: set(e.value_set) for e in incidents if type(e).__name__ == "ExpectColumnValuesToBeInSet"}
    assert sets["severity"] == {"P1", "P2", "P3", "P4"}
    findings = next(s for s in RAW_SUITES if s.name == "scanner.findings").build(gx, CTX)
    cvss = next(e for e in findings if getattr(e, "column", None) == "cvss_score")
    assert (cvss.min_value, cvss.max_value) == (0, 10)
    classes = {e.column: set(e.value_set) for e in findings if type(e).__name__ == "ExpectColumnValuesToBeInSet"}
    assert classes["finding_class_reported"] == {"vulnerability", "misconfiguration", "secret", "code"}


def test_metric_suites_know_the_finding_classes_and_the_configuration_and_code_process():
    by_name = {s.name: s.build(gx, CTX) for s in METRIC_SUITES}

    def value_set(suite, column):
        [e] = [e for e in by_name[suite] if type(e).__name__ == "ExpectColumnValuesToBeInSet" and e.column == column]
        return set(e.value_set)

    assert value_set("metrics.vulnerability_remediation", "finding_class") == {
        "vulnerability", "misconfiguration", "secret", "code"}
    assert "configuration_and_code" in value_set("metrics.dpmo_monthly", "process")
    assert {"configuration_and_code", "mttd", "all"} <= value_set("metrics.control_chart_monthly", "process")


def test_queries_take_no_values_but_the_as_of_variable():
    for suite in RAW_SUITES:
        assert "getvariable('secops_as_of')" in suite.query, suite.name
        assert "2026" not in suite.query
