""".nessus v2 XML (ingest/formats/scanner/nessus_xml.py): the real export, then own fixtures."""

from __future__ import annotations

import pytest

from ingest.formats.base import ExportError
from ingest.formats.scanner.nessus_xml import NessusXml
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

FOLDER = "nessus-xml"
NESSUS = NessusXml()


def test_real_export():
    found = rows(NESSUS, shared_sample(FOLDER, "dd_nessus_v2_many_vuln.nessus"))

    assert len(found) == 7
    assert severities(found) == {"info": 7}
    assert {row["asset_id"] for row in found} == {"preprod.boardvantage.net"}
    # HOST_START "Tue Jun 25 10:32:42 2013": the scanner's local time, naive
    assert {row["scanned_at"] for row in found} == {"2013-06-25T10:32:42"}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"HOST_START"}
    (scan_info,) = by_vulnerability(found, "NESSUS-19506")
    assert (scan_info["title"], scan_info["_extra"]["plugin_type"]) == ("Nessus Scan Information", "summary")
    assert [row["_extra"]["port"] for row in by_vulnerability(found, "NESSUS-11219")] == ["443", "264"]
    assert {row["_extra"]["host_ip"] for row in found} == {"12.233.108.201"}
    # "preprod" is not a production token of the rules' patterns
    assert {row["asset_environment"] for row in found} == {None}


def test_no_findings_host_is_a_clean_scan():
    (clean,) = rows(NESSUS, fixture(FOLDER, "no_findings.nessus"))

    assert (clean["vulnerability_id"], clean["asset_id"], clean["_source_row"]) == (None, "web01.prod.example.com", 0)
    # HOST_START_TIMESTAMP (epoch, UTC) wins over HOST_START
    assert (clean["scanned_at"], clean["_extra"]["scanned_at_source"]) == (
        "2024-03-04T10:00:00.000000Z", "HOST_START_TIMESTAMP"
    )
    assert clean["asset_environment"] == "production"


def test_one_finding_fields():
    (finding,) = rows(NESSUS, fixture(FOLDER, "one_finding.nessus"))

    assert {k: finding[k] for k in (
        "scanner", "asset_id", "vulnerability_id", "title", "severity", "cvss_score", "scanned_at", "_source_row",
    )} == {
        "scanner": "nessus", "asset_id": "web01.prod.example.com", "vulnerability_id": "CVE-2024-6387",
        "title": "OpenSSH < 9.8 RCE", "severity": "critical", "cvss_score": "8.1",
        "scanned_at": "2024-03-05T10:00:00.000000Z", "_source_row": 1,
    }
    assert (finding["_extra"]["plugin_id"], finding["_extra"]["port"], finding["_extra"]["cvss_source"]) == (
        "201198", "22", "cvss3_base_score"
    )


def test_many_findings_one_row_per_item_and_cve():
    found = rows(NESSUS, fixture(FOLDER, "many_findings.nessus"))

    assert [(r["asset_id"], r["vulnerability_id"], r["_source_row"]) for r in found] == [
        ("10.0.0.5", "NESSUS-19506", 1),
        ("10.0.0.5", "CVE-2017-0143", 2),
        ("10.0.0.5", "CVE-2017-0144", 2),
        ("10.0.0.5", "CVE-2017-0145", 2),
        ("10.0.0.5", "CVE-2016-2183", 3),
        ("10.0.0.5", "CVE-2016-2183", 4),
        ("10.0.0.5", "NESSUS-57582", 5),
        ("db-1.stg.example.com", "CVE-2023-5869", 6),
        ("printer-3.corp.example.com", None, 0),  # a host without items: scanned clean
    ]
    # severity 0-4 wins over risk_factor (57582: severity 1, risk_factor Medium)
    assert severities(found) == {"info": 1, "critical": 3, "medium": 2, "low": 1, "high": 1, None: 1}
    eternal = by_vulnerability(found, "CVE-2017-0144")[0]
    assert (eternal["exploited_in_wild"], eternal["cvss_score"], eternal["_extra"]["epss"]) == ("true", "8.1", 0.9748)
    assert by_vulnerability(found, "NESSUS-57582")[0]["cvss_score"] == "6.4"  # v2 when no v3
    # per host scan time: epoch, ctime (naive), epoch
    assert [r["scanned_at"] for r in found if r["vulnerability_id"] in ("NESSUS-19506", "CVE-2023-5869", None)] == [
        "2024-03-06T10:00:00.000000Z", "2024-03-06T11:30:15", "2024-03-06T11:00:00.000000Z"
    ]
    assert by_vulnerability(found, "CVE-2023-5869")[0]["asset_environment"] == "staging"
    assert by_vulnerability(found, "NESSUS-19506")[0]["severity"] == "info"


def test_no_host_start_falls_back_to_the_file_time(tmp_path):
    (finding,) = rows(NESSUS, copy_with_mtime(fixture(FOLDER, "no_host_start.nessus"), tmp_path))

    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == (MTIME_ISO, "fallback_file_mtime")


def test_malformed_xml_names_the_file_and_line():
    path = fixture(FOLDER, "malformed.nessus")

    with pytest.raises(ExportError, match=rf"^{path}: not well-formed XML at line 9"):
        parsed(NESSUS, path)


def test_entity_declarations_are_refused():
    path = fixture(FOLDER, "entity_expansion.nessus")

    with pytest.raises(ExportError, match=rf"^{path}: refused XML construct \(EntitiesForbidden\)"):
        parsed(NESSUS, path)


def test_another_root_is_refused(tmp_path):
    path = tmp_path / "other.nessus"
    path.write_text("<NessusClientData><Report/></NessusClientData>")

    with pytest.raises(ExportError, match="root element is <NessusClientData>, not <NessusClientData_v2>"):
        parsed(NESSUS, path)
