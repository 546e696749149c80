"""SARIF 2.1.0 log from any scanner (CodeQL, Semgrep, gitleaks, Dockle, Grype, Trivy, OWASP dependency-check...).

Structures (cited, not copied): the OASIS SARIF 2.1.0 specification; DefectDojo/django-
DefectDojo unittests/scans/sarif/ (BSD-3-Clause): gitleaks_7.5.0.sarif (results without
any rule reference), dockle_0_3_15.sarif (no location, no asset), semgrepowasp-benchmark-
sample.sarif, codeQL-output.sarif; Semgrep 1.69's rule `properties.security-severity`
written as a word (issue 17). The in-repo samples follow those shapes.

Counting rule: one row per `runs[].results[]` entry that reports a problem; the
canonical finding is the key (scanner, asset, vulnerability_id, package), so one
rule firing at several lines of one file is one finding (lines in `_extra`).
Results that report no problem are not loaded: `kind` "pass" or "notApplicable",
and `baselineState` "absent" (present in the baseline, gone now: the snapshot
closes it). Each run is one scan; a result with several locations is one row (its
first location). The rule of a result is its `ruleId`, else `rule.id`, else
`ruleIndex` / `rule.index` into `tool.driver.rules` (or the extension
`rule.toolComponent.index` names), else the driver rule whose id or name opens the
result's message (gitleaks 7: "AWS Access Key secret detected"); `_extra.rule_source`
says which. A result that names no rule by any of these cannot be keyed: it is refused
(ingest.rejected_rows) rather than loaded as a clean scan.

finding_class, by producer (`tool.driver.name`, lower-cased, containing the word) and rule:
- secret scanners (gitleaks, trufflehog, detect-secrets, ggshield/gitguardian,
  talisman, noseyparker, secretlint, kingfisher) -> secret;
- container and configuration linters (dockle, hadolint, checkov, tfsec, kics,
  terrascan, kube-linter, kubescape, cfn-lint, cfn_nag, conftest) -> misconfiguration;
- dependency scanners (grype, dependency-check, osv-scanner, pip-audit, npm audit,
  govulncheck, snyk open source, retire) -> vulnerability;
- Trivy by its rule's tags: misconfiguration, secret, else vulnerability;
- Semgrep: a Supply Chain rule (`ssc-...`) or a rule naming a CVE/GHSA -> vulnerability,
  a secrets rule (tag secret(s), or `.secrets.` in its id) -> secret, else code;
- code analysers (codeql, bandit, eslint, flawfinder, spotbugs, njsscan, mobsfscan,
  gosec, brakeman, sonar, pmd, devskim, bearer, snyk code, psalm, shellcheck,
  checkmarx, fortify, phpcs, horusec, pylint, clang) -> code;
- any other producer: vulnerability when its rule names a CVE or GHSA advisory, else
  code (a static-analysis result, what SARIF is for).

Fields, and what was completed by which rule:
- scanner: `tool.driver.name`, lower-cased ("codeql", "grype", "dependency-check").
- asset_id, per run: the category of `automationDetails.id` (everything before its
  last "/"; an id ending in "/" is all category), else
  `versionControlProvenance[0].repositoryUri`, else the URI of `originalUriBaseIds` SRCROOT (or its only base); that run-level asset makes the
  run a snapshot of the whole project, and a run without results gives a
  clean-scan row. When the run names none of these, the asset is each result's
  artifact location (`locations[0].physicalLocation.artifactLocation.uri`, through
  `run.artifacts[index]` when only the index is given, else `analysisTarget`): the
  run is then a snapshot of the artifacts it names only, and a run without results
  names nothing (noted, no row). Before the per-result location, a run listing
  exactly one `artifacts[]` entry takes that artifact as its asset. When neither the
  run nor the result names anything (Dockle), the tool's name is the asset (lower-cased,
  as the scanner), so the result is kept. `_extra.asset_id_source` names the rule used.
- scan_id: `automationDetails.guid`, else `automationDetails.id`, else
  `sha256:<hex>` of the file's bytes with `/runs[<n>]` for the run.
- scanned_at: the first `invocations[].endTimeUtc`, else `startTimeUtc`; none (most
  tools write no invocation) -> the file's modification time, marked
  `_extra.scanned_at_source = "fallback_file_mtime"`.
- vulnerability_id: the CVE in the rule id; else the advisory of a rule id shaped
  "<CVE or GHSA id>-<package>" (Grype's SARIF: "GHSA-57j2-w4cx-62h2-jackson-databind");
  else a CVE in the result's or rule's properties (`cve`, `cves`, `cveId`, `tags`);
  else the rule id itself (CodeQL "py/empty-except").
- package: `properties.package` / `packageName` of the result or rule; else the
  package part of a rule id shaped "<advisory>-<package>"; else, when the asset is
  the run's, the artifact location; else blank.
- cvss_score: the first of `security-severity` (GitHub's convention),
  `cvssv3_baseScore`, `cvssv2_score` (dependency-check) in the result's
  properties, else in the rule's. A severity word written there ("MEDIUM", Semgrep
  1.69) is not a score: it is read as the severity (below) when no
  `properties.severity` word is given, `_extra.severity_source` saying so; another
  non-numeric text is ignored.
- severity: a `properties.severity` word of the result or rule; else blank when
  there is a score (derived downstream from CVSS, SOURCES.md, as GitHub does from
  security-severity); else the SARIF level (`level`, the rule's
  `defaultConfiguration.level`, SARIF's default "warning"): error -> high,
  warning -> medium, note -> low, none -> info. `_extra.severity_source` says which.
- title: the rule's `shortDescription.text`, else its `name`, else the first line
  of the result message.
- asset_environment: completed by `_assets`. exploited_in_wild, fixed_at: blank.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_structure
from ingest.formats.base import REJECTED_SCHEMA, ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

SARIF_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*sarif', re.IGNORECASE)
SARIF_VERSION = re.compile(r'"version"\s*:\s*"2\.1\.0"')
RUNS_KEY = re.compile(r'"runs"\s*:')
CVE = re.compile(f.CVE_PATTERN, re.IGNORECASE)
# Grype names its SARIF rules "<advisory>-<package>": CVE-2008-0732-geronimo-jms_1.1_spec.
ADVISORY_THEN_PACKAGE = re.compile(rf"^({f.CVE_PATTERN}|GHSA(?:-[0-9a-z]{{4}}){{3}})-(.+)$", re.IGNORECASE)

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
SEVERITY_WORDS = {"critical", "high", "medium", "low", "info", "informational", "none", "moderate",
                  "important", "negligible"}
NOT_PROBLEMS = {"kind": ("pass", "notApplicable"), "baselineState": ("absent",)}
LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
SCORE_KEYS = ("security-severity", "cvssv3_baseScore", "cvssv2_score")
CVE_KEYS = ("cve", "cves", "cveId", "cve_id", "tags")
PACKAGE_KEYS = ("package", "packageName", "package_name")


class Sarif(ExportFormat):
    name: ClassVar[str] = "sarif"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: a top-level `runs` array and a SARIF `$schema` or `version`
        # 2.1.0, keys in any order; a document that does not parse is claimed from
        # the same keys in its head (parse names the break).
        doc = json_structure(path, head)
        if doc is None or doc.kind != "object":
            return False
        if not doc.parsed:
            text = doc.head_text
            return RUNS_KEY.search(text) is not None and (
                SARIF_SCHEMA.search(text) is not None or SARIF_VERSION.search(text) is not None)
        schema = doc.get("$schema")
        return isinstance(doc.get("runs"), list) and (
            doc.get("version") == "2.1.0" or (isinstance(schema, str) and "sarif" in schema.lower())
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        doc = f.expect_object(f.load_json(path, data), path, "the document")
        if doc.get("version") != "2.1.0":
            raise ExportError(f"{path}: SARIF version {doc.get('version')!r} is not supported (2.1.0 only)")
        runs = f.expect_list(doc.get("runs"), path, "runs")
        file_id = f.content_scan_id(data)

        rows: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        notes: list[str] = []
        skipped_results = 0
        record_number = 0
        for k, run in enumerate(runs):
            where = f"runs[{k}]"
            run = f.expect_object(run, path, where)
            scan = _run_scan(run, k, len(runs), file_id, path)
            rules = _RuleBook(run, path, where)
            artifacts = f.expect_list(run.get("artifacts"), path, f"{where}.artifacts")
            skipped = 0
            found = 0
            for m, result in enumerate(f.expect_list(run.get("results"), path, f"{where}.results")):
                record_number += 1
                result_where = f"{where}.results[{m}]"
                result = f.expect_object(result, path, result_where)
                if any(result.get(key) in values for key, values in NOT_PROBLEMS.items()):
                    skipped += 1
                    continue
                row = _result_row(result, rules, artifacts, scan, path, result_where)
                row[SOURCE_ROW] = record_number
                if row["rule_id"] is None:
                    refused.append({"entity": f.FINDINGS_TABLE, "source_row": record_number,
                                    "field": "vulnerability_id", "value": None,
                                    "reason": f"SARIF result {result_where} names no rule"})
                    continue
                found += 1
                rows.append(row)
            skipped_results += skipped
            if skipped:
                notes.append(f"{where}: {skipped} result(s) reporting no problem (pass, "
                             "notApplicable, absent) not loaded")
            if not found:
                if scan["asset_id"] is not None:
                    rows.append({**scan, f.RECORD: where, SOURCE_ROW: f.CLEAN_SCAN_ROW})
                else:
                    notes.append(f"{where}: no finding and no run-level asset: nothing to record")

        frame = _frame(rows, path)
        frame = f.with_scan_time(frame, path)
        rejected = pl.DataFrame(refused, schema=REJECTED_SCHEMA) if refused else pl.DataFrame(schema=REJECTED_SCHEMA)
        return ParsedExport(
            format_name=self.name,
            entities={f.FINDINGS_TABLE: f.finish(frame, path, context) if rows else f.empty_findings()},
            rejected=rejected,
            notes=notes,
            records=record_number,
            skipped={"result reporting no problem (kind pass or notApplicable, baselineState absent)":
                     skipped_results} if skipped_results else {},
        )


# Columns of the rows built per result (text unless listed in _frame).
ROW_COLUMNS = (
    f.RECORD, SOURCE_ROW, "scan_id", "scanned_at", f.SCANNED_AT_SOURCE, "scanner", "tool_version",
    "asset_id", "asset_id_source", "vulnerability_id", "rule_id", "rule_source", "finding_class", "title", "severity",
    "severity_source", "level", "cvss_score", "package", "location", "start_line",
    "fingerprint", "suppressed", "baseline_state",
)


def _frame(rows: list[dict[str, Any]], path: Path) -> pl.DataFrame:
    schema = {name: pl.String for name in ROW_COLUMNS}
    schema.update({SOURCE_ROW: pl.Int64, "cvss_score": pl.Float64, "start_line": pl.Int64,
                   "suppressed": pl.Boolean})
    columns = {name: [row.get(name) for row in rows] for name in ROW_COLUMNS}
    return f.frame_from_columns(columns, schema, path)


def _run_scan(run: dict, k: int, runs: int, file_id: str, path: Path) -> dict[str, Any]:
    """What a run says about its scan: tool, run-level asset, id and time."""
    where = f"runs[{k}]"
    tool = f.expect_object(run.get("tool"), path, f"{where}.tool")
    driver = f.expect_object(tool.get("driver"), path, f"{where}.tool.driver")
    scanner = f.scalar(driver.get("name"), path, f"{where}.tool.driver.name")
    if not scanner or not scanner.strip():
        raise ExportError(f"{path}: {where}.tool.driver.name: the tool is not named")
    automation = f.expect_object(run.get("automationDetails"), path, f"{where}.automationDetails", optional=True)
    automation_id = f.scalar(automation.get("id"), path, f"{where}.automationDetails.id")
    guid = f.scalar(automation.get("guid"), path, f"{where}.automationDetails.guid")

    asset, asset_source = None, None
    if automation_id and automation_id.strip().endswith("/"):
        asset, asset_source = automation_id.strip().rstrip("/"), "automationDetails.id"
    elif automation_id and "/" in automation_id:
        asset, asset_source = automation_id.strip().rsplit("/", 1)[0], "automationDetails.id"
    if asset is None:
        provenance = f.expect_list(run.get("versionControlProvenance"), path, f"{where}.versionControlProvenance")
        if provenance:
            first = f.expect_object(provenance[0], path, f"{where}.versionControlProvenance[0]")
            asset = f.scalar(first.get("repositoryUri"), path, f"{where}.versionControlProvenance[0].repositoryUri")
            asset_source = "versionControlProvenance.repositoryUri" if asset else None
    if asset is None:
        bases = f.expect_object(run.get("originalUriBaseIds"), path, f"{where}.originalUriBaseIds", optional=True)
        chosen = bases.get("SRCROOT") if "SRCROOT" in bases else (next(iter(bases.values())) if len(bases) == 1 else None)
        if chosen is not None:
            asset = f.scalar(f.expect_object(chosen, path, f"{where}.originalUriBaseIds").get("uri"),
                             path, f"{where}.originalUriBaseIds.uri")
            asset_source = "originalUriBaseIds" if asset else None
    if asset is None:
        artifacts = f.expect_list(run.get("artifacts"), path, f"{where}.artifacts")
        if len(artifacts) == 1:
            location = f.expect_object(f.expect_object(artifacts[0], path, f"{where}.artifacts[0]").get("location"),
                                       path, f"{where}.artifacts[0].location", optional=True)
            asset = f.scalar(location.get("uri"), path, f"{where}.artifacts[0].location.uri")
            asset_source = "the run's only artifact" if asset else None

    scanned_at, time_source = None, None
    invocations = [
        f.expect_object(inv, path, f"{where}.invocations[{i}]")
        for i, inv in enumerate(f.expect_list(run.get("invocations"), path, f"{where}.invocations"))
    ]
    for key in ("endTimeUtc", "startTimeUtc"):
        times = [f.scalar(inv.get(key), path, f"{where}.invocations.{key}") for inv in invocations]
        times = [t for t in times if t]
        if times:
            scanned_at, time_source = times[0], f"invocations.{key}"
            break
    return {
        "scan_id": guid or automation_id or (file_id if runs == 1 else f"{file_id}/runs[{k}]"),
        "scanned_at": scanned_at,
        f.SCANNED_AT_SOURCE: time_source,
        "scanner": scanner.strip().lower(),
        "tool_version": f.scalar(driver.get("semanticVersion") or driver.get("version"), path,
                                 f"{where}.tool.driver.version"),
        "asset_id": asset.strip() if asset and asset.strip() else None,
        "asset_id_source": asset_source,
    }


class _RuleBook:
    """The rules of a run: the driver's and its extensions', by index and by id."""

    def __init__(self, run: dict, path: Path, where: str):
        tool = f.expect_object(run.get("tool"), path, f"{where}.tool")
        components = [f.expect_object(tool.get("driver"), path, f"{where}.tool.driver")] + [
            f.expect_object(e, path, f"{where}.tool.extensions[{i}]")
            for i, e in enumerate(f.expect_list(tool.get("extensions"), path, f"{where}.tool.extensions"))
        ]
        self.by_component: list[list[dict]] = [
            [f.expect_object(r, path, f"{where}.tool rules[{j}]")
             for j, r in enumerate(f.expect_list(c.get("rules"), path, f"{where}.tool rules"))]
            for c in components
        ]
        self.by_id: dict[str, dict] = {}
        for rules in self.by_component:
            for rule in rules:
                if isinstance(rule.get("id"), str):
                    self.by_id.setdefault(rule["id"], rule)

    def find(self, result: dict, rule_id: str | None) -> dict:
        reference = result.get("rule") if isinstance(result.get("rule"), dict) else {}
        component = 0
        tool_component = reference.get("toolComponent")
        if isinstance(tool_component, dict) and isinstance(tool_component.get("index"), int):
            component = tool_component["index"] + 1  # extensions follow the driver
        index = result.get("ruleIndex", reference.get("index"))
        if isinstance(index, int) and 0 <= component < len(self.by_component):
            rules = self.by_component[component]
            if 0 <= index < len(rules):
                return rules[index]
        return self.by_id.get(rule_id or "", {})

    def by_message(self, text: str | None) -> dict:
        """The driver rule whose id or name opens the message (gitleaks 7 writes no rule
        reference: "AWS Access Key secret detected" is rule "AWS Access Key"); the
        longest such id or name wins; none -> {}."""
        if not text:
            return {}
        opening = text.strip().lower()
        best: tuple[int, dict] = (0, {})
        for rule in self.by_component[0] if self.by_component else []:
            for key in ("id", "name"):
                label = rule.get(key)
                if isinstance(label, str) and label.strip() and opening.startswith(label.strip().lower()):
                    if len(label.strip()) > best[0]:
                        best = (len(label.strip()), rule)
        return best[1]


def _result_row(result: dict, rules: _RuleBook, artifacts: list, scan: dict, path: Path,
                where: str) -> dict[str, Any]:
    reference = result.get("rule") if isinstance(result.get("rule"), dict) else {}
    rule_id = f.scalar(result.get("ruleId") or reference.get("id"), path, f"{where}.ruleId")
    rule_source = ("ruleId" if result.get("ruleId") else "rule.id") if rule_id else None
    rule = rules.find(result, rule_id)
    message = f.expect_object(result.get("message"), path, f"{where}.message", optional=True)
    message_text = f.scalar(message.get("text"), path, f"{where}.message.text")
    if not rule_id and rule:
        rule_source = "ruleIndex" if "ruleIndex" in result else "rule.index"
    if not rule_id and not rule:
        rule = rules.by_message(message_text)
        rule_source = "message names a tool.driver rule" if rule else None
    rule_id = rule_id or f.scalar(rule.get("id"), path, f"{where} rule id")
    properties = f.expect_object(result.get("properties"), path, f"{where}.properties", optional=True)
    rule_properties = f.expect_object(rule.get("properties"), path, f"{where} rule properties", optional=True)

    location, start_line = _location(result, artifacts, path, where)
    asset_id, asset_source = scan["asset_id"], scan["asset_id_source"]
    if asset_id is None and location:
        asset_id, asset_source = location, "result artifact location"
    if asset_id is None:
        # nothing in the run or the result names what was scanned (Dockle's SARIF): the
        # tool's name stands for it, so the result is kept, marked
        asset_id, asset_source = scan["scanner"], "tool.driver.name (no asset named)"

    advisory = ADVISORY_THEN_PACKAGE.match(rule_id or "")
    vulnerability_id = (
        _cve_in(rule_id)
        or (advisory.group(1) if advisory else None)
        or _cve_in(properties, CVE_KEYS)
        or _cve_in(rule_properties, CVE_KEYS)
        or rule_id
    )
    package = _first_text(properties, PACKAGE_KEYS) or _first_text(rule_properties, PACKAGE_KEYS)
    if package is None and advisory:
        package = advisory.group(2)
    if package is None and scan["asset_id"] is not None:
        package = location

    cvss, score_word = None, None
    for owner, owner_where in ((properties, f"{where}.properties"), (rule_properties, f"{where} rule properties")):
        for key in SCORE_KEYS:
            value = owner.get(key)
            if cvss is not None or value is None:
                continue
            if isinstance(value, str) and not NUMBER.match(value.strip()):
                # a severity word where a score was expected (Semgrep 1.69 writes
                # security-severity "MEDIUM"): read as the word, marked
                if value.strip().lower() in SEVERITY_WORDS and score_word is None:
                    score_word = (value.strip(), f"{'result' if owner is properties else 'rule'} properties.{key}")
                continue
            cvss = f.number(value, path, f"{owner_where}.{key}")
    level = result.get("level") or f.expect_object(
        rule.get("defaultConfiguration"), path, f"{where} rule defaultConfiguration", optional=True
    ).get("level") or "warning"
    level = f.scalar(level, path, f"{where}.level")
    severity_word = _first_text(properties, ("severity",)) or _first_text(rule_properties, ("severity",))
    if severity_word:
        severity, severity_source = severity_word, "properties.severity"
    elif cvss is None and score_word is not None:
        severity, severity_source = score_word[0], f"{score_word[1]} (a word, not a score)"
    elif cvss is not None:
        severity, severity_source = None, "cvss_score"
    else:
        severity, severity_source = LEVEL_SEVERITY.get(level or "", level), "level"

    short = f.expect_object(rule.get("shortDescription"), path, f"{where} rule shortDescription", optional=True)
    title = (
        f.scalar(short.get("text"), path, f"{where} rule shortDescription.text")
        or f.scalar(rule.get("name"), path, f"{where} rule name")
        or (message_text.strip().splitlines()[0] if message_text and message_text.strip() else None)
    )
    fingerprints = {
        **f.expect_object(result.get("partialFingerprints"), path, f"{where}.partialFingerprints", optional=True),
        **f.expect_object(result.get("fingerprints"), path, f"{where}.fingerprints", optional=True),
    }
    suppressions = f.expect_list(result.get("suppressions"), path, f"{where}.suppressions")
    return {
        **scan,
        f.RECORD: where,
        "asset_id": asset_id,
        "asset_id_source": asset_source,
        "vulnerability_id": vulnerability_id,
        "rule_id": rule_id,
        "rule_source": rule_source,
        "finding_class": _finding_class(scan["scanner"], rule_id, vulnerability_id, rule_properties),
        "title": title,
        "severity": severity,
        "severity_source": severity_source,
        "level": level,
        "cvss_score": cvss,
        "package": package,
        "location": location,
        "start_line": start_line,
        "fingerprint": next((str(v) for v in fingerprints.values() if v is not None), None),
        "suppressed": bool(suppressions) or None,
        "baseline_state": f.scalar(result.get("baselineState"), path, f"{where}.baselineState"),
    }


def _location(result: dict, artifacts: list, path: Path, where: str) -> tuple[str | None, int | None]:
    locations = f.expect_list(result.get("locations"), path, f"{where}.locations")
    start_line = None
    artifact: dict = {}
    if locations:
        physical = f.expect_object(
            f.expect_object(locations[0], path, f"{where}.locations[0]").get("physicalLocation"),
            path, f"{where}.locations[0].physicalLocation", optional=True,
        )
        artifact = f.expect_object(physical.get("artifactLocation"), path,
                                   f"{where}.locations[0].physicalLocation.artifactLocation", optional=True)
        region = f.expect_object(physical.get("region"), path,
                                 f"{where}.locations[0].physicalLocation.region", optional=True)
        line = region.get("startLine")
        start_line = line if isinstance(line, int) and not isinstance(line, bool) else None
    if not artifact:
        artifact = f.expect_object(result.get("analysisTarget"), path, f"{where}.analysisTarget", optional=True)
    uri = f.scalar(artifact.get("uri"), path, f"{where} artifactLocation.uri")
    index = artifact.get("index")
    if not uri and isinstance(index, int) and 0 <= index < len(artifacts):
        listed = f.expect_object(artifacts[index], path, f"artifacts[{index}]")
        uri = f.scalar(f.expect_object(listed.get("location"), path, f"artifacts[{index}].location",
                                       optional=True).get("uri"), path, f"artifacts[{index}].location.uri")
    return (uri.strip() if uri and uri.strip() else None), start_line


def _cve_in(value: Any, keys: tuple[str, ...] | None = None) -> str | None:
    """The first CVE id in a text, or in the given keys of a properties object."""
    if keys is not None:
        if not isinstance(value, dict):
            return None
        for key in keys:
            found = _cve_in(value.get(key))
            if found:
                return found
        return None
    if isinstance(value, str):
        match = CVE.search(value)
        return match.group(0).upper() if match else None
    if isinstance(value, list):
        return next((found for item in value if (found := _cve_in(item))), None)
    return None


def _first_text(owner: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = owner.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


# finding_class by producer (tool.driver.name, lower-cased; a name containing the word
# counts) and rule: METRICS.md "Finding classes". Documented in the module docstring.
SECRET_SCANNERS = ("gitleaks", "trufflehog", "detect-secrets", "detect_secrets", "ggshield", "gitguardian",
                   "talisman", "noseyparker", "nosey parker", "secretlint", "kingfisher")
CONFIG_LINTERS = ("dockle", "hadolint", "checkov", "tfsec", "kics", "terrascan", "kube-linter", "kubescape",
                  "cfn-lint", "cfn_nag", "trivy-config", "conftest")
DEPENDENCY_SCANNERS = ("grype", "dependency-check", "dependency check", "osv-scanner", "osv scanner",
                       "pip-audit", "npm audit", "govulncheck", "snyk open source", "retire")
CODE_ANALYSERS = ("codeql", "semgrep", "bandit", "eslint", "flawfinder", "spotbugs", "njsscan", "mobsfscan",
                  "gosec", "brakeman", "sonar", "pmd", "devskim", "bearer", "snykcode", "snyk code", "psalm",
                  "shellcheck", "checkmarx", "fortify", "phpcs", "horusec", "pylint", "clang")
RULE_TAG_CLASSES = {"secret": "secret", "secrets": "secret", "misconfiguration": "misconfiguration",
                    "vulnerability": "vulnerability"}


def _finding_class(scanner: str | None, rule_id: str | None, vulnerability_id: str | None,
                   rule_properties: dict) -> str:
    name = (scanner or "").lower()
    tags = rule_properties.get("tags") if isinstance(rule_properties.get("tags"), list) else []
    tag_words = {str(t).strip().lower() for t in tags}
    advisory = bool(vulnerability_id and (CVE.search(vulnerability_id) or vulnerability_id.upper().startswith("GHSA-")))
    if any(word in name for word in SECRET_SCANNERS):
        return "secret"
    if any(word in name for word in CONFIG_LINTERS):
        return "misconfiguration"
    if any(word in name for word in DEPENDENCY_SCANNERS):
        return "vulnerability"
    if "trivy" in name:
        # Trivy tags its SARIF rules with what they are
        return next((RULE_TAG_CLASSES[t] for t in ("misconfiguration", "secret", "vulnerability") if t in tag_words),
                    "vulnerability")
    if "semgrep" in name:
        rule = (rule_id or "").lower()
        if rule.startswith("ssc-") or advisory:
            return "vulnerability"  # Semgrep Supply Chain: a dependency advisory
        if "secret" in tag_words or "secrets" in tag_words or ".secrets." in rule:
            return "secret"
        return "code"
    if any(word in name for word in CODE_ANALYSERS):
        return "code"
    # any other producer: a rule naming a CVE or GHSA advisory is a vulnerability, else a
    # static-analysis result (what SARIF is for)
    return "vulnerability" if advisory else "code"
