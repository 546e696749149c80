"""OpenVAS / Greenbone "CSV Results" report format.

Columns: `IP, Hostname, Port, Port Protocol, CVSS, Severity, QoD, Solution Type, NVT Name,
Summary, Specific Result, NVT OID, CVEs, Task ID, Task Name, Timestamp, Result ID, Impact,
Solution, Affected Software/OS, Vulnerability Insight, Vulnerability Detection Method,
Product Detection Result, BIDs, CERTs, Other References` (newer versions add `Max Severity
EPSS score`, `Max Severity EPSS percentile`...; older ones lack `QoD`). One record per
result; `Severity` is the threat word (High, Medium, Low, Log, False Positive), `CVEs` a
comma list, `Timestamp` the result's time. Recognised by `IP`, `NVT OID`, `NVT Name` and
`Severity`.

Structure from the public fixtures DefectDojo/django-DefectDojo `unittests/scans/openvas/*.csv`
(BSD-3-Clause) and Greenbone's CSV Results report format; the samples under tests are
written from that structure.

Counting rule and threat levels: `_openvas` (one row per result and CVE, else
"OPENVAS-<NVT OID>"; Log is info; False Positive, Debug and Error results are skipped and
counted in the notes). DefectDojo merges results of one host, port, title, OID and severity.

Fields:
- scan_id: `sha256:<hex>` of the file's bytes (`Task ID` and `Result ID` in `_extra`).
- scanned_at, per host: the latest `Timestamp` of its results; else the file's mtime (marked).
- asset_id: `Hostname`, else `IP`.
- severity: from `Severity` (the threat word), see `_openvas`.
- cvss_score: `CVSS`.
- EPSS: `Max Severity EPSS score` as `_extra.epss` when exported.
- title: `NVT Name`. package, fixed_at, exploited_in_wild: blank.
Every column is kept in `_extra` under its lower-cased header name (`Severity` as
`severity_reported`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW, read_csv_text, read_header, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner import _openvas as o
from ingest.rules import ParseContext

REQUIRED = ("ip", "nvt oid", "nvt name", "severity")


def _is_openvas(header: list[str] | None) -> bool:
    return header is not None and set(REQUIRED) <= set(header)


class OpenvasCsv(ExportFormat):
    name: ClassVar[str] = "openvas_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _is_openvas(read_header(head))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        header = read_header(data[:HEAD_BYTES])
        if not _is_openvas(header):
            raise ExportError(f"{path}: not an OpenVAS CSV (no IP, NVT OID, NVT Name, Severity header)")
        header = ["severity_reported" if n == "severity" else n for n in header]
        present = set(header)
        raw = tidy_text(read_csv_text(path, header), header)
        raw, notes = o.skipped(raw, "severity_reported", [c for c in ("ip", "hostname") if c in present])

        def column(name: str) -> pl.Expr:
            return vendor_values.text(pl.col(name)) if name in present else pl.lit(None, dtype=pl.String)

        severity, form = o.threat_severity(pl.col("severity_reported"))
        frame = raw.with_columns(
            pl.lit(f.content_scan_id(data)).alias("scan_id"),
            pl.lit(o.SCANNER).alias("scanner"),
            pl.coalesce(column("hostname"), column("ip")).alias("asset_id"),
            pl.when(column("hostname").is_not_null()).then(pl.lit("hostname")).otherwise(pl.lit("ip"))
            .alias("asset_id_source"),
            column("nvt name").alias("title"),
            pl.when(pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW).then(pl.lit(None, dtype=pl.String))
            .otherwise(severity).alias("severity"),
            pl.when(pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW).then(pl.lit(None, dtype=pl.String))
            .otherwise(form).alias("severity_form"),
            f.score("cvss", False).alias("cvss_score") if "cvss" in present
            else pl.lit(None, dtype=pl.Float64).alias("cvss_score"),
            (f.epss_fraction(raw, "max severity epss score") if "max severity epss score" in present
             else pl.lit(None, dtype=pl.Float64)).alias("epss"),
            column("cves").str.to_uppercase().str.extract_all(f.CVE_PATTERN).alias("_cves"),
            vendor_values.timestamp(column("timestamp")).alias("_result_time"),
        ).with_columns(
            o.latest_per_asset(pl.col("_result_time")).alias("scanned_at"),
        ).with_columns(
            pl.when(pl.col("scanned_at").is_not_null()).then(pl.lit("latest Timestamp of the host"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
        ).drop("_result_time")
        frame = o.split_cves(frame, "nvt oid")
        frame = f.with_scan_time(frame, path)
        derived = [c for c in frame.columns if c not in header and c != SOURCE_ROW]
        frame = frame.select(*derived, SOURCE_ROW, *header)
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, notes=notes,
        )
