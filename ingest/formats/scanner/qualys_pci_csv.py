"""Qualys PCI Compliance scan report CSV (Qualys PCI / "Monthly PCI" vulnerability report).

Columns: `IP, HOSTNAME, LAST SCAN, QID, VULN TITLE, TYPE, SEVERITY, PORT, PROTOCOL,
OPERATING SYSTEM, IS_PCI, FALSE POSITIVE STATUS, CVSS_BASE, Q_SEVERITY, THREAT, IMPACT,
SOLUTION, CVSS_TEMPORAL, CATEGORY, RESULT, BUGTRAQID, CVEID`: one record per host,
QID and port. `SEVERITY` is the PCI rating (Low, Medium, High: from the CVSS base
score), `Q_SEVERITY` Qualys's own level 1-5, `TYPE` VULN / POTENTIAL / INFO (or
PRACTICE, IG), `IS_PCI` Pass / Fail, `LAST SCAN` the host's scan time written in the
subscription's date order (`22/09/2022 13:01`). Report lines may precede the
header (found as in `qualys_csv`). Recognised by `QID`, `VULN TITLE`, `IP` and
`Q_SEVERITY` or `IS_PCI`; `qualys_csv` needs a `Title` column and never claims it.

Structure from the public fixture DefectDojo/django-DefectDojo
`unittests/scans/qualys/monthly_pci_issue6932.csv` (BSD-3-Clause) and DefectDojo's
`dojo/tools/qualys/csv_parser.py`; the samples under tests are written from it.

Counting rule: one row per (record, CVE), `qualys_csv`'s rule: several CVEs in
`CVEID` give one row each, none a row keyed "QID-<qid>"; the finding is (scanner
'qualys', asset, CVE or QID-<qid>, blank package), ports merged. Every record
counts, whatever its PCI pass/fail or false-positive status (kept in `_extra`: the
warehouse has no false-positive exclusion for vendor rows; a false positive the
PCI workflow accepted disappears from the next report, which closes it). The
scanner is 'qualys' as for the VM CSV: it is the same Qualys scanning of the same
hosts, so the PCI and VM reports of one host describe the same findings.

Fields:
- scan_id: `sha256:<hex>` of the file's bytes.
- scanned_at, per host: the latest `LAST SCAN` of its records. Its date order is
  decided per file: day first when a first field exceeds 12, month first when a
  second one does; an ambiguous file is read month first (Qualys's default) and
  marked `_extra.date_order = "month first (assumed)"`. No zone: naive text,
  read in the configured default zone and counted. Else the file's mtime (marked).
- asset_id: `HOSTNAME`, else `IP`.
- severity: `Q_SEVERITY` 1-5 -> info..critical (`qualys_csv`); `TYPE` information
  (INFO, IG) is info; when `Q_SEVERITY` is blank or a word, the `SEVERITY` word
  (or that word) is read and marked `_extra.severity_form`.
- cvss_score: the leading number of `CVSS_BASE` (the PCI report's base score).
- title: `VULN TITLE`. package, fixed_at, exploited_in_wild: blank.
Every column is kept in `_extra` under its lower-cased header name (`SEVERITY` as
`severity_reported`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW, read_csv_text, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner.qualys_csv import SEVERITY_WORDS
from ingest.rules import ParseContext

HEADER_NAMES = ("qid", "vuln title", "ip")
MARKERS = ("q_severity", "is_pci")
INFORMATION_TYPES = ("info", "ig", "information gathered")
WORDS = {"info": "info", "informational": "info", "low": "low", "medium": "medium", "high": "high",
         "critical": "critical", "urgent": "critical", "serious": "high", "minimal": "info"}
DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"


class QualysPciCsv(ExportFormat):
    name: ClassVar[str] = "qualys_pci_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        found = f.find_csv_header(head, HEADER_NAMES)
        return found is not None and any(m in found[1] for m in MARKERS)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        found = f.find_csv_header(data[:HEAD_BYTES], HEADER_NAMES)
        if found is None or not any(m in found[1] for m in MARKERS):
            raise ExportError(f"{path}: no Qualys PCI header (IP, QID, VULN TITLE, Q_SEVERITY) in the first records")
        lines_before, header = found
        header = ["severity_reported" if n == "severity" else n for n in header]
        table = f.read_csv_after(path, lines_before, header) if lines_before else read_csv_text(path, header)
        raw = tidy_text(table, header)
        present = set(header)

        def column(name: str) -> pl.Expr:
            return vendor_values.text(pl.col(name)) if name in present else pl.lit(None, dtype=pl.String)

        day_first, assumed = _date_order(raw, "last scan" if "last scan" in present else None)
        last_scan = _date(column("last scan"), day_first)
        level = column("q_severity")
        pci_word = column("severity_reported")
        kind = column("type").str.to_lowercase()
        level_ok = level.is_in(list(SEVERITY_WORDS))
        word = pl.when(level_ok).then(pl.lit(None, dtype=pl.String)).otherwise(pl.coalesce(level, pci_word))
        qid = column("qid")
        frame = raw.with_columns(
            pl.lit(f.content_scan_id(data)).alias("scan_id"),
            pl.lit("qualys").alias("scanner"),
            pl.coalesce(column("hostname"), column("ip")).alias("asset_id"),
            pl.when(column("hostname").is_not_null()).then(pl.lit("hostname"))
            .when(column("ip").is_not_null()).then(pl.lit("ip")).otherwise(pl.lit(None, dtype=pl.String))
            .alias("asset_id_source"),
            column("vuln title").alias("title"),
            pl.when(kind.is_in(list(INFORMATION_TYPES))).then(pl.lit("info"))
            .when(level_ok).then(level.replace_strict(SEVERITY_WORDS, default=None))
            .when(word.str.to_lowercase().is_in(list(WORDS)))
            .then(word.str.to_lowercase().replace_strict(WORDS, default=None))
            .otherwise(word).alias("severity"),
            pl.when(level_ok).then(pl.lit(None, dtype=pl.String))
            .when(level.is_not_null()).then(pl.lit("word where a level 1-5 was expected"))
            .when(pci_word.is_not_null()).then(pl.lit("PCI SEVERITY word, Q_SEVERITY blank"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias("severity_form"),
            f.score("cvss_base", False).alias("cvss_score") if "cvss_base" in present
            else pl.lit(None, dtype=pl.Float64).alias("cvss_score"),
            last_scan.alias("last_scan_at"),
            pl.lit("month first (assumed)" if assumed else ("day first" if day_first else "month first"))
            .alias("date_order"),
            column("cveid").str.to_uppercase().str.extract_all(f.CVE_PATTERN).alias("_cves"),
        ).with_columns(
            pl.col("last_scan_at").sort_by(
                pl.col("last_scan_at").str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
                descending=True, nulls_last=True,
            ).first().over("asset_id").alias("scanned_at"),
        ).with_columns(
            pl.when(pl.col("scanned_at").is_not_null()).then(pl.lit("latest LAST SCAN of the host"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
            pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves").list.unique(maintain_order=True))
            .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
        ).explode("_cves").with_columns(
            pl.when(qid.is_null()).then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.coalesce(pl.col("_cves"), pl.lit("QID-") + qid)).alias("vulnerability_id"),
        ).drop("_cves")
        frame = f.with_scan_time(frame, path)
        derived = [c for c in frame.columns if c not in header and c != SOURCE_ROW]
        frame = frame.select(*derived, SOURCE_ROW, *header)
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)})


def _date_order(frame: pl.DataFrame, name: str | None) -> tuple[bool, bool]:
    """(day first, assumed): the order of `D/M/Y` dates, decided over the whole column."""
    if name is None:
        return False, False
    parts = frame.select(
        pl.col(name).str.extract(DATE, 1).cast(pl.Int32, strict=False).max().alias("first"),
        pl.col(name).str.extract(DATE, 2).cast(pl.Int32, strict=False).max().alias("second"),
    ).row(0)
    first, second = (value or 0 for value in parts)
    if first > 12:
        return True, False
    if second > 12:
        return False, False
    return False, first > 0


def _date(expr: pl.Expr, day_first: bool) -> pl.Expr:
    """`D/M/YYYY [HH:MM[:SS]]` (or M/D) as naive ISO text; other forms as `vendor_values.timestamp`."""
    day, month = (1, 2) if day_first else (2, 1)
    parts = [expr.str.extract(DATE, i) for i in range(1, 7)]
    iso = pl.format(
        "{}-{}-{}T{}:{}:{}", parts[2], parts[month - 1].str.zfill(2), parts[day - 1].str.zfill(2),
        parts[3].fill_null("0").str.zfill(2), parts[4].fill_null("00"), parts[5].fill_null("00"),
    )
    return pl.when(expr.str.contains(DATE)).then(iso).otherwise(vendor_values.timestamp(expr))
