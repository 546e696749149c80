"""Qualys VM / VMDR CSV (ingest/formats/scanner/qualys_csv.py): the real reports, then own fixtures."""

from __future__ import annotations

import pytest

from ingest.formats.base import ExportError
from ingest.formats.scanner.qualys_csv import QualysCsv
from tests.ingest.formats.scanner.findings_support import (
    MTIME_ISO,
    by_vulnerability,
    copy_with_mtime,
    fixture,
    parsed,
    rows,
    severities,
    shared_sample,
)

FOLDER = "qualys-csv"
QUALYS = QualysCsv()


# --- real reports -----------------------------------------------------------------------


def test_real_vm_scan_report():
    found = rows(QUALYS, shared_sample(FOLDER, "dd_qualys_vm_sample_report.csv"))

    # 6 detections; the May 2021 Windows update (QID 91762) lists 23 CVEs: one row each
    assert len(found) == 28
    assert len({row["_source_row"] for row in found}) == 6
    assert severities(found) == {"critical": 28}  # Severity 5
    may_update = [row for row in found if row["_extra"]["qid"] == "91762"]
    assert len(may_update) == 23
    assert {(r["asset_id"], r["cvss_score"], r["_source_row"]) for r in may_update} == {
        ("ip-10-98-57-180.eu-west-1.compute.internal", "9.9", 3)
    }
    assert "CVE-2021-31192" in {r["vulnerability_id"] for r in may_update}
    (eol,) = [r for r in by_vulnerability(found, "QID-105970")]
    assert (eol["title"], eol["cvss_score"], eol["_extra"]["first_detected"]) == (
        "EOL/Obsolete Software: Microsoft ASP.NET 1.1 Detected", "8.1", "2021-05-13T07:08:28"
    )
    # per host: its latest sighting in the report (naive, as Qualys writes it)
    scans = {row["asset_id"]: row["scanned_at"] for row in found}
    assert scans == {
        "ip-10-98-57-180.eu-west-1.compute.internal": "2021-05-25T07:36:58",
        "ip-10-98-57-151.eu-west-1.compute.internal": "2021-06-08T11:08:19",
        "ip-10-98-49-209.eu-west-1.compute.internal": "2021-06-08T12:18:00",
        "ip-10-98-35-11.eu-west-1.compute.internal": "2021-06-08T11:53:11",
    }
    # Active detections fixed once before: the old fix date is history, not fixed_at
    reopened = [r for r in found if r["_extra"]["date last fixed"]]
    assert len(reopened) == 2
    assert {r["fixed_at"] for r in found} == {None}


def test_real_vmdr_datalist_with_preamble():
    found = rows(QUALYS, shared_sample(FOLDER, "dd_qualys_vmdr_datalist_qid.csv"))

    assert [row["vulnerability_id"] for row in found] == [f"QID-10000{i}" for i in range(1, 6)]
    assert severities(found) == {"info": 1, "low": 1, "medium": 1, "high": 1, "critical": 1}
    assert [row["asset_id"] for row in found] == ["WEBSERVER01", "WEBSERVER02", "APPSERVER01", "WINSERVER01", "DBSERVER01"]
    assert {row["scanned_at"] for row in found} == {"2026-02-03T07:00:00"}  # 'Feb 03, 2026 07:00 AM'
    assert {row["_extra"]["report_generated_at"] for row in found} == {"2026-02-04T10:00:00-05:00"}
    (fixed,) = by_vulnerability(found, "QID-100003")
    assert (fixed["fixed_at"], fixed["_extra"]["status"]) == ("2026-01-20T08:00:00", "FIXED")
    (rce,) = by_vulnerability(found, "QID-100005")
    assert rce["exploited_in_wild"] == "true"  # RTI names an active exploit
    assert {r["exploited_in_wild"] for r in found if r is not rce} == {None}


# --- own fixtures ------------------------------------------------------------------------


def test_no_findings_host_is_a_clean_scan():
    (clean,) = rows(QUALYS, fixture(FOLDER, "no_findings.csv"))

    assert (clean["vulnerability_id"], clean["asset_id"], clean["scanned_at"]) == (
        None, "app-3.dev.example.com", "2024-03-04T06:00:00"
    )
    assert clean["asset_environment"] == "development"


def test_one_finding_fields():
    (finding,) = rows(QUALYS, fixture(FOLDER, "one_finding.csv"))

    assert {k: finding[k] for k in (
        "scanner", "asset_id", "vulnerability_id", "title", "severity", "cvss_score", "scanned_at", "fixed_at",
    )} == {
        "scanner": "qualys", "asset_id": "ip-10-98-57-180.eu-west-1.compute.internal",
        "vulnerability_id": "QID-105971", "title": "EOL/Obsolete Software: Microsoft ASP.NET 1.0 Detected",
        "severity": "critical", "cvss_score": "8.1", "scanned_at": "2021-05-25T07:36:58", "fixed_at": None,
    }
    assert finding["_extra"]["severity_reported"] == "5"
    assert finding["_extra"]["threat"].endswith("No further bug fixes are available.")


def test_many_findings_statuses_and_levels():
    found = rows(QUALYS, fixture(FOLDER, "many_findings.csv"))

    assert [(r["vulnerability_id"], r["severity"]) for r in found] == [
        ("CVE-2021-31166", "critical"), ("CVE-2021-31188", "critical"), ("CVE-2021-28476", "critical"),
        ("QID-38173", "low"),
        ("QID-105971", "high"),
        ("QID-45038", "info"),  # information gathered
        ("CVE-2023-38408", "medium"),
    ]
    # Fixed: Date Last Fixed is the fix; Re-Opened: it is history
    assert by_vulnerability(found, "QID-105971")[0]["fixed_at"] == "2021-06-07T22:53:26"
    (reopened,) = by_vulnerability(found, "QID-38173")
    assert (reopened["fixed_at"], reopened["_extra"]["date last fixed"]) == (None, "04/20/2021 08:00:00")
    # one scan time per host: its latest sighting
    assert {(r["asset_id"], r["scanned_at"]) for r in found} == {
        ("web-1.prod.example.com", "2021-06-08T11:00:00"), ("db-2.stg.example.com", "2021-06-01T08:30:00")
    }
    assert {(r["asset_id"], r["asset_environment"]) for r in found} == {
        ("web-1.prod.example.com", "production"), ("db-2.stg.example.com", "staging")
    }
    # a CVSS3 Base without the temporal CVSS3 column
    assert by_vulnerability(found, "CVE-2023-38408")[0]["cvss_score"] == "9.8"


def test_vmdr_preamble_and_month_name_dates():
    found = rows(QUALYS, fixture(FOLDER, "vmdr_preamble.csv"))

    assert [(r["asset_id"], r["vulnerability_id"], r["_source_row"]) for r in found] == [
        ("APPSERVER01", "QID-100003", 1), ("DBSERVER01", "QID-100005", 2), ("DBSERVER01", "QID-100004", 3),
    ]
    assert [r["scanned_at"] for r in found] == ["2026-02-03T07:00:00", "2026-02-03T06:00:00", "2026-02-03T06:00:00"]
    assert found[0]["fixed_at"] == "2026-02-03T07:00:00"
    assert found[1]["exploited_in_wild"] == "true"  # RTI "Active Attacks"
    assert found[0]["_extra"]["first_detected"] == "2025-12-01T10:00:00"


def test_preamble_report_date_when_no_detection_dates():
    (finding,) = rows(QUALYS, fixture(FOLDER, "preamble_report_date.csv"))

    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == ("2024-03-05T09:30:00+01:00", "report date")
    assert (finding["cvss_score"], finding["severity"]) == ("4.3", "medium")


def test_no_dates_at_all_falls_back_to_the_file_time(tmp_path):
    (finding,) = rows(QUALYS, copy_with_mtime(fixture(FOLDER, "no_dates.csv"), tmp_path))

    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == (MTIME_ISO, "fallback_file_mtime")


def test_a_ragged_record_after_the_preamble_names_the_file(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(
        '"Scan Results","05 Mar 2024 09:30 AM GMT+0100"\n'
        '"IP","DNS","QID","Title","Severity"\n'
        '"10.0.0.1","a.example.com","38739","SSH","3","surplus"\n'
    )

    with pytest.raises(ExportError, match=rf"^{path}: unreadable CSV after its 1-line preamble"):
        parsed(QUALYS, path)
