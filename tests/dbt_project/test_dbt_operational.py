"""The operational tables (models/operational: metrics.vulnerability_remediation,
metrics.vulnerability_ageing, metrics.action_items) and metrics.incident_acknowledgement_monthly.

Two warehouses:
- `query` (conftest, dbt_fixture_rows.py, everything built), for the values of the shared fixture;
- `operational_query`, a fixture of its own built once per session with
  `--select +path:models/operational +incident_acknowledgement_monthly`: the finding lifecycle
  of dbt_findings_rows.py (imported, not changed) plus the rows below.

Hand-computed values; the arithmetic is beside each assertion. as_of = 2024-05-15 12:00 UTC.
Durations in hours (TTA in minutes).

Incidents of the operational fixture (det = detected_at, ack = acknowledged_at; SLA 15 min):

| id  | category     | geo      | det         | ack                 | outcome                            |
|-----|--------------|----------|-------------|---------------------|------------------------------------|
| A1  | security     | EMEA     | 05-01 10:00 | 10:15 (15 min)      | on time (exactly 15 min)           |
| A2  | security     | emea     | 05-02 10:00 | 10:20, 2nd export   | late (20 min); merged: set > blank |
| A3  | security     | AMER     | 05-03 10:00 | -                   | late, unacknowledged               |
| A4  | security     | APAC     | 05-15 11:50 | -                   | pending (12:05 > as_of)            |
| A5  | security     | (blank)  | 05-15 11:45 | -                   | late (12:00 = as_of), UNKNOWN      |
| A6  | availability | AMER     | 05-04 10:00 | 10:01               | not security                       |
| A7  | security     | AMER     | 05-05 10:00 | 10:05               | invalid: detected before occurred  |
| A8  | security     | AMER     | 05-06 10:00 | 09:00               | excluded: acknowledged before det. |
| A9  | security     | AMER     | 05-07 10:00 | 05-16 (> as_of)     | late, unacknowledged at as_of      |
| A10 | security     | EMEA     | 04-20 10:00 | 10:02               | April, on time                     |

Identity snapshots (canonical_csv; P = privileged active, M = MFA):
05-01: p1 P M, p2 P, p3 P M; 05-08: p1 P (MFA blank), p2 P, p3 P M; 05-12: p1 P, p2 P, p3 P M,
t1 active (terminated 05-10 00:00), t2 deprovisioned (terminated 05-11 00:00); 05-20 (after
as_of, ignored): everyone with MFA.
Certificates: 05-01 old-1 expired (superseded); 05-14 web-1 expired 05-10 (Production), web-2
not_after = observed_at, stg-1 expired but staging.
Assignments: as1 due 05-01 open; as2 completed on time; as3 required blank; as4 due = as_of.
Backups: sys-web backups 04-01 and 05-14, never restore-tested; sys-db backup succeeded 05-13,
FAILED 05-14, restore test 05-01. Access reviews: ar1 due 05-01 undecided; ar2 decided.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from conftest import build_warehouse, query_runner
from dbt_findings_rows import FINDINGS
from dbt_fixture_rows import incident, ts

pytestmark = pytest.mark.slow

AS_OF_TEXT = "2024-05-15T12:00:00Z"
AS_OF = datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)
MARCH, APRIL, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


E1, E2 = "incident/export_1.csv", "incident/export_2.csv"

INCIDENTS = [
    incident("A1", "security", "P1", "EMEA", "2024-05-01 09:50", "2024-05-01 10:00", source_file=E1,
             acknowledged_at=ts("2024-05-01 10:15")),
    incident("A2", "Security", "p2", "emea", "2024-05-02 09:30", "2024-05-02 10:00", source_file=E1),
    incident("A2", "security", "P2", "EMEA", "2024-05-02 09:30", "2024-05-02 10:00", source_file=E2,
             acknowledged_at=ts("2024-05-02 10:20")),
    incident("A3", "security", "P3", "AMER", "2024-05-03 09:00", "2024-05-03 10:00", source_file=E1),
    incident("A4", "security", "P2", "APAC", "2024-05-15 11:40", "2024-05-15 11:50", source_file=E1),
    incident("A5", "security", "P1", None, "2024-05-15 11:30", "2024-05-15 11:45", source_file=E1),
    incident("A6", "availability", "P1", "AMER", "2024-05-04 09:00", "2024-05-04 10:00", source_file=E1,
             acknowledged_at=ts("2024-05-04 10:01")),
    incident("A7", "security", "P2", "AMER", "2024-05-05 11:00", "2024-05-05 10:00", source_file=E1,
             acknowledged_at=ts("2024-05-05 10:05")),
    incident("A8", "security", "P3", "AMER", "2024-05-06 08:00", "2024-05-06 10:00", source_file=E1,
             acknowledged_at=ts("2024-05-06 09:00")),
    incident("A9", "security", "P2", "AMER", "2024-05-07 09:00", "2024-05-07 10:00", source_file=E1,
             acknowledged_at=ts("2024-05-16 00:00")),
    incident("A10", "security", "P4", "EMEA", "2024-04-20 09:00", "2024-04-20 10:00", source_file=E1,
             acknowledged_at=ts("2024-04-20 10:02")),
]


def identity(snapshot_at, user_id, status="active", privileged=True, mfa=None, terminated_at=None):
    return {
        "snapshot_at": ts(snapshot_at), "user_id": user_id, "email": f"{user_id}@example.com",
        "status": status, "is_privileged": privileged, "mfa_enabled": mfa, "country": "DE",
        "geography": None, "terminated_at": ts(terminated_at), "disabled_at": None,
        "_format": "canonical_csv", "_source_file": f"iam/users_{snapshot_at[:10]}.csv",
    }


IDENTITIES = [
    identity("2024-05-01 00:00", "p1", mfa=True),
    identity("2024-05-01 00:00", "p2", mfa=False),
    identity("2024-05-01 00:00", "p3", mfa=True),
    identity("2024-05-08 00:00", "p1", mfa=None),
    identity("2024-05-08 00:00", "p2", mfa=False),
    identity("2024-05-08 00:00", "p3", status="ACTIVE", mfa=True),
    identity("2024-05-12 00:00", "p1", mfa=None),
    identity("2024-05-12 00:00", "p2", mfa=False),
    identity("2024-05-12 00:00", "p3", mfa=True),
    identity("2024-05-12 00:00", "t1", privileged=False, terminated_at="2024-05-10 00:00"),
    identity("2024-05-12 00:00", "t2", status="deprovisioned", privileged=False,
             terminated_at="2024-05-11 00:00"),
    identity("2024-05-20 00:00", "p1", mfa=True),
    identity("2024-05-20 00:00", "p2", mfa=True),
    identity("2024-05-20 00:00", "p3", mfa=True),
]


def certificate(observed_at, asset_id, environment, subject, serial, not_after):
    return {"observed_at": ts(observed_at), "asset_id": asset_id, "asset_environment": environment,
            "subject": subject, "serial": serial, "not_before": ts("2023-01-01 00:00"),
            "not_after": ts(not_after), "_source_file": f"scanner/certs_{observed_at[:10]}.csv"}


CERTIFICATES = [
    certificate("2024-05-01 00:00", "old-1", "production", "CN=old", "01", "2024-04-30 00:00"),
    certificate("2024-05-14 00:00", "web-1", "Production", "CN=www.example.com", "AA", "2024-05-10 00:00"),
    certificate("2024-05-14 00:00", "web-2", "production", "CN=api", "BB", "2024-05-14 00:00"),
    certificate("2024-05-14 00:00", "stg-1", "staging", "CN=stg", "CC", "2024-05-01 00:00"),
]


def assignment(assignment_id, user_id, required, due_at, completed_at=None, course="Secure coding"):
    return {"assignment_id": assignment_id, "user_id": user_id, "course": course, "required": required,
            "assigned_at": ts("2024-04-01 00:00"), "due_at": ts(due_at), "completed_at": ts(completed_at),
            "country": None}


ASSIGNMENTS = [
    assignment("as1", "p1", True, "2024-05-01 00:00"),
    assignment("as2", "p2", True, "2024-05-01 00:00", completed_at="2024-04-30 00:00"),
    assignment("as3", "p3", None, "2024-05-01 00:00"),
    assignment("as4", "p3", True, "2024-05-15 12:00"),
]


def job(job_id, system_id, job_type, started_at, completed_at, status):
    return {"job_id": job_id, "system_id": system_id, "job_type": job_type, "started_at": ts(started_at),
            "completed_at": ts(completed_at), "status": status, "encrypted": True,
            "asset_environment": "production"}


BACKUP_JOBS = [
    job("j-web-1", "sys-web", "backup", "2024-04-01 01:00", "2024-04-01 02:00", "succeeded"),
    job("j-web-2", "sys-web", "backup", "2024-05-14 01:00", "2024-05-14 02:00", "succeeded"),
    job("j-db-1", "sys-db", "backup", "2024-05-13 01:00", "2024-05-13 02:00", "SUCCEEDED"),
    job("j-db-2", "sys-db", "Backup", "2024-05-14 01:00", "2024-05-14 02:00", "FAILED"),
    job("j-db-r", "sys-db", "restore_test", "2024-05-01 00:00", "2024-05-01 01:00", "succeeded"),
]

ACCESS_REVIEWS = [
    {"review_id": "rv1", "item_id": "ar1", "user_id": "p1", "reviewer_id": "mgr1",
     "due_at": ts("2024-05-01 00:00"), "decided_at": None, "decision": None},
    {"review_id": "rv1", "item_id": "ar2", "user_id": "p2", "reviewer_id": "mgr1",
     "due_at": ts("2024-05-01 00:00"), "decided_at": ts("2024-04-30 00:00"), "decision": "approve"},
]

RAW_ROWS = {"findings": FINDINGS, "incidents": INCIDENTS, "identities": IDENTITIES,
            "certificates": CERTIFICATES, "assignments": ASSIGNMENTS, "backup_jobs": BACKUP_JOBS,
            "access_reviews": ACCESS_REVIEWS}


@pytest.fixture(scope="session")
def operational_query(tmp_path_factory):
    warehouse = build_warehouse(tmp_path_factory.mktemp("dbt_operational"), RAW_ROWS, AS_OF_TEXT,
                                select=["+path:models/operational", "+incident_acknowledgement_monthly"])
    return query_runner(warehouse)


@pytest.fixture(scope="module")
def remediation(operational_query):
    rows = operational_query("SELECT * FROM metrics.vulnerability_remediation")
    by_key: dict[tuple, list[dict]] = {}
    for row in rows:
        by_key.setdefault((row["scanner"], row["asset_id"], row["vulnerability_id"]), []).append(row)
    for instances in by_key.values():
        instances.sort(key=lambda r: r["first_seen_at"])
    return by_key


@pytest.fixture(scope="module")
def action_items(operational_query):
    rows = operational_query("SELECT * FROM metrics.action_items")
    return {(r["category"], r["subject"]): r for r in rows}


@pytest.fixture(scope="module")
def acknowledgement(operational_query):
    rows = operational_query("SELECT * FROM metrics.incident_acknowledgement_monthly")
    return {(r["month"], r["geography"]): r for r in rows}


def _columns(run, table: str) -> list[str]:
    (row,) = run(
        "SELECT list(column_name ORDER BY ordinal_position) AS names FROM information_schema.columns "
        "WHERE table_schema = 'metrics' AND table_name = ?", [table])
    return row["names"]


# ---- metrics.vulnerability_remediation ------------------------------------------------------

def test_remediation_columns_start_with_the_contract(operational_query):
    names = _columns(operational_query, "vulnerability_remediation")
    # METRICS.md "Further tables", in its order; the project's extra columns follow; as_of last
    assert names[:16] == [
        "finding_instance_id", "scanner", "asset_id", "asset_environment", "vulnerability_id", "package",
        "severity", "cvss_score", "exploited_in_wild", "exploited_source", "first_seen_at", "fixed_at",
        "decision", "due_at", "state", "hours_past_due"]
    assert names[-1] == "as_of"
    assert {"days_open", "age_bucket", "epss_score", "title"} <= set(names)


def test_remediation_state_of_every_instance(remediation):
    # the lifecycle of dbt_findings_rows.py (hand-computed in test_dbt_findings.py), judged at as_of
    states = {key: [(r["state"], r["hours_past_due"]) for r in rows] for key, rows in remediation.items()}
    assert states == {
        # #1 fixed 1 h before due; #2 seen 03-11 10:00, due 03-12 10:00, fixed 12:00: 2 h late
        ("trivy", "web-1", "CVE-2024-1000"): [("fixed_in_window", 0.0), ("fixed_late", pytest.approx(2.0))],
        # seen 03-05 09:30, critical 24 h -> due 03-06 09:30, open:
        # 03-06 09:30 -> 05-06 09:30 = 31 + 30 d; -> 05-15 09:30 = 9 d; 70 d + 2.5 h = 1682.5 h
        ("grype", "web-1", "CVE-2024-1000"): [("open_past_due", pytest.approx(1682.5))],
        # fix reported exactly at due (03-08 08:00) is on time; reopened 03-15 08:00, exploited,
        # due 03-16 08:00: 31 d + 29 d + 4 h = 1444 h
        ("trivy", "db-1", "CVE-2024-2000"): [("fixed_in_window", 0.0), ("open_past_due", pytest.approx(1444.0))],
        # due 04-06 06:00, fixed by trivy's clean scan 04-10 00:00: 3 d 18 h = 90 h late
        ("trivy", "app-1", "CVE-2024-3000"): [("fixed_late", pytest.approx(90.0))],
        # due 04-02 01:30: 30 d + 13 d + 10.5 h = 1042.5 h
        ("trivy", "edge-1", "CVE-2024-4000"): [("open_past_due", pytest.approx(1042.5))],
        # due at the end of April's window 04-06 06:00: 30 d + 9 d + 6 h = 942 h
        ("trivy", "mw-1", "CVE-2024-5000"): [("open_past_due", pytest.approx(942.0))],
        ("trivy", "mw-3", "CVE-2024-5002"): [("open_past_due", pytest.approx(942.0))],
        # due and fixed at the end of March's window, 03-02 06:00: on time
        ("trivy", "mw-2", "CVE-2024-5001"): [("fixed_in_window", 0.0)],
        # due 05-17 00:00 > as_of, the 05-16 fix has not happened: open, 0 h
        ("trivy", "late-1", "CVE-2024-6000"): [("open", 0.0)],
        # info: no window, never past due, hours NULL
        ("trivy", "info-1", "CVE-2024-7000"): [("open", None)],
    }


def test_remediation_agrees_with_the_intermediate_judgement(operational_query):
    # the state is judged in the operational model with the same macros as in
    # int_finding_remediation: both must say the same for every instance
    rows = operational_query(
        "SELECT r.finding_instance_id, r.state, i.state AS int_state, r.hours_past_due, "
        "i.hours_past_due AS int_hours, r.due_at = i.due_at AS same_due "
        "FROM metrics.vulnerability_remediation r "
        "FULL JOIN intermediate.int_finding_remediation i USING (finding_instance_id)")
    assert len(rows) == 12
    for row in rows:
        assert row["state"] == row["int_state"]
        assert row["hours_past_due"] == row["int_hours"]
        assert row["same_due"] in (True, None)


def test_remediation_age(remediation):
    (late,) = remediation[("trivy", "late-1", "CVE-2024-6000")]
    # 05-10 00:00 -> 05-15 12:00 = 5.5 d
    assert (late["days_open"], late["age_bucket"], late["as_of"]) == (pytest.approx(5.5), "0-30", AS_OF)
    (mw3,) = remediation[("trivy", "mw-3", "CVE-2024-5002")]
    # 03-02 02:00 -> 05-15 12:00 = 74 d 10 h
    assert (mw3["hours_open"], mw3["age_bucket"]) == (pytest.approx(74 * 24 + 10), "30-90")
    first, _ = remediation[("trivy", "web-1", "CVE-2024-1000")]
    # fixed: 03-04 10:00 -> 03-05 09:00 = 23 h open, no bucket
    assert (first["hours_open"], first["is_open"], first["age_bucket"]) == (pytest.approx(23.0), False, None)


# ---- metrics.vulnerability_ageing -----------------------------------------------------------

def test_ageing_of_the_open_instances(operational_query):
    rows = operational_query("SELECT * FROM metrics.vulnerability_ageing")
    assert len(rows) == 6 * 5  # every severity (and ALL) x every bucket (and ALL)
    grid = {(r["severity"], r["age_bucket"]): (r["open_instances"], r["open_past_due"]) for r in rows}
    nonzero = {key: value for key, value in grid.items() if value != (0, 0)}
    # open at as_of: grype web-1 (critical, 71 d), db-1 #2 (high, 61 d), edge-1 (critical, 44 d),
    # mw-1 and mw-3 (medium, 74 d) - all past due - late-1 (high, 5.5 d, not due), info-1 (info, 56.5 d)
    assert nonzero == {
        ("critical", "30-90"): (2, 2), ("critical", "ALL"): (2, 2),
        ("high", "0-30"): (1, 0), ("high", "30-90"): (1, 1), ("high", "ALL"): (2, 1),
        ("medium", "30-90"): (2, 2), ("medium", "ALL"): (2, 2),
        ("info", "30-90"): (1, 0), ("info", "ALL"): (1, 0),
        ("ALL", "0-30"): (1, 0), ("ALL", "30-90"): (6, 5), ("ALL", "ALL"): (7, 5),
    }
    (total,) = [r for r in rows if (r["severity"], r["age_bucket"]) == ("ALL", "ALL")]
    # production: web-1 (grype), edge-1, mw-1, mw-3; exploited at first sight: db-1 #2
    assert (total["open_production"], total["open_exploited"]) == (4, 1)
    # the oldest: mw-3, first seen 03-02 02:00, 74 d 10 h
    assert total["oldest_first_seen_at"] == utc(2024, 3, 2, 2)
    assert total["max_days_open"] == pytest.approx(74 + 10 / 24)


# ---- metrics.action_items -------------------------------------------------------------------

def test_action_items_one_per_thing_to_do(action_items):
    assert sorted(action_items) == sorted([
        # findings open past due (the fixed ones and late-1, not yet due, and info-1 are absent)
        ("finding_past_due", "web-1 CVE-2024-1000 openssl (grype)"),
        ("finding_past_due", "db-1 CVE-2024-2000 postgresql (trivy)"),
        ("finding_past_due", "edge-1 CVE-2024-4000 libxml2 (trivy)"),
        ("finding_past_due", "mw-1 CVE-2024-5000 nginx (trivy)"),
        ("finding_past_due", "mw-3 CVE-2024-5002 curl (trivy)"),
        ("privileged_without_mfa", "p1 (canonical_csv)"),
        ("privileged_without_mfa", "p2 (canonical_csv)"),
        ("expired_certificate", "web-1 CN=www.example.com serial AA"),
        ("training_overdue", "p1: Secure coding"),
        ("deprovisioning_late", "t1 (canonical_csv)"),
        ("backup_failed", "sys-db"),
        ("restore_test_missing", "sys-web"),
        ("review_overdue", "rv1 ar1: access of p1"),
    ])
    assert {item["as_of"] for item in action_items.values()} == {AS_OF}


def test_fixed_findings_have_no_action_item(operational_query):
    rows = operational_query(
        "SELECT r.state, count(a.action_item_id) AS items FROM metrics.vulnerability_remediation r "
        "LEFT JOIN metrics.action_items a ON a.category = 'finding_past_due' "
        "AND a.source_key = r.finding_instance_id GROUP BY r.state")
    # only the open_past_due instances have an item (5); fixed ones (5), open (2) have none
    assert {r["state"]: r["items"] for r in rows} == {
        "open_past_due": 5, "fixed_in_window": 0, "fixed_late": 0, "open": 0}


def test_action_item_finding_values(action_items):
    item = action_items[("finding_past_due", "edge-1 CVE-2024-4000 libxml2 (trivy)")]
    # first seen 2024-03-31 23:30-02:00 = 04-01 01:30 UTC; critical 24 h -> due 04-02 01:30; 1042.5 h over
    assert (item["since"], item["due_at"], item["owner"]) == (utc(2024, 4, 1, 1, 30), utc(2024, 4, 2, 1, 30), None)
    assert item["hours_overdue"] == pytest.approx(1042.5)
    assert item["details"] == ("critical finding on edge-1 (production), decision emergency_patch, "
                               "open since 2024-04-01 01:30 UTC, due 2024-04-02 01:30 UTC")


def test_action_item_mfa_since_the_current_run(action_items):
    # p1: with MFA on 05-01, blank (= false) from 05-08; the 05-20 snapshot is after as_of
    p1 = action_items[("privileged_without_mfa", "p1 (canonical_csv)")]
    assert (p1["since"], p1["owner"], p1["due_at"]) == (utc(2024, 5, 8), "p1", None)
    assert p1["details"] == "active privileged account without MFA in the canonical_csv snapshot of 2024-05-12 00:00 UTC"
    # p2: without MFA in every snapshot up to as_of
    assert action_items[("privileged_without_mfa", "p2 (canonical_csv)")]["since"] == utc(2024, 5, 1)


def test_action_item_deadlines(action_items):
    cert = action_items[("expired_certificate", "web-1 CN=www.example.com serial AA")]
    # not_after 05-10 00:00 < observed 05-14: 05-10 00:00 -> 05-15 12:00 = 5.5 d = 132 h
    assert (cert["since"], cert["due_at"], cert["hours_overdue"]) == (utc(2024, 5, 10), utc(2024, 5, 10), 132.0)
    training = action_items[("training_overdue", "p1: Secure coding")]
    # assigned 04-01, due 05-01 00:00: 14.5 d = 348 h; the assignee acts
    assert (training["since"], training["due_at"], training["owner"], training["hours_overdue"]) == (
        utc(2024, 4, 1), utc(2024, 5, 1), "p1", 348.0)
    deprovisioning = action_items[("deprovisioning_late", "t1 (canonical_csv)")]
    # terminated 05-10 00:00 + 24 h = 05-11 00:00: 4.5 d = 108 h; t2 was derived disabled at the
    # 05-12 snapshot (late, but done)
    assert (deprovisioning["since"], deprovisioning["due_at"], deprovisioning["hours_overdue"]) == (
        utc(2024, 5, 10), utc(2024, 5, 11), 108.0)
    review = action_items[("review_overdue", "rv1 ar1: access of p1")]
    # due 05-01 00:00, undecided: 348 h; the reviewer acts
    assert (review["owner"], review["since"], review["hours_overdue"]) == ("mgr1", utc(2024, 5, 1), 348.0)


def test_action_item_backups(action_items):
    failed = action_items[("backup_failed", "sys-db")]
    # latest finished backup j-db-2 (05-14, FAILED); the last success j-db-1 05-13
    assert (failed["since"], failed["due_at"], failed["hours_overdue"]) == (utc(2024, 5, 14, 1), None, None)
    assert failed["details"] == ("latest backup j-db-2 started 2024-05-14 01:00 UTC: failed; "
                                 "1 unsuccessful backup(s) in a row, last succeeded backup 2024-05-13 01:00 UTC")
    missing = action_items[("restore_test_missing", "sys-web")]
    # never tested; first backup 04-01 01:00 + 31 d = 05-02 01:00: 13 d 11 h = 323 h.
    # sys-db was tested 05-01 (due again 06-01)
    assert (missing["since"], missing["due_at"], missing["hours_overdue"]) == (
        utc(2024, 4, 1, 1), utc(2024, 5, 2, 1), 323.0)


# ---- metrics.incident_acknowledgement_monthly -----------------------------------------------

def test_acknowledgement_rows(acknowledgement):
    # spine March (first scan) .. May; geographies only where there is a population
    assert sorted(acknowledgement) == sorted([
        (MARCH, "ALL"), (APRIL, "ALL"), (APRIL, "EMEA"),
        (MAY, "ALL"), (MAY, "AMER"), (MAY, "APAC"), (MAY, "EMEA"), (MAY, "UNKNOWN")])
    march = acknowledgement[(MARCH, "ALL")]
    assert (march["incidents"], march["ack_rate"], march["tta_median_minutes"]) == (0, None, None)


def test_acknowledgement_may(acknowledgement):
    may = acknowledgement[(MAY, "ALL")]
    # population A1 A2 A3 A4 A5 A9 (A6 availability, A7 invalid, A8 acknowledged before detection)
    assert (may["incidents"], may["incidents_excluded"]) == (6, 1)
    # A4 pending (11:50 + 15 min = 12:05 > as_of); A5 judged (11:45 + 15 min = 12:00 = as_of)
    assert (may["incidents_judged"], may["incidents_pending"]) == (5, 1)
    # on time: A1 only (exactly 15 min); late: A2 (20 min), A3 A5 A9 unacknowledged at as_of
    assert (may["acknowledged_within_15m"], may["acknowledged_late"], may["unacknowledged_late"]) == (1, 1, 3)
    assert may["ack_rate"] == pytest.approx(1 / 5)
    # TTA over A1, A2 = [15, 20] minutes: median 17.5; p90 15 + 0.9 * 5 = 19.5
    assert (may["tta_median_minutes"], may["tta_p90_minutes"]) == (pytest.approx(17.5), pytest.approx(19.5))
    # EMEA: A1 and A2 (merged across exports: the second one's acknowledgement wins over the blank)
    emea = acknowledgement[(MAY, "EMEA")]
    assert (emea["incidents"], emea["acknowledged_within_15m"], emea["ack_rate"]) == (2, 1, 0.5)
    # AMER: A3 and A9 late (A9's acknowledgement 05-16 is after as_of); A8 excluded
    amer = acknowledgement[(MAY, "AMER")]
    assert (amer["incidents"], amer["ack_rate"], amer["unacknowledged_late"], amer["incidents_excluded"]) == (
        2, 0.0, 2, 1)
    # APAC: only the pending A4 -> nothing judged, ack_rate NULL; UNKNOWN: A5 (blank geography) late
    assert (acknowledgement[(MAY, "APAC")]["incidents_pending"], acknowledgement[(MAY, "APAC")]["ack_rate"]) == (1, None)
    assert (acknowledgement[(MAY, "UNKNOWN")]["incidents"], acknowledgement[(MAY, "UNKNOWN")]["ack_rate"]) == (1, 0.0)


def test_acknowledgement_april(acknowledgement):
    april = acknowledgement[(APRIL, "ALL")]
    # A10: acknowledged 2 minutes after detection
    assert (april["incidents"], april["acknowledged_within_15m"], april["ack_rate"]) == (1, 1, 1.0)
    assert (april["tta_median_minutes"], april["tta_p90_minutes"], april["as_of"]) == (2.0, 2.0, AS_OF)


# ---- the shared fixture (dbt_fixture_rows.py) -----------------------------------------------

def test_shared_fixture_remediation_and_items(query):
    rows = query("SELECT asset_id, severity, decision, due_at, state, hours_past_due, age_bucket "
                 "FROM metrics.vulnerability_remediation ORDER BY asset_id")
    assert rows == [
        # 'Moderate' -> medium, not exploited: end of the first window after 02-10 10:00 (Saturday
        # 03-02 02:00-06:00); open: 03-02 06:00 -> 05-15 12:00 = 31 + 30 + 13 d + 6 h = 1782 h;
        # open 02-10 10:00 -> 05-15 12:00 = 95 d 2 h -> '90-180'
        {"asset_id": "a1", "severity": "medium", "decision": "next_regular_window",
         "due_at": utc(2024, 3, 2, 6), "state": "open_past_due", "hours_past_due": 1782.0, "age_bucket": "90-180"},
        # blank severity, CVSS 9.8 -> critical: due 02-11 10:00 -> 05-15 12:00 = 29 + 31 + 30 + 4 d + 2 h
        # = 94 d 2 h = 2258 h (the 07-01 clean scan is after as_of)
        {"asset_id": "a2", "severity": "critical", "decision": "emergency_patch",
         "due_at": utc(2024, 2, 11, 10), "state": "open_past_due", "hours_past_due": 2258.0, "age_bucket": "90-180"},
    ]
    items = query("SELECT category, owner, hours_overdue FROM metrics.action_items ORDER BY category, hours_overdue")
    assert items == [
        {"category": "finding_past_due", "owner": None, "hours_overdue": 1782.0},
        {"category": "finding_past_due", "owner": None, "hours_overdue": 2258.0},
        # u1: privileged, MFA blank in the only snapshot before as_of (01-01 04:30 UTC)
        {"category": "privileged_without_mfa", "owner": "u1", "hours_overdue": None},
        # i1 due 03-31 00:00 undecided: 31 + 14.5 d = 45.5 d = 1092 h; reviewer m1
        {"category": "review_overdue", "owner": "m1", "hours_overdue": 1092.0},
        # as1 due 04-30 00:00, not completed: 15.5 d = 372 h
        {"category": "training_overdue", "owner": "u1", "hours_overdue": 372.0},
    ]
    # the certificate (not_after 2025) is valid; the backup j1 succeeded; the restore-test clock
    # needs a backup in the last 31 days (j1 is 03-03): no other item


def test_shared_fixture_acknowledgement(query):
    rows = query("SELECT month, geography, incidents, acknowledged_within_15m, ack_rate, unacknowledged_late "
                 "FROM metrics.incident_acknowledgement_monthly ORDER BY month, geography")
    # spine January (identity snapshot) .. May; March's six valid security incidents carry no
    # acknowledgement and were detected long before as_of: all late
    assert [(r["month"], r["geography"]) for r in rows] == [
        (date(2024, 1, 1), "ALL"), (date(2024, 2, 1), "ALL"), (MARCH, "ALL"), (MARCH, "AMER"),
        (MARCH, "APAC"), (MARCH, "EMEA"), (MARCH, "UNKNOWN"), (APRIL, "ALL"), (MAY, "ALL")]
    march = {r["geography"]: r for r in rows if r["month"] == MARCH}
    assert (march["ALL"]["incidents"], march["ALL"]["acknowledged_within_15m"], march["ALL"]["ack_rate"]) == (6, 0, 0.0)
    assert march["ALL"]["unacknowledged_late"] == 6
    # INC-1 and INC-5 EMEA, INC-3 and INC-9 APAC, INC-2 AMER, INC-4 UNKNOWN
    assert {g: r["incidents"] for g, r in march.items()} == {"ALL": 6, "AMER": 1, "APAC": 2, "EMEA": 2, "UNKNOWN": 1}
    assert all(r["ack_rate"] is None for r in rows if r["month"] != MARCH)
