"""Nessus CSV (ingest/formats/scanner/nessus_csv.py): the real default and all-columns exports, then fixtures."""

from __future__ import annotations

from ingest.formats.scanner.nessus_csv import NessusCsv
from tests.ingest.formats.scanner.findings_support import (
    MTIME_ISO,
    by_vulnerability,
    copy_with_mtime,
    fixture,
    mtime_iso,
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


def test_real_all_columns_export_with_scaled_scores_and_epss():
    found = rows(NESSUS, shared_sample(FOLDER, "dd_nessus_template_cvss4_epss.csv"))

    assert len(found) == 5
    assert severities(found) == {"High": 1, "Medium": 3, "Critical": 1}
    assert sorted(row["asset_id"] for row in found) == ["192.168.0.100"] * 3 + ["192.168.0.101"] * 2
    (php,) = by_vulnerability(found, "CVE-2024-4577")
    # scores written times ten: 98 -> 9.8; EPSS in ten-thousandths: 9438 -> 0.9438
    assert (php["cvss_score"], php["_extra"]["cvss_source"]) == ("9.8", "cvss v3.0 base score")
    assert (php["_extra"]["epss"], php["_extra"]["epss score"]) == (0.9438, "9438")
    # XREF CISA-KNOWN-EXPLOITED: the scanner says exploited in the wild
    assert php["exploited_in_wild"] == "true"
    (sweet32,) = by_vulnerability(found, "CVE-2016-2183")
    assert (sweet32["cvss_score"], sweet32["_extra"]["epss"], sweet32["exploited_in_wild"]) == ("7.5", 0.3833, None)
    assert {row["_extra"]["risk factor"] for row in found} == {"Critical", "Medium"}


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
    # decimals already: not rescaled
    assert by_vulnerability(found, "NESSUS-57582")[0]["cvss_score"] == "6.4"


def test_scaled_scores_and_epss_fixture():
    found = rows(NESSUS, fixture(FOLDER, "scaled_scores_epss.csv"))

    assert [(r["vulnerability_id"], r["cvss_score"], r["_extra"]["epss"], r["exploited_in_wild"]) for r in found] == [
        ("CVE-2024-4577", "9.8", 0.9438, "true"),
        ("CVE-2003-1567", "5.3", 0.8269, None),
        ("CVE-2023-48795", "5.9", 0.7957, None),
    ]
