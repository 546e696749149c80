"""SARIF 2.1.0 (ingest/formats/scanner/sarif.py): real logs of three tools, then own fixtures."""

from __future__ import annotations

from collections import Counter

import pytest

from ingest.formats.base import ExportError
from ingest.formats.scanner.sarif import Sarif
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

FOLDER = "sarif"
SARIF = Sarif()


# --- real logs --------------------------------------------------------------------------


def test_real_codeql_log():
    path = shared_sample(FOLDER, "dd_sarif_codeql_2.5.4.sarif")
    found = rows(SARIF, path)

    assert len(found) == 72
    assert {row["scanner"] for row in found} == {"codeql"}
    assert {row["finding_class"] for row in found} == {"code"}  # a code analyser
    # no security-severity: the rules' default levels (note 57, error 11, warning 4)
    assert severities(found) == {"low": 57, "high": 11, "medium": 4}
    assert {row["_extra"]["severity_source"] for row in found} == {"level"}
    # no invocation times: the file's modification time
    assert {row["scanned_at"] for row in found} == {mtime_iso(path)}
    assert {row["_extra"]["scanned_at_source"] for row in found} == {"fallback_file_mtime"}
    # no run-level asset: each result's file is the asset
    first = found[0]
    assert (first["asset_id"], first["vulnerability_id"], first["title"], first["_extra"]["start_line"]) == (
        "good/db_init.py", "py/empty-except", "Empty except", 39
    )
    assert first["_extra"]["asset_id_source"] == "result artifact location"
    assert len(by_vulnerability(found, "py/empty-except")) == Counter(r["_extra"]["rule_id"] for r in found)["py/empty-except"]


def test_real_dependency_check_log():
    found = rows(SARIF, shared_sample(FOLDER, "dd_sarif_dependency_check_6.1.2.sarif"))

    assert len(found) == 13
    assert {row["scanner"] for row in found} == {"dependency-check"}
    assert {row["finding_class"] for row in found} == {"vulnerability"}  # a dependency scanner
    # RetireJS results carry a severity word; NVD ones a score (severity derived downstream)
    assert severities(found) == {"low": 1, "medium": 3, None: 9}
    jquery = by_vulnerability(found, "CVE-2015-9251")
    assert len(jquery) == 2
    assert {row["cvss_score"] for row in jquery} == {"6.1"}
    assert sorted(row["asset_id"].rsplit("/", 1)[-1] for row in jquery) == ["jquery-1.8.0.min.js", "jquery.min.js"]


def test_real_grype_log():
    found = rows(SARIF, shared_sample(FOLDER, "dd_sarif_grype_0.34.7_cxf.sarif"))

    assert len(found) == 22
    assert {row["scanner"] for row in found} == {"grype"}
    assert {row["finding_class"] for row in found} == {"vulnerability"}
    geronimo = by_vulnerability(found, "CVE-2008-0732")
    assert len(geronimo) == 6
    assert {row["cvss_score"] for row in geronimo} == {"2.1"}
    assert "geronimo-jms_1.1_spec" in {row["package"] for row in geronimo}
    # Grype's rule id "<advisory>-<package>" for a GitHub advisory
    (ghsa,) = by_vulnerability(found, "GHSA-57j2-w4cx-62h2")
    assert (ghsa["package"], ghsa["asset_id"], ghsa["cvss_score"]) == (
        "jackson-databind", "lib/jackson-databind-2.11.4.jar", "7.5"
    )
    assert {row["severity"] for row in found} == {None}  # security-severity only: derived from CVSS


# --- own fixtures ------------------------------------------------------------------------


def test_no_findings_with_a_run_asset_is_a_clean_scan():
    (clean,) = rows(SARIF, fixture(FOLDER, "no_findings.sarif"))

    assert (clean["vulnerability_id"], clean["scanner"], clean["asset_id"], clean["scanned_at"]) == (
        None, "trivy", "shop-api/container-scan", "2024-03-07T08:00:00Z"
    )
    assert clean["scan_id"] == "shop-api/container-scan/2024-03-07T08:00:00Z"
    assert clean["_source_row"] == 0


def test_one_finding_fields():
    (finding,) = rows(SARIF, fixture(FOLDER, "one_finding.sarif"))

    assert {k: finding[k] for k in (
        "scanner", "asset_id", "vulnerability_id", "title", "severity", "cvss_score", "package", "scanned_at",
    )} == {
        "scanner": "trivy",
        "asset_id": "https://git.example.com/shop/api",
        "vulnerability_id": "CVE-2023-5363",
        "title": "openssl: Incorrect cipher key and IV length processing",
        "severity": None,
        "cvss_score": "7.5",
        "package": "libcrypto3",
        "scanned_at": "2024-03-05T09:58:00Z",
    }
    assert finding["_extra"]["scanned_at_source"] == "invocations.startTimeUtc"
    assert finding["_extra"]["severity_source"] == "cvss_score"


def test_many_findings_two_runs():
    result = parsed(SARIF, fixture(FOLDER, "many_findings.sarif"))
    found = rows(SARIF, fixture(FOLDER, "many_findings.sarif"))
    codeql = [row for row in found if row["scanner"] == "codeql"]
    depcheck = [row for row in found if row["scanner"] == "dependency-check"]

    # pass and absent results are no problem: not loaded, noted
    assert len(codeql) == 4
    assert result.notes == ["runs[0]: 2 result(s) reporting no problem (pass, notApplicable, absent) not loaded"]
    assert {row["scanned_at"] for row in codeql} == {"2024-03-06T10:12:30Z"}
    sql = by_vulnerability(codeql, "py/sql-injection")
    assert [(r["asset_id"], r["cvss_score"], r["_extra"]["start_line"]) for r in sql] == [
        ("app/db.py", "8.8", 42), ("app/db.py", "8.8", 57)
    ]
    # artifact given by index only
    (empty,) = by_vulnerability(codeql, "py/empty-except")
    assert (empty["asset_id"], empty["severity"]) == ("app/util.py", "low")
    # rule found in an extension through toolComponent; suppression kept in _extra
    (logging,) = by_vulnerability(codeql, "py/clear-text-logging-sensitive-data")
    assert (logging["title"], logging["cvss_score"], logging["_extra"]["suppressed"]) == (
        "Clear-text logging of sensitive information", "7.5", True
    )

    # run-level asset from automationDetails.id ending in "/": the run is a snapshot of it
    assert {row["asset_id"] for row in depcheck} == {"shop-api/dependency-check"}
    (jquery,) = by_vulnerability(depcheck, "CVE-2020-11022")
    assert (jquery["package"], jquery["cvss_score"], jquery["severity"]) == (
        "file:///src/static/js/jquery-1.8.0.min.js", "6.1", None
    )
    (retire,) = by_vulnerability(depcheck, "Prototype pollution")
    assert (retire["severity"], retire["_extra"]["severity_source"]) == ("medium", "properties.severity")
    (geronimo,) = by_vulnerability(depcheck, "CVE-2008-0732")
    assert geronimo["package"] == "geronimo-jms_1.1_spec"
    (ghsa,) = by_vulnerability(depcheck, "GHSA-57j2-w4cx-62h2")
    assert (ghsa["package"], ghsa["severity"]) == ("jackson-databind", "medium")  # SARIF's default level
    # two runs, two scans of one file
    assert len({row["scan_id"] for row in found}) == 2


def test_no_invocation_time_falls_back_to_the_file_time(tmp_path):
    (finding,) = rows(SARIF, copy_with_mtime(fixture(FOLDER, "no_invocation_time.sarif"), tmp_path))

    assert (finding["scanned_at"], finding["_extra"]["scanned_at_source"]) == (MTIME_ISO, "fallback_file_mtime")
    assert (finding["vulnerability_id"], finding["package"]) == ("CVE-2020-36518", "jackson-databind")


def test_a_result_without_rule_is_refused_not_loaded_as_clean():
    result = parsed(SARIF, fixture(FOLDER, "result_without_rule.sarif"))
    found = rows(SARIF, fixture(FOLDER, "result_without_rule.sarif"))

    assert [(r["vulnerability_id"], r["asset_id"], r["package"]) for r in found] == [
        ("EX-100", "billing-prod", "src/hash.c")
    ]
    assert found[0]["asset_environment"] == "production"
    assert result.rejected.rows() == [
        ("findings", 1, "vulnerability_id", None, "SARIF result runs[0].results[0] names no rule")
    ]


def test_malformed_sarif_names_the_file():
    path = fixture(FOLDER, "malformed.sarif")

    with pytest.raises(ExportError, match=rf"^{path}: not valid JSON at line \d+"):
        parsed(SARIF, path)


def test_other_sarif_versions_are_refused(tmp_path):
    path = tmp_path / "old.sarif"
    path.write_text('{"version": "1.0.0", "$schema": "sarif-1.0.0", "runs": []}')

    with pytest.raises(ExportError, match="SARIF version '1.0.0' is not supported"):
        parsed(SARIF, path)


# --- producers' conventions and finding classes (issue 17) ----------------------------------


def test_semgrep_security_severity_word_is_read_as_the_word(tmp_path):
    path = copy_with_mtime(fixture(FOLDER, "semgrep_severity_word.sarif"), tmp_path)
    sql, evaluation = rows(SARIF, path)

    # security-severity "MEDIUM" is a word, not a score: the severity, marked; no CVSS
    assert (sql["vulnerability_id"], sql["severity"], sql["cvss_score"], sql["finding_class"]) == (
        "python.flask.security.injection.tainted-sql-string.tainted-sql-string", "MEDIUM", None, "code")
    assert sql["_extra"]["severity_source"] == "rule properties.security-severity (a word, not a score)"
    # a code finding rated 9.1: severity left to the CVSS rule downstream (critical), class code
    assert (evaluation["cvss_score"], evaluation["severity"], evaluation["finding_class"]) == ("9.1", None, "code")
    # the run's only originalUriBaseIds entry is the asset; the file is the package
    assert {(r["scanner"], r["asset_id"], r["_extra"]["asset_id_source"]) for r in (sql, evaluation)} == {
        ("semgrep oss", "https://git.example.com/shop/api/", "originalUriBaseIds")}
    assert (sql["package"], evaluation["package"]) == ("app/views.py", "app/tools.py")
    assert sql["scanned_at"] == MTIME_ISO


def test_gitleaks_results_take_their_rule_from_the_index_or_the_message():
    first, second = rows(SARIF, fixture(FOLDER, "gitleaks_rule_by_index_and_message.sarif"))

    # no rule reference: the driver rule whose name opens the message ("AWS Access Key", not "AWS Secret Key")
    assert (first["vulnerability_id"], first["_extra"]["rule_source"], first["asset_id"], first["package"]) == (
        "AWS Access Key", "message names a tool.driver rule", "deploy/settings.env", None)
    # ruleIndex 2 into tool.driver.rules
    assert (second["vulnerability_id"], second["_extra"]["rule_source"], second["asset_id"]) == (
        "Github Personal Access Token", "ruleIndex", "scripts/release.sh")
    assert {(r["scanner"], r["finding_class"], r["severity"]) for r in (first, second)} == {
        ("gitleaks", "secret", "medium")}
    # the offending secret in the result's properties is not kept
    assert "AKIAIOSFODNN7EXAMPLE" not in str(first["_extra"])


def test_dockle_run_without_asset_is_kept_under_the_tool_name():
    found = rows(SARIF, fixture(FOLDER, "dockle_no_asset.sarif"))

    assert [(r["asset_id"], r["vulnerability_id"], r["severity"], r["finding_class"]) for r in found] == [
        ("dockle", "CIS-DI-0010", "high", "misconfiguration"),
        ("dockle", "CIS-DI-0006", "low", "misconfiguration"),
    ]
    assert {r["_extra"]["asset_id_source"] for r in found} == {"tool.driver.name (no asset named)"}


@pytest.mark.parametrize("tool,rule_id,vulnerability_id,tags,expected", [
    ("gitleaks", "aws-access-token", "aws-access-token", [], "secret"),
    ("TruffleHog", "AWS", "AWS", [], "secret"),
    ("detect-secrets", "Base64HighEntropyString", "Base64HighEntropyString", [], "secret"),
    ("CodeQL", "py/sql-injection", "py/sql-injection", ["security"], "code"),
    ("Semgrep OSS", "python.lang.security.audit.eval-detected", "python.lang.security.audit.eval-detected", [], "code"),
    ("Semgrep", "ssc-1f2e", "CVE-2022-42003", [], "vulnerability"),
    ("Semgrep", "generic.secrets.security.detected-aws-access-key", "generic.secrets.security.detected-aws-access-key",
     [], "secret"),
    ("hadolint", "DL3008", "DL3008", [], "misconfiguration"),
    ("Checkov", "CKV_AWS_20", "CKV_AWS_20", [], "misconfiguration"),
    ("tfsec", "aws-s3-enable-bucket-encryption", "aws-s3-enable-bucket-encryption", [], "misconfiguration"),
    ("KICS", "a227ec01", "a227ec01", [], "misconfiguration"),
    ("Grype", "CVE-2023-5363-libcrypto3", "CVE-2023-5363", [], "vulnerability"),
    ("dependency-check", "CVE-2020-11022", "CVE-2020-11022", [], "vulnerability"),
    ("osv-scanner", "GHSA-57j2-w4cx-62h2", "GHSA-57j2-w4cx-62h2", [], "vulnerability"),
    ("Trivy", "CVE-2023-5363", "CVE-2023-5363", ["vulnerability", "security", "HIGH"], "vulnerability"),
    ("Trivy", "AVD-DS-0002", "AVD-DS-0002", ["misconfiguration", "dockerfile", "HIGH"], "misconfiguration"),
    ("Trivy", "aws-access-key-id", "aws-access-key-id", ["secret", "security", "CRITICAL"], "secret"),
    ("Some Analyzer", "R001", "R001", [], "code"),
    ("Some Scanner", "CVE-2024-1234", "CVE-2024-1234", [], "vulnerability"),
])
def test_finding_class_by_producer_and_rule(tool, rule_id, vulnerability_id, tags, expected):
    from ingest.formats.scanner.sarif import _finding_class

    assert _finding_class(tool.lower(), rule_id, vulnerability_id, {"tags": tags}) == expected
