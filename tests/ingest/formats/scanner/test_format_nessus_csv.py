"""Nessus CSV (ingest/formats/scanner/nessus_csv.py): the real default and all-columns exports, then fixtures."""

from __future__ import annotations

import json
import shutil

from ingest.formats.scanner.nessus_csv import NessusCsv
from ingest.load import ingest_landing
from tests.ingest.formats.scanner.findings_support import (
    MTIME_ISO,
    by_vulnerability,
    copy_with_mtime,
    fixture,
    mtime_iso,
    parsed,
    rows,
    severities,
    shared_sample,
)

FOLDER = "nessus-csv"
NESSUS = NessusCsv()


# --- real exports ------------------------------------------------------------------------


def test_real_default_columns_export():
    path = shared_sample(FOLDER, "dd_nessus_many_vuln2_default_columns.csv")
    found = rows(NESSUS, path)

    assert len(found) == 30
    # Risk "None" is info
    assert severities(found) == {"info": 29, "Medium": 1}
    assert {row["asset_id"] for row in found} == {"52.208.101.182"}
    assert {row["scanner"] for row in found} == {"nessus"}
    # no scan time in a Nessus CSV: the file's, marked on every row
    assert {row["scanned_at"] for row in found} == {mtime_iso(path)}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"fallback_file_mtime"}
    (tls10,) = by_vulnerability(found, "NESSUS-104743")
    assert (tls10["title"], tls10["severity"], tls10["cvss_score"], tls10["_extra"]["port"]) == (
        "TLS Version 1.0 Protocol Detection", "Medium", "6.1", "443"
    )
    (weak_hash,) = by_vulnerability(found, "CVE-2004-2761")
    assert (weak_hash["severity"], weak_hash["_extra"]["plugin id"]) == ("info", "95631")
    # one record per port: two rows, one finding key
    assert [row["_extra"]["port"] for row in by_vulnerability(found, "NESSUS-10107")] == ["80", "443"]
    # a multi-line quoted plugin output survives whole
    (traceroute,) = by_vulnerability(found, "NESSUS-10287")
    assert traceroute["_extra"]["plugin output"].rstrip().endswith("Hop Count: 9")


def test_real_all_columns_export_without_decimal_points_is_refused_record_by_record():
    # This template wrote every score without its decimal point (98 for 9.8, EPSS 9438 for
    # 0.9438). Tenable documents no such form, so no record is read by guessing a scale:
    # each is refused, one rejected row per out-of-scale field, naming column and value.
    export = parsed(NESSUS, shared_sample(FOLDER, "dd_nessus_template_cvss4_epss.csv"))

    assert export.entities["findings"].height == 0
    refused = export.rejected.to_dicts()
    # 5 records x (CVSS v3.0, CVSS v2.0, EPSS) = 15; CVSS v4.0 is blank in all of them
    assert len(refused) == 15
    assert sorted({r["source_row"] for r in refused}) == [1, 2, 3, 4, 5]
    php = [(r["field"], r["value"], r["reason"]) for r in refused if r["source_row"] == 4]  # CVE-2024-4577
    assert php == [
        ("cvss_score", "98", "cvss v3.0 base score 98 is outside the CVSS scale 0..10 "
                             "(the vendor documents no other scale; not rescaled)"),
        ("cvss_score", "100", "cvss v2.0 base score 100 is outside the CVSS scale 0..10 "
                              "(the vendor documents no other scale; not rescaled)"),
        ("epss", "9438", "epss score 9438 is outside the EPSS scale 0..1 "
                         "(the vendor documents no other scale; not rescaled)"),
    ]
    assert {r["entity"] for r in refused} == {"findings"}


# --- own fixtures ------------------------------------------------------------------------


def test_no_findings_header_only_has_no_rows():
    assert rows(NESSUS, fixture(FOLDER, "no_findings.csv")) == []


def test_one_finding_fields(tmp_path):
    (finding,) = rows(NESSUS, copy_with_mtime(fixture(FOLDER, "one_finding.csv"), tmp_path))

    assert {k: finding[k] for k in (
        "scanned_at", "scanner", "asset_id", "asset_environment", "vulnerability_id", "title",
        "severity", "cvss_score", "package", "fixed_at", "_source_row",
    )} == {
        "scanned_at": MTIME_ISO, "scanner": "nessus", "asset_id": "web01.prod.example.com",
        "asset_environment": "production", "vulnerability_id": "NESSUS-104743",
        "title": "TLS Version 1.0 Protocol Detection", "severity": "Medium", "cvss_score": "6.1",
        "package": None, "fixed_at": None, "_source_row": 1,
    }
    assert finding["_extra"]["scanned_at_source"] == "fallback_file_mtime"
    assert finding["_extra"]["description"].endswith("number of cryptographic design flaws.")


def test_many_findings():
    found = rows(NESSUS, fixture(FOLDER, "many_findings.csv"))

    assert [row["_source_row"] for row in found] == [1, 2, 3, 4, 5, 6, 7]
    assert severities(found) == {"info": 2, "Medium": 1, "High": 2, "Critical": 1, "Low": 1}
    assert [row["_extra"]["port"] for row in by_vulnerability(found, "CVE-2016-2183")] == ["443", "3389"]
    (openssh,) = by_vulnerability(found, "CVE-2024-6387")
    assert (openssh["asset_id"], openssh["asset_environment"], openssh["cvss_score"]) == (
        "db-1.stg.example.com", "staging", "8.1"
    )
    assert "Fixed version     : 9.8p1" in openssh["_extra"]["plugin output"]
    # decimals, as written
    assert by_vulnerability(found, "NESSUS-57582")[0]["cvss_score"] == "6.4"


def test_scores_out_of_scale_fixture_is_refused():
    export = parsed(NESSUS, fixture(FOLDER, "scaled_scores_epss.csv"))
    assert export.entities["findings"].height == 0
    # record 3 (CVE-2023-48795) has no v2 score: v3 59 and EPSS 7957 only -> 3 + 3 + 2 = 8
    assert [(r["source_row"], r["value"]) for r in export.rejected.to_dicts()] == [
        (1, "98"), (1, "100"), (1, "9438"), (2, "53"), (2, "50"), (2, "8269"), (3, "59"), (3, "7957"),
    ]


def test_scores_in_scale_are_kept_as_written_and_only_the_bad_record_is_refused(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(
        "Plugin ID,CVE,Risk,Host,Name,CVSS v3.0 Base Score,EPSS Score\n"
        "1,CVE-2024-0001,Critical,h1,one,10,0.9438\n"       # whole-number 10 is in scale: 10.0
        "2,CVE-2024-0002,High,h1,two,7,1\n"                  # whole numbers in scale stay as they are
        "3,CVE-2024-0003,High,h1,three,75,0.5\n"             # 75 is no CVSS score: refused
        "4,CVE-2024-0004,Low,h1,four,3.1,1.5\n",             # EPSS 1.5 is no probability: refused
        encoding="utf-8",
    )
    export = parsed(NESSUS, path)
    kept = [
        (r["vulnerability_id"], r["cvss_score"], json.loads(r["_extra"])["epss"])
        for r in export.entities["findings"].to_dicts()
    ]
    assert kept == [("CVE-2024-0001", "10.0", 0.9438), ("CVE-2024-0002", "7.0", 1.0)]
    assert [(r["source_row"], r["field"], r["value"]) for r in export.rejected.to_dicts()] == [
        (3, "cvss_score", "75"), (4, "epss", "1.5"),
    ]


def test_refused_records_reach_ingest_rejected_rows(con, landing, run_at):
    (landing / "scanner").mkdir()
    shutil.copy(fixture(FOLDER, "scaled_scores_epss.csv"), landing / "scanner" / "nessus.csv")

    report = ingest_landing(con, landing, now=run_at)

    assert (report.files[0].format, report.files[0].rows_rejected) == ("nessus_csv", 3)
    assert con.sql(
        "SELECT file, entity, source_row, field, value FROM ingest.rejected_rows ORDER BY source_row, rowid"
    ).fetchall()[:3] == [
        ("scanner/nessus.csv", "findings", 1, "cvss_score", "98"),
        ("scanner/nessus.csv", "findings", 1, "cvss_score", "100"),
        ("scanner/nessus.csv", "findings", 1, "epss", "9438"),
    ]
    assert con.sql("SELECT count(*) FROM raw.findings").fetchall() == [(0,)]
