"""What the OpenVAS / Greenbone XML report and CSV results share: the counting rule and the
mapping of a result's threat level.

Counting rule: one row per (result, CVE): a result whose NVT names several CVEs gives one row
each, one naming none a row keyed "OPENVAS-<NVT OID>" (a CVE-scanner result, whose OID is the
CVE itself, is keyed by that CVE). The finding is (scanner 'openvas', host, CVE or OID, blank
package): one per host and CVE or NVT, ports merged (the network-scanner rule of `nessus_csv`
and `qualys_csv`). Each host is a scan of that host.

Threat levels (Greenbone's `threat`, the CSV's `Severity`):
- High, Medium, Low (and Critical, which Greenbone 22.4+ can write) are findings of that
  severity, as the scanner rates them: a High result with CVSS 9.8 stays high.
- Log (severity 0.0: detections, service banners) is a finding of severity info, as Nessus's
  informational plugins and Qualys's information gathered.
- False Positive (an override set the result to severity -1), Debug (-2) and Error (-3) are
  not findings: such results are skipped and counted in the parse notes; the host still
  counts as scanned (a clean-scan row when nothing else is left of it).
- A blank threat leaves the severity blank (the loader derives it from `cvss_score`), marked
  `_extra.severity_form`.
"""

from __future__ import annotations

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f

SCANNER = "openvas"
THREATS = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "log": "info"}
NOT_FINDINGS = ("false positive", "debug", "error")
# Times a clean-scan row keeps from the skipped record it stands for.
TIME_COLUMNS = ("timestamp", "creation_time")


def threat_severity(threat: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(severity, severity_form) from a threat word."""
    word = vendor_values.text(threat).str.to_lowercase()
    severity = (
        pl.when(word.is_in(list(THREATS))).then(word.replace_strict(THREATS, default=None))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    form = (
        pl.when(word.is_null()).then(pl.lit("threat blank: derived from cvss_score"))
        .when(~word.is_in(list(THREATS))).then(pl.lit("unrecognised threat"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return severity, form


def skipped(frame: pl.DataFrame, threat: str, host_columns: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """The results that are findings, and notes counting the ones that are not.

    A host all of whose results are skipped stays in as one clean-scan row (`_source_row` 0,
    the first skipped record's host columns and times only): it was scanned.
    """
    word = vendor_values.text(pl.col(threat)).str.to_lowercase()
    not_finding = word.is_in(list(NOT_FINDINGS)).fill_null(False)
    counts = frame.filter(not_finding).group_by(word.alias("threat")).len().sort("threat")
    notes = [f"{row['len']} result(s) of threat '{row['threat']}' skipped: not findings"
             for row in counts.to_dicts()]
    kept = frame.filter(~not_finding)
    gone = frame.filter(not_finding).join(kept.select(host_columns).unique(), on=host_columns, how="anti",
                                          nulls_equal=True)
    keep = [*host_columns, *[c for c in TIME_COLUMNS if c in frame.columns]]
    clean = gone.unique(subset=host_columns, keep="first", maintain_order=True).select(
        *keep, pl.lit(f.CLEAN_SCAN_ROW, dtype=pl.Int64).alias(SOURCE_ROW),
    )
    if "_cves" in frame.columns:
        clean = clean.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("_cves"))
    if not clean.is_empty():
        notes.append(f"{clean.height} host(s) with only skipped results kept as clean scans")
    return pl.concat([kept, clean], how="diagonal_relaxed"), notes


def split_cves(frame: pl.DataFrame, oid: str) -> pl.DataFrame:
    """One row per CVE of `_cves` (a list column); none: the OID's CVE, else OPENVAS-<oid>."""
    nvt = vendor_values.text(pl.col(oid))
    clean = pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW
    return frame.with_columns(
        pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves").list.unique(maintain_order=True))
        .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
    ).explode("_cves").with_columns(
        pl.when(clean).then(pl.lit(None, dtype=pl.String))
        .when(pl.col("_cves").is_not_null()).then(pl.col("_cves"))
        .when(nvt.str.to_uppercase().str.contains(f"^{f.CVE_PATTERN}$")).then(nvt.str.to_uppercase())
        .otherwise(pl.lit("OPENVAS-") + nvt).alias("vulnerability_id"),
    ).drop("_cves")


def latest_per_asset(text: pl.Expr) -> pl.Expr:
    """The latest of an ISO-text time column over each asset's rows."""
    wall = text.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    return text.sort_by(wall, descending=True, nulls_last=True).first().over("asset_id")
