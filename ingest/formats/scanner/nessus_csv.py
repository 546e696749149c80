"""Nessus CSV export: the default 13 columns and the all-columns layouts.

Default: `Plugin ID, CVE, CVSS, Risk, Host, Protocol, Port, Name, Synopsis,
Description, Solution, See Also, Plugin Output`; the all-columns export adds
`CVSS v2.0/v3.0/v4.0 Base Score`, `VPR Score`, `EPSS Score`, `Risk Factor`, `XREF`,
`STIG Severity`, plugin dates... Fields are quoted and may span lines.

Counting rule: one row per CSV record (Nessus writes one record per plugin, host,
port and CVE; a CVE cell holding several ids is split into one row each). The
canonical finding is (scanner 'nessus', Host, CVE, blank package), or
(scanner, Host, "NESSUS-<Plugin ID>") when the plugin names no CVE: one finding per
host and CVE (or plugin), its ports merged — the same rule as `nessus_xml`, so both
exports of one scan give the same findings. Informational plugins (Risk None) are
findings of severity info. The file is one scan of every host it names.

Fields, and what was completed by which rule:
- scan_id: the export names none: `sha256:<hex>` of the file's bytes.
- scanned_at: the CSV carries no scan time: the file's modification time (UTC),
  marked `_extra.scanned_at_source = "fallback_file_mtime"` on every row.
- asset_id: `Host` (else `DNS Name`, `IP Address`, `NetBIOS Name` when exported).
- asset_environment: completed by `_assets` (inventory, then name patterns).
- severity: `Risk` (else `Risk Factor`, `Severity`): Critical, High, Medium, Low,
  and None -> info.
- cvss_score: `CVSS v3.0 Base Score`, else `CVSS v2.0 Base Score`, else `CVSS` (the
  default layout's v2 base score), else `CVSS v4.0 Base Score`, as written.
- exploited_in_wild: true when `XREF` lists `CISA-KNOWN-EXPLOITED` (Tenable's KEV
  reference), else blank. An available exploit (Metasploit, CANVAS...) is not
  exploitation in the wild.
- EPSS: `EPSS Score` as written, a probability in [0, 1], in `_extra.epss`; the raw
  column stays in `_extra` too.
- Out of scale: a record with a CVSS score outside 0..10 or an EPSS score outside
  0..1 (any of the columns above) is refused, one ingest.rejected_rows row per field
  naming the column and the value, never rescaled (`_findings.refuse_out_of_scale`).
  Tenable's documentation describes these columns as the CVSS base scores and the EPSS
  score (docs.tenable.com: Tenable Vulnerability Management "CSV Vulnerability Export
  Fields"; Tenable Nessus "Severity", CVSS- and EPSS-based severity) on the scales FIRST
  defines (CVSS 0.0-10.0, EPSS a probability 0-1) and documents no export writing them
  without their decimal point. Such files exist (the DefectDojo "nessus-template"
  sample: 98 for 9.8, 9438 for 0.9438) but reading them as tenths and ten-thousandths
  was a guess from that one file, so they are refused instead (docs/DECISIONS.md).
- title: `Name`. package, fixed_at: blank (port and protocol in `_extra`).
Every column of the export is kept in `_extra` under its lower-cased header name.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW, read_csv_text, read_header, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner._tenable import is_vm_workbench
from ingest.rules import ParseContext

REQUIRED = ("plugin id", "host")
SEVERITY_COLUMNS = ("risk", "risk factor", "severity")
CVSS_COLUMNS = ("cvss v3.0 base score", "cvss v2.0 base score", "cvss", "cvss v4.0 base score")
ASSET_COLUMNS = ("host", "dns name", "ip address", "netbios name")
RISK_WORDS = {"none": "info"}


class NessusCsv(ExportFormat):
    name: ClassVar[str] = "nessus_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        header = read_header(head)
        return (
            header is not None
            and all(name in header for name in REQUIRED)
            and any(name in header for name in SEVERITY_COLUMNS)
            and not is_vm_workbench(header)  # Tenable VM's workbench export (tenable_vm_csv)
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        header = read_header(data[:HEAD_BYTES])
        raw = tidy_text(read_csv_text(path, header), header)
        present = set(header)

        severity_column = next(c for c in SEVERITY_COLUMNS if c in present)
        risk = pl.col(severity_column).str.strip_chars()
        cvss_columns = [c for c in CVSS_COLUMNS if c in present]
        raw, rejected = f.refuse_out_of_scale(
            raw,
            [(c, "cvss_score", f.CVSS_SCALE) for c in cvss_columns] + [("epss score", "epss", f.EPSS_SCALE)],
        )
        cvss = [f.score(c) for c in cvss_columns]
        cvss_source = pl.coalesce(
            [pl.when(value.is_not_null()).then(pl.lit(name)) for name, value in zip(cvss_columns, cvss)]
        ) if cvss_columns else pl.lit(None, dtype=pl.String)
        asset_columns = [c for c in ASSET_COLUMNS if c in present]
        cve = (
            vendor_values.text(pl.col("cve")).str.extract_all(f.CVE_PATTERN)
            if "cve" in present else pl.lit(None, dtype=pl.List(pl.String))
        )
        plugin = vendor_values.text(pl.col("plugin id"))

        frame = raw.with_columns(
            pl.lit(f.content_scan_id(data)).alias("scan_id"),
            pl.lit(None, dtype=pl.String).alias("scanned_at"),
            pl.lit("nessus").alias("scanner"),
            pl.coalesce([vendor_values.text(pl.col(c)) for c in asset_columns]).alias("asset_id"),
            pl.coalesce([pl.when(vendor_values.text(pl.col(c)).is_not_null()).then(pl.lit(c))
                         for c in asset_columns]).alias("asset_id_source"),
            cve.alias("_cves"),
            (pl.col("name") if "name" in present else pl.lit(None, dtype=pl.String)).alias("title"),
            pl.when(risk.str.to_lowercase().is_in(list(RISK_WORDS)))
            .then(risk.str.to_lowercase().replace(RISK_WORDS)).otherwise(risk).alias("severity"),
            (pl.coalesce(cvss) if cvss else pl.lit(None, dtype=pl.Float64)).alias("cvss_score"),
            cvss_source.alias("cvss_source"),
            (
                pl.when(pl.col("xref").str.contains(r"(?i)CISA-KNOWN-EXPLOITED")).then(pl.lit("true"))
                .otherwise(pl.lit(None, dtype=pl.String))
                if "xref" in present else pl.lit(None, dtype=pl.String)
            ).alias("exploited_in_wild"),
            (f.epss_fraction("epss score") if "epss score" in present
             else pl.lit(None, dtype=pl.Float64)).alias("epss"),
            pl.lit("fallback_file_mtime").alias(f.SCANNED_AT_SOURCE),
        ).with_columns(
            # One row per CVE; a record without one keeps a single row, keyed by plugin.
            pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves"))
            .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
        ).explode("_cves").with_columns(
            pl.coalesce(pl.col("_cves"), pl.lit("NESSUS-") + plugin).alias("vulnerability_id"),
        ).drop("_cves")
        frame = f.with_scan_time(frame, path)
        frame = frame.select(
            *[c for c in frame.columns if c not in header and c != SOURCE_ROW],
            SOURCE_ROW,
            *header,
        )
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, rejected=rejected,
        )
