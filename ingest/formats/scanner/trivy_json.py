"""Trivy JSON report, schema v2 (`trivy image|fs|repo --format json`).

Counting rule: one row per entry of `Results[].Vulnerabilities[]`; the canonical
finding is the key (scanner 'trivy', asset, VulnerabilityID, PkgName), so one
vulnerability of one package found in several targets of the artifact (two jars
bundling the same library) is one finding. The whole report is one scan of one
asset. A report whose Results hold no vulnerability at all (Results absent, empty,
or every `Vulnerabilities` null or empty) says the artifact was scanned clean: it
gives one clean-scan row (blank vulnerability_id), which closes what was open.
Misconfigurations, secrets and licences are not vulnerability findings: they are
not loaded (counted in the parse notes).

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
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

SCHEMA_VERSION = re.compile(r'"SchemaVersion"\s*:\s*2\b')
ARTIFACT_KEY = re.compile(r'"Artifact(Name|Type)"\s*:')
OS_SUFFIX = r"\s+\([^()]*\)$"
CVSS_VERSIONS = ("V40Score", "V3Score", "V2Score")

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
        text = f.head_text(head)
        return (
            f.looks_like_json_object(text)
            and SCHEMA_VERSION.search(text) is not None
            and ARTIFACT_KEY.search(text) is not None
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        doc = f.expect_object(f.load_json(path, data), path, "the document")
        if doc.get("SchemaVersion") != 2:
            raise ExportError(
                f"{path}: SchemaVersion {doc.get('SchemaVersion')!r} is not a Trivy schema v2 report"
            )
        metadata = f.expect_object(doc.get("Metadata"), path, "Metadata", optional=True)
        results = f.expect_list(doc.get("Results"), path, "Results")

        entries: list[tuple[str, dict, dict]] = []
        ignored = {"Misconfigurations": 0, "Secrets": 0, "Licenses": 0}
        for i, result in enumerate(results):
            result = f.expect_object(result, path, f"Results[{i}]")
            for j, vulnerability in enumerate(
                f.expect_list(result.get("Vulnerabilities"), path, f"Results[{i}].Vulnerabilities")
            ):
                where = f"Results[{i}].Vulnerabilities[{j}]"
                entries.append((where, result, f.expect_object(vulnerability, path, where)))
            for key in ignored:
                ignored[key] += len(f.expect_list(result.get(key), path, f"Results[{i}].{key}"))

        asset_id, asset_source = _asset(doc, metadata, results, path)
        report = {
            "scan_id": f.scalar(doc.get("ReportID"), path, "ReportID") or f.content_scan_id(data),
            "scanned_at": f.scalar(doc.get("CreatedAt"), path, "CreatedAt"),
            f.SCANNED_AT_SOURCE: "CreatedAt",
            "scanner": "trivy",
            "asset_id": asset_id,
            "asset_id_source": asset_source,
            "artifact_type": f.scalar(doc.get("ArtifactType"), path, "ArtifactType"),
        }

        findings = _vulnerability_frame(entries, path) if entries else None
        frame = f.one_scan_report(findings, "Results", report, path)
        notes = [
            f"{count} {key.lower()} not loaded (vulnerability findings only)"
            for key, count in ignored.items() if count
        ]
        return ParsedExport(
            format_name=self.name,
            entities={f.FINDINGS_TABLE: f.finish(frame, path, context)},
            notes=notes,
        )


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
