"""Trivy JSON schema v2 (ingest/formats/scanner/trivy_json.py).

Real reports from the shared samples (skipped when absent), then own fixtures
under samples/trivy-json/ for the cases and quirks.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.scanner.trivy_json import TrivyJson
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

FOLDER = "trivy-json"
TRIVY = TrivyJson()


# --- real reports -----------------------------------------------------------------------


def test_real_image_report_without_created_at():
    path = shared_sample(FOLDER, "dd_trivy_scheme_2_many_vulns.json")
    found = rows(TRIVY, path)

    assert len(found) == 5
    assert severities(found) == {"MEDIUM": 3, "HIGH": 1, "CRITICAL": 1}
    assert {row["asset_id"] for row in found} == {"teamdojo:latest"}
    assert {row["scanner"] for row in found} == {"trivy"}
    # no CreatedAt: the file's modification time, every row marked
    assert {row["scanned_at"] for row in found} == {mtime_iso(path)}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"fallback_file_mtime"}
    # no ReportID: the scan is the file's bytes
    assert {row["scan_id"] for row in found} == {"sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}

    (freetype,) = by_vulnerability(found, "CVE-2020-15999")
    assert (freetype["package"], freetype["cvss_score"], freetype["title"]) == (
        "freetype", "6.5", "freetype: Heap-based buffer overflow due to integer truncation in Load_SBit_Png"
    )
    assert freetype["_extra"]["installed_version"] == "2.9.1-r2"
    assert freetype["_extra"]["fixed_version"] == "2.9.1-r3"
    assert freetype["_extra"]["cvss_source"] == "nvd V3Score"  # nvd 6.5 beats redhat 8.6
    # only a redhat score: the vendor score
    (krb5,) = by_vulnerability(found, "CVE-2020-28196")
    assert (krb5["cvss_score"], krb5["_extra"]["cvss_source"]) == ("7.5", "redhat V3Score")
    # no CVSS at all: blank, the severity word stands
    (bzip,) = by_vulnerability(found, "CVE-2019-12900")
    assert (bzip["severity"], bzip["cvss_score"]) == ("CRITICAL", None)


def test_real_filesystem_report_with_report_id_and_cvss_v4():
    found = rows(TRIVY, shared_sample(FOLDER, "dd_trivy_fs_cvssv4_v0.69.1.json"))

    assert severities(found) == {"MEDIUM": 1, "LOW": 2}
    assert {row["scan_id"] for row in found} == {"019c8e79-cf0f-75cc-8c6e-b806652074c5"}
    assert {row["scanned_at"] for row in found} == {"2026-02-24T07:07:53.487381Z"}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"CreatedAt"}
    assert {row["asset_id"] for row in found} == {"lib/catalina.jar"}
    (tomcat,) = by_vulnerability(found, "CVE-2025-66614")
    assert tomcat["package"] == "org.apache.tomcat:tomcat-catalina"
    assert tomcat["_extra"]["fixed_version"] == "11.0.14, 10.1.49, 9.0.112"
    assert tomcat["_extra"]["fixed_versions"] == ["11.0.14", "10.1.49", "9.0.112"]
    assert tomcat["_extra"]["status"] == "fixed"  # a fix exists; not a fix of this finding
    assert tomcat["fixed_at"] is None
    # no nvd score: the severity source's (ghsa) newest version
    assert (tomcat["cvss_score"], tomcat["_extra"]["cvss_source"]) == ("6.3", "ghsa V40Score")


def test_real_image_report_with_blank_artifact_name():
    path = shared_sample(FOLDER, "dd_trivy_issue_9333.json")
    found = rows(TRIVY, path)

    assert len(found) == 13
    assert severities(found) == {"LOW": 12, "MEDIUM": 1}
    assert {row["scanned_at"] for row in found} == {"2024-01-15T08:58:29.82753744Z"}
    # ArtifactName, RepoTags and RepoDigests are blank: the os-pkgs target names the image
    assert {row["asset_id"] for row in found} == {"noppaknopsta/example-app:main-159"}
    assert {row["_extra"]["asset_id_source"] for row in found} == {"Results[0].Target"}
    (cookie,) = by_vulnerability(found, "CVE-2023-26136")
    assert (cookie["package"], cookie["cvss_score"], cookie["_extra"]["fixed_version"]) == (
        "tough-cookie", "9.8", "4.1.3"
    )
    (temp,) = by_vulnerability(found, "TEMP-0841856-B18BAF")
    assert (temp["package"], temp["cvss_score"]) == ("bash", None)


def test_real_upstream_golden_npm_report():
    found = rows(TRIVY, shared_sample(FOLDER, "trivy_golden_npm_fs.json"))

    assert len(found) == 1
    (jquery,) = found
    assert (jquery["vulnerability_id"], jquery["package"], jquery["severity"]) == ("CVE-2019-11358", "jquery", "MEDIUM")
    assert (jquery["_extra"]["installed_version"], jquery["_extra"]["fixed_version"]) == ("3.3.9", "3.4.0")
    assert (jquery["asset_id"], jquery["scanned_at"]) == ("testdata/fixtures/repo/npm", "2021-08-25T12:20:30.000000005Z")
    assert jquery["_extra"]["purl"] == "pkg:npm/jquery@3.3.9"


# --- own fixtures ------------------------------------------------------------------------


def test_no_findings_is_one_clean_scan_row():
    (clean,) = rows(TRIVY, fixture(FOLDER, "no_findings.json"))

    assert clean["vulnerability_id"] is None
    assert (clean["scanner"], clean["asset_id"]) == ("trivy", "registry.example.com/shop/api:1.4.2")
    assert clean["scanned_at"] == "2024-03-04T09:15:00.123456789Z"
    assert clean["_source_row"] == 0
    assert clean["package"] is None and clean["severity"] is None


def test_one_finding_fields():
    (finding,) = rows(TRIVY, fixture(FOLDER, "one_finding.json"))

    assert {k: finding[k] for k in (
        "scan_id", "scanned_at", "scanner", "asset_id", "vulnerability_id", "title", "severity",
        "cvss_score", "exploited_in_wild", "package", "fixed_at", "_source_row",
    )} == {
        "scan_id": "018e0f3a-7c4b-7d2e-9a11-5f0c2b7e4d10",
        "scanned_at": "2024-03-05T10:00:00Z",
        "scanner": "trivy",
        "asset_id": "registry.example.com/shop/api:1.4.2",
        "vulnerability_id": "CVE-2023-5363",
        "title": "openssl: Incorrect cipher key and IV length processing",
        "severity": "HIGH",
        "cvss_score": "7.5",
        "exploited_in_wild": None,
        "package": "libcrypto3",
        "fixed_at": None,
        "_source_row": 1,
    }
    assert finding["_extra"]["record"] == "Results[0].Vulnerabilities[0]"
    assert finding["_extra"]["pkg_id"] == "libcrypto3@3.1.3-r0"
    assert finding["_extra"]["target"] == "registry.example.com/shop/api:1.4.2 (alpine 3.19.1)"


def test_many_findings_one_row_per_vulnerability_entry():
    result = parsed(TRIVY, fixture(FOLDER, "many_findings.json"))
    found = rows(TRIVY, fixture(FOLDER, "many_findings.json"))

    # 3 + 0 (Vulnerabilities null) + 2 + 1 vulnerabilities, then the failed misconfiguration:
    # the same CVE in two jars is two rows, one key
    assert [row["_source_row"] for row in found] == [1, 2, 3, 4, 5, 6, 7]
    assert [row["finding_class"] for row in found] == ["vulnerability"] * 6 + ["misconfiguration"]
    found, (misconfiguration,) = found[:6], found[6:]
    assert (misconfiguration["vulnerability_id"], misconfiguration["severity"], misconfiguration["title"]) == (
        "DS002", "HIGH", "Image user should not be 'root'")
    assert misconfiguration["cvss_score"] is None
    assert severities(found) == {"CRITICAL": 1, "HIGH": 3, "LOW": 1, "UNKNOWN": 1}
    jackson = by_vulnerability(found, "CVE-2022-42003")
    assert [row["_extra"]["pkg_path"] for row in jackson] == [
        "opt/app/lib/a/jackson-databind-2.13.0.jar", "opt/app/lib/b/jackson-databind-2.13.0.jar"
    ]
    assert {(row["asset_id"], row["package"]) for row in jackson} == {
        ("billing-worker-prod", "com.fasterxml.jackson.core:jackson-databind")
    }
    # nvd first even when listed after another vendor; then the severity source, newest version
    (glibc,) = by_vulnerability(found, "CVE-2024-2961")
    assert (glibc["cvss_score"], glibc["_extra"]["cvss_source"]) == ("9.8", "nvd V3Score")
    (looney,) = by_vulnerability(found, "CVE-2023-4911")
    assert (looney["cvss_score"], looney["_extra"]["cvss_source"]) == ("7.8", "debian V3Score")
    (unknown,) = by_vulnerability(found, "GHSA-xxxx-unknown")
    assert (unknown["severity"], unknown["cvss_score"]) == ("UNKNOWN", "6.9")
    # an offset in CreatedAt is kept for the loader
    assert {row["scanned_at"] for row in found} == {"2024-03-06T11:30:00+01:00"}
    # asset_environment from the rules' name patterns
    assert {(row["asset_environment"], row["_extra"]["asset_environment_source"]) for row in found} == {
        ("production", "name_pattern")
    }
    assert (result.records, result.skipped, result.notes) == (7, {}, [])


def test_null_vulnerabilities_everywhere_is_a_clean_scan():
    (clean,) = rows(TRIVY, fixture(FOLDER, "null_vulnerabilities.json"))

    assert (clean["vulnerability_id"], clean["asset_id"], clean["scanned_at"]) == (
        None, "registry.example.com/shop/api:1.4.3", "2024-03-07T08:00:00Z"
    )


def test_missing_created_at_falls_back_to_the_file_time_and_says_so(tmp_path):
    path = copy_with_mtime(fixture(FOLDER, "missing_created_at.json"), tmp_path)

    (finding,) = rows(TRIVY, path)

    assert finding["scanned_at"] == MTIME_ISO
    assert finding["_extra"]["scanned_at_source"] == "fallback_file_mtime"


def test_comma_fixed_version_is_kept_and_split():
    (finding,) = rows(TRIVY, fixture(FOLDER, "comma_fixed_version.json"))

    assert finding["_extra"]["fixed_version"] == "11.0.14, 10.1.49, 9.0.112"
    assert finding["_extra"]["fixed_versions"] == ["11.0.14", "10.1.49", "9.0.112"]
    assert finding["_extra"]["vendor_ids"] == ["GHSA-fpj8-gq4v-p354"]
    assert finding["fixed_at"] is None


def test_blank_artifact_name_takes_the_os_target():
    (finding,) = rows(TRIVY, fixture(FOLDER, "blank_artifact_name.json"))

    assert finding["asset_id"] == "noppaknopsta/example-app:main-159"


def test_malformed_json_names_the_file_and_line():
    path = fixture(FOLDER, "malformed.json")

    with pytest.raises(ExportError, match=rf"^{path}: not valid JSON at line \d+ column \d+"):
        parsed(TRIVY, path)


def test_a_record_of_the_wrong_type_names_the_record():
    path = fixture(FOLDER, "wrong_record_type.json")

    with pytest.raises(ExportError, match=r"Results\[1\]\.Vulnerabilities\[1\]: expected a JSON object, found a string"):
        parsed(TRIVY, path)


def test_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "v1.json"
    path.write_text('{"SchemaVersion": 1, "ArtifactName": "x", "Results": []}')

    with pytest.raises(ExportError, match="SchemaVersion 1 is not a Trivy schema v2 report"):
        parsed(TRIVY, path)


# --- misconfigurations, secrets, Kubernetes and legacy reports (issue 17) -------------------


def test_misconfigurations_and_secrets_are_findings_of_their_class():
    path = fixture(FOLDER, "misconfigurations_and_secrets.json")
    result = parsed(TRIVY, path)
    found = rows(TRIVY, path)

    # 1 vulnerability, 1 failed check, 2 secrets; PASS and EXCEPTION checks and the licence are skipped
    assert [(r["_source_row"], r["finding_class"], r["vulnerability_id"], r["package"], r["severity"]) for r in found] == [
        (1, "vulnerability", "CVE-2021-33503", "urllib3", "HIGH"),
        (2, "misconfiguration", "DS002", "Dockerfile", "HIGH"),
        (3, "secret", "github-pat", "Dockerfile", "CRITICAL"),
        (4, "secret", "aws-access-key-id", "config/settings.py", "CRITICAL"),
    ]
    assert {(r["asset_id"], r["scanned_at"], r["scanner"]) for r in found} == {
        ("shop-api", "2024-03-08T09:00:00Z", "trivy")}
    vulnerability, misconfiguration, github, aws = found
    assert vulnerability["cvss_score"] == "7.5"
    assert misconfiguration["title"] == "Image user should not be 'root'"
    assert misconfiguration["_extra"]["avd_id"] == "AVD-DS-0002"
    assert misconfiguration["_extra"]["record"] == "Results[1].Misconfigurations[0]"
    assert (github["title"], github["_extra"]["secret_category"], github["_extra"]["start_line"]) == (
        "GitHub Personal Access Token", "GitHub", "24")
    assert "Match" not in json.dumps(github["_extra"]) and "GITHUB_PAT" not in json.dumps(github["_extra"])
    assert aws["_extra"]["record"] == "Results[3].Secrets[0]"
    assert result.records == 7
    assert result.skipped == {
        "PASS misconfiguration (a check that did not fail is not a finding)": 1,
        "EXCEPTION misconfiguration (a check that did not fail is not a finding)": 1,
        "licence finding (not a security finding class)": 1,
    }


def test_kubernetes_report_one_asset_per_resource(tmp_path):
    path = copy_with_mtime(fixture(FOLDER, "k8s_resources.json"), tmp_path)
    assert registry.detect(path, "scanner").name == "trivy_json"
    found = rows(TRIVY, path)

    assert [(r["asset_id"], r["finding_class"], r["vulnerability_id"], r["package"], r["severity"], r["_source_row"])
            for r in found] == [
        ("prod-eu-1:shop/Deployment/api", "vulnerability", "CVE-2023-5363", "libcrypto3", "HIGH", 1),
        ("prod-eu-1:shop/Deployment/api", "misconfiguration", "KSV001", "Deployment/api", "MEDIUM", 2),
        ("prod-eu-1:ClusterRoleBinding/cluster-admin", "misconfiguration", "KSV111",
         "ClusterRoleBinding/cluster-admin", "LOW", 3),
        # a resource without findings was scanned clean
        ("prod-eu-1:shop/Service/api", None, None, None, None, 0),
    ]
    # one scan (no ReportID: the file's hash), no CreatedAt: the file time, marked
    assert {r["scan_id"] for r in found} == {"sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}
    assert {(r["scanned_at"], r["_extra"]["scanned_at_source"]) for r in found} == {(MTIME_ISO, "fallback_file_mtime")}
    assert {r["_extra"]["cluster_name"] for r in found} == {"prod-eu-1"}
    assert found[1]["_extra"]["start_line"] == "120"
    assert found[0]["cvss_score"] == "7.5"


def test_kubernetes_report_of_resource_lists_merges_a_resource_listed_twice():
    found = rows(TRIVY, fixture(FOLDER, "k8s_resource_lists.json"))

    asset = "arn:aws:eks:eu-west-1:111122223333:cluster/staging:default/Deployment/redis-follower"
    assert [(r["asset_id"], r["finding_class"], r["vulnerability_id"], r["package"], r["cvss_score"]) for r in found] == [
        (asset, "vulnerability", "CVE-2020-27350", "apt", "5.7"),
        (asset, "misconfiguration", "KSV012", "Deployment/redis-follower", None),
    ]
    assert found[1]["_extra"]["record"] == "Misconfigurations[0].Results[0].Misconfigurations[0]"


def test_legacy_top_level_array(tmp_path):
    path = copy_with_mtime(fixture(FOLDER, "legacy_array.json"), tmp_path)
    assert registry.detect(path, "scanner").name == "trivy_json"
    found = rows(TRIVY, path)

    assert [(r["vulnerability_id"], r["package"], r["severity"], r["finding_class"]) for r in found] == [
        ("CVE-2019-14697", "musl", "CRITICAL", "vulnerability"),
        ("CVE-2019-1549", "openssl", "MEDIUM", "vulnerability"),
    ]
    assert {(r["asset_id"], r["_extra"]["asset_id_source"]) for r in found} == {
        ("registry.example.com/shop/worker:2.0.1", "[0].Target")}
    assert {(r["scanned_at"], r["_extra"]["scanned_at_source"]) for r in found} == {(MTIME_ISO, "fallback_file_mtime")}
    assert found[0]["_extra"]["record"] == "[0].Vulnerabilities[0]"


def test_a_json_list_of_other_records_is_not_a_legacy_report(tmp_path):
    path = tmp_path / "list.json"
    path.write_text('[{"name": "x", "Type": "y"}]')
    assert not TRIVY.detect(path, path.read_bytes())
