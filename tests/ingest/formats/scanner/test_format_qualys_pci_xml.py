"""Qualys PCI CSV (qualys_pci_csv.py) and Qualys XML scan / asset data reports (qualys_xml.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.scanner.qualys_pci_csv import QualysPciCsv
from ingest.formats.scanner.qualys_xml import QualysXml
from tests.ingest.formats.scanner.findings_support import by_vulnerability, fixture, rows, severities, shared_sample

PCI = QualysPciCsv()
XML = QualysXml()
KEYS = ("scan_id", "scanned_at", "scanner", "asset_id", "asset_environment", "vulnerability_id", "title",
        "severity", "cvss_score", "exploited_in_wild", "package", "fixed_at", "_source_row")


def detected(path: Path) -> str:
    return registry.detect(path, "scanner").name


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("qualys-pci-csv", "one_finding.csv", "qualys_pci_csv"),
    ("qualys-pci-csv", "many_findings.csv", "qualys_pci_csv"),
    ("qualys-pci-csv", "no_findings.csv", "qualys_pci_csv"),
    ("qualys-xml", "scan_report.xml", "qualys_xml"),
    ("qualys-xml", "many_findings.xml", "qualys_xml"),
    ("qualys-xml", "no_findings.xml", "qualys_xml"),
    ("qualys-xml", "one_finding.xml", "qualys_xml"),
    ("qualys-csv", "one_finding.csv", "qualys_csv"),
    ("qualys-csv", "vmdr_preamble.csv", "qualys_csv"),
    ("nessus-xml", "one_finding.nessus", "nessus_xml"),
])
def test_each_layout_is_claimed_by_one_format(folder, name, expected):
    assert detected(fixture(folder, name)) == expected


def test_real_qualys_vm_csvs_stay_qualys_csv():
    for name in ("dd_qualys_vm_sample_report.csv", "dd_qualys_vmdr_datalist_qid.csv"):
        assert detected(shared_sample("qualys-csv", name)) == "qualys_csv"


# --- PCI CSV ------------------------------------------------------------------------------


def test_pci_one_finding_fields():
    (finding,) = rows(PCI, fixture("qualys-pci-csv", "one_finding.csv"))

    assert {k: finding[k] for k in KEYS if k != "scan_id"} == {
        "scanned_at": "2024-09-22T13:01:00", "scanner": "qualys", "asset_id": "shop.prod.example.com",
        "asset_environment": "production", "vulnerability_id": "QID-38794",
        "title": "Secure Sockets Layer/Transport Layer Security (SSL/TLS) Server supports TLSv1.0",
        "severity": "medium", "cvss_score": "4.3", "exploited_in_wild": None, "package": None,
        "fixed_at": None, "_source_row": 1,
    }
    assert finding["scan_id"].startswith("sha256:")
    extra = finding["_extra"]
    # 22/09: a first field above 12, so the file is day first
    assert (extra["date_order"], extra["severity_reported"], extra["is_pci"]) == ("day first", "Medium", "Fail")
    assert extra["result"] == "TLSv1.0 is supported\nCipher: AES128-SHA"


def test_pci_many_findings():
    found = rows(PCI, fixture("qualys-pci-csv", "many_findings.csv"))

    assert [(r["_source_row"], r["vulnerability_id"], r["severity"]) for r in found] == [
        (1, "QID-38173", "low"),           # Q_SEVERITY 2 (the PCI word says Medium)
        (2, "CVE-2011-3389", "medium"), (2, "CVE-2011-3390", "medium"),
        (3, "QID-86002", "info"),          # TYPE INFO
        (4, "QID-150004", "high"),         # a word in Q_SEVERITY, read
        (5, "CVE-2023-48795", "medium"),   # Q_SEVERITY blank: the PCI word
    ]
    # no field above 12 in either place: month first, and said so
    assert {r["_extra"]["date_order"] for r in found} == {"month first (assumed)"}
    # per host, its latest LAST SCAN
    assert {r["asset_id"]: r["scanned_at"] for r in found} == {
        "198.51.100.7": "2024-03-10T09:30:00",
        "api.prod.example.com": "2024-01-10T23:59:58",
        "vpn.prod.example.com": "2024-01-10T07:15:00",
    }
    assert [r["_extra"]["severity_form"] for r in found if r["_source_row"] >= 4] == [
        "word where a level 1-5 was expected", "PCI SEVERITY word, Q_SEVERITY blank"]
    # an accepted false positive is still a row, its status kept
    assert found[1]["_extra"]["false positive status"] == "Accepted"
    assert found[0]["cvss_score"] == "9.4"


def test_pci_no_findings():
    assert rows(PCI, fixture("qualys-pci-csv", "no_findings.csv")) == []


# --- XML scan report ----------------------------------------------------------------------


def test_xml_scan_report():
    found = rows(XML, fixture("qualys-xml", "scan_report.xml"))

    assert [{k: r[k] for k in ("asset_id", "vulnerability_id", "severity", "cvss_score", "_source_row")}
            for r in found] == [
        {"asset_id": "web-1.prod.example.com", "vulnerability_id": "CVE-2024-6387", "severity": "high",
         "cvss_score": "8.1", "_source_row": 1},
        {"asset_id": "web-1.prod.example.com", "vulnerability_id": "CVE-2024-6409", "severity": "high",
         "cvss_score": "8.1", "_source_row": 1},
        {"asset_id": "web-1.prod.example.com", "vulnerability_id": "QID-11827", "severity": "medium",
         "cvss_score": "5.0", "_source_row": 2},
        {"asset_id": "web-1.prod.example.com", "vulnerability_id": "QID-6", "severity": "info",
         "cvss_score": None, "_source_row": 3},
        # a host without detections: a clean scan, named by its address
        {"asset_id": "203.0.113.21", "vulnerability_id": None, "severity": None, "cvss_score": None,
         "_source_row": 0},
    ]
    assert {r["scan_id"] for r in found} == {"scan/1711963200.12345"}
    assert {r["scanned_at"] for r in found} == {"2024-04-01T09:20:00Z"}
    assert {r["scanner"] for r in found} == {"qualys"}
    first = found[0]
    assert (first["title"], first["asset_environment"]) == (
        "OpenSSH Remote Unauthenticated Code Execution Vulnerability (regreSSHion)", "production")
    assert (first["_extra"]["port"], first["_extra"]["type"], first["_extra"]["cvss2"]) == ("22", "Vuln", "9.3")
    assert found[2]["_extra"]["type"] == "Practice"


# --- XML asset data report ----------------------------------------------------------------


def test_xml_asset_data_report():
    found = rows(XML, fixture("qualys-xml", "many_findings.xml"))

    assert [(r["vulnerability_id"], r["severity"], r["cvss_score"], r["fixed_at"]) for r in found] == [
        # CVEs from the glossary entry of the QID; CVSS3_FINAL of the detection before the glossary's
        ("CVE-2024-26234", "critical", "8.8", None),
        ("CVE-2024-29988", "critical", "8.8", None),
        # Fixed: its LAST_FIXED; the glossary writes a Qualys word, read and marked
        ("QID-38628", "medium", "4.3", "2024-05-01T14:30:00Z"),
        ("QID-45038", "info", None, None),
        (None, None, None, None),
    ]
    db = by_vulnerability(found, "QID-38628")[0]
    assert db["_extra"]["severity_form"] == "word where a level 1-5 was expected"
    # the latest LAST_FOUND / LAST_FIXED of the host; a host without detections: the report time
    assert [(r["asset_id"], r["asset_environment"], r["scanned_at"]) for r in (found[0], found[-1])] == [
        ("db-3.stg.example.com", "staging", "2024-05-01T14:30:00Z"),
        ("10.20.0.6", None, "2024-05-02T06:00:00Z"),
    ]
    assert found[-1]["_extra"]["scanned_at_source"] == "GENERATION_DATETIME"
    assert (found[0]["title"], found[0]["_extra"]["host_netbios"], found[0]["_extra"]["first_found"]) == (
        "Microsoft Windows Security Update for April 2024", "DB3", "2024-03-01T02:00:00Z")
    assert severities(found) == {"critical": 2, "medium": 1, "info": 1, None: 1}


def test_xml_no_host_list_has_no_rows():
    assert rows(XML, fixture("qualys-xml", "no_findings.xml")) == []


def test_xml_one_finding():
    (finding,) = rows(XML, fixture("qualys-xml", "one_finding.xml"))

    assert {k: finding[k] for k in KEYS} == {
        "scan_id": "scan/1712000000.00001", "scanned_at": "2024-04-02T03:00:00Z", "scanner": "qualys",
        "asset_id": "ftp.dev.example.com", "asset_environment": "development", "vulnerability_id": "QID-27210",
        "title": "Anonymous FTP Writeable root Directory", "severity": "medium", "cvss_score": "6.4",
        "exploited_in_wild": None, "package": None, "fixed_at": None, "_source_row": 1,
    }
    assert (finding["_extra"]["port"], finding["_extra"]["category"]) == ("21", "File Transfer Protocol")


ENTITY_EXPANSION = """<?xml version="1.0"?>
<!DOCTYPE SCAN [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<SCAN value="scan/1"><HEADER><KEY value="DATE">&b;</KEY></HEADER></SCAN>
"""


def test_xml_entities_are_refused(tmp_path):
    path = tmp_path / "entity_expansion.xml"
    path.write_text(ENTITY_EXPANSION)
    with pytest.raises(ExportError, match="not a recognised scanner export"):
        registry.detect(path, "scanner")
    with pytest.raises(ExportError, match="refused XML construct"):
        XML.parse(path, "scanner")
