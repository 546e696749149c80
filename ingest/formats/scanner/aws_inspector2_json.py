"""AWS Inspector2 findings (`aws inspector2 list-findings`: `{"findings": [...], "nextToken"?}`).

Structure: AWS Inspector2 API reference (`Finding`, `PackageVulnerabilityDetails`,
`NetworkReachabilityDetails`, `CodeVulnerabilityDetails`, `Resource`); public samples
DefectDojo/django-DefectDojo `unittests/scans/aws_inspector2/*.json` (BSD-3-Clause). Own
samples follow that structure.

COUNTING RULE: one row per (finding, resource, vulnerable package): Inspector names one
resource per finding and usually one package; a finding listing several packages (a kernel and
its headers) gives one row per package, since the canonical key holds the package. A
NETWORK_REACHABILITY or CODE_VULNERABILITY finding has no package list: one row per resource.
Findings in status SUPPRESSED are skipped and counted; CLOSED ones are rows with fixed_at.
The list is a snapshot (rules in `_api_findings`): scan_id the file's hash, scanned_at the
latest `lastObservedAt` of the file (else `updatedAt`, else the file's modification time).

Fields:
- scanner: `inspector2`. asset_id: `resources[].id` (instance id, ECR image ARN with digest,
  Lambda ARN); resource type, region, account and image tags to `_extra`. Environment by `_assets`.
- finding_class by `type`: PACKAGE_VULNERABILITY -> vulnerability, NETWORK_REACHABILITY ->
  misconfiguration (an open path to a port), CODE_VULNERABILITY -> code.
- vulnerability_id: `packageVulnerabilityDetails.vulnerabilityId` (CVE, GHSA, ALAS ...); a code
  finding: `codeVulnerabilityDetails.detectorId`; a network finding: `inspector2:network:
  <protocol>/<begin>-<end>` from `networkReachabilityDetails` (else the title).
- package: `vulnerablePackages[].name` (version, fixedInVersion, packageManager, filePath to
  `_extra`); a code finding: its `filePath.filePath`.
- severity: `severity` (CRITICAL..INFORMATIONAL; UNTRIAGED is blank, so derived from CVSS).
- cvss_score: the NVD entry of `packageVulnerabilityDetails.cvss[]` (newest version), else
  `inspectorScore`; `_extra.inspector_score` keeps Inspector's adjusted score.
- exploited_in_wild: true when `exploitabilityDetails.lastKnownExploitAt` is set (Inspector saw
  an exploitation); `exploitAvailable` (public exploit code) and `fixAvailable` go to `_extra`.
- fixed_at: `updatedAt` of a CLOSED finding (`_extra.status` keeps the status).
- EPSS `epss.score` -> `_extra.epss`.
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

CLASSES = {"PACKAGE_VULNERABILITY": "vulnerability", "NETWORK_REACHABILITY": "misconfiguration",
           "CODE_VULNERABILITY": "code"}


def _is_inspector_finding(record: Any) -> bool:
    return isinstance(record, dict) and "findingArn" in record and isinstance(record.get("resources"), list) and (
        "type" in record and "severity" in record)


def _inspector_list(document: Any) -> bool:
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        return False
    first = _structure.first_record(document["findings"])
    return _is_inspector_finding(first) or (document["findings"] == [] and set(document) <= {"findings", "nextToken"})


class AwsInspector2Json(ExportFormat):
    name: ClassVar[str] = "aws_inspector2_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _inspector_list(_structure.json_document(path, head))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.expect_object(f.load_json(path, data), path, "the document")
        if not _inspector_list(document):
            raise ExportError(f"{path}: not an Inspector2 list-findings response (findings[] with findingArn)")
        findings = document["findings"]
        rows: list[dict[str, Any]] = []
        suppressed = 0
        for index, finding in enumerate(findings):
            where = f"findings[{index}]"
            finding = f.expect_object(finding, path, where)
            status = str(finding.get("status") or "").upper()
            if status == "SUPPRESSED":
                suppressed += 1
                continue
            rows += _rows(index + 1, where, finding, status, path)
        times = [x.get("lastObservedAt") for x in findings if isinstance(x, dict)]
        source = "lastObservedAt"
        if not any(times):
            times, source = [x.get("updatedAt") for x in findings if isinstance(x, dict)], "updatedAt"
        notes = api.skipped_note({"in status SUPPRESSED": suppressed})
        frame = api.frame(rows, path, data, context, scanner="inspector2",
                          scanned_at=api.scan_time(times), scanned_at_source=f"latest {source}", notes=notes)
        if not findings:
            notes.append("an empty findings list names no resource: nothing loaded")
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _rows(number: int, where: str, finding: dict, status: str, path: Path) -> list[dict[str, Any]]:
    kind = str(finding.get("type") or "PACKAGE_VULNERABILITY").upper()
    details = f.expect_object(finding.get("packageVulnerabilityDetails"), path, f"{where}.packageVulnerabilityDetails",
                              optional=True)
    code = f.expect_object(finding.get("codeVulnerabilityDetails"), path, f"{where}.codeVulnerabilityDetails",
                           optional=True)
    network = f.expect_object(finding.get("networkReachabilityDetails"), path,
                              f"{where}.networkReachabilityDetails", optional=True)
    if kind == "CODE_VULNERABILITY":
        vulnerability_id = code.get("detectorId") or finding.get("title")
        packages = [{"name": dig(code, "filePath", "filePath") or dig(code, "filePath", "fileName")}]
    elif kind == "NETWORK_REACHABILITY":
        ports = network.get("openPortRange") or {}
        vulnerability_id = (
            f"inspector2:network:{network.get('protocol') or 'any'}/{ports.get('begin')}-{ports.get('end')}"
            if ports else finding.get("title")
        )
        packages = [{}]
    else:
        vulnerability_id = details.get("vulnerabilityId")
        packages = [p for p in f.expect_list(details.get("vulnerablePackages"), path,
                                             f"{where}.packageVulnerabilityDetails.vulnerablePackages")
                    if isinstance(p, dict)] or [{}]
    nvd = [c for c in f.expect_list(details.get("cvss"), path, f"{where}.packageVulnerabilityDetails.cvss")
           if isinstance(c, dict) and str(c.get("source", "")).upper() == "NVD" and c.get("baseScore") is not None]
    nvd.sort(key=lambda c: str(c.get("version") or ""), reverse=True)
    cvss, cvss_source = (nvd[0]["baseScore"], f"NVD {nvd[0].get('version')}") if nvd else (
        finding.get("inspectorScore"), "inspectorScore")
    severity = str(finding.get("severity") or "")
    resources = [r for r in f.expect_list(finding.get("resources"), path, f"{where}.resources") if isinstance(r, dict)]
    common = {
        SOURCE_ROW: number, f.RECORD: where,
        "vulnerability_id": vulnerability_id, "title": finding.get("title"),
        "severity": None if severity.upper() == "UNTRIAGED" else severity or None,
        "cvss_score": cvss, "cvss_source": cvss_source if cvss is not None else None,
        "exploited_in_wild": "true" if dig(finding, "exploitabilityDetails", "lastKnownExploitAt") else None,
        "fixed_at": finding.get("updatedAt") if status == "CLOSED" else None,
        "finding_class": CLASSES.get(kind, "vulnerability"),
        "finding_type": kind, "status": status or None, "finding_arn": finding.get("findingArn"),
        "inspector_score": finding.get("inspectorScore"), "inspector_severity": severity or None,
        "exploit_available": finding.get("exploitAvailable"), "fix_available": finding.get("fixAvailable"),
        "last_known_exploit_at": dig(finding, "exploitabilityDetails", "lastKnownExploitAt"),
        "epss": dig(finding, "epss", "score"), "first_observed_at": finding.get("firstObservedAt"),
        "last_observed_at": finding.get("lastObservedAt"), "aws_account_id": finding.get("awsAccountId"),
        "vendor_severity": details.get("vendorSeverity"), "cwes": code.get("cwes"),
    }
    out = []
    for resource in resources or [{}]:
        for package in packages:
            out.append({
                **common,
                "asset_id": resource.get("id"), "resource_type": resource.get("type"),
                "region": resource.get("region"),
                "image_tags": dig(resource, "details", "awsEcrContainerImage", "imageTags"),
                "package": package.get("name"), "installed_version": package.get("version"),
                "fixed_version": package.get("fixedInVersion"), "package_manager": package.get("packageManager"),
                "package_path": package.get("filePath"),
            })
    return out
