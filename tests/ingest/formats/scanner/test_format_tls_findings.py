"""TLS results as findings and certificates: sslyze < 5 (sslyze_legacy_json.py), SSL Labs
(ssllabs_json.py), and the findings of testssl.sh (testssl_csv.py) and sslyze 5 (sslyze_json.py)."""

from __future__ import annotations

import json
import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.scanner.ssllabs_json import SsllabsJson
from ingest.formats.scanner.sslyze_json import SslyzeJson
from ingest.formats.scanner.sslyze_legacy_json import SslyzeLegacyJson
from ingest.formats.scanner.testssl_csv import TestsslCsv
from tests.ingest.formats.scanner.findings_support import MTIME_ISO, copy_with_mtime, fixture, parsed, shared_sample

KEYS = ("scanner", "asset_id", "vulnerability_id", "finding_class", "severity", "title", "_source_row")


def _rows(export, entity: str) -> list[dict]:
    return [{**r, "_extra": json.loads(r["_extra"]) if r["_extra"] else None}
            for r in export.entities[entity].to_dicts()]


def _findings(export) -> list[tuple]:
    return [tuple(r[k] for k in KEYS) for r in _rows(export, "findings")]


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("sslyze-legacy-json", "accepted_targets_2x.json", "sslyze_legacy_json"),
    ("sslyze-legacy-json", "scan_commands_3x.json", "sslyze_legacy_json"),
    ("sslyze-json", "two_servers.json", "sslyze_json"),
    ("ssllabs-json", "host_v3.json", "ssllabs_json"),
    ("ssllabs-json", "scan_array.json", "ssllabs_json"),
    ("testssl-csv", "tls_findings.csv", "testssl_csv"),
])
def test_detected_by_structure(folder, name, expected):
    assert registry.detect(fixture(folder, name), "scanner").name == expected


def test_real_sslyze_exports_go_to_their_schema():
    assert registry.detect(shared_sample("sslyze-json", "dd_sslyze_new_one_target.json"), "scanner").name == "sslyze_json"


def test_keys_in_another_order_are_still_sslyze_2(tmp_path):
    path = tmp_path / "scan.json"
    path.write_text(json.dumps({"sslyze_version": "2.0.0", "total_scan_time": "1", "invalid_targets": [],
                                "accepted_targets": []}))
    assert registry.detect(path, "scanner").name == "sslyze_legacy_json"
    assert not SslyzeJson().detect(path, path.read_bytes())


# --- sslyze < 5 -------------------------------------------------------------------------------


def test_sslyze_2_accepted_targets(tmp_path):
    path = copy_with_mtime(fixture("sslyze-legacy-json", "accepted_targets_2x.json"), tmp_path)
    export = parsed(SslyzeLegacyJson(), path)

    assert _findings(export) == [
        ("sslyze", "legacy.prod.example.com", "CVE-2014-0160", "vulnerability", "critical", "Heartbleed", 1),
        ("sslyze", "legacy.prod.example.com", "TLS-SSLV3", "misconfiguration", "high", "SSLv3 offered", 1),
        ("sslyze", "legacy.prod.example.com", "TLS-CIPHER-RC4", "misconfiguration", "high",
         "RC4 cipher suites offered", 1),
    ]
    findings = _rows(export, "findings")
    # no scan date in this schema: the file's time, marked
    assert {(r["scanned_at"], r["_extra"]["scanned_at_source"]) for r in findings} == {(MTIME_ISO, "fallback_file_mtime")}
    assert findings[1]["_extra"]["evidence"] == "1 cipher suite(s) accepted: RC4-SHA"
    (certificate,) = _rows(export, "certificates")
    # the leaf only; serialNumber "4096" is decimal: 0x1000
    assert {k: certificate[k] for k in ("observed_at", "asset_id", "asset_environment", "subject", "serial",
                                        "not_before", "not_after")} == {
        "observed_at": MTIME_ISO, "asset_id": "legacy.prod.example.com", "asset_environment": "production",
        "subject": "CN=legacy.prod.example.com,O=Example,C=US", "serial": "1000",
        "not_before": "2023-01-01T00:00:00Z", "not_after": "2024-01-01T00:00:00Z",
    }
    assert export.notes[1:] == [
        "accepted_targets_2x.json: 1 server(s) sslyze could not reach: no rows",
        "accepted_targets_2x.json: 3 failed TLS check(s) loaded as findings, 13 passed or not run skipped",
    ]


def test_sslyze_3_scan_commands_results():
    export = parsed(SslyzeLegacyJson(), fixture("sslyze-legacy-json", "scan_commands_3x.json"))

    assert [(r[2], r[3], r[4]) for r in _findings(export)] == [
        ("CVE-2017-13099", "vulnerability", "high"),     # ROBOT, strong oracle
        ("CVE-2012-4929", "vulnerability", "high"),      # CRIME: TLS compression
        ("TLS-TLS1_0", "misconfiguration", "low"),
        ("TLS-CIPHER-3DES", "misconfiguration", "low"),
    ]
    (certificate,) = _rows(export, "certificates")
    assert (certificate["subject"], certificate["serial"], certificate["not_after"], certificate["asset_environment"]) == (
        "CN=pay.stg.example.com", "FF", "2024-08-01T00:00:00Z", "staging")


# --- SSL Labs ---------------------------------------------------------------------------------


def test_ssllabs_host_result():
    export = parsed(SsllabsJson(), fixture("ssllabs-json", "host_v3.json"))

    # two endpoints of one host: one finding per host and check
    assert [(r[2], r[3], r[4]) for r in _findings(export)] == [
        ("TLS-SSLV3", "misconfiguration", "high"),
        ("CVE-2014-0224", "vulnerability", "high"),     # openSslCcs 3
        ("CVE-2014-3566", "vulnerability", "high"),     # poodle
        ("TLS-CIPHER-RC4", "misconfiguration", "high"),
        ("CVE-2014-0160", "vulnerability", "critical"),  # heartbleed on the second endpoint
    ]
    findings = _rows(export, "findings")
    # startTime/hostStartTime are epoch milliseconds
    assert [r["scanned_at"] for r in findings] == ["2024-03-01T08:00:01.000Z"] * 4 + ["2024-03-01T08:00:02.000Z"]
    assert findings[-1]["_extra"]["ip"] == "203.0.113.81"
    leaf, again = _rows(export, "certificates")
    assert {k: leaf[k] for k in ("observed_at", "asset_id", "subject", "serial", "not_before", "not_after")} == {
        "observed_at": "2024-03-01T08:00:01.000Z", "asset_id": "www.prod.example.com",
        "subject": "CN=www.prod.example.com", "serial": "0A1B2C",
        "not_before": "2024-01-01T00:00:00.000Z", "not_after": "2024-12-31T23:59:59.000Z",
    }
    assert (leaf["_extra"]["grade"], again["_extra"]["ip"]) == ("F", "203.0.113.81")
    assert export.notes == ["host_v3.json: 5 failed TLS check(s) loaded as findings, 41 passed or not run skipped"]


def test_ssllabs_array_v2_cert_and_an_error_host():
    export = parsed(SsllabsJson(), fixture("ssllabs-json", "scan_array.json"))

    # every check passed: a clean scan of the host
    (clean,) = _rows(export, "findings")
    assert (clean["asset_id"], clean["vulnerability_id"], clean["scanned_at"], clean["_source_row"]) == (
        "old.dev.example.com", None, "2024-02-01T00:00:00.000Z", 0)
    (certificate,) = _rows(export, "certificates")
    assert (certificate["subject"], certificate["serial"], certificate["not_after"], certificate["asset_environment"]) == (
        "CN=old.dev.example.com", None, "2024-03-31T23:59:59.000Z", "development")
    assert export.notes[0] == "scan_array.json: gone.example.com: status ERROR (Unable to resolve domain name): no rows"


def test_ssllabs_refuses_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"host": "a", "endpoints": "no"}]')
    with pytest.raises(ExportError, match="not an SSL Labs API result"):
        SsllabsJson().parse(path, "scanner")


# --- testssl.sh findings ----------------------------------------------------------------------


def test_testssl_rated_lines_are_findings(tmp_path):
    path = copy_with_mtime(fixture("testssl-csv", "tls_findings.csv"), tmp_path)
    export = parsed(TestsslCsv(), path)

    assert _findings(export) == [
        ("testssl", "mail.prod.example.com", "TESTSSL-SSLv3", "misconfiguration", "high", "SSLv3: offered (NOT ok)", 3),
        ("testssl", "mail.prod.example.com", "TESTSSL-TLS1", "misconfiguration", "low", "TLS1: offered (deprecated)", 4),
        ("testssl", "mail.prod.example.com", "CVE-2014-0160", "vulnerability", "critical",
         "heartbleed: VULNERABLE, uses 64K memory", 7),
        # testssl.sh's own CVE list for ROBOT: one row each
        ("testssl", "mail.prod.example.com", "CVE-2017-17382", "vulnerability", "high",
         "ROBOT: VULNERABLE (NOT ok) - strong oracle", 8),
        ("testssl", "mail.prod.example.com", "CVE-2017-17427", "vulnerability", "high",
         "ROBOT: VULNERABLE (NOT ok) - strong oracle", 8),
        ("testssl", "mail.prod.example.com", "CVE-2017-17428", "vulnerability", "high",
         "ROBOT: VULNERABLE (NOT ok) - strong oracle", 8),
        # the second address of the same host: same key, its own row
        ("testssl", "mail.prod.example.com", "TESTSSL-SSLv3", "misconfiguration", "high", "SSLv3: offered (NOT ok)", 12),
        # only OK lines: a clean scan
        ("testssl", "10.9.9.9", None, None, None, None, 0),
    ]
    findings = _rows(export, "findings")
    assert {r["scanned_at"] for r in findings} == {MTIME_ISO}
    assert findings[2]["_extra"]["cwe"] == "CWE-119"
    assert export.notes[-1] == ("tls_findings.csv: 5 rated TLS check line(s) loaded as findings, 8 line(s) skipped "
                                "(OK, INFO, WARN, DEBUG, certificate checks or grade)")
    # the expired certificate stays a certificate observation, not a finding
    (certificate,) = _rows(export, "certificates")
    assert (certificate["not_after"], certificate["_extra"]["expiration_status"]) == ("2024-02-29T23:59", "expired")


def test_real_testssl_export_findings():
    export = parsed(TestsslCsv(), shared_sample("testssl-csv", "dd_testssl_many_vuln.csv"))

    found = _findings(export)
    # 4 addresses x (cipherlist_AVERAGE, HSTS, BREACH, LUCKY13); 4 keys for the one host
    assert len(found) == 16
    assert {(r[2], r[3], r[4]) for r in found} == {
        ("TESTSSL-cipherlist_AVERAGE", "misconfiguration", "low"), ("TESTSSL-HSTS", "misconfiguration", "low"),
        ("CVE-2013-3587", "vulnerability", "high"), ("CVE-2013-0169", "vulnerability", "low")}


# --- sslyze 5 findings ------------------------------------------------------------------------


def test_real_sslyze_5_export_findings():
    export = parsed(SslyzeJson(), shared_sample("sslyze-json", "dd_sslyze_new_one_target.json"))

    # every check passed: one clean-scan row at the scan's start
    (clean,) = _rows(export, "findings")
    assert (clean["scanner"], clean["asset_id"], clean["vulnerability_id"], clean["scanned_at"]) == (
        "sslyze", "example.com", None, "2022-01-17T16:46:10.091480Z")
