"""GitHub code-scanning alerts (REST `GET /repos/{owner}/{repo}/code-scanning/alerts`, and the
org / enterprise listings: a JSON array of alerts).

Structure: GitHub REST API docs "Code scanning" (number, state open/dismissed/fixed,
fixed_at, dismissed_at, rule.{id,severity,security_severity_level,tags}, tool.{name,version},
most_recent_instance.{location.path,start_line,ref,category}, created_at, updated_at); public
samples DefectDojo/django-DefectDojo `unittests/scans/github_sast/*.json` (BSD-3-Clause). Own
samples follow that structure.

COUNTING RULE: one alert = one row, key (tool, owner/repo, rule id, file path). State
dismissed: skipped and counted; fixed: a row with `fixed_at` (else `updated_at`). The list is a
snapshot of the repositories it names (rules in `_api_findings`): scanned_at the latest
`updated_at`.

Fields: scanner = `tool.name` lower-cased (codeql, semgrep, trivy, ...); asset_id the
repository (`repository.full_name`, else from `html_url`/`url`); vulnerability_id `rule.id`;
package `most_recent_instance.location.path` (the file; line, ref and message to `_extra`);
severity `rule.security_severity_level` (critical..low), else `rule.severity` as SARIF levels
(error -> high, warning -> medium, note -> low, none -> info; `_extra.severity_source`);
finding_class: code, except secret for a secret scanner (gitleaks, trufflehog, detect-secrets,
ggshield / GitGuardian, `secret` in the rule tags), misconfiguration for an IaC or config
scanner (checkov, tfsec, kics, terrascan, hadolint, dockle, kube-linter, kubesec, or
`misconfiguration`/`iac` tags), and vulnerability when the rule id is a CVE (Trivy or Grype
uploading image results). Values such as the string "None" (as some exports write nulls) are
blank.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.iam._json_records import dig
from ingest.formats.scanner import _api_findings as api
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner._github import repository
from ingest.rules import ParseContext

LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
SECRET_TOOLS = re.compile(r"(?i)gitleaks|trufflehog|detect-secrets|ggshield|gitguardian|secret")
CONFIG_TOOLS = re.compile(r"(?i)checkov|tfsec|kics|terrascan|hadolint|dockle|kube-?linter|kubesec|cfn[-_ ]?(lint|nag)")
CVE = re.compile(rf"^{f.CVE_PATTERN}$", re.IGNORECASE)
NULL_WORDS = ("none", "null", "")


def _is_alert(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("rule"), dict) and isinstance(value.get("tool"), dict) and (
        "most_recent_instance" in value and "state" in value)


def _clean(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip().lower() in NULL_WORDS else value


class GithubCodeScanningAlertsJson(ExportFormat):
    name: ClassVar[str] = "github_code_scanning_alerts_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        document = _structure.json_document(path, head)
        return isinstance(document, list) and _is_alert(_structure.first_record(document))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        if not (isinstance(document, list) and _is_alert(_structure.first_record(document))):
            raise ExportError(f"{path}: not a code-scanning alerts list (an array of alerts with rule and tool)")
        rows, dismissed = [], 0
        for i, alert in enumerate(document):
            alert = f.expect_object(alert, path, f"[{i}]")
            state = str(alert.get("state") or "").lower()
            if state == "dismissed":
                dismissed += 1
                continue
            rows.append(_row(i + 1, alert, state))
        notes = api.skipped_note({"in state dismissed": dismissed}, "alert(s)")
        frame = api.frame(rows, path, data, context, scanner=None,
                          scanned_at=api.scan_time(_clean(a.get("updated_at")) for a in document if isinstance(a, dict)),
                          scanned_at_source="latest updated_at", notes=notes)
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _class(tool: str, rule_id: str, tags: list[str]) -> str:
    words = " ".join(tags).lower()
    if CVE.match(rule_id or ""):
        return "vulnerability"
    if SECRET_TOOLS.search(tool) or "secret" in words:
        return "secret"
    if CONFIG_TOOLS.search(tool) or "misconfiguration" in words or re.search(r"\biac\b", words):
        return "misconfiguration"
    return "code"


def _row(number: int, alert: dict, state: str) -> dict:
    rule = alert.get("rule") or {}
    tool = str(dig(alert, "tool", "name") or "")
    instance = alert.get("most_recent_instance") or {}
    tags = [str(t) for t in rule.get("tags") or []]
    security = _clean(rule.get("security_severity_level"))
    level = str(_clean(rule.get("severity")) or "").lower()
    severity, source = (security, "rule.security_severity_level") if security else (
        LEVEL_SEVERITY.get(level, level or None), "rule.severity" if level else None)
    asset, asset_source = repository(alert)
    rule_id = str(rule.get("id") or rule.get("name") or "")
    return {
        SOURCE_ROW: number, f.RECORD: f"[{number - 1}]", "scanner": tool.strip().lower() or None,
        "asset_id": asset, "asset_id_source": asset_source, "vulnerability_id": rule_id or None,
        "title": rule.get("description") or dig(instance, "message", "text"),
        "severity": severity, "severity_source": source,
        "package": dig(instance, "location", "path"), "line": dig(instance, "location", "start_line"),
        "ref": instance.get("ref"), "category": instance.get("category"), "message": dig(instance, "message", "text"),
        "fixed_at": (_clean(alert.get("fixed_at")) or _clean(alert.get("updated_at"))) if state == "fixed" else None,
        "state": state, "alert_number": alert.get("number"), "tool_version": _clean(dig(alert, "tool", "version")),
        "rule_severity": level or None, "tags": tags or None, "created_at": alert.get("created_at"),
        "finding_class": _class(tool, rule_id, tags),
    }
