"""Trivy JSON reports: schema v2 (`trivy image|fs|repo|config --format json`), the
Kubernetes report (`trivy k8s --format json`) and the legacy top-level array (Trivy < 0.20).

Structures (cited, not copied): aquasecurity/trivy docs/docs/configuration/reporting.md
and integration/testdata/*.json.golden (Apache-2.0) for schema v2; DefectDojo/django-
DefectDojo unittests/scans/trivy/ kubernetes.json (resources in `Vulnerabilities` /
`Misconfigurations` lists, older trivy k8s), kubernetes_cluster_scoped_resources.json
(`Resources`, cluster-scoped resources without Namespace), misconfigurations_and_secrets.json
and legacy_many_vulns.json (BSD-3-Clause), whose shapes the in-repo samples follow.

Counting rule: one row per entry of `Results[].Vulnerabilities[]` (finding_class
vulnerability), of `Results[].Misconfigurations[]` whose `Status` is FAIL (blank is
FAIL; misconfiguration) and of `Results[].Secrets[]` (secret); rows are numbered
vulnerabilities first, then misconfigurations, then secrets, in document order. The
canonical finding is the key (scanner 'trivy', asset, id, package), so one
vulnerability of one package found in several targets of the artifact (two jars
bundling the same library) is one finding.
- A misconfiguration's id is its `ID` (DS002, KSV001; `AVDID` when there is no ID,
  kept in `_extra.avd_id`), its package the result's `Target` (the file, e.g.
  Dockerfile, or the Kubernetes resource, e.g. Deployment/api), its severity
  `Severity`. PASS (`--include-non-failures`) and EXCEPTION (waived by policy) checks
  are not findings: skipped and counted by status.
- A secret's id is its `RuleID` (github-pat), its package the file it was found in
  (the result's `Target`: two files holding the same kind of secret are two findings),
  its title `Title`, its severity `Severity`; `Category` and the lines go to `_extra`;
  the matched text (masked by Trivy) is not kept.
- Licences (`Results[].Licenses[]`) are not a security finding class: skipped and
  counted.
- Schema v2 and the legacy array: the whole report is one scan of one asset; a report
  without any finding (Results absent, empty, or every list null or empty) is one
  clean-scan row (blank vulnerability_id), which closes what was open.
- Kubernetes: the report is one scan; every resource is an asset,
  `<ClusterName>:<Namespace>/<Kind>/<Name>` (no Namespace for a cluster-scoped
  resource); a resource listed in several lists (older reports list it under
  `Vulnerabilities` and `Misconfigurations`) is one asset; a resource without findings
  is one clean-scan row. `ClusterName` goes to `_extra.cluster_name`.
- The legacy array (Trivy < 0.20) is a list of results (`Target`, `Type`,
  `Vulnerabilities`); its asset is the first Target naming an OS (" (alpine 3.9.4)"
  removed), else the first Target; it has no scan time and no scan id (the fallbacks
  below). A legacy report of no vulnerability at all is the JSON `null`, which names
  no asset: it is not recognised.

Fields, and what was completed by which rule:
- scan_id: `ReportID` (Trivy >= 0.49); else `sha256:<hex>` of the file's bytes.
- scanned_at: `CreatedAt`; absent (older Trivy) -> the file's modification time,
  marked `_extra.scanned_at_source = "fallback_file_mtime"`.
- asset_id: `ArtifactName`; when blank, the first non-blank of `Metadata.RepoTags`,
  `Metadata.RepoDigests`, the Target of the `os-pkgs` result without its
  " (<os> <version>)" suffix, `Metadata.ImageID` (`_extra.asset_id_source` names
  it). None of them -> blank, which the loader refuses (required).
- asset_environment: no such field; completed by `_assets` (inventory, then name
  patterns of the rules), `_extra.asset_environment_source` says which.
- severity: `Severity` as Trivy writes it (CRITICAL..LOW, UNKNOWN); normalised
  downstream, UNKNOWN there falls back to the CVSS score.
- cvss_score: from `CVSS`, the NVD score first, else the score of the vendor that
  gave the severity (`SeveritySource`), else the first other vendor by name; within
  a vendor the newest version scored (V40Score, V3Score, V2Score).
  `_extra.cvss_source` says e.g. "nvd V3Score".
- package: `PkgName`; `InstalledVersion`, `PkgPath`, `PkgID`, the PURL in `_extra`.
- fixed_at: blank: Trivy reports what is present. `FixedVersion` is the version
  that fixes it and may be a comma list ("11.0.14, 10.1.49, 9.0.112"): kept as
  written in `_extra.fixed_version` and split in `_extra.fixed_versions`.
  `Status` ("fixed" = a fix exists, "affected", "will_not_fix"...) goes to `_extra`.
- exploited_in_wild: blank (Trivy has no such flag; the KEV catalogue may set it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats._structure import json_structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

SCHEMA_VERSION = re.compile(r'"SchemaVersion"\s*:\s*2\b')
ARTIFACT_KEY = re.compile(r'"Artifact(Name|Type)"\s*:')
OS_SUFFIX = r"\s+\([^()]*\)$"
CVSS_VERSIONS = ("V40Score", "V3Score", "V2Score")
ENTRY_KINDS = ("Vulnerabilities", "Misconfigurations", "Secrets")
CLASSES = {"Vulnerabilities": "vulnerability", "Misconfigurations": "misconfiguration", "Secrets": "secret"}
K8S_LISTS = ("Resources", "Vulnerabilities", "Misconfigurations")

# Per-vulnerability fields read as text: column name -> Trivy key.
TEXT_FIELDS = {
    "vulnerability_id": "VulnerabilityID",
    "title": "Title",
    "severity": "Severity",
    "package": "PkgName",
    "installed_version": "InstalledVersion",
    "fixed_version": "FixedVersion",
    "status": "Status",
    "severity_source": "SeveritySource",
    "pkg_id": "PkgID",
    "pkg_path": "PkgPath",
    "primary_url": "PrimaryURL",
    "published_date": "PublishedDate",
    "last_modified_date": "LastModifiedDate",
}


class TrivyJson(ExportFormat):
    name: ClassVar[str] = "trivy_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        doc = json_structure(path, head)
        if doc is None:
            return False
        if not doc.parsed:
            # a broken document: claimed from its head's keys, so parse names the break
            text = doc.head_text
            return doc.kind == "object" and (
                (SCHEMA_VERSION.search(text) is not None and ARTIFACT_KEY.search(text) is not None)
                or doc.has_key_in_head("ClusterName")
            )
        if doc.kind == "array":
            return _is_legacy_report(doc.items())
        keys = doc.keys
        if "ClusterName" in keys and any(isinstance(doc.get(k), list) for k in K8S_LISTS):
            return True  # a trivy k8s report (with or without SchemaVersion)
        return "SchemaVersion" in keys and bool({"ArtifactName", "ArtifactType"} & keys)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        report: dict[str, str | None] = {"scanner": "trivy"}
        if isinstance(document, list):
            if not _is_legacy_report(document):
                raise ExportError(f"{path}: a JSON array that is not a legacy Trivy report (a list of results with Target)")
            assets = [_legacy_asset(document, path)]
            report |= {"scan_id": f.content_scan_id(data), "scanned_at": None, f.SCANNED_AT_SOURCE: None,
                       "report_shape": "legacy_array"}
        else:
            doc = f.expect_object(document, path, "the document")
            if "ClusterName" in doc and "Results" not in doc and any(isinstance(doc.get(k), list) for k in K8S_LISTS):
                assets = _k8s_assets(doc, path)
                report |= {"cluster_name": f.scalar(doc.get("ClusterName"), path, "ClusterName"),
                           "report_shape": "k8s"}
            else:
                if doc.get("SchemaVersion") != 2:
                    raise ExportError(
                        f"{path}: SchemaVersion {doc.get('SchemaVersion')!r} is not a Trivy schema v2 report"
                    )
                metadata = f.expect_object(doc.get("Metadata"), path, "Metadata", optional=True)
                results = f.expect_list(doc.get("Results"), path, "Results")
                asset_id, asset_source = _asset(doc, metadata, results, path)
                assets = [_Asset(asset_id, asset_source, [("Results", results)])]
                report |= {"artifact_type": f.scalar(doc.get("ArtifactType"), path, "ArtifactType"),
                           "report_shape": "report"}
            report |= {
                "scan_id": f.scalar(doc.get("ReportID"), path, "ReportID") or f.content_scan_id(data),
                "scanned_at": f.scalar(doc.get("CreatedAt"), path, "CreatedAt"),
                f.SCANNED_AT_SOURCE: "CreatedAt",
            }

        entries: dict[str, list[tuple[str, dict, dict, int]]] = {kind: [] for kind in ENTRY_KINDS}
        skipped: dict[str, int] = {}
        for index, asset in enumerate(assets):
            for i, where_result, result in ((i, f"{w}[{i}]", r) for w, rs in asset.parts for i, r in enumerate(rs)):
                result = f.expect_object(result, path, where_result)
                for kind in ENTRY_KINDS:
                    for j, entry in enumerate(f.expect_list(result.get(kind), path, f"{where_result}.{kind}")):
                        where = f"{where_result}.{kind}[{j}]"
                        entry = f.expect_object(entry, path, where)
                        if kind == "Misconfigurations":
                            status = str(entry.get("Status") or "FAIL").strip().upper()
                            if status != "FAIL":
                                reason = f"{status} misconfiguration (a check that did not fail is not a finding)"
                                skipped[reason] = skipped.get(reason, 0) + 1
                                continue
                        entries[kind].append((where, result, entry, index))
                licences = len(f.expect_list(result.get("Licenses"), path, f"{where_result}.Licenses"))
                if licences:
                    reason = "licence finding (not a security finding class)"
                    skipped[reason] = skipped.get(reason, 0) + licences

        frames = []
        offset = 0
        for kind, build in (("Vulnerabilities", _vulnerability_frame), ("Misconfigurations", _misconfiguration_frame),
                            ("Secrets", _secret_frame)):
            if entries[kind]:
                frame = build([(w, r, e) for w, r, e, _ in entries[kind]], path)
                frames.append(frame.with_columns(
                    (pl.col(SOURCE_ROW) + offset).alias(SOURCE_ROW),
                    pl.lit(CLASSES[kind]).alias("finding_class"),
                    pl.Series("_asset_index", [a for _, _, _, a in entries[kind]], dtype=pl.Int64),
                ))
                offset += len(entries[kind])
        # an asset of the report without any finding was scanned clean: one clean-scan row each
        seen = {a for kind in ENTRY_KINDS for _, _, _, a in entries[kind]}
        clean = [(index, asset.parts[0][0] if asset.parts else "Resources") for index, asset in enumerate(assets)
                 if index not in seen]
        if clean:
            frames.append(pl.DataFrame(
                {f.RECORD: [w for _, w in clean], SOURCE_ROW: [f.CLEAN_SCAN_ROW] * len(clean),
                 "_asset_index": [i for i, _ in clean]},
                schema={f.RECORD: pl.String, SOURCE_ROW: pl.Int64, "_asset_index": pl.Int64},
            ))
        asset_frame = pl.DataFrame(
            {"_asset_index": list(range(len(assets))), "asset_id": [a.asset_id for a in assets],
             "asset_id_source": [a.source for a in assets]},
            schema={"_asset_index": pl.Int64, "asset_id": pl.String, "asset_id_source": pl.String},
        )
        rows = (
            pl.concat(frames, how="diagonal_relaxed")
            .join(asset_frame, on="_asset_index", how="left", maintain_order="left")
            .drop("_asset_index")
            .with_columns(pl.lit(value, dtype=pl.String).alias(name) for name, value in report.items())
        )
        rows = f.with_scan_time(rows, path)
        records = sum(len(v) for v in entries.values()) + sum(skipped.values())
        return ParsedExport(
            format_name=self.name,
            entities={f.FINDINGS_TABLE: f.finish(rows, path, context)},
            notes=[f"{count} skipped: {reason}" for reason, count in skipped.items()],
            records=records,
            skipped=skipped,
        )


@dataclass(frozen=True)
class _Asset:
    asset_id: str | None
    source: str | None
    # (where a results list is, e.g. "Resources[2].Results"; the list)
    parts: list[tuple[str, list]]


def _is_legacy_report(items: list) -> bool:
    """Trivy < 0.20 wrote a bare list of results, each with Target (and Type, Vulnerabilities)."""
    return bool(items) and all(
        isinstance(item, dict) and "Target" in item and bool({"Vulnerabilities", "Type"} & set(item))
        for item in items
    )


def _legacy_asset(results: list, path: Path) -> _Asset:
    """The legacy report's asset: the first Target naming an OS (its suffix removed), else the first Target."""
    targets = [(i, f.scalar(r.get("Target"), path, f"[{i}].Target") or "") for i, r in enumerate(results)]
    with_os = [(i, t) for i, t in targets if re.search(OS_SUFFIX, t)]
    index, target = (with_os or targets)[0]
    asset = re.sub(OS_SUFFIX, "", target).strip() or None
    return _Asset(asset, f"[{index}].Target" if asset else None, [("", results)])


def _k8s_assets(doc: dict, path: Path) -> list[_Asset]:
    """One asset per Kubernetes resource: `<ClusterName>:<Namespace>/<Kind>/<Name>`
    (no namespace for a cluster-scoped resource). `Resources` (Trivy >= 0.47) and the
    older `Vulnerabilities` / `Misconfigurations` lists of resources; a resource listed
    in several is one asset whose results are those of every listing."""
    cluster = (f.scalar(doc.get("ClusterName"), path, "ClusterName") or "").strip()
    assets: dict[str, _Asset] = {}
    for key in K8S_LISTS:
        for i, resource in enumerate(f.expect_list(doc.get(key), path, key)):
            where = f"{key}[{i}]"
            resource = f.expect_object(resource, path, where)
            parts = [f.scalar(resource.get(k), path, f"{where}.{k}") for k in ("Namespace", "Kind", "Name")]
            name = "/".join(p.strip() for p in parts if p and p.strip())
            asset_id = (f"{cluster}:{name}" if cluster else name) or None
            results = f.expect_list(resource.get("Results"), path, f"{where}.Results")
            label = asset_id or where
            if label not in assets:
                assets[label] = _Asset(asset_id, "Namespace/Kind/Name" if asset_id else None, [])
            assets[label].parts.append((f"{where}.Results", results))
    return list(assets.values())


def _asset(doc: dict, metadata: dict, results: list, path: Path) -> tuple[str | None, str | None]:
    """The asset id and the field it came from (see the module docstring for the order)."""
    candidates: list[tuple[str, Any]] = [("ArtifactName", doc.get("ArtifactName"))]
    for key in ("RepoTags", "RepoDigests"):
        candidates += [(f"Metadata.{key}", v) for v in f.text_list(metadata.get(key), path, f"Metadata.{key}")]
    candidates += [
        (f"Results[{i}].Target", re.sub(OS_SUFFIX, "", str(r.get("Target") or "")))
        for i, r in enumerate(results)
        if isinstance(r, dict) and r.get("Class") == "os-pkgs"
    ]
    candidates.append(("Metadata.ImageID", metadata.get("ImageID")))
    for source, value in candidates:
        text = f.scalar(value, path, source)
        if text and text.strip():
            return text.strip(), source
    return None, None


def _vulnerability_frame(entries: list[tuple[str, dict, dict]], path: Path) -> pl.DataFrame:
    """One row per vulnerability entry, canonical and extra columns, CVSS chosen in polars."""
    columns: dict[str, list] = {
        f.RECORD: [where for where, _, _ in entries],
        SOURCE_ROW: list(range(1, len(entries) + 1)),
    }
    for name, key in TEXT_FIELDS.items():
        columns[name] = [f.scalar(v.get(key), path, f"{where}.{key}") for where, _, v in entries]
    columns["purl"] = [
        f.scalar(f.expect_object(v.get("PkgIdentifier"), path, f"{where}.PkgIdentifier", optional=True)
                 .get("PURL"), path, f"{where}.PkgIdentifier.PURL")
        for where, _, v in entries
    ]
    columns["vendor_ids"] = [f.text_list(v.get("VendorIDs"), path, f"{where}.VendorIDs") for where, _, v in entries]
    for name, key in (("target", "Target"), ("class", "Class"), ("type", "Type")):
        columns[name] = [f.scalar(r.get(key), path, f"{where.split('.')[0]}.{key}") for where, r, _ in entries]
    schema = {name: pl.String for name in columns}
    schema.update({SOURCE_ROW: pl.Int64, "vendor_ids": pl.List(pl.String)})
    frame = f.frame_from_columns(columns, schema, path)

    # Every CVSS score offered, long: (row, vendor, version, score).
    scores = [
        (row, vendor, version, f.number(value, path, f"{where}.CVSS.{vendor}.{version}"))
        for row, (where, _, v) in enumerate(entries, start=1)
        for vendor, by_version in f.expect_object(v.get("CVSS"), path, f"{where}.CVSS", optional=True).items()
        for version in CVSS_VERSIONS
        if (value := f.expect_object(by_version, path, f"{where}.CVSS.{vendor}").get(version)) is not None
    ]
    offered = pl.DataFrame(
        scores, schema={SOURCE_ROW: pl.Int64, "vendor": pl.String, "version": pl.String, "score": pl.Float64},
        orient="row",
    )
    chosen = (
        offered.join(frame.select(SOURCE_ROW, "severity_source"), on=SOURCE_ROW, how="left")
        .with_columns(
            pl.when(pl.col("vendor") == "nvd").then(0)
            .when(pl.col("vendor") == pl.col("severity_source")).then(1)
            .otherwise(2).alias("vendor_rank"),
            pl.col("version").replace_strict(list(CVSS_VERSIONS), [0, 1, 2]).alias("version_rank"),
        )
        .sort(SOURCE_ROW, "vendor_rank", "vendor", "version_rank")
        .group_by(SOURCE_ROW, maintain_order=True)
        .first()
        .select(
            SOURCE_ROW,
            pl.col("score").alias("cvss_score"),
            (pl.col("vendor") + " " + pl.col("version")).alias("cvss_source"),
        )
    )
    return frame.join(chosen, on=SOURCE_ROW, how="left", maintain_order="left").with_columns(
        pl.col("fixed_version").str.split(",").list.eval(pl.element().str.strip_chars())
        .list.filter(pl.element() != "").alias("fixed_versions"),
    )


def _result_columns(entries: list[tuple[str, dict, dict]], path: Path) -> dict[str, list]:
    """The columns every entry kind takes from its result: record, row number, target, class, type."""
    columns: dict[str, list] = {
        f.RECORD: [where for where, _, _ in entries],
        SOURCE_ROW: list(range(1, len(entries) + 1)),
    }
    for name, key in (("target", "Target"), ("class", "Class"), ("type", "Type")):
        columns[name] = [f.scalar(r.get(key), path, f"{where.rsplit('.', 1)[0]}.{key}") for where, r, _ in entries]
    return columns


def _misconfiguration_frame(entries: list[tuple[str, dict, dict]], path: Path) -> pl.DataFrame:
    """One row per failed check: ID (else AVDID) as vulnerability_id, the result's Target
    (the file, or the Kubernetes resource) as package, Severity as written."""
    columns = _result_columns(entries, path)
    for name, key in (("check_id", "ID"), ("avd_id", "AVDID"), ("title", "Title"), ("severity", "Severity"),
                      ("check_type", "Type"), ("message", "Message"), ("resolution", "Resolution"),
                      ("primary_url", "PrimaryURL"), ("status", "Status"), ("policy_namespace", "Namespace")):
        columns[name] = [f.scalar(e.get(key), path, f"{where}.{key}") for where, _, e in entries]
    cause = [f.expect_object(e.get("CauseMetadata"), path, f"{where}.CauseMetadata", optional=True)
             for where, _, e in entries]
    for name, key in (("cause_resource", "Resource"), ("start_line", "StartLine"), ("end_line", "EndLine")):
        columns[name] = [f.scalar(c.get(key), path, f"{where}.CauseMetadata.{key}")
                         for (where, _, _), c in zip(entries, cause)]
    frame = f.frame_from_columns(columns, {n: (pl.Int64 if n == SOURCE_ROW else pl.String) for n in columns}, path)
    return frame.with_columns(
        pl.coalesce(vendor_values.text(pl.col("check_id")), vendor_values.text(pl.col("avd_id"))).alias("vulnerability_id"),
        pl.col("target").alias("package"),
    )


def _secret_frame(entries: list[tuple[str, dict, dict]], path: Path) -> pl.DataFrame:
    """One row per secret: RuleID as vulnerability_id, the file (the result's Target) as
    package, Title as title, Severity as written; Category and lines in `_extra` (the
    matched text, masked by Trivy, is not kept)."""
    columns = _result_columns(entries, path)
    for name, key in (("rule_id", "RuleID"), ("title", "Title"), ("severity", "Severity"),
                      ("secret_category", "Category"), ("start_line", "StartLine"), ("end_line", "EndLine")):
        columns[name] = [f.scalar(e.get(key), path, f"{where}.{key}") for where, _, e in entries]
    frame = f.frame_from_columns(columns, {n: (pl.Int64 if n == SOURCE_ROW else pl.String) for n in columns}, path)
    return frame.with_columns(
        vendor_values.text(pl.col("rule_id")).alias("vulnerability_id"),
        pl.col("target").alias("package"),
    ).drop("rule_id")
