"""Finding classes through the metrics (METRICS.md "Finding classes"), on dbt_finding_class_rows.py.

The patch metrics (critical_patch_24h, DPMO patch_management, vulnerability_debt,
vulnerability_ageing) count vulnerability findings only; misconfiguration, secret and
code findings get the same risk matrix and due dates, appear in vulnerability_remediation
and action_items, and form the DPMO process configuration_and_code (in 'all', the
control charts and the Pareto). as_of = 2024-05-15 12:00 UTC; hand-computed values.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from conftest import build_warehouse, query_runner
from dbt_finding_class_rows import AS_OF, RAW_ROWS

pytestmark = pytest.mark.slow

MAR, APR, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def query(tmp_path_factory):
    warehouse = build_warehouse(
        tmp_path_factory.mktemp("dbt_finding_classes"), RAW_ROWS, AS_OF,
        select=["+security_slo_monthly", "+error_budget_monthly", "+vulnerability_ageing",
                "+action_items", "+control_chart_monthly", "+defect_pareto_monthly"],
    )
    return query_runner(warehouse)


def test_staging_normalises_the_class_and_blank_is_vulnerability(query):
    rows = query("SELECT vulnerability_id, finding_class, finding_class_reported FROM staging.stg_scanner__findings"
                 " WHERE vulnerability_id IS NOT NULL ORDER BY _source_file, _source_row")
    got = {(r["vulnerability_id"], r["finding_class_reported"]): r["finding_class"] for r in rows}
    assert got == {
        ("CVE-2024-1111", None): "vulnerability",
        ("AVD-DS-0002", "MISCONFIGURATION "): "misconfiguration",
        ("python.lang.security.audit.eval", "Code"): "code",
        ("python.lang.security.audit.eval", "code"): "code",
        ("aws-access-token", "secret"): "secret",
        ("CVE-2024-3333", "vulnerability"): "vulnerability",
        ("AVD-KSV-0001", "misconfiguration"): "misconfiguration",
    }


def test_every_class_is_in_vulnerability_remediation_with_the_same_risk_matrix(query):
    rows = {r["vulnerability_id"]: r for r in query("SELECT * FROM metrics.vulnerability_remediation")}
    assert {k: r["finding_class"] for k, r in rows.items()} == {
        "CVE-2024-1111": "vulnerability", "AVD-DS-0002": "misconfiguration",
        "python.lang.security.audit.eval": "code", "aws-access-token": "secret",
        "CVE-2024-3333": "vulnerability", "AVD-KSV-0001": "misconfiguration",
    }
    # V1 critical: emergency_patch, 03-04 10:00 + 24 h = 03-05 10:00; fixed by the 03-06 10:00 rescan: late
    v1 = rows["CVE-2024-1111"]
    assert (v1["decision"], v1["due_at"], v1["fixed_at"], v1["state"]) == (
        "emergency_patch", utc(2024, 3, 5, 10), utc(2024, 3, 6, 10), "fixed_late")
    # C1 code, critical 9.1: the same matrix, due 03-05 10:00, still open -> open_past_due
    c1 = rows["python.lang.security.audit.eval"]
    assert (c1["severity"], c1["cvss_score"], c1["decision"], c1["due_at"], c1["state"]) == (
        "critical", 9.1, "emergency_patch", utc(2024, 3, 5, 10), "open_past_due")
    # S1 secret, high, the scanner's exploited flag ignored: maintenance_window_7d, 03-11 10:00
    s1 = rows["aws-access-token"]
    assert (s1["exploited_in_wild"], s1["decision"], s1["due_at"], s1["state"]) == (
        False, "maintenance_window_7d", utc(2024, 3, 11, 10), "open_past_due")
    # M1 misconfiguration high: due 03-11 10:00, fixed 03-06 10:00 -> in window
    m1 = rows["AVD-DS-0002"]
    assert (m1["due_at"], m1["state"]) == (utc(2024, 3, 11, 10), "fixed_in_window")
    # V2 medium on 04-02 00:00: next window 04-06 02:00-06:00 -> due 04-06 06:00; open past due
    v2 = rows["CVE-2024-3333"]
    assert (v2["decision"], v2["due_at"], v2["state"]) == ("next_regular_window", utc(2024, 4, 6, 6), "open_past_due")
    # I1 info: no window
    assert (rows["AVD-KSV-0001"]["decision"], rows["AVD-KSV-0001"]["due_at"]) == ("none", None)


def test_critical_patch_slo_counts_vulnerabilities_only(query):
    rows = {r["month"]: r for r in query(
        "SELECT * FROM metrics.security_slo_monthly WHERE slo_id = 'critical_patch_24h'")}
    # March: V1 only (due 03-05, fixed late) -> 0 of 1; C1, the code finding rated critical 9.1, stays out
    assert (rows[MAR]["numerator"], rows[MAR]["denominator"]) == (0, 1)
    assert (rows[APR]["denominator"], rows[MAY]["denominator"]) == (0, 0)


def test_dpmo_patch_management_and_configuration_and_code(query):
    rows = {(r["month"], r["process"]): r for r in query("SELECT * FROM metrics.dpmo_monthly")}
    units_defects = lambda m, p: (rows[(m, p)]["units"], rows[(m, p)]["defects"])  # noqa: E731
    # March patch_management: V1 (due 03-05, fixed late) -> 1 unit, 1 defect
    assert units_defects(MAR, "patch_management") == (1, 1)
    # March configuration_and_code: C1 (due 03-05, open), M1 (due 03-11, fixed 03-06), S1 (due 03-11, open)
    # -> 3 units, 2 defects; dpmo = 1e6 * 2 / 3
    assert units_defects(MAR, "configuration_and_code") == (3, 2)
    assert rows[(MAR, "configuration_and_code")]["dpmo"] == pytest.approx(1e6 * 2 / 3)
    # April: V2 (due 04-06 06:00, open) in patch_management; I1 (info, no due_at) is no unit
    assert units_defects(APR, "patch_management") == (1, 1)
    assert units_defects(APR, "configuration_and_code") == (0, 0)
    # 'all' sums both (the other processes have no data here): March 4 units, 3 defects
    assert units_defects(MAR, "all") == (4, 3)


def test_control_chart_and_pareto_see_configuration_and_code(query):
    chart = query("SELECT value, n FROM metrics.control_chart_monthly"
                  " WHERE month = ? AND process = 'configuration_and_code' AND chart = 'p'", [MAR])
    assert [(r["value"], r["n"]) for r in chart] == [(pytest.approx(2 / 3), 3)]
    pareto = query("SELECT category, defects FROM metrics.defect_pareto_monthly"
                   " WHERE month = ? AND dimension = 'process' ORDER BY rank", [MAR])
    assert [(r["category"], r["defects"]) for r in pareto] == [("configuration_and_code", 2), ("patch_management", 1)]


def test_vulnerability_debt_counts_vulnerabilities_only(query):
    rows = {r["month"]: r for r in query("SELECT * FROM intermediate.int_error_budget_vulnerability_debt_months")}
    # end of March (04-01 00:00): V1 fixed 03-06; C1 and S1 are open (C1 critical past due) but not
    # vulnerabilities -> nothing open, debt_ratio NULL (counting them would give 1 / 2)
    assert (rows[MAR]["open_findings"], rows[MAR]["open_critical_past_due"], rows[MAR]["debt_ratio"]) == (0, 0, None)
    # end of April (05-01 00:00): V2 open (medium) -> 1 open, 0 critical past due, ratio 0
    assert (rows[APR]["open_findings"], rows[APR]["open_critical_past_due"], rows[APR]["debt_ratio"]) == (1, 0, 0.0)


def test_vulnerability_ageing_counts_open_vulnerabilities_only(query):
    rows = {(r["severity"], r["age_bucket"]): r for r in query("SELECT * FROM metrics.vulnerability_ageing")}
    # open at as_of: V2 (vulnerability, medium), C1 (code), S1 (secret), I1 (misconfiguration): V2 only
    assert rows[("ALL", "ALL")]["open_instances"] == 1
    assert rows[("medium", "30-90")]["open_instances"] == 1   # 04-02 -> 05-15 12:00 = 43.5 days
    assert rows[("critical", "ALL")]["open_instances"] == 0   # C1 is code


def test_action_items_list_every_class_past_due(query):
    rows = {r["source_key"]: r for r in query(
        "SELECT a.*, r.vulnerability_id FROM metrics.action_items a"
        " JOIN metrics.vulnerability_remediation r ON r.finding_instance_id = a.source_key"
        " WHERE a.category = 'finding_past_due'")}
    by_id = {r["vulnerability_id"]: r for r in rows.values()}
    assert set(by_id) == {"python.lang.security.audit.eval", "aws-access-token", "CVE-2024-3333"}
    c1 = by_id["python.lang.security.audit.eval"]
    # due 03-05 10:00 -> 05-15 12:00 = 31 + 30 + 10 d + 2 h = 1706 h
    assert c1["hours_overdue"] == pytest.approx(1706.0)
    assert c1["details"].startswith("critical code finding on repo-1 (environment unknown)")
    # S1: due 03-11 10:00 -> 1706 - 6 * 24 = 1562 h
    assert by_id["aws-access-token"]["hours_overdue"] == pytest.approx(1562.0)
    assert by_id["aws-access-token"]["details"].startswith("high secret finding on repo-1")
    # V2: due 04-06 06:00 -> 05-15 12:00 = 39 d 6 h = 942 h; a vulnerability is not named a class
    assert by_id["CVE-2024-3333"]["hours_overdue"] == pytest.approx(942.0)
    assert by_id["CVE-2024-3333"]["details"].startswith("medium finding on web-2 (production)")
