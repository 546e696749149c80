"""A hand-filled warehouse for the monthly report's tests: the metrics.* tables, small.

The report month is September 2026 (as_of 2026-10-15). The control charts hold 14 months
of history (2025-08 .. 2026-09, so limits exist) plus one later month the report must
not show; other months' rows exist to prove the report reads only its own month.

The tables have the columns and types `dbt build` gives them (proved by
test_report_on_dbt_warehouse.py); `period_complete` is derived here from each row's period
and as_of as METRICS.md defines it (the period ended at or before as_of).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ingest.warehouse import open_warehouse

REPORT_MONTH = "2026-09"
PARTITION_KEY = "2026-09-01"
AS_OF = datetime(2026, 10, 15, tzinfo=timezone.utc)
EARLIER_AS_OF = datetime(2026, 9, 2, 3, 0, tzinfo=timezone.utc)

SEPTEMBER = date(2026, 9, 1)
AUGUST = date(2026, 8, 1)

DDL = """
CREATE SCHEMA metrics;
CREATE TABLE metrics.security_slo_monthly (
  month DATE, slo_id VARCHAR, description VARCHAR, target DOUBLE, comparator VARCHAR, actual DOUBLE,
  numerator BIGINT, denominator BIGINT, status VARCHAR, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.opex_scorecard (
  metric VARCHAR, period VARCHAR, period_start DATE, target DOUBLE, comparator VARCHAR, actual DOUBLE,
  status VARCHAR, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.control_chart_monthly (
  month DATE, process VARCHAR, chart VARCHAR, value DOUBLE, n BIGINT, center DOUBLE, ucl DOUBLE, lcl DOUBLE,
  sigma DOUBLE, rule_1 BOOLEAN, rule_2 BOOLEAN, rule_3 BOOLEAN, rule_4 BOOLEAN, special_cause BOOLEAN,
  period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.defect_pareto_monthly (
  month DATE, dimension VARCHAR, category VARCHAR, defects BIGINT, share DOUBLE, cumulative_share DOUBLE,
  rank BIGINT, vital_few BOOLEAN, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.training_monthly (
  month DATE, geography VARCHAR, assignments_due BIGINT, completed_on_time BIGINT, completion_rate DOUBLE,
  phishing_delivered BIGINT, phishing_clicked BIGINT, click_rate DOUBLE, phishing_reported BIGINT,
  report_rate DOUBLE, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.error_budget_monthly (
  month DATE, dimension VARCHAR, objective DOUBLE, allowed DOUBLE, consumed DOUBLE, remaining DOUBLE,
  consumed_fraction DOUBLE, status VARCHAR, elapsed_fraction DOUBLE, burn_rate DOUBLE,
  projected_consumed_fraction DOUBLE, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.incident_response_monthly (
  month DATE, severity VARCHAR, geography VARCHAR, incidents BIGINT, mttd_hours DOUBLE,
  mttd_median_hours DOUBLE, mttd_p90_hours DOUBLE, mttr_hours DOUBLE, mttr_median_hours DOUBLE,
  mttr_p90_hours DOUBLE, resolved_incidents BIGINT, change_induced_incidents BIGINT,
  period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.dpmo_monthly (
  month DATE, process VARCHAR, units BIGINT, opportunities_per_unit INTEGER, opportunities BIGINT,
  defects BIGINT, dpmo DOUBLE, sigma_level DOUBLE, period_complete BOOLEAN, as_of TIMESTAMPTZ);
CREATE TABLE metrics.action_items (
  action_item_id VARCHAR, category VARCHAR, subject VARCHAR, owner VARCHAR, since TIMESTAMPTZ,
  due_at TIMESTAMPTZ, details VARCHAR, family VARCHAR, source_key VARCHAR, hours_overdue DOUBLE,
  as_of TIMESTAMPTZ);
"""

SLOS = [
    # month, slo_id, description, target, comparator, actual, numerator, denominator, status
    (SEPTEMBER, "critical_patch_24h", "Critical finding instances fixed within 24 h", 1.0, ">=", 36 / 65, 36, 65,
     "breached"),
    (SEPTEMBER, "privileged_mfa", "Active privileged identities with MFA", 1.0, ">=", 1.0, 20, 20, "met"),
    (SEPTEMBER, "expired_certs_production", "Expired production certificates", 0.0, "<=", 2.0, 2, 40, "breached"),
    (SEPTEMBER, "backup_restore_test", "Restore tests that succeeded", 1.0, ">=", None, None, None, "no_data"),
    (SEPTEMBER, "p1_detection_1h", "Security P1 incidents detected within 1 h", 0.95, ">=", 1.0, 3, 3, "met"),
    (AUGUST, "critical_patch_24h", "Critical finding instances fixed within 24 h", 1.0, ">=", 0.9, 9, 10,
     "breached"),
]

SCORECARD = [
    # metric, period, period_start, target, comparator, actual, status
    ("slo_compliance", "month", SEPTEMBER, 1.0, ">=", 0.5, "breached"),
    ("change_induced_incidents", "month", SEPTEMBER, 0.0, "<=", 1.0, "breached"),
    ("mttd_hours", "month", SEPTEMBER, 1.0, "<", 3.5, "breached"),
    ("mttd_hours", "week", date(2026, 9, 7), 1.0, "<", 0.75, "met"),
    # a week belongs to the month of its Thursday: 08-31 (Thursday 09-03) is September's,
    # 08-24 is August's and 09-28 (Thursday 10-01) October's
    ("mttd_hours", "week", date(2026, 8, 31), 1.0, "<", 1.5, "breached"),
    ("mttd_hours", "week", date(2026, 8, 24), 1.0, "<", 9.99, "breached"),
    ("mttd_hours", "week", date(2026, 9, 28), 1.0, "<", 8.88, "breached"),
    ("training_completion", "quarter", date(2026, 7, 1), 1.0, ">=", 0.9, "breached"),
    ("dpmo", "month", SEPTEMBER, 3.4, "<", 25296.44, "breached"),
    ("dr_test_success", "quarter", date(2026, 7, 1), 1.0, ">=", 1.0, "met"),
    ("runbook_currency", "month", SEPTEMBER, 1.0, ">=", None, "no_data"),
    ("slo_compliance", "month", AUGUST, 1.0, ">=", 0.123, "breached"),
]


def _months(first: date, count: int) -> list[date]:
    out = []
    year, month = first.year, first.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


CHART_MONTHS = _months(date(2025, 8, 1), 14)  # 2025-08 .. 2026-09
assert CHART_MONTHS[-1] == SEPTEMBER

# patch_management p-chart: special causes in 2026-03 (rule 1) and 2026-09 (rules 1 and 2)
PATCH_VALUES = [0.05, 0.04, 0.06, 0.05, 0.05, 0.04, 0.06, 0.16, 0.05, 0.04, 0.06, 0.05, 0.11, 0.446]
# MTTD individuals chart: the report month is a special cause (rule 1)
MTTD_VALUES = [0.8, 1.1, 0.9, 1.0, 0.7, 1.2, 0.9, 1.0, 0.8, 1.1, 0.9, 1.0, 1.2, 3.5]


def _control_rows() -> list[tuple]:
    rows = []
    for i, month in enumerate(CHART_MONTHS):
        limits = i >= 3  # fewer than 3 baseline months: no limits
        value = PATCH_VALUES[i]
        rule_1 = month in (date(2026, 3, 1), SEPTEMBER)
        rule_2 = month == SEPTEMBER
        rows.append((month, "patch_management", "p", value, 65, 0.05 if limits else None,
                     0.131 if limits else None, 0.0 if limits else None, 0.027 if limits else None,
                     rule_1, rule_2, False, False, rule_1 or rule_2, AS_OF))
        rows.append((month, "all", "p", value / 4, 1265, 0.0125 if limits else None, 0.022 if limits else None,
                     0.003 if limits else None, 0.0031 if limits else None, False, False, False, False, False,
                     AS_OF))
        mttd = MTTD_VALUES[i]
        rows.append((month, "mttd", "XmR", mttd, 4, 0.95 if limits else None, 1.66 if limits else None,
                     0.24 if limits else None, 0.24 if limits else None, month == SEPTEMBER and limits, False,
                     False, False, month == SEPTEMBER, AS_OF))
    # after the report month: never shown in September's report
    rows.append((date(2026, 10, 1), "patch_management", "p", 0.9, 10, 0.05, 0.2, 0.0, 0.05, True, False, False,
                 False, True, AS_OF))
    return rows


PARETO = [
    # month, dimension, category, defects, share, cumulative_share, rank, vital_few
    (SEPTEMBER, "process", "patch_management", 29, 29 / 32, 29 / 32, 1, True),
    (SEPTEMBER, "process", "backup", 3, 3 / 32, 1.0, 2, False),
    (SEPTEMBER, "root_cause", "configuration", 3, 0.5, 0.5, 1, True),
    (SEPTEMBER, "root_cause", "software", 2, 2 / 6, 5 / 6, 2, True),
    (SEPTEMBER, "root_cause", "unknown", 1, 1 / 6, 1.0, 3, False),
]

TRAINING = [
    # month, geography, due, on time, completion, delivered, clicked, click, reported, report
    (SEPTEMBER, "ALL", 100, 97, 0.97, 181, 8, 8 / 181, 20, 20 / 181),
    (SEPTEMBER, "AMER", 40, 38, 0.95, 100, 2, 0.02, 12, 0.12),
    (SEPTEMBER, "EMEA", 50, 50, 1.0, 80, 5, 0.0625, 8, 0.1),
    (SEPTEMBER, "APAC", 10, 9, 0.9, 0, 0, None, 0, None),
    (SEPTEMBER, "UNKNOWN", 0, 0, None, 1, 1, 1.0, 0, 0.0),
    (AUGUST, "ALL", 10, 1, 0.1, 10, 9, 0.9, 0, 0.0),
]

ERROR_BUDGET = [
    # month, dimension, objective, allowed, consumed, remaining, consumed_fraction, status, elapsed, burn, projected
    (SEPTEMBER, "availability", 0.999, 43.2, 30.0, 13.2, 30.0 / 43.2, "met", None, None, None),
    (SEPTEMBER, "security_incident", 0.999, 43.2, 90.0, -46.8, 90.0 / 43.2, "breached", None, None, None),
    (SEPTEMBER, "vulnerability_debt", None, 0.02, 0.01, 0.01, 0.5, "met", None, None, None),
    (SEPTEMBER, "compliance_drift", None, 0.01, None, None, None, "no_data", None, None, None),
]

INCIDENTS = [
    (SEPTEMBER, "ALL", "ALL", 4, 1.0, 1.0, 1.35, 8 / 3, 2.0, 3.6, 3, 1),
    (SEPTEMBER, "P1", "ALL", 2, 0.75, 0.75, 0.95, 2.0, 2.0, 2.0, 2, 0),
    (SEPTEMBER, "ALL", "EMEA", 2, 1.25, 1.25, 1.45, 3.0, 3.0, 3.8, 2, 1),  # per geography: not shown
]

DPMO = [
    # month, process, units, opp per unit, opportunities, defects, dpmo, sigma
    (SEPTEMBER, "patch_management", 65, 1, 65, 29, 1e6 * 29 / 65, 1.63),
    (SEPTEMBER, "backup", 100, 2, 200, 3, 15000.0, 3.67),
    (SEPTEMBER, "training", 1000, 1, 1000, 0, 0.0, None),
    (SEPTEMBER, "all", 1265, 1, 1265, 32, 1e6 * 32 / 1265, 3.45),
    (AUGUST, "all", 10, 1, 10, 9, 900000.0, 0.22),
]

ACTION_ITEMS = [
    ("finding_past_due", "asset-7 CVE-2026-0001", "team:platform",
     datetime(2026, 9, 3, tzinfo=timezone.utc), datetime(2026, 9, 4, tzinfo=timezone.utc),
     "critical, exploited; <script>alert('x')</script> & more", AS_OF),
    ("privileged_without_mfa", "u-42 (admin@example.com)", "team:iam",
     datetime(2026, 9, 15, tzinfo=timezone.utc), None, "privileged, MFA off", AS_OF),
    ("training_overdue", "u-9", "team:people",
     datetime(2026, 9, 30, tzinfo=timezone.utc), datetime(2026, 9, 30, tzinfo=timezone.utc), "phishing basics",
     AS_OF),
]


_PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_complete(start: date, period: str, as_of: datetime) -> bool:
    """The period starting on `start` ended (its next period began) at or before as_of."""
    if period == "week":
        end = start + timedelta(days=7)
    else:
        index = start.year * 12 + start.month - 1 + _PERIOD_MONTHS[period]
        end = date(index // 12, index % 12 + 1, 1)
    return datetime(end.year, end.month, end.day, tzinfo=timezone.utc) <= as_of


def _monthly(rows: list[tuple], as_of: datetime) -> list[tuple]:
    """Rows whose first value is their month, with period_complete and as_of appended."""
    return [(*row, period_complete(row[0], "month", as_of), as_of) for row in rows]


def build_fixture_warehouse(path: Path) -> Path:
    with open_warehouse(path) as con:
        con.execute(DDL)
        con.executemany("INSERT INTO metrics.security_slo_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _monthly(SLOS, AS_OF))
        con.executemany("INSERT INTO metrics.opex_scorecard VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(*row, period_complete(row[2], row[1], AS_OF), AS_OF) for row in SCORECARD])
        con.executemany("INSERT INTO metrics.control_chart_monthly VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(*row[:-1], period_complete(row[0], "month", row[-1]), row[-1]) for row in _control_rows()])
        con.executemany("INSERT INTO metrics.defect_pareto_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _monthly(PARETO, AS_OF))
        con.executemany("INSERT INTO metrics.training_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _monthly(TRAINING, AS_OF))
        con.executemany("INSERT INTO metrics.error_budget_monthly VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _monthly(ERROR_BUDGET, AS_OF))
        # the per-geography rows were evaluated earlier, while September was in progress
        con.executemany("INSERT INTO metrics.incident_response_monthly VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [*_monthly([r for r in INCIDENTS if r[2] == "ALL"], AS_OF),
                         *_monthly([r for r in INCIDENTS if r[2] != "ALL"], EARLIER_AS_OF)])
        con.executemany("INSERT INTO metrics.dpmo_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _monthly(DPMO, AS_OF))
        con.executemany("INSERT INTO metrics.action_items (category, subject, owner, since, due_at, details, as_of) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", ACTION_ITEMS)
    return path
