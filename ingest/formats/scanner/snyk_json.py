"""Snyk JSON: `snyk test --json` (one project object, or an array of them with
`--all-projects`), `snyk container test --json` (the image as a project; `applications[]` are
its application projects), and the REST issues API (`GET /rest/orgs/{org}/issues`:
`{"data": [{"type": "issue", "attributes": {...}, "relationships": {...}}], "jsonapi", "links"}`).
`snyk code test --json` writes SARIF 2.1 and is read by the `sarif` format.

Structure: Snyk CLI docs ("snyk test", "snyk container test" JSON output) and Snyk REST API
reference (Issues); public samples DefectDojo/django-DefectDojo `unittests/scans/snyk/*.json`,
`unittests/scans/snyk_issue_api/*.json` (BSD-3-Clause). Own samples follow those structures.

COUNTING RULE (CLI): one row per (project, vulnerability, package) and, for an issue naming
several CVEs, per CVE: Snyk lists one vulnerability once per dependency path (`from`), and the
repeats of one key are counted as duplicates. License issues (`type` license) are not
vulnerability findings: skipped and counted; ignored issues are not in `vulnerabilities[]`
(Snyk moves them to `filtered.ignore`): counted. A project with no vulnerability gives one
clean-scan row. scan_id the file's hash; scanned_at: the CLI writes no time -> the file's
modification time (marked).
- asset_id: `projectName`, with `:<displayTargetFile>` when set (one repository's manifests
  are separate projects, as Snyk names them); `_extra.path` keeps the scanned path or image.
- vulnerability_id: each CVE of `identifiers.CVE`, else Snyk's `id` (SNYK-JS-...; kept in
  `_extra.snyk_id`). package: `packageName` (else `moduleName`/`name`); version, `fixedIn`,
  `packageManager`, `exploit` maturity to `_extra`. severity `severity`; cvss `cvssScore`.
- finding_class: vulnerability.

COUNTING RULE (REST issues): one row per (issue, coordinate representation): `scan_item` (the
project id) is the asset, a dependency representation gives the package, a source location the
file. `type` package_vulnerability -> vulnerability, code -> code, config/cloud ->
misconfiguration, license -> skipped and counted. `ignored` issues skipped and counted;
`status` resolved -> fixed_at = `resolution.resolved_at` (else `updated_at`). vulnerability_id:
the CVE among `problems[]`, else the issue `key`. severity `effective_severity_level`.
scanned_at: the latest `updated_at`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.iam._json_records import dig
from ingest.formats.scanner import _api_findings as api
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

REST_CLASSES = {"package_vulnerability": "vulnerability", "code": "code", "config": "misconfiguration",
                "cloud": "misconfiguration", "custom": "misconfiguration"}


def _is_cli_project(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("vulnerabilities"), list) and (
        "packageManager" in value or "projectName" in value) and ("ok" in value or "dependencyCount" in value)


def _is_rest_issue(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "issue" and isinstance(value.get("attributes"), dict)


def _shape(document: Any) -> str | None:
    if _is_cli_project(document):
        return "cli"
    if isinstance(document, list) and document and all(_is_cli_project(p) for p in document):
        return "cli"
    if isinstance(document, dict) and isinstance(document.get("data"), list) and "jsonapi" in document:
        first = _structure.first_record(document["data"])
        if _is_rest_issue(first) or document["data"] == []:
            return "rest"
    return None


class SnykJson(ExportFormat):
    name: ClassVar[str] = "snyk_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _shape(_structure.json_document(path, head)) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        shape = _shape(document)
        notes: list[str] = []
        if shape == "cli":
            rows, skipped = _cli_rows(document if isinstance(document, list) else [document], path)
            scanned_at, source = None, "none"
        elif shape == "rest":
            issues = document["data"]
            rows, skipped = _rest_rows(issues, path)
            scanned_at = api.scan_time(dig(i, "attributes", "updated_at") for i in issues if isinstance(i, dict))
            source = "latest attributes.updated_at"
        else:
            raise ExportError(f"{path}: not a Snyk test or issues JSON (vulnerabilities[] or data[] of issues)")
        notes += api.skipped_note(skipped, "issue(s)")
        frame = api.frame(rows, path, data, context, scanner="snyk", scanned_at=scanned_at,
                          scanned_at_source=source, notes=notes)
        if not rows:
            notes.append("no project or issue in the file: nothing loaded")
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _projects(projects: list, path: Path) -> list[tuple[str, dict]]:
    """(where, project) for every project, container applications included."""
    found = []
    for i, project in enumerate(projects):
        project = f.expect_object(project, path, f"project {i + 1}")
        found.append((f"[{i}]", project))
        for j, application in enumerate(f.expect_list(project.get("applications"), path, f"[{i}].applications")):
            found.append((f"[{i}].applications[{j}]", f.expect_object(application, path, f"[{i}].applications[{j}]")))
    return found


def _cli_rows(projects: list, path: Path) -> tuple[list[dict], dict[str, int]]:
    rows: list[dict] = []
    skipped = {"of type license (not vulnerabilities)": 0, "ignored (filtered.ignore)": 0}
    number = 0
    for where, project in _projects(projects, path):
        name = project.get("projectName") or project.get("path")
        target = project.get("displayTargetFile")
        asset = f"{name}:{target}" if name and target else name
        skipped["ignored (filtered.ignore)"] += len(f.expect_list(dig(project, "filtered", "ignore"), path,
                                                                  f"{where}.filtered.ignore"))
        common = {"asset_id": asset, "project_path": project.get("path"), "target_file": target,
                  "package_manager": project.get("packageManager"), "finding_class": "vulnerability"}
        found = 0
        for k, vulnerability in enumerate(f.expect_list(project.get("vulnerabilities"), path, f"{where}.vulnerabilities")):
            number += 1
            vulnerability = f.expect_object(vulnerability, path, f"{where}.vulnerabilities[{k}]")
            if str(vulnerability.get("type") or "").lower() == "license":
                skipped["of type license (not vulnerabilities)"] += 1
                continue
            found += 1
            cves = [c for c in f.expect_list(dig(vulnerability, "identifiers", "CVE"), path,
                                             f"{where}.vulnerabilities[{k}].identifiers.CVE") if c] or [vulnerability.get("id")]
            for cve in cves:
                rows.append({
                    SOURCE_ROW: number, f.RECORD: f"{where}.vulnerabilities[{k}]", **common,
                    "vulnerability_id": cve, "snyk_id": vulnerability.get("id"), "title": vulnerability.get("title"),
                    "severity": vulnerability.get("severity"), "cvss_score": vulnerability.get("cvssScore"),
                    "package": vulnerability.get("packageName") or vulnerability.get("moduleName") or vulnerability.get("name"),
                    "installed_version": vulnerability.get("version"), "fixed_in": vulnerability.get("fixedIn"),
                    "exploit_maturity": vulnerability.get("exploit"), "cvss_vector": vulnerability.get("CVSSv3"),
                    "cwe": dig(vulnerability, "identifiers", "CWE"),
                })
        if not found and asset:
            rows.append({SOURCE_ROW: f.CLEAN_SCAN_ROW, f.RECORD: where, **common})
    return rows, skipped


def _rest_rows(issues: list, path: Path) -> tuple[list[dict], dict[str, int]]:
    rows: list[dict] = []
    skipped = {"of type license (not vulnerabilities)": 0, "ignored": 0}
    for i, issue in enumerate(issues):
        where = f"data[{i}]"
        issue = f.expect_object(issue, path, where)
        attributes = f.expect_object(issue.get("attributes"), path, f"{where}.attributes")
        kind = str(attributes.get("type") or "package_vulnerability").lower()
        if kind == "license":
            skipped["of type license (not vulnerabilities)"] += 1
            continue
        if attributes.get("ignored") is True:
            skipped["ignored"] += 1
            continue
        problems = [p for p in f.expect_list(attributes.get("problems"), path, f"{where}.attributes.problems") if isinstance(p, dict)]
        cve = next((p.get("id") for p in problems if str(p.get("id", "")).upper().startswith("CVE-")), None)
        resolved = str(attributes.get("status") or "").lower() == "resolved"
        common = {
            SOURCE_ROW: i + 1, f.RECORD: where,
            "asset_id": dig(issue, "relationships", "scan_item", "data", "id"),
            "vulnerability_id": cve or attributes.get("key"), "snyk_key": attributes.get("key"),
            "title": attributes.get("title"), "severity": attributes.get("effective_severity_level"),
            "finding_class": REST_CLASSES.get(kind, "vulnerability"), "issue_type": kind,
            "status": attributes.get("status"),
            "fixed_at": (dig(attributes, "resolution", "resolved_at") or attributes.get("updated_at")) if resolved else None,
            "created_at": attributes.get("created_at"), "risk_score": dig(attributes, "risk", "score", "value"),
            "exploit_sources": dig(attributes, "exploit_details", "sources"),
        }
        representations = [
            r for c in f.expect_list(attributes.get("coordinates"), path, f"{where}.attributes.coordinates")
            if isinstance(c, dict) for r in c.get("representations") or [] if isinstance(r, dict)
        ] or [{}]
        for representation in representations:
            rows.append({
                **common,
                "package": dig(representation, "dependency", "package_name") or dig(representation, "sourceLocation", "file")
                or representation.get("resourcePath"),
                "installed_version": dig(representation, "dependency", "package_version"),
                "line": dig(representation, "sourceLocation", "region", "start", "line"),
            })
    return rows, skipped
