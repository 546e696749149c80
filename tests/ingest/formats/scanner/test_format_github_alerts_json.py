"""GitHub Dependabot alerts (REST, GraphQL) and code-scanning alerts."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.formats import registry
from ingest.formats.scanner.github_code_scanning_alerts_json import GithubCodeScanningAlertsJson
from ingest.formats.scanner.github_dependabot_alerts_json import GithubDependabotAlertsJson
from ingest.rules import ParseContext, load_rules

SAMPLES = Path(__file__).resolve().parent / "samples"
REST = SAMPLES / "github_dependabot_alerts_json" / "rest_states.json"
GRAPHQL = SAMPLES / "github_dependabot_alerts_json" / "graphql_repository.json"
CODE = SAMPLES / "github_code_scanning_alerts_json" / "tools_and_states.json"


def parse(fmt, path: Path):
    return fmt.parse(path, "scanner", ParseContext(rules=load_rules()))


def rows(fmt, path: Path) -> dict[tuple, dict]:
    return {(r["scanner"], r["asset_id"], r["vulnerability_id"], r["package"]): {**r, "_extra": json.loads(r["_extra"])}
            for r in parse(fmt, path).entities["findings"].to_dicts()}


def test_detection():
    assert registry.detect(REST, "scanner").name == "github_dependabot_alerts_json"
    assert registry.detect(GRAPHQL, "scanner").name == "github_dependabot_alerts_json"
    assert registry.detect(CODE, "scanner").name == "github_code_scanning_alerts_json"


def test_dependabot_rest_states():
    parsed = parse(GithubDependabotAlertsJson(), REST)
    found = rows(GithubDependabotAlertsJson(), REST)
    # 6 alerts: 1 dismissed, 1 auto_dismissed skipped; billing's lodash in two manifests = 1 finding
    assert set(found) == {("dependabot", "acme/storefront", "CVE-2020-8203", "lodash"),
                          ("dependabot", "acme/storefront", "GHSA-qrw5-5h28-6cmg", "django"),
                          ("dependabot", "acme/billing", "CVE-2020-8203", "lodash")}
    assert parsed.notes == [
        "1 alert(s) in state dismissed skipped", "1 alert(s) in state auto_dismissed skipped",
        "1 duplicate match(es) of one (asset, vulnerability, package) in the file skipped (the first kept)",
    ]
    lodash = found[("dependabot", "acme/storefront", "CVE-2020-8203", "lodash")]
    assert (lodash["severity"], lodash["cvss_score"], lodash["fixed_at"], lodash["finding_class"]) == (
        "high", "7.4", None, "vulnerability")
    assert (lodash["_extra"]["ghsa_id"], lodash["_extra"]["manifest_path"], lodash["_extra"]["epss"]) == (
        "GHSA-p6mc-m468-83gw", "package-lock.json", "0.01302")
    django = found[("dependabot", "acme/storefront", "GHSA-qrw5-5h28-6cmg", "django")]   # no CVE: the GHSA id
    assert (django["fixed_at"], django["cvss_score"], django["severity"]) == ("2024-05-10T16:45:00Z", None, "critical")
    billing = found[("dependabot", "acme/billing", "CVE-2020-8203", "lodash")]
    assert (billing["severity"], billing["_extra"]["manifest_path"]) == ("moderate", "web/package-lock.json")  # the first kept
    # the latest updated_at, the dismissed alert's included: 2024-05-21T08:00:00Z
    assert set(parsed.entities["findings"]["scanned_at"]) == {"2024-05-21T08:00:00Z"}


def test_dependabot_graphql():
    parsed = parse(GithubDependabotAlertsJson(), GRAPHQL)
    found = rows(GithubDependabotAlertsJson(), GRAPHQL)
    assert parsed.notes == ["1 alert(s) in state dismissed skipped"]
    snake = found[("dependabot", "acme/mobile", "CVE-2022-1471", "org.yaml:snakeyaml")]
    assert (snake["severity"], snake["cvss_score"], snake["fixed_at"]) == ("CRITICAL", "8.3", None)
    okio = found[("dependabot", "acme/mobile", "GHSA-w33c-445m-f8w7", "com.squareup.okio:okio")]
    assert (okio["severity"], okio["cvss_score"], okio["fixed_at"]) == ("MODERATE", None, "2024-04-20T12:00:00Z")
    assert snake["_extra"]["scanned_at_source"] == "fallback_file_mtime"   # GraphQL carries no time


def test_code_scanning_classes_and_states():
    parsed = parse(GithubCodeScanningAlertsJson(), CODE)
    found = rows(GithubCodeScanningAlertsJson(), CODE)
    assert len(found) == 5 and parsed.notes == ["1 alert(s) in state dismissed skipped"]
    sqli = found[("codeql", "acme/storefront", "js/sql-injection", "src/db/orders.js")]
    assert (sqli["severity"], sqli["finding_class"], sqli["_extra"]["line"]) == ("critical", "code", "42")
    assert sqli["_extra"]["severity_source"] == "rule.security_severity_level"
    leak = found[("gitleaks", "acme/storefront", "generic-api-key", "config/settings.py")]
    assert (leak["finding_class"], leak["severity"], leak["fixed_at"]) == ("secret", "high", "2024-05-02T08:30:00Z")
    acl = found[("checkov", "acme/storefront", "CKV_AWS_20", "infra/s3.tf")]
    assert (acl["finding_class"], acl["severity"]) == ("misconfiguration", "medium")     # warning -> medium
    cve = found[("trivy", "acme/storefront", "CVE-2023-44487", "library/golang.org/x/net")]
    assert (cve["finding_class"], cve["severity"]) == ("vulnerability", "high")
    note = found[("codeql", "acme/storefront", "py/unused-import", "tools/gen.py")]
    assert (note["severity"], note["_extra"]["severity_source"]) == ("low", "rule.severity")   # "None" is blank
    assert set(parsed.entities["findings"]["scanned_at"]) == {"2024-05-22T10:00:00Z"}
