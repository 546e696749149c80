"""Raw assets in the UI: the freshness policy from owners.yaml, the column schema of ingest, and
the `freshness` check judged at the run's as_of on the newest record, as the GX timeliness check is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from expectations.config import load_config
from expectations.spec import SuiteContext
from expectations.suites import RAW_SUITES
from ingest.schemas import ENTITIES, ENTITIES_BY_TABLE
from ingest.warehouse import connect, ensure_schema
from orchestration.as_of import AS_OF_TAG
from orchestration.definitions import defs
from orchestration.freshness import FRESHNESS_COLUMNS

FIXTURE_LANDING = Path(__file__).parent / "landing"
AS_OF = datetime(2026, 10, 15, tzinfo=timezone.utc)

# owners.yaml cadences with their hours in expectations/config.yaml: scanner and iam weekly (192 h),
# training monthly (768 h), backup daily (36 h), incident event-driven (none). Entities whose suite
# does not judge the newest record (access reviews, KEV, EPSS) have no window either.
EXPECTED_WINDOW_HOURS = {
    "findings": 192, "certificates": 192, "identities": 192, "access_reviews": None,
    "assignments": 768, "phishing_results": 768, "backup_jobs": 36, "incidents": None,
    "kev_catalog": None, "epss_scores": None,
}


def _graph():
    return defs().get_repository_def().asset_graph


def test_each_raw_asset_carries_the_cadence_of_owners_yaml_as_its_freshness_policy():
    graph = _graph()
    found = {}
    for entity in ENTITIES:
        policy = graph.get(dg.AssetKey(list(entity.asset_key))).freshness_policy
        if policy is not None:
            assert type(policy).__name__ == "TimeWindowFreshnessPolicy" and policy.warn_window is None
        found[entity.table] = None if policy is None else policy.fail_window.to_timedelta() / timedelta(hours=1)
    assert found == EXPECTED_WINDOW_HOURS


def test_the_column_schema_is_the_raw_table_ingest_creates(tmp_path):
    graph = _graph()
    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    for entity in ENTITIES:
        schema = graph.get(dg.AssetKey(list(entity.asset_key))).metadata["dagster/column_schema"]
        shown = [(c.name, c.type) for c in schema.columns]
        created = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [entity.table],
        ).fetchall()
        assert shown == [(n, t.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")) for n, t in created]
        required = {c.name for c in schema.columns if c.constraints and not c.constraints.nullable}
        assert required == set(entity.required_columns)
    con.close()
    findings = graph.get(dg.AssetKey(["scanner", "findings"])).metadata["dagster/column_schema"]
    assert [(c.name, c.type) for c in findings.columns[:3]] == [
        ("scan_id", "VARCHAR"), ("scanned_at", "TIMESTAMPTZ"), ("scanner", "VARCHAR")
    ]


def test_the_freshness_column_and_window_are_those_of_the_gx_timeliness_check():
    import great_expectations as gx

    config = load_config()
    ctx = SuiteContext(config=config, as_of=AS_OF)
    judged = {}
    for suite in RAW_SUITES:
        for expectation in suite.build(gx, ctx):
            if type(expectation).__name__ == "ExpectColumnMaxToBeBetween":
                judged[suite.asset_key] = (expectation.column, expectation.min_value)
    # every entity with a freshness policy, and only those, has the GX freshness expectation
    assert set(judged) == {
        ENTITIES_BY_TABLE[t].asset_key for t, hours in EXPECTED_WINDOW_HOURS.items() if hours
    }
    for key, (column, min_value) in judged.items():
        assert FRESHNESS_COLUMNS[key] == column
        hours = EXPECTED_WINDOW_HOURS[key[1]]
        assert datetime.fromisoformat(str(min_value)) == AS_OF - timedelta(hours=hours)


@pytest.fixture
def locations(tmp_path, monkeypatch):
    monkeypatch.setenv("SECOPS_LANDING", str(FIXTURE_LANDING))
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    return tmp_path


def _freshness_results(as_of: datetime) -> dict[str, dg.AssetCheckEvaluation]:
    from orchestration.defs.raw_assets import landing_zone

    selection = [dg.AssetKey(["iam", "identities"]), dg.AssetKey(["backup", "backup_jobs"])]
    result = dg.materialize(
        [landing_zone], selection=selection, tags={AS_OF_TAG: as_of.isoformat()}, raise_on_error=True,
    )
    return {
        "/".join(e.asset_key.path): e
        for e in result.get_asset_check_evaluations() if e.check_name == "freshness"
    }


def test_a_family_whose_newest_record_is_older_than_its_window_is_late_at_as_of(locations):
    found = _freshness_results(AS_OF)
    identities = found["iam/identities"]
    # newest snapshot 2026-09-15 00:00, 30 days (720 h) before as_of; weekly: 192 h
    assert not identities.passed and identities.severity == dg.AssetCheckSeverity.WARN
    assert identities.metadata["age_hours"].value == 720.0
    assert identities.metadata["threshold_hours"].value == 192.0
    assert identities.metadata["newest_record_at"].value == datetime(2026, 9, 15, tzinfo=timezone.utc).timestamp()
    assert identities.metadata["cadence"].value == "weekly"
    assert identities.metadata["summary"].value == (
        "newest snapshot_at 2026-09-15T00:00:00+00:00 is 720 h old at as_of 2026-10-15T00:00:00+00:00; at most 192 h (weekly)"
    )


def test_the_same_family_is_fresh_when_judged_within_its_window(locations):
    # 2026-09-20: five days (120 h) after the newest snapshot, within 192 h
    found = _freshness_results(datetime(2026, 9, 20, tzinfo=timezone.utc))
    assert found["iam/identities"].passed
    assert found["iam/identities"].metadata["age_hours"].value == 120.0
