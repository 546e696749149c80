"""AWS Security Finding Format (ASFF) JSON, as `aws securityhub get-findings` writes it
(`{"Findings": [...], "NextToken"?}`) and as producers such as Prowler write it (a bare array).

Structure: AWS Security Hub "AWS Security Finding Format (ASFF)" syntax (`SchemaVersion`
2018-10-08, `Id`, `ProductArn`, `ProductName`, `GeneratorId`, `Types`, `Severity.Label`,
`Resources[]`, `Vulnerabilities[]`, `Compliance`, `Workflow.Status`, `RecordState`); public
samples DefectDojo/django-DefectDojo `unittests/scans/awssecurityhub/*.json` and
`unittests/scans/asff/prowler-output.asff.json` (BSD-3-Clause). Own samples follow that syntax.

COUNTING RULE: one row per (finding, resource, vulnerability, vulnerable package): a finding
with `Vulnerabilities[]` gives one row per resource, vulnerability and package; any other
finding one row per resource. The list is a snapshot (rules in `_api_findings`): scan_id the
file's hash, scanned_at the latest `UpdatedAt`. Skipped and counted:
- `RecordState` ARCHIVED (the producer withdrew the finding) and `Workflow.Status` SUPPRESSED;
- `Compliance.Status` PASSED (a check that passed, not a finding). An asset all of whose
  findings passed gets one clean-scan row, so a control it failed before is closed;
- threat detections (`Types` TTPs/, Effects/, Unusual Behaviors/: GuardDuty, Detective) are
  incidents to investigate, not findings of a class: skipped.
`Workflow.Status` RESOLVED -> fixed_at = `UpdatedAt`.

Fields:
- scanner: `ProductName` (else `ProductFields.aws/securityhub/ProductName`, else the product
  ARN's last part), lower-cased: "inspector", "security hub", "prowler", ... (one Security Hub
  export holds several products). An Inspector finding loaded both through Security Hub and
  from Inspector2 directly is two findings (other scanner name and asset id form): load one.
- asset_id: `Resources[].Id` (an ARN); an id that is not an ARN (Prowler's account id or "No
  trails" of a regional check) with a `Region` is `<Region>/<Id>`, one asset per region, so the
  regional results of one check are not collapsed. Type and region to `_extra`.
- finding_class: `Vulnerabilities[]` or a `Types` entry under .../Vulnerabilities -> vulnerability;
  `Types` under Sensitive Data Identifications -> secret; anything else with `Compliance` or
  under Software and Configuration Checks / an ASFF check category -> misconfiguration.
- vulnerability_id: `Vulnerabilities[].Id` (CVE/GHSA); else `Compliance.SecurityControlId`
  (EC2.19), else `GeneratorId`, else `Title`. package: `VulnerablePackages[].Name`.
- severity: `Severity.Label` (INFORMATIONAL -> info downstream), else `Severity.Original`.
- cvss_score: the first `Vulnerabilities[].Cvss[]` `BaseScore` (NVD first), else
  `ProductFields.aws/inspector/inspectorScore`.
- exploited_in_wild: blank (`ExploitAvailable` is public exploit code: `_extra`).
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

THREAT_TYPES = ("TTPs/", "Effects/", "Unusual Behaviors/")


def _is_asff(record: Any) -> bool:
    return (isinstance(record, dict) and str(record.get("SchemaVersion", "")).startswith("2018-10-08")
            and "ProductArn" in record and "Resources" in record)


def _findings_of(document: Any) -> list | None:
    for key in ("Findings", "findings"):  # the CLI writes Findings; some exporters lower-case it
        if isinstance(document, dict) and isinstance(document.get(key), list):
            first = _structure.first_record(document[key])
            if _is_asff(first) or (document[key] == [] and set(document) <= {"Findings", "NextToken"}):
                return document[key]
    if isinstance(document, list) and _is_asff(_structure.first_record(document)):
        return document
    return None


class AwsSecurityHubAsffJson(ExportFormat):
    name: ClassVar[str] = "aws_securityhub_asff_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _findings_of(_structure.json_document(path, head)) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        findings = _findings_of(f.load_json(path, data))
        if findings is None:
            raise ExportError(f"{path}: not an ASFF findings list (Findings[] with SchemaVersion 2018-10-08)")
        rows: list[dict[str, Any]] = []
        skipped = {"with RecordState ARCHIVED": 0, "in Workflow.Status SUPPRESSED": 0,
                   "with Compliance.Status PASSED (checks that passed)": 0,
                   "of threat-detection types (TTPs, Effects, Unusual Behaviors)": 0}
        passed_assets: dict[str, int] = {}
        for index, finding in enumerate(findings):
            where = f"Findings[{index}]"
            finding = f.expect_object(finding, path, where)
            types = [str(t) for t in f.expect_list(finding.get("Types"), path, f"{where}.Types")]
            resources = [r for r in f.expect_list(finding.get("Resources"), path, f"{where}.Resources") if isinstance(r, dict)]
            if str(finding.get("RecordState") or "").upper() == "ARCHIVED":
                skipped["with RecordState ARCHIVED"] += 1
            elif str(dig(finding, "Workflow", "Status") or "").upper() == "SUPPRESSED":
                skipped["in Workflow.Status SUPPRESSED"] += 1
            elif str(dig(finding, "Compliance", "Status") or "").upper() == "PASSED":
                skipped["with Compliance.Status PASSED (checks that passed)"] += 1
                for resource in resources:
                    if _asset(resource):
                        passed_assets.setdefault(_asset(resource), index + 1)
            elif types and all(t.startswith(THREAT_TYPES) for t in types):
                skipped["of threat-detection types (TTPs, Effects, Unusual Behaviors)"] += 1
            else:
                rows += _rows(index + 1, where, finding, types, resources, path)
        with_rows = {r["asset_id"] for r in rows}
        rows += [{SOURCE_ROW: f.CLEAN_SCAN_ROW, f.RECORD: f"Findings[{number - 1}]", "asset_id": asset,
                  "scanner": None, "finding_class": "misconfiguration"}
                 for asset, number in passed_assets.items() if asset not in with_rows]
        for row in rows:  # a clean-scan row belongs to the product that checked the asset
            if row["scanner"] is None:
                row["scanner"] = _scanner(findings[int(row[f.RECORD][9:-1])])
        notes = api.skipped_note(skipped)
        frame = api.frame(rows, path, data, context, scanner=None,
                          scanned_at=api.scan_time(x.get("UpdatedAt") for x in findings if isinstance(x, dict)),
                          scanned_at_source="latest UpdatedAt", notes=notes)
        if not findings:
            notes.append("an empty findings list names no resource: nothing loaded")
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _scanner(finding: dict) -> str | None:
    name = finding.get("ProductName") or dig(finding, "ProductFields", "aws/securityhub/ProductName")
    if not name:
        name = str(finding.get("ProductArn") or "").rsplit("/", 1)[-1] or None
    return str(name).strip().lower() if name else None


def _asset(resource: dict) -> str | None:
    """The resource id; one that is not an ARN (an account id, a name) with a Region is
    `<Region>/<Id>`, so a regional check of one account is one asset per region."""
    identifier = resource.get("Id")
    if identifier is None:
        return None
    identifier = str(identifier)
    if not identifier.startswith("arn:") and resource.get("Region"):
        return f"{resource['Region']}/{identifier}"
    return identifier


def _class(types: list[str], vulnerabilities: list, finding: dict) -> str:
    if vulnerabilities or any("/Vulnerabilities" in t for t in types):
        return "vulnerability"
    if any(t.startswith("Sensitive Data Identifications") for t in types):
        return "secret"
    return "misconfiguration"


def _rows(number: int, where: str, finding: dict, types: list[str], resources: list[dict], path: Path) -> list[dict]:
    vulnerabilities = [v for v in f.expect_list(finding.get("Vulnerabilities"), path, f"{where}.Vulnerabilities")
                       if isinstance(v, dict)]
    severity = dig(finding, "Severity", "Label") or dig(finding, "Severity", "Original")
    workflow = str(dig(finding, "Workflow", "Status") or "").upper()
    common = {
        SOURCE_ROW: number, f.RECORD: where, "scanner": _scanner(finding), "title": finding.get("Title"),
        "severity": severity, "finding_class": _class(types, vulnerabilities, finding),
        "fixed_at": finding.get("UpdatedAt") if workflow == "RESOLVED" else None,
        "finding_id": finding.get("Id"), "generator_id": finding.get("GeneratorId"), "types": types or None,
        "workflow_status": workflow or None, "record_state": finding.get("RecordState"),
        "compliance_status": dig(finding, "Compliance", "Status"),
        "security_control_id": dig(finding, "Compliance", "SecurityControlId"),
        "severity_normalized": dig(finding, "Severity", "Normalized"),
        "aws_account_id": finding.get("AwsAccountId"), "first_observed_at": finding.get("FirstObservedAt"),
        "last_observed_at": finding.get("LastObservedAt"),
    }
    check_id = dig(finding, "Compliance", "SecurityControlId") or finding.get("GeneratorId") or finding.get("Title")
    inspector_score = dig(finding, "ProductFields", "aws/inspector/inspectorScore")
    entries: list[dict] = []
    for vulnerability in vulnerabilities:
        scores = [c for c in vulnerability.get("Cvss") or [] if isinstance(c, dict) and c.get("BaseScore") is not None]
        scores.sort(key=lambda c: (str(c.get("Source", "")).upper() != "NVD", -float(str(c.get("Version") or 0)[:3] or 0)))
        packages = [p for p in vulnerability.get("VulnerablePackages") or [] if isinstance(p, dict)] or [{}]
        for package in packages:
            entries.append({
                "vulnerability_id": vulnerability.get("Id"),
                "cvss_score": scores[0]["BaseScore"] if scores else inspector_score,
                "cvss_source": (f"{scores[0].get('Source') or 'Cvss'} {scores[0].get('Version') or ''}".strip()
                                if scores else ("inspectorScore" if inspector_score is not None else None)),
                "package": package.get("Name"), "installed_version": package.get("Version"),
                "fixed_version": package.get("FixedInVersion"), "package_manager": package.get("PackageManager"),
                "exploit_available": vulnerability.get("ExploitAvailable"), "fix_available": vulnerability.get("FixAvailable"),
            })
    if not entries:
        entries = [{"vulnerability_id": check_id, "cvss_score": inspector_score,
                    "cvss_source": "inspectorScore" if inspector_score is not None else None}]
    out = []
    for resource in resources or [{}]:
        for entry in entries:
            out.append({**common, **entry, "asset_id": _asset(resource), "resource_id": resource.get("Id"),
                        "resource_type": resource.get("Type"), "region": resource.get("Region")})
    return out
