"""GitHub Dependabot alerts: REST (`GET /repos/{owner}/{repo}/dependabot/alerts`, and the org /
enterprise listings: a JSON array of alerts) and GraphQL (`repository.vulnerabilityAlerts.nodes`,
also under `search.nodes[]` or `organization.repositories.nodes[]`).

Structure: GitHub REST API docs "Dependabot alerts" (number, state open/fixed/dismissed/
auto_dismissed, dependency.package.{ecosystem,name}, dependency.manifest_path,
security_advisory.{ghsa_id,cve_id,severity,cvss}, security_vulnerability.{severity,
first_patched_version}, created_at, updated_at, fixed_at, dismissed_at, auto_dismissed_at) and
GraphQL `RepositoryVulnerabilityAlert` (state OPEN/FIXED/DISMISSED/AUTO_DISMISSED,
securityVulnerability.{severity,package,advisory{ghsaId,identifiers,cvss}}, createdAt, fixedAt,
dismissedAt, vulnerableManifestPath); public GraphQL samples DefectDojo/django-DefectDojo
`unittests/scans/github_vulnerability/*.json` (BSD-3-Clause). Own samples follow these.

COUNTING RULE: one alert = one row, key (dependabot, owner/repo, CVE else GHSA, package): one
advisory on one package in two manifests of a repository is two alerts and one finding (the
repeat counted as a duplicate; the manifest in `_extra`). State dismissed / auto_dismissed:
skipped and counted; fixed: a row with `fixed_at`. The list is a snapshot of the repositories
it names (rules in `_api_findings`): scanned_at the latest `updated_at` (REST; GraphQL carries
none -> the file's modification time).

Fields: scanner `dependabot`; asset_id the repository (`repository.full_name`, else from
`html_url`; GraphQL: `nameWithOwner` of the enclosing repository node, else its `name`, else
the alert's `repository.nameWithOwner`; a query that selects none of them leaves it blank and
the loader refuses the rows: select `nameWithOwner`);
vulnerability_id `security_advisory.cve_id` else `ghsa_id` (GraphQL: the CVE identifier, else
`ghsaId`); package `dependency.package.name`; severity `security_vulnerability.severity` (else
the advisory's); cvss_score `security_advisory.cvss_severities.cvss_v3.score`, else
`cvss.score` (0 means unscored: blank); EPSS to `_extra`; finding_class vulnerability.
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
from ingest.formats.scanner._github import repository
from ingest.rules import ParseContext

SKIPPED = ("dismissed", "auto_dismissed")


def _is_rest_alert(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("security_advisory"), dict) and (
        isinstance(value.get("dependency"), dict) and "state" in value)


def _graphql_repositories(document: Any) -> list[dict] | None:
    """The repository nodes holding `vulnerabilityAlerts` of a GraphQL response, else None."""
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        return None
    candidates: list[Any] = []
    repo = data.get("repository")
    if isinstance(repo, dict):
        candidates.append(repo)
        owner = repo.get("nameWithOwner") or repo.get("name")  # inherited by nodes nested under it
        candidates += [{"nameWithOwner": owner, **n} if isinstance(n, dict) and owner and not n.get("nameWithOwner") else n
                       for n in dig(repo, "search", "nodes") or []]
    candidates += dig(data, "search", "nodes") or []
    candidates += dig(data, "organization", "repositories", "nodes") or []
    found = [c for c in candidates if isinstance(c, dict) and isinstance(c.get("vulnerabilityAlerts"), dict)]
    return found or None


def _shape(document: Any) -> str | None:
    if isinstance(document, list) and _is_rest_alert(_structure.first_record(document)):
        return "rest"
    if _graphql_repositories(document) is not None:
        return "graphql"
    return None


class GithubDependabotAlertsJson(ExportFormat):
    name: ClassVar[str] = "github_dependabot_alerts_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _shape(_structure.json_document(path, head)) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        shape = _shape(document)
        skipped = {state: 0 for state in SKIPPED}
        rows: list[dict] = []
        if shape == "rest":
            for i, alert in enumerate(document):
                alert = f.expect_object(alert, path, f"[{i}]")
                state = str(alert.get("state") or "").lower()
                if state in SKIPPED:
                    skipped[state] += 1
                    continue
                rows.append(_rest_row(i + 1, alert, state))
            scanned_at = api.scan_time(a.get("updated_at") for a in document if isinstance(a, dict))
            source = "latest updated_at"
        elif shape == "graphql":
            number = 0
            for r, repo in enumerate(_graphql_repositories(document)):
                asset = repo.get("nameWithOwner") or repo.get("name")
                for n, node in enumerate(f.expect_list(dig(repo, "vulnerabilityAlerts", "nodes"), path,
                                                       f"repository {r + 1}.vulnerabilityAlerts.nodes")):
                    number += 1
                    node = f.expect_object(node, path, f"repository {r + 1} alert {n + 1}")
                    state = str(node.get("state") or "open").lower()
                    if state in SKIPPED or (node.get("dismissedAt") and state == "open"):
                        skipped["dismissed" if state == "open" else state] += 1
                        continue
                    rows.append(_graphql_row(number, asset or dig(node, "repository", "nameWithOwner"), node, state))
            scanned_at, source = None, "none"
        else:
            raise ExportError(f"{path}: not a Dependabot alerts list (REST array or GraphQL vulnerabilityAlerts)")
        notes = api.skipped_note({f"in state {k}": v for k, v in skipped.items()}, "alert(s)")
        frame = api.frame(rows, path, data, context, scanner="dependabot", scanned_at=scanned_at,
                          scanned_at_source=source, notes=notes)
        if not rows and not any(skipped.values()):
            notes.append("no alert in the file: nothing loaded")
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _rest_row(number: int, alert: dict, state: str) -> dict:
    advisory = alert.get("security_advisory") or {}
    asset, asset_source = repository(alert)
    score = dig(advisory, "cvss_severities", "cvss_v3", "score") or dig(advisory, "cvss", "score")
    epss = advisory.get("epss")
    return {
        SOURCE_ROW: number, f.RECORD: f"[{number - 1}]", "asset_id": asset, "asset_id_source": asset_source,
        "vulnerability_id": advisory.get("cve_id") or advisory.get("ghsa_id"), "ghsa_id": advisory.get("ghsa_id"),
        "title": advisory.get("summary"),
        "severity": dig(alert, "security_vulnerability", "severity") or advisory.get("severity"),
        "cvss_score": score if score not in (0, 0.0) else None,
        "package": dig(alert, "dependency", "package", "name"),
        "ecosystem": dig(alert, "dependency", "package", "ecosystem"),
        "manifest_path": dig(alert, "dependency", "manifest_path"), "scope": dig(alert, "dependency", "scope"),
        "first_patched_version": dig(alert, "security_vulnerability", "first_patched_version", "identifier"),
        "epss": epss[0].get("percentage") if isinstance(epss, list) and epss and isinstance(epss[0], dict) else None,
        "fixed_at": (alert.get("fixed_at") or alert.get("updated_at")) if state == "fixed" else None,
        "state": state, "alert_number": alert.get("number"), "created_at": alert.get("created_at"),
        "finding_class": "vulnerability",
    }


def _graphql_row(number: int, asset: Any, node: dict, state: str) -> dict:
    vulnerability = node.get("securityVulnerability") or {}
    advisory = vulnerability.get("advisory") or {}
    identifiers = [i for i in advisory.get("identifiers") or [] if isinstance(i, dict)]
    cve = next((i.get("value") for i in identifiers if str(i.get("type")).upper() == "CVE"), None)
    score = dig(advisory, "cvss", "score")
    return {
        SOURCE_ROW: number, f.RECORD: f"alert {number}", "asset_id": asset,
        "vulnerability_id": cve or advisory.get("ghsaId") or next((i.get("value") for i in identifiers), None),
        "ghsa_id": advisory.get("ghsaId"), "title": advisory.get("summary"),
        "severity": vulnerability.get("severity"), "cvss_score": score if score not in (0, 0.0) else None,
        "package": dig(vulnerability, "package", "name"), "ecosystem": dig(vulnerability, "package", "ecosystem"),
        "manifest_path": node.get("vulnerableManifestPath"),
        "first_patched_version": dig(vulnerability, "firstPatchedVersion", "identifier"),
        "fixed_at": node.get("fixedAt") if state == "fixed" or node.get("fixedAt") else None,
        "state": state, "alert_id": node.get("id"), "created_at": node.get("createdAt"),
        "finding_class": "vulnerability",
    }
