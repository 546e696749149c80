"""What the Tenable CSV exports share (Tenable Vulnerability Management, Tenable.sc).

Both are one record per plugin, host and port, like the Nessus CSV, and follow the
Nessus counting rule (`nessus_csv`): one row per (record, CVE), a record naming no
CVE keyed "NESSUS-<plugin id>" (Tenable's plugin ids are the Nessus plugin ids).
Unlike a Nessus scan, both exports are views of the platform's vulnerability
database across many scans, so each record says when the platform last saw it
(`Last Found` / `last_seen` / `Last Observed`) and, for Tenable VM, its state.

`plugin_rows` takes the vendor columns a format found in its header (`Columns`)
and derives the canonical ones as polars expressions over whole columns:
- asset_id: the first non-blank of the asset columns (`_extra.asset_id_source`).
- severity: the first severity column present; a word (Critical, High, Medium,
  Low, Info, Informational, None) or a Tenable level 0-4 (4 critical .. 0 info),
  whichever the cell holds: a level where a word was expected, or a word where a
  level was expected, is read and marked `_extra.severity_form`.
- cvss_score: the first CVSS column (v3, then v2, then v4) holding a score; scores written
  outside 0..10 refuse their record (`_findings.refuse_out_of_scale`; Tenable documents
  no other scale), a decimal comma (`9,3`, in
  semicolon-delimited exports) is a decimal point.
- scanned_at, per asset: the latest last-seen / last-fixed time of the asset's
  records — when the platform last assessed the asset; else the file's
  modification time, marked `_extra.scanned_at_source = "fallback_file_mtime"`.
- fixed_at: the last-fixed time, only when the record's state is Fixed (an
  Active, New or Resurfaced record with a last-fixed time came back).
- exploited_in_wild: true when the cross references list `CISA-KNOWN-EXPLOITED`
  (Tenable's KEV reference); an exploit framework or "Exploit?" yes is not
  exploitation in the wild (kept in `_extra`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f

LEVEL_WORDS = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
SEVERITY_WORDS = {
    "critical": "critical", "high": "high", "medium": "medium", "low": "low",
    "info": "info", "informational": "info", "none": "info",
}
KEV_REFERENCE = r"(?i)CISA-KNOWN-EXPLOITED"
ISO_TAIL = r"(Z|[+-]\d{2}:?\d{2})$"
# Zone abbreviations Tenable.sc writes after its dates ("Jan 5, 2021 10:24:08 MST"),
# as minutes east of UTC; an abbreviation not listed leaves the time naive.
ZONE_MINUTES = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
    "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "CET": 60, "CEST": 120, "BST": 60,
    "IST": 330, "JST": 540, "AEST": 600, "AEDT": 660,
}


@dataclass(frozen=True)
class Columns:
    """The vendor columns of one layout, in order of preference (lower-cased header names)."""

    plugin: str
    title: str
    asset: tuple[str, ...]
    severity: tuple[str, ...]
    level_columns: tuple[str, ...]  # severity columns that hold a level 0-4 rather than a word
    cvss: tuple[str, ...]
    cve: str
    last_seen: tuple[str, ...]
    last_fixed: tuple[str, ...] = ()
    first_seen: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    xref: tuple[str, ...] = ()
    epss: tuple[str, ...] = ()


def zoned_month_name(expr: pl.Expr) -> pl.Expr:
    """`Mon D, YYYY HH:MM:SS ZONE` as ISO text in UTC when the zone is known; other
    forms go through `vendor_values.timestamp` (ISO text passes unchanged)."""
    value = vendor_values.text(expr)
    zone = value.str.extract(r" ([A-Z]{1,5})$", 1)
    wall = value.str.replace(r" [A-Z]{1,5}$", "").str.strip_chars()
    parsed = pl.coalesce(
        wall.str.strptime(pl.Datetime("us"), "%b %d, %Y %H:%M:%S", strict=False),
        wall.str.strptime(pl.Datetime("us"), "%b %d, %Y %H:%M", strict=False),
    )
    offset_minutes = zone.replace_strict(ZONE_MINUTES, default=None, return_dtype=pl.Int64)
    utc = (parsed - pl.duration(minutes=offset_minutes)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        pl.when(zone.is_not_null() & parsed.is_not_null() & offset_minutes.is_not_null()).then(utc)
        # an unknown zone: the wall time, naive (read in the configured default zone)
        .when(zone.is_not_null() & parsed.is_not_null()).then(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        .otherwise(vendor_values.timestamp(value))
    )


def plugin_rows(raw: pl.DataFrame, header: list[str], data: bytes, path: Path, *,
                scanner: str, columns: Columns) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Canonical and extra columns for every (record, CVE) of a Tenable CSV, scan time
    completed; and the records refused for a score outside its scale (rejected rows)."""
    present = set(header)

    def first(names: tuple[str, ...]) -> pl.Expr:
        chosen = [vendor_values.text(pl.col(c)) for c in names if c in present]
        return pl.coalesce(chosen) if chosen else pl.lit(None, dtype=pl.String)

    def source(names: tuple[str, ...]) -> pl.Expr:
        chosen = [pl.when(vendor_values.text(pl.col(c)).is_not_null()).then(pl.lit(c)) for c in names if c in present]
        return pl.coalesce(chosen) if chosen else pl.lit(None, dtype=pl.String)

    # Severity words are read as written: "None" is Tenable's word for informational,
    # not a blank (vendor_values.text would read it as null).
    severity_columns = [c for c in columns.severity if c in present]
    written = {c: pl.col(c).str.strip_chars().replace("", None) for c in severity_columns}
    reported = pl.coalesce(list(written.values())) if written else pl.lit(None, dtype=pl.String)
    severity_source = (
        pl.coalesce([pl.when(v.is_not_null()).then(pl.lit(c)) for c, v in written.items()])
        if written else pl.lit(None, dtype=pl.String)
    )
    lowered = reported.str.to_lowercase()
    is_level = lowered.is_in(list(LEVEL_WORDS))
    is_word = lowered.is_in(list(SEVERITY_WORDS))
    expects_level = severity_source.is_in(list(columns.level_columns))
    severity = (
        pl.when(is_level).then(lowered.replace_strict(LEVEL_WORDS, default=None))
        .when(is_word).then(lowered.replace_strict(SEVERITY_WORDS, default=None))
        .otherwise(reported)
    )
    severity_form = (
        pl.when(is_word & expects_level).then(pl.lit("word where a level 0-4 was expected"))
        .when(is_level & ~expects_level).then(pl.lit("level 0-4 where a word was expected"))
        .when(reported.is_not_null() & ~is_word & ~is_level).then(pl.lit("unrecognised"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )

    # Scores as numbers; a semicolon-delimited export in a decimal-comma locale writes 9,3
    # (read as 9.3; the column keeps its text in _extra).
    cvss_columns = [c for c in columns.cvss if c in present]
    decimal = {c: f"_decimal_{c}" for c in cvss_columns}
    raw = raw.with_columns(
        pl.col(c).str.replace(r"^\s*(\d+),(\d+)\s*$", "${1}.${2}").alias(d) for c, d in decimal.items())
    epss_column = next((c for c in columns.epss if c in present), None)
    raw, rejected = f.refuse_out_of_scale(
        raw,
        [(d, "cvss_score", f.CVSS_SCALE) for d in decimal.values()]
        + ([(epss_column, "epss", f.EPSS_SCALE)] if epss_column else []),
    )
    # name the vendor's column in the reason, not the decimal-point copy
    rejected = rejected.with_columns(pl.col("reason").str.replace("^_decimal_", ""))
    cvss = [f.score(d) for d in decimal.values()]
    last_seen = zoned_month_name(first(columns.last_seen))
    last_fixed = zoned_month_name(first(columns.last_fixed))
    state = first(columns.state).str.to_lowercase()
    xref = first(columns.xref)
    plugin = vendor_values.text(pl.col(columns.plugin))

    def wall(expr: pl.Expr) -> pl.Expr:
        return expr.str.replace(ISO_TAIL, "").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)

    frame = raw.with_columns(
        pl.lit(f.content_scan_id(data)).alias("scan_id"),
        pl.lit(scanner).alias("scanner"),
        first(columns.asset).alias("asset_id"),
        source(columns.asset).alias("asset_id_source"),
        vendor_values.text(pl.col(columns.title)).alias("title"),
        severity.alias("severity"),
        severity_source.alias("severity_source"),
        severity_form.alias("severity_form"),
        (pl.coalesce(cvss) if cvss else pl.lit(None, dtype=pl.Float64)).alias("cvss_score"),
        (pl.coalesce([pl.when(v.is_not_null()).then(pl.lit(c)) for c, v in zip(cvss_columns, cvss)])
         if cvss else pl.lit(None, dtype=pl.String)).alias("cvss_source"),
        pl.when(state == "fixed").then(last_fixed).otherwise(pl.lit(None, dtype=pl.String)).alias("fixed_at"),
        pl.when(xref.str.contains(KEV_REFERENCE)).then(pl.lit("true"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias("exploited_in_wild"),
        (f.epss_fraction(epss_column) if epss_column else pl.lit(None, dtype=pl.Float64)).alias("epss"),
        zoned_month_name(first(columns.first_seen)).alias("first_seen"),
        last_seen.alias("last_seen_at"),
        vendor_values.text(pl.col(columns.cve)).str.to_uppercase().str.extract_all(f.CVE_PATTERN).alias("_cves"),
        pl.when(wall(last_seen) >= wall(last_fixed).fill_null(wall(last_seen))).then(last_seen)
        .otherwise(pl.coalesce(last_fixed, last_seen)).alias("_seen_text"),
    ).with_columns(
        wall(pl.col("_seen_text")).alias("_seen"),
    ).with_columns(
        pl.col("_seen_text").sort_by("_seen", descending=True, nulls_last=True).first().over("asset_id")
        .alias("scanned_at"),
    ).with_columns(
        pl.when(pl.col("scanned_at").is_not_null()).then(pl.lit("latest last seen or fixed of the asset"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
        # One row per CVE; a record without one keeps a single row, keyed by plugin.
        pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves").list.unique(maintain_order=True))
        .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
    ).explode("_cves").with_columns(
        pl.coalesce(pl.col("_cves"), pl.lit("NESSUS-") + plugin).alias("vulnerability_id"),
    ).drop("_cves", "_seen", "_seen_text", *decimal.values())
    return f.with_scan_time(frame, path), rejected


DERIVED = (
    "asset_id_source", "severity_source", "severity_form", "cvss_source", "epss", "first_seen",
    "last_seen_at", f.SCANNED_AT_SOURCE,
)


def reported_names(header: list[str]) -> list[str]:
    """Header names that would collide with a canonical or derived column get `_reported`
    (Tenable's own `Severity` is kept as `severity_reported`)."""
    reserved = set(f.CANONICAL) | set(DERIVED)
    return [f"{name}_reported" if name in reserved else name for name in header]


def ordered(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    """Derived columns first, then the export's own in header order (the `_extra` key order)."""
    return frame.select(
        *[c for c in frame.columns if c not in header and c != SOURCE_ROW], SOURCE_ROW, *header
    )


# Columns only Tenable Vulnerability Management's workbench export adds to the Nessus
# names: the platform tracks a state and first/last sightings across scans.
VM_WORKBENCH_MARKERS = ("vulnerability state",)
VM_WORKBENCH_SIGHTINGS = ("first found", "last found")


def is_vm_workbench(header: list[str] | set[str]) -> bool:
    names = set(header)
    return {"plugin id", "host"} <= names and (
        any(m in names for m in VM_WORKBENCH_MARKERS) or set(VM_WORKBENCH_SIGHTINGS) <= names
    )
