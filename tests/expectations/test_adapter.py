"""The adapter on a real DuckDB file: GX validates SQL there, severities follow config.yaml.

A tiny table `staging.things` (no dbt needed) with hand-placed defects; a suite of our
own over it, so every count below is read off the rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from expectations.adapter import check_result, run_suites, verdicts
from expectations.config import CheckConfig
from expectations.spec import Suite, as_of_query, expect
from expectations.suites._common import ordered, timeliness
from ingest.warehouse import connect

AS_OF = datetime(2026, 10, 15, tzinfo=timezone.utc)
CONFIG = CheckConfig(
    error_share=0.05,
    stale_severity="WARN",
    cadence_hours={"weekly": 192},
    thresholds={},
    sample_values=3,
    family_cadences={"demo": "weekly"},
)

# 40 rows at or before as_of, plus one after it (ignored by the as_of filter):
#   severity: 2 of 40 are 'bogus' (5.0 %: WARN, not above the 5 % error share)
#   detected_at < occurred_at: 3 of 40 (7.5 %: ERROR, above 5 %)
#   newest at-or-before-as_of time: as_of - 10 days (older than 192 h: stale, WARN)
_ROWS = """
CREATE SCHEMA staging;
CREATE TABLE staging.things AS
SELECT
    i AS id,
    CASE WHEN i IN (1, 2) THEN 'bogus' ELSE 'high' END AS severity,
    TIMESTAMPTZ '2026-10-05 00:00:00+00' - to_hours(i) AS occurred_at,
    TIMESTAMPTZ '2026-10-05 00:00:00+00' - to_hours(i) + CASE WHEN i IN (3, 4, 5) THEN -to_hours(1) ELSE to_hours(1) END AS detected_at,
    TIMESTAMPTZ '2026-10-06 00:00:00+00' AS _loaded_at
FROM range(40) AS r(i)
UNION ALL
SELECT 99, 'bogus', TIMESTAMPTZ '2026-11-01 00:00:00+00', TIMESTAMPTZ '2026-10-31 00:00:00+00', TIMESTAMPTZ '2026-11-02 00:00:00+00';
"""


def _build(gx, ctx):
    return [
        expect(gx.expectations.ExpectColumnValuesToBeInSet, "validity", column="severity", value_set=["high", "low"]),
        ordered(gx, "detected_at", "occurred_at"),
        expect(gx.expectations.ExpectColumnValuesToBeUnique, "uniqueness", column="id"),
        *timeliness(gx, ctx, "demo", "occurred_at"),
    ]


SUITE = Suite(
    name="demo.things",
    asset_key=("demo", "things"),
    relation="staging.things",
    query=as_of_query("staging.things", "occurred_at"),
    build=_build,
    dimensions=("validity", "uniqueness", "timeliness"),
)
MISSING = Suite(
    name="demo.missing",
    asset_key=("demo", "missing"),
    relation="staging.not_built",
    query="select * from staging.not_built",
    build=_build,
    dimensions=("completeness",),
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("adapter") / "warehouse.duckdb")
    con.execute(_ROWS)
    try:
        yield run_suites(con, [SUITE, MISSING], AS_OF, CONFIG)
    finally:
        con.close()


def _one(outcomes, expectation, column=None):
    found = [o for o in outcomes if o.expectation == expectation and (column is None or o.column == column)]
    assert len(found) == 1, found
    return found[0]


def test_rows_after_as_of_are_not_validated(outcomes):
    in_set = _one(outcomes, "expect_column_values_to_be_in_set")
    assert in_set.element_count == 40  # row 99 is after as_of


def test_a_share_at_the_threshold_is_warn(outcomes):
    in_set = _one(outcomes, "expect_column_values_to_be_in_set")
    assert (in_set.success, in_set.unexpected_count, in_set.unexpected_percent) == (False, 2, 5.0)
    assert in_set.severity == "WARN"
    assert in_set.sample_values == ("bogus", "bogus")


def test_a_share_above_the_threshold_is_error(outcomes):
    order = _one(outcomes, "expect_column_pair_values_a_to_be_greater_than_b", "detected_at, occurred_at")
    assert (order.success, order.unexpected_count, order.unexpected_percent) == (False, 3, 7.5)
    assert order.severity == "ERROR" and order.blocking
    assert order.threshold == "detected_at >= occurred_at"


def test_load_after_timestamps_passes(outcomes):
    loaded = _one(outcomes, "expect_column_pair_values_a_to_be_greater_than_b", "_loaded_at, occurred_at")
    assert loaded.success and loaded.severity is None


def test_stale_family_is_warn_against_as_of(outcomes):
    fresh = _one(outcomes, "expect_column_max_to_be_between")
    # newest occurred_at at or before as_of: 2026-10-05 00:00 (row 0); as_of - 192 h = 2026-10-07 00:00
    assert not fresh.success and fresh.severity == "WARN"
    assert fresh.observed_value.startswith("2026-10-05 00:00:00")
    assert (AS_OF - timedelta(hours=192)).isoformat(sep=" ") in fresh.threshold


def test_a_missing_relation_is_error(outcomes):
    missing = [o for o in outcomes if o.suite == "demo.missing"]
    assert [(o.expectation, o.severity) for o in missing] == [("relation_exists", "ERROR")]


def test_verdicts_are_dagster_check_results(outcomes):
    found = {v.dimension: v for v in verdicts(o for o in outcomes if o.suite == "demo.things")}
    assert sorted(found) == ["timeliness", "uniqueness", "validity"]
    validity = check_result(found["validity"], CONFIG.error_share)
    assert isinstance(validity, dg.AssetCheckResult)
    assert validity.asset_key == dg.AssetKey(["demo", "things"]) and validity.check_name == "validity"
    # two failed expectations, the worse one (7.5 % > 5 %) makes the check ERROR
    assert not validity.passed and validity.severity == dg.AssetCheckSeverity.ERROR
    assert validity.metadata["failed_expectations"].value == 2
    assert validity.metadata["unexpected_percent"].value == 7.5
    assert validity.metadata["error_share_threshold"].value == 0.05
    samples = {k: sorted(v) for k, v in validity.metadata["sample_values"].value.items()}
    assert samples == {
        "expect_column_values_to_be_in_set(severity)": ["bogus", "bogus"],
        # rows 3, 4, 5: detected 1 h before occurring (05 Oct 00:00 minus 3, 4, 5 h), as "detected / occurred"
        "expect_column_pair_values_a_to_be_greater_than_b(detected_at, occurred_at)": [
            "2026-10-04 18:00:00+00:00 / 2026-10-04 19:00:00+00:00",
            "2026-10-04 19:00:00+00:00 / 2026-10-04 20:00:00+00:00",
            "2026-10-04 20:00:00+00:00 / 2026-10-04 21:00:00+00:00",
        ],
    }
    uniqueness = check_result(found["uniqueness"], CONFIG.error_share)
    assert uniqueness.passed
    timeliness_check = check_result(found["timeliness"], CONFIG.error_share)
    assert not timeliness_check.passed and timeliness_check.severity == dg.AssetCheckSeverity.WARN


def test_the_same_data_gives_the_same_outcomes(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    con.execute(_ROWS)
    try:
        first = run_suites(con, [SUITE], AS_OF, CONFIG)
        second = run_suites(con, [SUITE], AS_OF, CONFIG)
    finally:
        con.close()
    assert first == second
