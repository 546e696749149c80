"""Tenable VM CSV (tenable_vm_csv.py) and Tenable.sc CSV (tenable_sc_csv.py): fixtures, and
that Nessus, Tenable VM and Tenable.sc never claim each other's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.scanner.tenable_sc_csv import TenableScCsv
from ingest.formats.scanner.tenable_vm_csv import TenableVmCsv
from tests.ingest.formats.scanner.findings_support import (
    MTIME_ISO,
    by_vulnerability,
    copy_with_mtime,
    fixture,
    rows,
    severities,
    shared_sample,
)

VM = TenableVmCsv()
SC = TenableScCsv()


def detected(path: Path) -> str:
    return registry.detect(path, "scanner").name


# --- detection by header set ----------------------------------------------------------


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("tenable-vm-csv", "one_finding.csv", "tenable_vm_csv"),
    ("tenable-vm-csv", "many_findings.csv", "tenable_vm_csv"),
    ("tenable-vm-csv", "findings_export_semicolon.csv", "tenable_vm_csv"),
    ("tenable-vm-csv", "no_findings.csv", "tenable_vm_csv"),
    ("tenable-sc-csv", "one_finding.csv", "tenable_sc_csv"),
    ("tenable-sc-csv", "many_findings.csv", "tenable_sc_csv"),
    ("tenable-sc-csv", "no_findings.csv", "tenable_sc_csv"),
    ("nessus-csv", "one_finding.csv", "nessus_csv"),
    ("nessus-csv", "many_findings.csv", "nessus_csv"),
    ("nessus-csv", "scaled_scores_epss.csv", "nessus_csv"),
])
def test_each_layout_is_claimed_by_one_format(folder, name, expected):
    assert detected(fixture(folder, name)) == expected


def test_real_nessus_exports_stay_nessus():
    for name in ("dd_nessus_many_vuln2_default_columns.csv", "dd_nessus_template_cvss4_epss.csv"):
        assert detected(shared_sample("nessus-csv", name)) == "nessus_csv"


def test_a_nessus_header_with_the_platform_state_is_tenable_vm(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Vulnerability State\n"
                    "19506,,,None,h1,tcp,0,Nessus Scan Information,Active\n")
    assert detected(path) == "tenable_vm_csv"
    with pytest.raises(ExportError, match="not a Tenable.sc CSV"):
        SC.parse(path, "scanner")


# --- Tenable VM: workbench export -------------------------------------------------------


def test_vm_one_finding_fields():
    (finding,) = rows(VM, fixture("tenable-vm-csv", "one_finding.csv"))

    assert {k: finding[k] for k in (
        "scanned_at", "scanner", "asset_id", "asset_environment", "vulnerability_id", "title",
        "severity", "cvss_score", "exploited_in_wild", "package", "fixed_at", "_source_row",
    )} == {
        "scanned_at": "2024-03-04T02:31:40.512Z", "scanner": "tenable_vm",
        "asset_id": "web01.prod.example.com", "asset_environment": "production",
        "vulnerability_id": "CVE-2023-48795", "title": "SSH Terrapin Prefix Truncation Weakness (CVE-2023-48795)",
        "severity": "medium", "cvss_score": "5.9", "exploited_in_wild": None, "package": None,
        "fixed_at": None, "_source_row": 1,
    }
    extra = finding["_extra"]
    assert (extra["severity_source"], extra["severity_form"], extra["cvss_source"]) == ("risk", None, "cvss3 base score")
    assert (extra["severity_reported"], extra["first_seen"], extra["port"]) == ("2", "2024-01-08T02:30:02.100Z", "22")
    assert extra["scanned_at_source"] == "latest last seen or fixed of the asset"
    assert extra["description"].endswith("bypass integrity checks.")


def test_vm_many_findings_states_levels_and_cves():
    found = rows(VM, fixture("tenable-vm-csv", "many_findings.csv"))

    # 5 records, the OpenSSH one names two CVEs
    assert [row["_source_row"] for row in found] == [1, 2, 2, 3, 4, 5]
    assert severities(found) == {"high": 2, "critical": 2, "info": 1, "medium": 1}
    assert {row["asset_id"]: row["scanned_at"] for row in found} == {
        # latest Last Found of the host (the Resurfaced record's older Last Fixed does not count)
        "app-1.stg.example.com": "2024-03-01T10:15:00.000Z",
        # the Fixed record's Last Fixed is the latest sighting of 10.1.0.9 (no Host, no FQDN)
        "10.1.0.9": "2024-02-27T11:45:00.000Z",
    }
    openssh = by_vulnerability(found, "CVE-2024-6387") + by_vulnerability(found, "CVE-2024-6409")
    assert [(r["severity"], r["cvss_score"], r["exploited_in_wild"], r["fixed_at"]) for r in openssh] == [
        ("critical", "8.1", "true", None), ("critical", "8.1", "true", None),
    ]
    (info,) = by_vulnerability(found, "NESSUS-19506")
    assert (info["severity"], info["asset_environment"]) == ("info", "staging")
    (self_signed,) = by_vulnerability(found, "NESSUS-57582")
    assert (self_signed["fixed_at"], self_signed["_extra"]["asset_id_source"]) == ("2024-02-27T11:45:00.000Z", "ip address")
    (sweet32,) = by_vulnerability(found, "CVE-2016-2183")
    # Risk blank: the level column holds a word, read and marked
    assert (sweet32["severity"], sweet32["_extra"]["severity_source"], sweet32["_extra"]["severity_form"]) == (
        "high", "severity_reported", "word where a level 0-4 was expected"
    )


def test_vm_findings_export_semicolon_delimited():
    found = rows(VM, fixture("tenable-vm-csv", "findings_export_semicolon.csv"))

    assert [(r["_source_row"], r["asset_id"], r["vulnerability_id"], r["severity"], r["cvss_score"]) for r in found] == [
        (1, "db-2.prod.example.com", "CVE-2023-38408", "critical", "9.8"),
        (1, "db-2.prod.example.com", "CVE-2023-28531", "critical", "9.8"),
        (2, "db-2.prod.example.com", "NESSUS-33851", "low", "3.1"),
        (3, "10.2.0.8", "CVE-2015-4000", "low", "3.7"),
    ]
    assert {r["scanned_at"] for r in found[:3]} == {"2024-04-16T12:14:16.850Z"}
    logjam = found[3]
    assert (logjam["fixed_at"], logjam["scanned_at"]) == ("2024-04-15T21:30:00.000Z", "2024-04-15T21:30:00.000Z")
    assert (logjam["_extra"]["asset_id_source"], logjam["_extra"]["state"]) == ("asset.name", "FIXED")
    assert found[0]["_extra"]["output"] == "Installed version : 8.9p1\n  Fixed version     : 9.3p2"
    assert found[0]["_extra"]["scan.id"] == "a8c86324-469d-46aa-9176-50b1daaf1cd9"


def test_vm_no_findings_header_only(tmp_path):
    assert rows(VM, fixture("tenable-vm-csv", "no_findings.csv")) == []


# --- Tenable.sc -------------------------------------------------------------------------


def test_sc_one_finding_fields():
    (finding,) = rows(SC, fixture("tenable-sc-csv", "one_finding.csv"))

    assert {k: finding[k] for k in (
        "scanned_at", "scanner", "asset_id", "asset_environment", "vulnerability_id", "title",
        "severity", "cvss_score", "exploited_in_wild", "package", "fixed_at", "_source_row",
    )} == {
        "scanned_at": "2024-10-17T17:24:54Z", "scanner": "tenable_sc", "asset_id": "mail.prod.example.com",
        "asset_environment": "production", "vulnerability_id": "CVE-2016-2183",
        "title": "SSL Medium Strength Cipher Suites Supported (SWEET32)", "severity": "high",
        "cvss_score": "7.5", "exploited_in_wild": None, "package": None, "fixed_at": None, "_source_row": 1,
    }
    extra = finding["_extra"]
    assert (extra["first_seen"], extra["exploit?"], extra["ip address"]) == ("2024-02-09T10:48:42Z", "No", "10.3.0.15")
    assert extra["plugin output"].rstrip().endswith("3DES-CBC(168)          SHA1")


def test_sc_many_findings_zones_hosts_and_padding():
    found = rows(SC, fixture("tenable-sc-csv", "many_findings.csv"))

    # 6 records (two separator-only lines dropped), RC4 names two CVEs
    assert [row["_source_row"] for row in found] == [1, 1, 2, 3, 4, 5, 6]
    assert severities(found) == {"medium": 3, "critical": 2, "info": 2}
    # MST is UTC-7; the host's latest Last Observed
    assert {row["asset_id"]: row["scanned_at"] for row in found} == {
        "10.2.1.1": "2021-01-05T17:30:00Z",
        "vpn.prod.example.com": "2021-01-03T15:00:00Z",
        # an unknown zone abbreviation: the wall time, naive
        "10.2.1.9": "2021-01-03T08:00:00",
    }
    assert [r["vulnerability_id"] for r in found[:2]] == ["CVE-2013-2566", "CVE-2015-2808"]
    # one finding per host and plugin, whatever the port
    assert [r["_extra"]["port"] for r in by_vulnerability(found, "NESSUS-73756")] == ["1433", "5555"]
    (terrapin,) = by_vulnerability(found, "CVE-2023-48795")
    assert (terrapin["exploited_in_wild"], terrapin["cvss_score"], terrapin["asset_environment"]) == ("true", "5.9", "production")
    (certificate,) = by_vulnerability(found, "NESSUS-10863")
    assert (certificate["severity"], certificate["_extra"]["severity_form"]) == ("info", "level 0-4 where a word was expected")


def test_sc_no_findings_and_mtime_fallback(tmp_path):
    assert rows(SC, fixture("tenable-sc-csv", "no_findings.csv")) == []
    path = tmp_path / "sc.csv"
    path.write_text('"Plugin","Plugin Name","Severity","IP Address","CVE"\n"19506","Nessus Scan Information","Info","10.0.0.1",""\n')
    (finding,) = rows(SC, copy_with_mtime(path, tmp_path / "copy"))
    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == (MTIME_ISO, "fallback_file_mtime")


def test_vm_workbench_semicolon_delimited(tmp_path):
    path = tmp_path / "workbench.csv"
    path.write_text(
        "Plugin ID;CVE;CVSS;Risk;Host;Protocol;Port;Name;Vulnerability State;First Found;Last Found;Severity\n"
        '97833;CVE-2017-0143,CVE-2017-0144;9,3;Critical;fs-1.prod.example.com;TCP;445;"MS17-010; EternalBlue";'
        "Active;2024-01-02T00:00:00.000Z;2024-03-05T04:00:00.000Z;4\n"
    )

    assert detected(path) == "tenable_vm_csv"
    found = rows(VM, path)
    assert [(r["vulnerability_id"], r["severity"], r["title"], r["scanned_at"]) for r in found] == [
        ("CVE-2017-0143", "critical", "MS17-010; EternalBlue", "2024-03-05T04:00:00.000Z"),
        ("CVE-2017-0144", "critical", "MS17-010; EternalBlue", "2024-03-05T04:00:00.000Z"),
    ]
    # a decimal comma (semicolon-delimited locales): 9.3, the text kept in _extra
    assert (found[0]["cvss_score"], found[0]["_extra"]["cvss"], found[0]["_extra"]["cvss_source"]) == (
        "9.3", "9,3", "cvss")
