"""Grype JSON (ingest/formats/scanner/grype_json.py): real reports, then own fixtures."""

from __future__ import annotations

import hashlib

import pytest

from ingest.formats.base import ExportError
from ingest.formats.scanner.grype_json import GrypeJson
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

FOLDER = "grype-json"
GRYPE = GrypeJson()


# --- real reports -----------------------------------------------------------------------


def test_real_0_28_report_without_timestamp():
    path = shared_sample(FOLDER, "dd_grype_0.28_check_all_fields.json")
    found = rows(GRYPE, path)

    assert len(found) == 6
    assert severities(found) == {"Negligible": 1, "High": 3, "Critical": 2}
    assert {row["asset_id"] for row in found} == {"vulnerable-image:latest"}
    assert {row["scanned_at"] for row in found} == {mtime_iso(path)}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"fallback_file_mtime"}
    assert {row["scan_id"] for row in found} == {"sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}
    # a GitHub advisory takes the CVE it relates to; Grype's id stays in _extra
    django = by_vulnerability(found, "CVE-2021-44420")
    assert len(django) == 2
    assert {(r["package"], r["_extra"]["grype_vulnerability_id"], r["cvss_score"]) for r in django} == {
        ("Django", "GHSA-v6rh-hp5x-86rv", "7.3")
    }
    assert {tuple(r["_extra"]["fixed_versions"]) for r in django} == {("3.2.10",)}
    # NVD scores only in relatedVulnerabilities (Grype 0.28): the newest version
    libc = by_vulnerability(found, "CVE-2021-33574")
    assert sorted(r["package"] for r in libc) == ["libc-bin", "libc6"]
    assert {r["cvss_score"] for r in libc} == {"9.8"}
    (redis,) = by_vulnerability(found, "CVE-2021-32626")
    assert (redis["cvss_score"], redis["_extra"]["fix_state"]) == ("8.8", "wont-fix")


def test_real_0_75_report_with_fix_available():
    (java,) = rows(GRYPE, shared_sample(FOLDER, "dd_grype_0.75_fix_available.json"))

    assert (java["vulnerability_id"], java["package"], java["severity"]) == ("CVE-2009-3882", "java", "High")
    assert (java["_extra"]["fixed_versions"], java["_extra"]["fix_state"]) == (["1.2.3"], "fixed")
    assert (java["scanned_at"], java["_extra"]["scanned_at_source"]) == (
        "2024-04-10T11:05:22.636338786Z", "descriptor.timestamp"
    )
    assert java["asset_id"] == "REDACTED"
    assert (java["cvss_score"], java["_extra"]["cvss_source"]) == ("7.5", "vulnerability nvd@nist.gov v2.0")


def test_real_0_94_report_with_epss():
    found = rows(GRYPE, shared_sample(FOLDER, "dd_grype_0.94_epss.json"))

    assert len(found) == 15
    assert severities(found) == {"High": 10, "Critical": 1, "Medium": 2, "Low": 2}
    assert {row["asset_id"] for row in found} == {"busybox:1.32.1"}
    assert {row["scanned_at"] for row in found} == {"2025-06-19T11:43:35.523947199Z"}
    # the report carries no knownExploited: blank, not false
    assert {row["exploited_in_wild"] for row in found} == {None}
    (first,) = by_vulnerability(found, "CVE-2022-28391")
    assert (first["package"], first["_extra"]["installed_version"], first["cvss_score"]) == ("busybox", "1.32.1", "8.8")
    assert (first["_extra"]["epss"], first["_extra"]["epss_percentile"], first["_extra"]["epss_date"]) == (
        0.0719, 0.91123, "2025-06-18"
    )
    assert first["_extra"]["risk"] == pytest.approx(5.620183333333334)


# --- own fixtures ------------------------------------------------------------------------


def test_no_findings_is_one_clean_scan_row():
    (clean,) = rows(GRYPE, fixture(FOLDER, "no_findings.json"))

    assert (clean["vulnerability_id"], clean["scanner"], clean["asset_id"], clean["_source_row"]) == (
        None, "grype", "registry.example.com/shop/api:1.4.3", 0
    )
    assert clean["scanned_at"] == "2024-03-07T08:05:00.123456+00:00"


def test_one_finding_fields():
    (finding,) = rows(GRYPE, fixture(FOLDER, "one_finding.json"))

    assert {k: finding[k] for k in (
        "scanner", "asset_id", "vulnerability_id", "severity", "cvss_score", "package",
        "exploited_in_wild", "fixed_at", "scanned_at", "_source_row",
    )} == {
        "scanner": "grype", "asset_id": "registry.example.com/shop/api:1.4.2",
        "vulnerability_id": "CVE-2023-5363", "severity": "High", "cvss_score": "7.5",
        "package": "libcrypto3", "exploited_in_wild": None, "fixed_at": None,
        "scanned_at": "2024-03-05T10:02:00.5Z", "_source_row": 1,
    }
    assert finding["_extra"]["cvss_source"] == "related nvd@nist.gov v3.1"
    assert finding["_extra"]["location"] == "/lib/apk/db/installed"
    assert finding["_extra"]["purl"].startswith("pkg:apk/alpine/libcrypto3@3.1.3-r0")


def test_many_findings():
    found = rows(GRYPE, fixture(FOLDER, "many_findings.json"))

    assert [row["vulnerability_id"] for row in found] == [
        "CVE-2021-44420", "CVE-2021-44420", "CVE-2021-33574", "CVE-2004-0971", "CVE-2099-0001"
    ]
    # blank userInput: the first tag
    assert {(row["asset_id"], row["_extra"]["asset_id_source"]) for row in found} == {
        ("vulnerable-image:latest", "source.target.tags")
    }
    # NVD's primary score first (7.3 v3.1), even though the advisory scored 8.1
    assert [row["cvss_score"] for row in found] == ["7.3", None, "9.8", None, None]
    assert severities(found) == {"High": 2, "Critical": 1, "Negligible": 1, "Unknown": 1}


def test_known_exploited_and_epss():
    found = rows(GRYPE, fixture(FOLDER, "kev_and_epss.json"))
    grpc, busybox = found

    assert (grpc["exploited_in_wild"], busybox["exploited_in_wild"]) == ("true", "false")
    assert (grpc["_extra"]["epss"], grpc["_extra"]["epss_percentile"]) == (0.94419, 0.99985)
    # the entry for the finding's own CVE, not the first listed
    assert busybox["_extra"]["epss"] == 0.00077
    # NVD primary 3.1 beats a secondary 3.1 listed first
    assert (busybox["cvss_score"], busybox["_extra"]["cvss_source"]) == ("5.3", "vulnerability nvd@nist.gov v3.1")
    # a directory scan: the target path, and its environment from the name patterns
    assert (grpc["asset_id"], grpc["asset_environment"]) == ("/srv/api-stg", "staging")


def test_missing_timestamp_falls_back_to_the_file_time_and_says_so(tmp_path):
    (finding,) = rows(GRYPE, copy_with_mtime(fixture(FOLDER, "missing_timestamp.json"), tmp_path))

    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == (MTIME_ISO, "fallback_file_mtime")


def test_malformed_json_names_the_file():
    path = fixture(FOLDER, "malformed.json")

    with pytest.raises(ExportError, match=rf"^{path}: not valid JSON at line \d+"):
        parsed(GRYPE, path)


def test_a_match_without_vulnerability_names_the_record(tmp_path):
    path = tmp_path / "grype.json"
    path.write_text('{"matches": [{"artifact": {"name": "x"}}], "descriptor": {"name": "grype"}}')

    with pytest.raises(ExportError, match=r"matches\[0\]\.vulnerability: expected a JSON object, found null"):
        parsed(GRYPE, path)


def test_report_whose_first_key_is_descriptor_is_recognised_by_structure():
    # Grype writes its keys in any order (0.9x opens with descriptor): detection reads the
    # parsed top-level keys, not the first bytes
    from ingest.formats import registry

    path = fixture(FOLDER, "descriptor_first.json")
    assert registry.detect(path, "scanner").name == "grype_json"
    (row,) = rows(GRYPE, path)
    assert (row["vulnerability_id"], row["package"], row["severity"], row["cvss_score"]) == (
        "CVE-2023-5363", "libcrypto3", "High", "7.5")
    assert (row["asset_id"], row["scanned_at"]) == ("registry.example.com/shop/api:1.4.2", "2024-03-06T08:15:00Z")
    assert row["_extra"]["scanned_at_source"] == "descriptor.timestamp"


def test_json_without_grype_structure_is_not_claimed(tmp_path):
    # a top-level matches key alone (no descriptor, source or distro) is not a Grype report
    path = tmp_path / "other.json"
    path.write_text('{"matches": [], "query": "x"}')
    assert not GRYPE.detect(path, path.read_bytes())
