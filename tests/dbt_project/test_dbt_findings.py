"""The finding lifecycle and the risk matrix (intermediate.int_finding_*), on dbt_findings_rows.py.

as_of = 2024-05-15 12:00 UTC; regular window = first Saturday of each month, 02:00-06:00 UTC.
Hand-computed values; the arithmetic is beside each assertion. Durations in hours.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

pytestmark = pytest.mark.slow

AS_OF = datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def remediation(findings_query):
    rows = findings_query("SELECT * FROM intermediate.int_finding_remediation")
    by_key: dict[tuple, list[dict]] = {}
    for row in rows:
        by_key.setdefault((row["scanner"], row["asset_id"], row["vulnerability_id"]), []).append(row)
    for instances in by_key.values():
        instances.sort(key=lambda r: r["first_seen_at"])
    return by_key


def test_reopened_finding_is_two_instances_each_with_its_own_clock(remediation):
    first, second = remediation[("trivy", "web-1", "CVE-2024-1000")]
    # instance 1: seen 03-04 10:00 (exploited -> emergency_maintenance, 24 h): due 03-05 10:00;
    # the clean rescan 03-05 09:00 fixes it 1 h before due -> met
    assert (first["first_seen_at"], first["fixed_at"], first["fix_source"]) == (
        utc(2024, 3, 4, 10), utc(2024, 3, 5, 9), "scan")
    assert first["decision"] == "emergency_maintenance"
    assert first["due_at"] == utc(2024, 3, 5, 10)
    assert (first["met_window"], first["state"], first["hours_past_due"]) == (True, "fixed_in_window", 0.0)
    # instance 2: the key is back 03-11 10:00 with a new clock and its own first row (blank
    # exploited -> not exploited -> emergency_patch, CVSS 9.1): due 03-11 10:00 + 24 h = 03-12 10:00;
    # the clean rescan 03-12 12:00 fixes it 12:00 - 10:00 = 2 h late
    assert (second["first_seen_at"], second["fixed_at"]) == (utc(2024, 3, 11, 10), utc(2024, 3, 12, 12))
    assert (second["decision"], second["exploited_in_wild"], second["cvss_score"]) == ("emergency_patch", False, 9.1)
    assert second["due_at"] == utc(2024, 3, 12, 10)
    assert (second["met_window"], second["state"]) == (False, "fixed_late")
    assert second["hours_past_due"] == pytest.approx(2.0)
    assert first["finding_instance_id"] != second["finding_instance_id"]


def test_fix_reported_exactly_at_due_at_is_met(remediation):
    fixed, reopened = remediation[("trivy", "db-1", "CVE-2024-2000")]
    # high, not exploited: maintenance_window_7d, due 03-01 08:00 + 7 d = 03-08 08:00;
    # the 03-08 09:00 scan reports fixed_at 03-08 08:00 = due_at: equality favours the team
    assert fixed["decision"] == "maintenance_window_7d"
    assert fixed["due_at"] == utc(2024, 3, 8, 8) == fixed["fixed_at"]
    assert (fixed["fix_source"], fixed["met_window"], fixed["state"]) == ("reported", True, "fixed_in_window")
    assert fixed["hours_past_due"] == 0.0
    # the fix-report row is not a sighting: last seen at the 03-01 scan
    assert fixed["last_seen_at"] == utc(2024, 3, 1, 8)
    # the reported fix ends the instance: the key in the very next scan (03-15 08:00,
    # now exploited) is a new instance: emergency_maintenance, due 03-16 08:00, still open;
    # past due 03-16 08:00 -> 05-15 12:00 = 31 d (to 04-16) + 29 d (to 05-15) + 4 h = 1444 h
    assert reopened["first_seen_at"] == utc(2024, 3, 15, 8)
    assert (reopened["decision"], reopened["due_at"]) == ("emergency_maintenance", utc(2024, 3, 16, 8))
    assert (reopened["fixed_at"], reopened["state"]) == (None, "open_past_due")
    assert reopened["hours_past_due"] == pytest.approx(1444.0)


def test_another_scanners_clean_scan_does_not_close(remediation, findings_query):
    (row,) = remediation[("trivy", "app-1", "CVE-2024-3000")]
    # grype's clean scan of app-1 on 04-02 00:00 does not close trivy's instance; trivy's
    # own clean rescan on 04-10 00:00 does
    assert (row["fixed_at"], row["fix_source"]) == (utc(2024, 4, 10), "scan")
    # 'moderate' -> medium, not exploited, blank package: next_regular_window. First seen
    # Monday 04-01 00:00; first window starting after it: Saturday 04-06 02:00-06:00 -> due 06:00;
    # late by 04-06 06:00 -> 04-10 00:00 = 3 d 18 h = 90 h
    assert (row["severity"], row["package"], row["decision"]) == ("medium", None, "next_regular_window")
    assert row["due_at"] == utc(2024, 4, 6, 6)
    assert (row["state"], row["hours_past_due"]) == ("fixed_late", pytest.approx(90.0))
    # grype never saw the finding: no grype instance on app-1
    assert ("grype", "app-1", "CVE-2024-3000") not in remediation
    # the same CVE on web-1 is another key for grype (seen 03-05 09:30, after trivy's
    # clean scan at 09:00): open, critical 24 h -> due 03-06 09:30
    (grype_web,) = remediation[("grype", "web-1", "CVE-2024-1000")]
    assert (grype_web["first_seen_at"], grype_web["fixed_at"]) == (utc(2024, 3, 5, 9, 30), None)
    assert (grype_web["due_at"], grype_web["state"]) == (utc(2024, 3, 6, 9, 30), "open_past_due")


def test_scan_time_offset_counts_in_utc_month(remediation, findings_query):
    # 2024-03-31T23:30:00-02:00 = 2024-04-01 01:30 UTC: April, not March
    (scan,) = findings_query(
        "SELECT scanned_at, month(scanned_at) AS m FROM intermediate.int_finding_scans WHERE asset_id = 'edge-1'")
    assert scan == {"scanned_at": utc(2024, 4, 1, 1, 30), "m": 4}
    (row,) = remediation[("trivy", "edge-1", "CVE-2024-4000")]
    # blank severity, CVSS 9.1 -> critical, not exploited: emergency_patch, due 04-02 01:30 (April)
    assert row["first_seen_at"] == utc(2024, 4, 1, 1, 30)
    assert (row["severity"], row["decision"]) == ("critical", "emergency_patch")
    assert (row["due_at"], row["due_month"]) == (utc(2024, 4, 2, 1, 30), date(2024, 4, 1))
    # open past due: 04-02 01:30 -> 05-15 12:00 = 30 d (to 05-02) + 13 d + 10.5 h = 1042.5 h
    assert (row["state"], row["hours_past_due"]) == ("open_past_due", pytest.approx(1042.5))


def test_medium_first_seen_inside_a_window_is_due_at_the_end_of_next_months_window(remediation):
    # first Saturday of March 2024 = 03-02: window 02:00-06:00
    (inside,) = remediation[("trivy", "mw-1", "CVE-2024-5000")]
    # first seen 03:00, inside the window: the first window STARTING after it is April's
    # (Saturday 04-06 02:00) -> due at its end 04-06 06:00
    assert inside["first_seen_at"] == utc(2024, 3, 2, 3)
    assert (inside["decision"], inside["regular_window_start_at"]) == ("next_regular_window", utc(2024, 4, 6, 2))
    assert (inside["due_at"], inside["due_month"]) == (utc(2024, 4, 6, 6), date(2024, 4, 1))
    # open: 04-06 06:00 -> 05-15 12:00 = 30 d (to 05-06) + 9 d + 6 h = 942 h past due
    assert (inside["state"], inside["hours_past_due"]) == ("open_past_due", pytest.approx(942.0))
    # first seen exactly at the window start (02:00): not strictly after -> April's window too
    (at_start,) = remediation[("trivy", "mw-3", "CVE-2024-5002")]
    assert at_start["due_at"] == utc(2024, 4, 6, 6)
    # low first seen 01:59, just before the window: due at that window's end, 03-02 06:00;
    # the clean rescan at 06:00 exactly is on time
    (before,) = remediation[("trivy", "mw-2", "CVE-2024-5001")]
    assert (before["due_at"], before["fixed_at"]) == (utc(2024, 3, 2, 6), utc(2024, 3, 2, 6))
    assert (before["met_window"], before["state"]) == (True, "fixed_in_window")


def test_as_of_cut_off(remediation, findings_query):
    (row,) = remediation[("trivy", "late-1", "CVE-2024-6000")]
    # the 05-20 scan (after as_of) lacks the key but is ignored; the 05-14 row's
    # fixed_at 05-16 is after as_of: not fixed yet
    assert (row["fixed_at"], row["fix_source"], row["last_seen_at"]) == (None, None, utc(2024, 5, 14))
    # high, blank exploited: 7 d from 05-10 00:00 = 05-17 00:00 > as_of: not due, not judged
    assert (row["due_at"], row["is_due"], row["met_window"]) == (utc(2024, 5, 17), False, None)
    assert (row["state"], row["hours_past_due"]) == ("open", 0.0)
    # the finding first seen in the 05-20 scan does not exist yet, nor does the scan
    assert ("trivy", "late-1", "CVE-2024-6001") not in remediation
    scans = findings_query("SELECT scan_id FROM intermediate.int_finding_scans WHERE asset_id = 'late-1' "
                           "ORDER BY scan_ordinal")
    assert [s["scan_id"] for s in scans] == ["t-0510", "t-0514"]


def test_info_has_no_window(remediation):
    (row,) = remediation[("trivy", "info-1", "CVE-2024-7000")]
    assert (row["severity"], row["decision"], row["due_at"]) == ("info", "none", None)
    assert (row["state"], row["is_due"], row["met_window"], row["hours_past_due"]) == ("open", False, None, None)


def test_maintenance_window_calendar(findings_query):
    windows = findings_query("SELECT * FROM intermediate.int_maintenance_windows ORDER BY window_month")
    # from the month of the earliest first_seen_at (db-1, 03-01) through May 2024 + 12 months
    assert [w["window_month"] for w in windows][:3] == [date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)]
    assert windows[-1]["window_month"] == date(2025, 5, 1)
    assert len(windows) == 15  # March 2024 .. May 2025
    for w in windows:
        start = w["window_start_at"]
        # the first Saturday (ISO 6) of its month, 02:00 UTC, for 4 hours
        assert start.isoweekday() == 6 and start.day <= 7
        assert (start.hour, start.minute) == (2, 0)
        assert (w["window_end_at"] - start).total_seconds() == 4 * 3600
        assert start.date().replace(day=1) == w["window_month"]
    assert windows[0]["window_start_at"] == utc(2024, 3, 2, 2)   # 2024-03-01 is a Friday
    assert windows[3]["window_start_at"] == utc(2024, 6, 1, 2)   # 2024-06-01 is a Saturday


def test_instances_grain_and_as_of(findings_query):
    rows = findings_query("SELECT * FROM intermediate.int_finding_instances")
    # web-1 trivy x2, web-1 grype, db-1 x2, app-1, edge-1, mw-1, mw-2, mw-3, late-1, info-1
    assert len(rows) == 12
    assert len({r["finding_instance_id"] for r in rows}) == 12
    assert {r["as_of"] for r in rows} == {AS_OF}
    assert {r["exploited_source"] for r in rows} == {"scanner", None}
    (exploited,) = [r for r in rows if r["exploited_source"] == "scanner" and r["asset_id"] == "web-1"]
    assert exploited["first_seen_at"] == utc(2024, 3, 4, 10)
    assert {r["exclusion_reason"] for r in rows} == {None}
