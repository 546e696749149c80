"""OpenVAS / Greenbone XML report (openvas_xml.py) and CSV results (openvas_csv.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.scanner.openvas_csv import OpenvasCsv
from ingest.formats.scanner.openvas_xml import OpenvasXml
from tests.ingest.formats.scanner.findings_support import fixture, parsed, rows

XML = OpenvasXml()
CSV = OpenvasCsv()


def detected(path: Path) -> str:
    return registry.detect(path, "scanner").name


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("openvas-xml", "many_findings.xml", "openvas_xml"),
    ("openvas-xml", "one_finding.xml", "openvas_xml"),
    ("openvas-xml", "no_findings.xml", "openvas_xml"),
    ("openvas-csv", "many_findings.csv", "openvas_csv"),
    ("openvas-csv", "one_finding.csv", "openvas_csv"),
    ("openvas-csv", "no_findings.csv", "openvas_csv"),
])
def test_detected_by_structure(folder, name, expected):
    assert detected(fixture(folder, name)) == expected


def test_a_report_root_without_greenbone_attributes_is_not_openvas(tmp_path):
    path = tmp_path / "report.xml"
    path.write_text('<?xml version="1.0"?><report><results><result/></results></report>')
    with pytest.raises(ExportError, match="not a recognised scanner export"):
        registry.detect(path, "scanner")


# --- XML ----------------------------------------------------------------------------------


def test_xml_many_findings():
    export = parsed(XML, fixture("openvas-xml", "many_findings.xml"))
    found = rows(XML, fixture("openvas-xml", "many_findings.xml"))

    assert [(r["_source_row"], r["asset_id"], r["vulnerability_id"], r["severity"], r["cvss_score"]) for r in found] == [
        (1, "web-4.prod.example.com", "CVE-2024-6387", "high", "8.1"),
        (1, "web-4.prod.example.com", "CVE-2024-6409", "high", "8.1"),
        (2, "web-4.prod.example.com", "CVE-2011-3389", "medium", "4.3"),
        (2, "web-4.prod.example.com", "CVE-2015-0204", "medium", "4.3"),
        # Log: info
        (3, "web-4.prod.example.com", "OPENVAS-1.3.6.1.4.1.25623.1.0.105937", "info", "0.0"),
        # its only result is a false positive: skipped, the host stays as a clean scan
        (0, "10.30.0.9", None, None, None),
    ]
    assert export.notes == ["1 result(s) of threat 'false positive' skipped: not findings",
                            "1 host(s) with only skipped results kept as clean scans"]
    assert {r["scan_id"] for r in found} == {"5f0c1e2a-7b3d-4c8e-9a10-2b3c4d5e6f70"}
    assert {r["scanner"] for r in found} == {"openvas"}
    # per host, its start in the report's host list
    assert {r["asset_id"]: r["scanned_at"] for r in found} == {
        "web-4.prod.example.com": "2024-06-03T08:00:31Z", "10.30.0.9": "2024-06-03T08:00:32Z"}
    first = found[0]
    assert (first["title"], first["asset_environment"], first["_extra"]["port"], first["_extra"]["host_ip"]) == (
        "OpenSSH < 9.8 Multiple Vulnerabilities", "production", "22/tcp", "10.30.0.4")
    assert (first["_extra"]["qod"], first["_extra"]["scanned_at_source"]) == ("80", "host start")


def test_xml_one_finding_in_a_gmp_response():
    (finding,) = rows(XML, fixture("openvas-xml", "one_finding.xml"))

    assert {k: finding[k] for k in ("scan_id", "scanned_at", "asset_id", "vulnerability_id", "title",
                                    "severity", "cvss_score", "package", "fixed_at")} == {
        "scan_id": "77aa0000-1111-4222-8333-444455556666",
        # no host list, no scan_start: the result's creation time
        "scanned_at": "2024-02-10T04:15:00Z", "asset_id": "10.40.0.2",
        "vulnerability_id": "OPENVAS-1.3.6.1.4.1.25623.1.0.108955",
        "title": "Apache HTTP Server End of Life (EOL) Detection", "severity": "high",
        # no cvss_base: the NVT's severities score
        "cvss_score": "10.0", "package": None, "fixed_at": None,
    }


def test_xml_no_results():
    assert rows(XML, fixture("openvas-xml", "no_findings.xml")) == []


# --- CSV ----------------------------------------------------------------------------------


def test_csv_one_finding():
    (finding,) = rows(CSV, fixture("openvas-csv", "one_finding.csv"))

    assert {k: finding[k] for k in ("scanned_at", "scanner", "asset_id", "vulnerability_id", "title",
                                    "severity", "cvss_score", "_source_row")} == {
        "scanned_at": "2024-02-25T20:01:27Z", "scanner": "openvas", "asset_id": "10.0.0.8",
        "vulnerability_id": "OPENVAS-1.3.6.1.4.1.25623.1.0.105611",
        "title": "SSH Weak Encryption Algorithms Supported", "severity": "medium", "cvss_score": "4.3",
        "_source_row": 1,
    }
    assert finding["_extra"]["specific result"].endswith("remote service:\n3des-cbc")
    assert finding["_extra"]["severity_reported"] == "Medium"


def test_csv_many_findings():
    export = parsed(CSV, fixture("openvas-csv", "many_findings.csv"))
    found = rows(CSV, fixture("openvas-csv", "many_findings.csv"))

    assert [(r["_source_row"], r["asset_id"], r["vulnerability_id"], r["severity"]) for r in found] == [
        (1, "web-4.prod.example.com", "CVE-2024-6387", "high"),
        (1, "web-4.prod.example.com", "CVE-2024-6409", "high"),
        (2, "web-4.prod.example.com", "OPENVAS-1.3.6.1.4.1.25623.1.0.105937", "info"),
        # a CVE-scanner result: the OID is the CVE
        (4, "10.30.0.9", "CVE-2021-26691", "high"),
        (5, "10.30.0.9", "CVE-2016-2183", "medium"),
        (0, "10.30.0.12", None, None),
    ]
    assert export.notes == ["2 result(s) of threat 'false positive' skipped: not findings",
                            "1 host(s) with only skipped results kept as clean scans"]
    # per host, its latest result Timestamp
    assert {r["asset_id"]: r["scanned_at"] for r in found} == {
        "web-4.prod.example.com": "2024-06-03T08:41:10Z", "10.30.0.9": "2024-06-03T09:06:30Z",
        "10.30.0.12": "2024-06-03T09:20:00Z"}
    assert found[0]["_extra"]["specific result"] == "Installed version: 8.9p1\nFixed version:     9.8"


def test_csv_no_findings():
    assert rows(CSV, fixture("openvas-csv", "no_findings.csv")) == []
