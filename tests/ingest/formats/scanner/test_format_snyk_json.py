"""Snyk JSON: snyk test (one project, --all-projects), snyk container test, the REST issues API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.scanner.snyk_json import SnykJson
from ingest.rules import ParseContext, load_rules

FIXTURES = Path(__file__).resolve().parent / "samples" / "snyk_json"


def parse(name: str):
    return SnykJson().parse(FIXTURES / name, "scanner", ParseContext(rules=load_rules()))


def rows(name: str) -> dict[tuple, dict]:
    return {(r["asset_id"], r["vulnerability_id"], r["package"]): {**r, "_extra": json.loads(r["_extra"])}
            for r in parse(name).entities["findings"].to_dicts()}


@pytest.mark.parametrize("name", ["open_source_project.json", "all_projects.json",
                                  "container_with_applications.json", "rest_issues.json"])
def test_detected(name):
    assert registry.detect(FIXTURES / name, "scanner").name == "snyk_json"


def test_open_source_project():
    parsed = parse("open_source_project.json")
    found = rows("open_source_project.json")
    # lodash twice (two paths) = 1 row; axios names two CVEs = 2 rows; the license issue skipped
    assert set(found) == {("storefront:package-lock.json", "CVE-2020-8203", "lodash"),
                          ("storefront:package-lock.json", "CVE-2023-45857", "axios"),
                          ("storefront:package-lock.json", "CVE-2023-26159", "axios")}
    assert parsed.notes == [
        "1 issue(s) of type license (not vulnerabilities) skipped",
        "1 issue(s) ignored (filtered.ignore) skipped",
        "1 duplicate match(es) of one (asset, vulnerability, package) in the file skipped (the first kept)",
    ]
    lodash = found[("storefront:package-lock.json", "CVE-2020-8203", "lodash")]
    assert (lodash["scanner"], lodash["severity"], lodash["cvss_score"], lodash["finding_class"]) == (
        "snyk", "high", "7.2", "vulnerability")
    assert (lodash["_extra"]["snyk_id"], lodash["_extra"]["exploit_maturity"]) == ("SNYK-JS-LODASH-567746", "Proof of Concept")
    assert lodash["_extra"]["scanned_at_source"] == "fallback_file_mtime"      # the CLI writes no time
    assert lodash["scan_id"].startswith("sha256:")


def test_all_projects_and_clean_project():
    found = rows("all_projects.json")
    assert found[("billing:requirements.txt", "CVE-2024-35195", "requests")]["severity"] == "medium"
    clean = found[("billing:worker/go.mod", None, None)]
    assert (clean["_source_row"], clean["finding_class"]) == (0, "vulnerability")


def test_container_and_its_applications():
    found = rows("container_with_applications.json")
    image = found[("docker-image|registry.example.com/api", "CVE-2023-5678", "openssl/libssl3")]
    assert (image["severity"], image["cvss_score"]) == ("low", None)
    assert image["_extra"]["project_path"] == "registry.example.com/api:2.3.1-prod"
    app = found[("com.example:api:/app/api.jar", "CVE-2022-1471", "org.yaml:snakeyaml")]
    assert (app["severity"], app["cvss_score"], app["_extra"]["exploit_maturity"]) == ("critical", "9.8", "Mature")


def test_rest_issues():
    parsed = parse("rest_issues.json")
    found = rows("rest_issues.json")
    assert len(found) == 3
    assert parsed.notes == ["1 issue(s) of type license (not vulnerabilities) skipped", "1 issue(s) ignored skipped"]
    express = found[("proj-aaaa", "CVE-2024-29041", "express")]
    assert (express["severity"], express["finding_class"], express["fixed_at"]) == ("medium", "vulnerability", None)
    semver = found[("proj-aaaa", "CVE-2022-25883", "semver")]
    assert semver["fixed_at"] == "2024-05-01T08:00:00Z"                      # resolution.resolved_at
    code = found[("proj-bbbb", "6f0c1a9e-code", "src/db/orders.js")]
    assert (code["finding_class"], code["severity"], code["_extra"]["line"]) == ("code", "high", "42")
    # the latest updated_at of all issues (the license one included) = 2024-05-21T09:00:00Z
    assert set(parsed.entities["findings"]["scanned_at"]) == {"2024-05-21T09:00:00Z"}
