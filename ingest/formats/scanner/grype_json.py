"""Grype JSON report (`grype <target> -o json`).

Counting rule: one row per entry of `matches[]`; the canonical finding is the key
(scanner 'grype', asset, vulnerability, artifact name), so the same vulnerability
matched twice in one package (two locations, two matchers) is one finding. The
report is one scan of one asset; a report with no match gives one clean-scan row
(blank vulnerability_id), which closes what was open on the asset.

Fields, and what was completed by which rule:
- scan_id: Grype names none: `sha256:<hex>` of the file's bytes.
- scanned_at: `descriptor.timestamp`; absent (older Grype, e.g. 0.28) -> the
  file's modification time, marked
  `_extra.scanned_at_source = "fallback_file_mtime"`.
- asset_id: `source.target` — for an image its `userInput`, else its first `tags`
  entry, `imageID`, `manifestDigest`; for a directory or file scan the target path
  (`_extra.asset_id_source` names the field). None -> blank, refused by the loader.
- asset_environment: no such field; completed by `_assets`.
- vulnerability_id: `vulnerability.id` when it is a CVE; when it is another
  advisory (GHSA-..., ALAS-...) that lists a CVE in `relatedVulnerabilities`, that
  CVE, so findings meet other scanners' and the KEV catalogue's ids; Grype's own id
  stays in `_extra.grype_vulnerability_id`.
- severity: `vulnerability.severity` as written (Critical..Negligible, Unknown);
  normalised downstream.
- cvss_score: from `vulnerability.cvss`, then the related vulnerabilities' `cvss`
  (Grype 0.28 puts the NVD scores only there): NVD's primary score first, then the
  newest CVSS version, then document order. `_extra.cvss_source` says which.
- exploited_in_wild: true where `vulnerability.knownExploited` lists entries
  (Grype >= 0.92, from CISA KEV), false where it is an empty list, blank where the
  report does not carry it.
- package: `artifact.name`; version, type, PURL and first location in `_extra`.
- fixed_at: blank (Grype reports what is present); `fix.versions` and `fix.state`
  go to `_extra.fixed_versions` / `_extra.fix_state`.
- EPSS (`vulnerability.epss`, Grype >= 0.90): the entry for the finding's CVE (else
  the first) into `_extra.epss`, `_extra.epss_percentile`, `_extra.epss_date`;
  Grype's `risk` into `_extra.risk`. They never change exploited_in_wild.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_structure
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

CVE = re.compile(rf"^{f.CVE_PATTERN}$", re.IGNORECASE)


class GrypeJson(ExportFormat):
    name: ClassVar[str] = "grype_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure, keys in any order: a top-level `matches` array beside Grype's
        # `descriptor` (name grype), `source` or `distro`; a document that does not
        # parse is claimed from `matches` and `matchDetails` in its head (parse names
        # the break).
        doc = json_structure(path, head)
        if doc is None or doc.kind != "object":
            return False
        if not doc.parsed:
            return "matches" in doc.keys and ("matchDetails" in doc.keys or "descriptor" in doc.keys)
        if not isinstance(doc.get("matches"), list):
            return False
        descriptor = doc.get("descriptor")
        if isinstance(descriptor, dict) and str(descriptor.get("name", "")).lower() == "grype":
            return True
        return bool({"source", "distro", "descriptor"} & doc.keys)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        doc = f.expect_object(f.load_json(path, data), path, "the document")
        matches = f.expect_list(doc.get("matches"), path, "matches")
        descriptor = f.expect_object(doc.get("descriptor"), path, "descriptor", optional=True)
        asset_id, asset_source = _asset(f.expect_object(doc.get("source"), path, "source", optional=True), path)
        report = {
            "scan_id": f.content_scan_id(data),
            "scanned_at": f.scalar(descriptor.get("timestamp"), path, "descriptor.timestamp"),
            f.SCANNED_AT_SOURCE: "descriptor.timestamp",
            "scanner": "grype",
            "asset_id": asset_id,
            "asset_id_source": asset_source,
            "grype_version": f.scalar(descriptor.get("version"), path, "descriptor.version"),
        }
        findings = _match_frame(matches, path) if matches else None
        frame = f.one_scan_report(findings, "matches", report, path)
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)},
            records=len(matches),
        )


def _asset(source: dict, path: Path) -> tuple[str | None, str | None]:
    target = source.get("target")
    if isinstance(target, str):
        candidates: list[tuple[str, Any]] = [("source.target", target)]
    else:
        target = f.expect_object(target, path, "source.target", optional=True)
        tags = f.text_list(target.get("tags"), path, "source.target.tags")
        candidates = [
            ("source.target.userInput", target.get("userInput")),
            *[("source.target.tags", tag) for tag in tags],
            ("source.target.imageID", target.get("imageID")),
            ("source.target.manifestDigest", target.get("manifestDigest")),
            ("source.target.path", target.get("path")),
        ]
    for where, value in candidates:
        text = f.scalar(value, path, where)
        if text and text.strip():
            return text.strip(), where
    return None, None


def _match_frame(matches: list, path: Path) -> pl.DataFrame:
    """One row per match; CVSS and EPSS chosen in polars from long frames of what is offered."""
    parts = []
    for i, match in enumerate(matches):
        where = f"matches[{i}]"
        match = f.expect_object(match, path, where)
        parts.append((
            where,
            f.expect_object(match.get("vulnerability"), path, f"{where}.vulnerability"),
            f.expect_object(match.get("artifact"), path, f"{where}.artifact"),
            [f.expect_object(r, path, f"{where}.relatedVulnerabilities[{j}]")
             for j, r in enumerate(f.expect_list(match.get("relatedVulnerabilities"), path,
                                                 f"{where}.relatedVulnerabilities"))],
        ))

    def text(obj_of, key: str, label: str) -> list[str | None]:
        return [f.scalar(obj_of(p).get(key), path, f"{p[0]}.{label}.{key}") for p in parts]

    vuln_ids = text(lambda p: p[1], "id", "vulnerability")
    related_cves = [
        [cve for j, r in enumerate(p[3])
         if (cve := f.scalar(r.get("id"), path, f"{p[0]}.relatedVulnerabilities[{j}].id")) and CVE.match(cve)]
        for p in parts
    ]
    known = [p[1].get("knownExploited") for p in parts]
    fix = [f.expect_object(p[1].get("fix"), path, f"{p[0]}.vulnerability.fix", optional=True) for p in parts]
    locations = [f.expect_list(p[2].get("locations"), path, f"{p[0]}.artifact.locations") for p in parts]
    columns: dict[str, list] = {
        f.RECORD: [p[0] for p in parts],
        SOURCE_ROW: list(range(1, len(parts) + 1)),
        "grype_vulnerability_id": vuln_ids,
        "related_cves": related_cves,
        "severity": text(lambda p: p[1], "severity", "vulnerability"),
        "namespace": text(lambda p: p[1], "namespace", "vulnerability"),
        "package": text(lambda p: p[2], "name", "artifact"),
        "installed_version": text(lambda p: p[2], "version", "artifact"),
        "package_type": text(lambda p: p[2], "type", "artifact"),
        "purl": text(lambda p: p[2], "purl", "artifact"),
        "location": [
            f.scalar(f.expect_object(locs[0], path, f"{p[0]}.artifact.locations[0]").get("path"),
                     path, f"{p[0]}.artifact.locations[0].path") if locs else None
            for p, locs in zip(parts, locations)
        ],
        "fixed_versions": [f.text_list(x.get("versions"), path, f"{p[0]}.vulnerability.fix.versions")
                           for p, x in zip(parts, fix)],
        "fix_state": [f.scalar(x.get("state"), path, f"{p[0]}.vulnerability.fix.state")
                      for p, x in zip(parts, fix)],
        "exploited_in_wild": [
            None if k is None else ("true" if f.expect_list(k, path, f"{p[0]}.vulnerability.knownExploited")
                                    else "false")
            for p, k in zip(parts, known)
        ],
        "risk": [f.number(p[1].get("risk"), path, f"{p[0]}.vulnerability.risk") for p in parts],
    }
    schema = {name: pl.String for name in columns}
    schema.update({SOURCE_ROW: pl.Int64, "related_cves": pl.List(pl.String),
                   "fixed_versions": pl.List(pl.String), "risk": pl.Float64})
    frame = f.frame_from_columns(columns, schema, path).with_columns(
        pl.when(pl.col("grype_vulnerability_id").str.contains(rf"(?i)^{f.CVE_PATTERN}$"))
        .then(pl.col("grype_vulnerability_id"))
        .otherwise(pl.coalesce(pl.col("related_cves").list.first(), pl.col("grype_vulnerability_id")))
        .alias("vulnerability_id")
    )
    return frame.join(_cvss(parts, path), on=SOURCE_ROW, how="left", maintain_order="left").join(
        _epss(parts, frame, path), on=SOURCE_ROW, how="left", maintain_order="left"
    )


def _cvss(parts: list, path: Path) -> pl.DataFrame:
    offered = [
        (row, origin, position, str(entry.get("source") or ""), str(entry.get("type") or ""),
         f.scalar(entry.get("version"), path, f"{where}.version"),
         f.number(f.expect_object(entry.get("metrics"), path, f"{where}.metrics", optional=True)
                  .get("baseScore"), path, f"{where}.metrics.baseScore"))
        for row, (match_where, vulnerability, _, related) in enumerate(parts, start=1)
        for origin, (owner, owner_where) in enumerate(
            [(vulnerability, f"{match_where}.vulnerability")]
            + [(r, f"{match_where}.relatedVulnerabilities[{j}]") for j, r in enumerate(related)]
        )
        for position, raw in enumerate(f.expect_list(owner.get("cvss"), path, f"{owner_where}.cvss"))
        for entry, where in [(f.expect_object(raw, path, f"{owner_where}.cvss[{position}]"),
                              f"{owner_where}.cvss[{position}]")]
    ]
    frame = pl.DataFrame(
        offered,
        schema={SOURCE_ROW: pl.Int64, "origin": pl.Int64, "position": pl.Int64, "source": pl.String,
                "type": pl.String, "version": pl.String, "score": pl.Float64},
        orient="row",
    )
    primary = (pl.col("source") == "nvd@nist.gov") | (pl.col("type").str.to_lowercase() == "primary")
    return (
        frame.filter(pl.col("score").is_not_null())
        .with_columns(
            pl.when(primary).then(0).otherwise(1).alias("primary_rank"),
            pl.col("version").str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False).fill_null(0).alias("major"),
        )
        .sort(SOURCE_ROW, "primary_rank", pl.col("major"), "origin", "position",
              descending=[False, False, True, False, False])
        .group_by(SOURCE_ROW, maintain_order=True)
        .first()
        .select(
            SOURCE_ROW,
            pl.col("score").alias("cvss_score"),
            pl.concat_str(
                [pl.when(pl.col("origin") == 0).then(pl.lit("vulnerability")).otherwise(pl.lit("related")),
                 pl.col("source").replace("", None).fill_null("unnamed source"),
                 pl.lit("v") + pl.col("version").fill_null("?")],
                separator=" ",
            ).alias("cvss_source"),
        )
    )


def _epss(parts: list, frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    offered = [
        (row, position, f.scalar(entry.get("cve"), path, f"{where}.cve"),
         f.number(entry.get("epss"), path, f"{where}.epss"),
         f.number(entry.get("percentile"), path, f"{where}.percentile"),
         f.scalar(entry.get("date"), path, f"{where}.date"))
        for row, (match_where, vulnerability, _, _) in enumerate(parts, start=1)
        for position, raw in enumerate(
            f.expect_list(vulnerability.get("epss"), path, f"{match_where}.vulnerability.epss"))
        for where in [f"{match_where}.vulnerability.epss[{position}]"]
        for entry in [f.expect_object(raw, path, where)]
    ]
    epss = pl.DataFrame(
        offered,
        schema={SOURCE_ROW: pl.Int64, "position": pl.Int64, "cve": pl.String, "epss": pl.Float64,
                "epss_percentile": pl.Float64, "epss_date": pl.String},
        orient="row",
    )
    return (
        epss.join(frame.select(SOURCE_ROW, "vulnerability_id"), on=SOURCE_ROW, how="left")
        .with_columns((pl.col("cve") != pl.col("vulnerability_id")).fill_null(True).alias("other_cve"))
        .sort(SOURCE_ROW, "other_cve", "position")
        .group_by(SOURCE_ROW, maintain_order=True)
        .first()
        .select(SOURCE_ROW, "epss", "epss_percentile", "epss_date")
    )
