"""`period_complete` on every metric table keyed by a period, on the shared dbt fixture.

as_of = 2024-05-15 12:00 UTC (dbt_fixture_rows.py): May, Q2 and the ISO week of Monday
13 May contain it and are in progress; every earlier period has ended. The week of
Monday 6 May ended at 13 May 00:00, before as_of: complete.
"""

from __future__ import annotations

from datetime import date

import pytest

# every metrics table keyed by a period, and its period column
PERIOD_TABLES = {
    "security_slo_monthly": "month",
    "incident_response_monthly": "month",
    "incident_acknowledgement_monthly": "month",
    "training_monthly": "month",
    "training_quarterly": "quarter",
    "dpmo_monthly": "month",
    "error_budget_monthly": "month",
    "control_chart_monthly": "month",
    "defect_pareto_monthly": "month",
    "data_quality_monthly": "month",
    "opex_scorecard": "period_start",
}
MAY = date(2024, 5, 1)
Q2 = date(2024, 4, 1)


def test_every_table_keyed_by_a_period_has_period_complete(query):
    columns = query(
        "SELECT table_name, list(column_name) AS names FROM information_schema.columns "
        "WHERE table_schema = 'metrics' GROUP BY table_name")
    by_table = {r["table_name"]: set(r["names"]) for r in columns}
    keyed_by_a_period = {t for t, names in by_table.items() if names & {"month", "quarter", "year", "week", "period_start"}}
    assert keyed_by_a_period == set(PERIOD_TABLES)
    for table in keyed_by_a_period:
        assert "period_complete" in by_table[table], table


@pytest.mark.parametrize("table", [t for t, c in PERIOD_TABLES.items() if c == "month"])
def test_only_the_month_of_as_of_is_in_progress(query, table):
    rows = query(f"SELECT DISTINCT month, period_complete FROM metrics.{table} ORDER BY month")
    assert rows, table
    # months January .. April 2024 have ended by 05-15 12:00; May contains as_of
    assert [(r["month"], r["period_complete"]) for r in rows] == [
        (r["month"], r["month"] < MAY) for r in rows]
    if table != "defect_pareto_monthly":  # the Pareto has rows only for months with defects (none in May)
        assert rows[-1] == {"month": MAY, "period_complete": False}


def test_quarters_and_weeks(query):
    quarters = query("SELECT DISTINCT quarter, period_complete FROM metrics.training_quarterly ORDER BY quarter")
    assert [(r["quarter"], r["period_complete"]) for r in quarters] == [(date(2024, 1, 1), True), (Q2, False)]
    scorecard = {
        (r["period"], r["period_start"]): r["period_complete"]
        for r in query("SELECT DISTINCT period, period_start, period_complete FROM metrics.opex_scorecard")
    }
    assert scorecard[("quarter", Q2)] is False and scorecard[("quarter", date(2024, 1, 1))] is True
    assert scorecard[("month", MAY)] is False and scorecard[("month", date(2024, 4, 1))] is True
    # Mon 13 May .. Sun 19 May holds as_of; Mon 6 May ended at 13 May 00:00, before it
    assert scorecard[("week", date(2024, 5, 13))] is False
    assert scorecard[("week", date(2024, 5, 6))] is True
    assert [k for k, complete in scorecard.items() if not complete] == sorted(
        [("month", MAY), ("quarter", Q2), ("week", date(2024, 5, 13))],
        key=list(scorecard).index)


def test_pending_only_where_the_period_is_in_progress(query):
    # no restore test in March with backup data: breached, since March has ended
    (march,) = query("SELECT status, period_complete FROM metrics.security_slo_monthly "
                     "WHERE month = DATE '2024-03-01' AND slo_id = 'backup_restore_test'")
    assert march == {"status": "breached", "period_complete": True}
    for table in ("security_slo_monthly", "opex_scorecard"):
        assert query(f"SELECT * FROM metrics.{table} WHERE status = 'pending' AND period_complete") == [], table
