"""metrics.control_chart_monthly, metrics.defect_pareto_monthly and metrics.opex_scorecard on the
shared fixture (dbt_fixture_rows.py, as_of 2024-05-15 12:00 UTC). The definitions themselves are
unit-tested in dbt (models/marts/_control_charts__models.yml, _pareto__models.yml,
_opex_scorecard__models.yml); these tests check the tables `dbt build` publishes.

What the fixture gives, by hand:

Coverage (int_family_coverage_months): iam January (snapshot 2023-12-31 23:30-05:00 =
01-01 04:30 UTC); scanner February (scan 02-10) and March (certificate 03-01); training
February (phishing 02-20) and April (assignment due 04-30); backup March (job 03-03);
incident March through May (earliest incident INC-1, 03-01). Spine: January .. May.

DPMO (defects / opportunities):
| month | process                 | units, opp. | defects | why                                             |
|-------|-------------------------|-------------|---------|-------------------------------------------------|
| Jan   | mfa_enforcement         | 1           | 1       | u1 privileged, MFA blank = false                |
| Feb   | patch_management        | 1           | 1       | a2 critical (CVSS 9.8), due 02-11 10:00, open   |
| Mar   | patch_management        | 1           | 1       | a1 medium, due end of the 03-02 window, open    |
| Mar   | certificate_management  | 1           | 0       | production certificate valid                    |
| Mar   | backup                  | 1 job, 2    | 1       | j1 succeeded, encrypted blank                   |
| Mar   | access_review           | 1           | 1       | i1 due 03-31, never decided                     |
| Mar   | incident_detection      | 2           | 1       | INC-1 1 h (on time), INC-3 4 h                  |
| Apr   | training                | 1           | 1       | as1 due 04-30, not completed                    |
'all': Jan 1/1, Feb 1/1, Mar 4/7, Apr 1/1, May 0/0. configuration_and_code has no unit (every
finding of the fixture is a vulnerability; the classes are tested in test_dbt_finding_classes.py).

Security incidents detected in March (valid): INC-1 (root cause "Process" -> process, MTTD
1 h), INC-2 (2 h), INC-3 (4 h), INC-4 (no occurred_at, no MTTD), INC-5 (3 h), INC-9 (2 h);
INC-6 and INC-7 violate the definition, INC-8 is an availability incident. March MTTD =
(1 + 2 + 4 + 3 + 2) / 5 = 2.4 h over 6 incidents; no other month has a security incident
detected by as_of (INC-10 is detected 05-20).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest

pytestmark = pytest.mark.slow

UTC = timezone.utc
AS_OF = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
JAN, FEB, MAR, APR, MAY = (date(2024, m, 1) for m in range(1, 6))
Q1, Q2 = date(2024, 1, 1), date(2024, 4, 1)
PROCESSES = {
    "patch_management", "configuration_and_code", "mfa_enforcement", "certificate_management", "backup", "restore_testing",
    "access_review", "deprovisioning", "training", "incident_detection", "all",
}


@pytest.fixture(scope="module")
def charts(query):
    rows = query("SELECT * FROM metrics.control_chart_monthly")
    return {(r["month"], r["process"], r["chart"]): r for r in rows}


@pytest.fixture(scope="module")
def pareto(query):
    return query("SELECT * FROM metrics.defect_pareto_monthly ORDER BY month, dimension, rank")


@pytest.fixture(scope="module")
def scorecard(query):
    rows = query("SELECT * FROM metrics.opex_scorecard")
    return {(r["metric"], r["period"], r["period_start"]): r for r in rows}


def pareto_rows(pareto, month, dimension):
    return [
        (r["category"], r["defects"], r["share"], r["cumulative_share"], r["rank"], r["vital_few"])
        for r in pareto if r["month"] == month and r["dimension"] == dimension
    ]


# ---- control charts ----

def test_one_point_per_month_process_and_chart(charts):
    # p-charts: the ten processes and 'all' for each of the 5 spine months; XmR: 'mttd'
    assert len(charts) == 12 * 5
    assert {(p, c) for (_, p, c) in charts} == {(p, "p") for p in PROCESSES} | {("mttd", "XmR")}
    assert {m for (m, _, _) in charts} == {JAN, FEB, MAR, APR, MAY}


def test_p_chart_of_all_processes(charts):
    # Jan 1/1, Feb 1/1, Mar 4/7: fewer than 3 baseline months -> no centre or limits
    for month, value, n in ((JAN, 1.0, 1), (FEB, 1.0, 1), (MAR, 4 / 7, 7)):
        row = charts[(month, "all", "p")]
        assert row["value"] == pytest.approx(value) and row["n"] == n
        assert (row["center"], row["ucl"], row["lcl"], row["sigma"]) == (None, None, None, None)
        assert row["special_cause"] is False
    # April (1/1): baseline Jan, Feb, Mar: p̄ = (1 + 1 + 4) / (1 + 1 + 7) = 6/9 = 2/3;
    # sigma = sqrt(2/3 x 1/3 / 1) = sqrt(2/9) = 0.4714; ucl = 2/3 + 3 x 0.4714 = 2.0809;
    # lcl = 2/3 - 1.4142 < 0 -> 0. 1.0 is inside, below the 1 sigma line 1.138: no rule
    apr = charts[(APR, "all", "p")]
    assert (apr["value"], apr["n"]) == (1.0, 1)
    assert apr["center"] == pytest.approx(2 / 3)
    assert apr["sigma"] == pytest.approx(math.sqrt(2 / 9))
    assert apr["ucl"] == pytest.approx(2 / 3 + 3 * math.sqrt(2 / 9))
    assert apr["lcl"] == 0.0
    assert (apr["rule_1"], apr["rule_2"], apr["rule_3"], apr["rule_4"], apr["special_cause"]) == (
        False, False, False, False, False)
    # May: no opportunity -> no point; the centre over Jan..Apr is 7/10, but no sigma without n
    may = charts[(MAY, "all", "p")]
    assert (may["value"], may["n"]) == (None, 0)
    assert may["center"] == pytest.approx(0.7)
    assert (may["ucl"], may["lcl"], may["sigma"]) == (None, None, None)


def test_p_charts_of_single_processes_lack_history(charts):
    # no process has 3 months with opportunities before another month: no centre anywhere
    for (month, process, chart), row in charts.items():
        if chart == "p" and process != "all":
            assert row["center"] is None and row["ucl"] is None, (month, process)
    assert charts[(FEB, "patch_management", "p")]["value"] == 1.0      # a2 open past due
    assert charts[(MAR, "incident_detection", "p")]["value"] == 0.5    # INC-3 of INC-1, INC-3
    assert charts[(MAR, "backup", "p")]["n"] == 2                      # one job, 2 opportunities


def test_xmr_chart_of_mttd(charts):
    # March: mean MTTD 2.4 h over 6 incidents (INC-4 counts in n, not in the mean); the other
    # months have no MTTD, so no month has 3 earlier months with one: no limits, no rule
    mar = charts[(MAR, "mttd", "XmR")]
    assert (mar["value"], mar["n"]) == (pytest.approx(2.4), 6)
    assert mar["center"] is None and mar["ucl"] is None and mar["sigma"] is None
    for month in (JAN, FEB, APR, MAY):
        row = charts[(month, "mttd", "XmR")]
        assert (row["value"], row["n"], row["center"]) == (None, 0, None)
    assert not any(r["special_cause"] for r in charts.values())


# ---- Pareto ----

def test_pareto_of_march(pareto):
    # process: four processes with 1 defect each (certificate_management has none): tied, so by
    # name; cumulative 1/4, 2/4, 3/4, 4/4 - 0.8 is first reached by the fourth, so all are vital
    assert pareto_rows(pareto, MAR, "process") == [
        ("access_review", 1, 0.25, 0.25, 1, True),
        ("backup", 1, 0.25, 0.5, 2, True),
        ("incident_detection", 1, 0.25, 0.75, 3, True),
        ("patch_management", 1, 0.25, 1.0, 4, True),
    ]
    # root causes of the 6 valid security incidents detected in March: INC-1 "Process"
    # (lower-cased) and 5 blank -> unknown. unknown 5/6 = 0.833 reaches 0.8 at once: vital;
    # process 1/6 comes after the cut
    rows = pareto_rows(pareto, MAR, "root_cause")
    assert [(c, d, k, v) for c, d, _, _, k, v in rows] == [
        ("unknown", 5, 1, True), ("process", 1, 2, False)]
    assert rows[0][2] == pytest.approx(5 / 6) and rows[0][3] == pytest.approx(5 / 6)
    assert rows[1][2] == pytest.approx(1 / 6) and rows[1][3] == pytest.approx(1.0)


def test_pareto_other_months(pareto):
    # one defective process a month; no security incident outside March; May has no defect
    assert pareto_rows(pareto, JAN, "process") == [("mfa_enforcement", 1, 1.0, 1.0, 1, True)]
    assert pareto_rows(pareto, FEB, "process") == [("patch_management", 1, 1.0, 1.0, 1, True)]
    assert pareto_rows(pareto, APR, "process") == [("training", 1, 1.0, 1.0, 1, True)]
    assert {(r["month"], r["dimension"]) for r in pareto} == {
        (JAN, "process"), (FEB, "process"), (MAR, "process"), (MAR, "root_cause"), (APR, "process")}


# ---- scorecard ----

def status_and_actual(scorecard, metric, period, start):
    row = scorecard[(metric, period, start)]
    return row["status"], row["actual"]


def test_scorecard_rows(scorecard):
    # 6 monthly metrics x 5 months, the 20 ISO weeks Mon 2024-01-01 .. Mon 05-13 (05-20 starts
    # after as_of), training_completion and dr_test_success x Q1, Q2
    assert len(scorecard) == 6 * 5 + 20 + 2 * 2
    weeks = sorted(start for (metric, period, start) in scorecard if period == "week")
    assert weeks[0] == date(2024, 1, 1) and weeks[-1] == date(2024, 5, 13) and len(weeks) == 20
    targets = {(m, r["comparator"], r["target"]) for (m, _, _), r in scorecard.items()}
    assert targets == {
        ("slo_compliance", ">=", 1.0), ("change_induced_incidents", "<=", 0.0),
        ("mttd_hours", "<", 1.0), ("training_completion", ">=", 1.0), ("dpmo", "<", 3.4),
        ("dr_test_success", ">=", 1.0), ("runbook_currency", ">=", 1.0),
        ("global_delivery_audit", ">=", 1.0),
    }
    assert {r["as_of"] for r in scorecard.values()} == {AS_OF}


def test_scorecard_slo_compliance(scorecard):
    # Jan: only privileged_mfa has data (iam), breached (u1 without MFA) -> 0 / 1
    # Feb: critical_patch_24h breached (a2), expired_certs_production met (scanner covers,
    #      no certificate snapshot); the rest no_data -> 1 / 2
    # Mar: critical_patch_24h met (no critical due), expired_certs met, backup_restore_test
    #      breached (backup data, no restore test), p1_detection_1h 1/2 breached -> 2 / 4
    # Apr, May: only p1_detection_1h has data (incident family), met (no P1) -> 1 / 1
    expected = {JAN: ("breached", 0.0), FEB: ("breached", 0.5), MAR: ("breached", 0.5),
                APR: ("met", 1.0), MAY: ("met", 1.0)}
    for month, value in expected.items():
        assert status_and_actual(scorecard, "slo_compliance", "month", month) == value


def test_scorecard_incident_metrics(scorecard):
    # incident coverage starts in March: January and February are no_data (the measured 0 kept)
    for month in (JAN, FEB):
        assert status_and_actual(scorecard, "change_induced_incidents", "month", month) == ("no_data", 0.0)
        assert status_and_actual(scorecard, "mttd_hours", "month", month) == ("no_data", None)
    # March: CHG-1 (INC-1) and CHG-2 (INC-5) -> 2 > 0; MTTD 2.4 h, not < 1 h
    assert status_and_actual(scorecard, "change_induced_incidents", "month", MAR) == ("breached", 2.0)
    status, actual = status_and_actual(scorecard, "mttd_hours", "month", MAR)
    assert status == "breached" and actual == pytest.approx(2.4)
    # April, May: covered, no incident -> 0 met; MTTD NULL, met
    for month in (APR, MAY):
        assert status_and_actual(scorecard, "change_induced_incidents", "month", month) == ("met", 0.0)
        assert status_and_actual(scorecard, "mttd_hours", "month", month) == ("met", None)


def test_scorecard_weekly_mttd(scorecard):
    weekly = {start: (r["status"], r["actual"]) for (m, p, start), r in scorecard.items()
              if m == "mttd_hours" and p == "week"}
    # weeks touching only January or February: the incident family covers neither -> no_data
    for start, value in weekly.items():
        if start <= date(2024, 2, 19):
            assert value == ("no_data", None), start
    # Mon 02-26 .. Sun 03-03 touches March: INC-1 (03-01, 1 h) -> 1.0 is not < 1: breached
    assert weekly[date(2024, 2, 26)] == ("breached", 1.0)
    # 03-04 .. 03-10: INC-2 (2 h) and INC-3 (4 h) -> 3.0
    assert weekly[date(2024, 3, 4)] == ("breached", 3.0)
    # 03-11 .. 03-17: INC-4 has no occurred_at -> no MTTD: met with a NULL actual
    assert weekly[date(2024, 3, 11)] == ("met", None)
    # 03-18 .. 03-24: INC-5 (3 h); INC-7 (03-22) violates the definition
    assert weekly[date(2024, 3, 18)] == ("breached", 3.0)
    # 03-25 .. 03-31: INC-9 (2 h); INC-6 (detected 03-25) violates the definition
    assert weekly[date(2024, 3, 25)] == ("breached", 2.0)
    # April and May weeks: covered, no incident detected by as_of (INC-10 is 05-20)
    for start, value in weekly.items():
        if start >= date(2024, 4, 1):
            assert value == ("met", None), start


def test_scorecard_dpmo_and_quarters(scorecard):
    # 'all' DPMO: Jan 1/1, Feb 1/1, Apr 1/1 = 1e6; Mar 4/7 x 1e6; all breached (not < 3.4);
    # May: no opportunity, families cover May (incident) -> met with a NULL actual
    for month in (JAN, FEB, APR):
        assert status_and_actual(scorecard, "dpmo", "month", month) == ("breached", 1e6)
    status, actual = status_and_actual(scorecard, "dpmo", "month", MAR)
    assert status == "breached" and actual == pytest.approx(4 / 7 * 1e6)
    assert status_and_actual(scorecard, "dpmo", "month", MAY) == ("met", None)
    # training: Q1 no assignment due (training covers February) -> met, NULL; Q2 as1 late -> 0 / 1
    assert status_and_actual(scorecard, "training_completion", "quarter", Q1) == ("met", None)
    assert status_and_actual(scorecard, "training_completion", "quarter", Q2) == ("breached", 0.0)
    # DR tests: none at all, so every quarter is before the backup family's first DR test:
    # Q1 (backup covers March) -> no_data; Q2: backup covers no month of Q2 -> no_data
    assert status_and_actual(scorecard, "dr_test_success", "quarter", Q1) == ("no_data", None)
    assert status_and_actual(scorecard, "dr_test_success", "quarter", Q2) == ("no_data", None)
    # sources not connected
    for metric in ("runbook_currency", "global_delivery_audit"):
        for month in (JAN, FEB, MAR, APR, MAY):
            assert status_and_actual(scorecard, metric, "month", month) == ("no_data", None)


# ---- published columns ----

@pytest.mark.parametrize("table, columns", [
    ("control_chart_monthly", [
        ("month", "DATE"), ("process", "VARCHAR"), ("chart", "VARCHAR"), ("value", "DOUBLE"),
        ("n", "BIGINT"), ("center", "DOUBLE"), ("ucl", "DOUBLE"), ("lcl", "DOUBLE"),
        ("sigma", "DOUBLE"), ("rule_1", "BOOLEAN"), ("rule_2", "BOOLEAN"), ("rule_3", "BOOLEAN"),
        ("rule_4", "BOOLEAN"), ("special_cause", "BOOLEAN"), ("period_complete", "BOOLEAN"),
        ("as_of", "TIMESTAMP WITH TIME ZONE"),
    ]),
    ("defect_pareto_monthly", [
        ("month", "DATE"), ("dimension", "VARCHAR"), ("category", "VARCHAR"),
        ("defects", "BIGINT"), ("share", "DOUBLE"), ("cumulative_share", "DOUBLE"),
        ("rank", "BIGINT"), ("vital_few", "BOOLEAN"), ("period_complete", "BOOLEAN"),
        ("as_of", "TIMESTAMP WITH TIME ZONE"),
    ]),
    ("opex_scorecard", [
        ("metric", "VARCHAR"), ("period", "VARCHAR"), ("period_start", "DATE"),
        ("target", "DOUBLE"), ("comparator", "VARCHAR"), ("actual", "DOUBLE"),
        ("status", "VARCHAR"), ("period_complete", "BOOLEAN"), ("as_of", "TIMESTAMP WITH TIME ZONE"),
    ]),
])
def test_published_columns(query, table, columns):
    rows = query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'metrics' AND table_name = ? ORDER BY ordinal_position", [table])
    assert [(r["column_name"], r["data_type"]) for r in rows] == columns
