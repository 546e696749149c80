"""Qualys VM scan/host-detection report CSV and VMDR "Asset Vuln Datalist" CSV.

Both are one record per detection (host x QID [x port]). Report, company and user
lines may precede the header: the header is the first record naming `QID`,
`Title`, `Severity` and a host column (IP, DNS, NetBIOS, Asset Id/Name/IPV4/IPV6);
what precedes it is the preamble (kept: its report date
is used, see scanned_at). VM columns: IP, DNS, NetBIOS, QID, Title, Vuln Status,
Type, Severity, First/Last Detected (MM/DD/YYYY HH:MM:SS), Date Last Fixed,
CVE ID, CVSS3 Base... VMDR columns: QID, Title, Severity, Status, Asset Id/Name/
IPV4/IPV6, First/Last Detected and Last Fixed ('Mon DD, YYYY HH:MM AM'), RTI...

Counting rule: one row per (detection record, CVE); a record whose `CVE ID` lists
several CVEs (a monthly Windows update QID lists dozens) gives one row each, a
record with none one row keyed "QID-<qid>". The canonical finding is
(scanner 'qualys', asset, CVE or QID-<qid>, blank package): one finding per host
and CVE, or per host and QID without CVE, ports merged — the network-scanner rule
shared with Nessus. Each host of the report is a scan of that host. A record with
a blank QID (a host scanned with no vulnerability) is a clean-scan row.

Fields, and what was completed by which rule:
- scan_id: the export names none: `sha256:<hex>` of the file's bytes.
- scanned_at, per host: the latest `Last Detected` / `Date Last Fixed` (`Last
  Fixed`) of the host's records — when the report last saw the host; else the
  report date of the preamble ("04 Feb 2026 10:00AM GMT-0500"); else the file's
  modification time, marked `_extra.scanned_at_source = "fallback_file_mtime"`.
  Row dates carry no zone: naive ISO text, read by the loader in the configured
  default zone and counted as naive.
- asset_id: the first non-blank of DNS / Asset Name, NetBIOS, IP / Asset IPV4 /
  Asset IPV6, Asset Id (`_extra.asset_id_source` names the column).
- asset_environment: completed by `_assets` (inventory, then name patterns).
- severity: `Severity` 1-5 -> info, low, medium, high, critical (Qualys' Minimal,
  Medium, Serious, Critical, Urgent); information-gathered records (`Type` Ig,
  Info, Information Gathered) are info whatever their level.
- cvss_score: the leading number of `CVSS3.1 Base` / `CVSS3 Base`, else
  `CVSS Base`, else `CVSS3` / `CVSS` ("8.1 (AV:N/...)" -> 8.1).
- fixed_at: `Date Last Fixed` (`Last Fixed`) only when the detection's status is
  Fixed: an Active or Re-Opened detection with a last-fixed date was fixed once and
  came back, so that date is history (kept in `_extra`). First Detected (Qualys' own
  first sighting) is kept in `_extra.first_detected`; the warehouse's first_seen_at
  is the first loaded scan that shows the finding.
- exploited_in_wild: true when the VMDR real-time threat indicators (`RTI`) name
  active attacks / an active exploit / CISA known exploitation, else blank.
- title: `Title`. package: blank (port and protocol in `_extra`).
Every column of the export is kept in `_extra` under its lower-cased header name
(`severity` as `severity_reported`, `title` as the canonical title).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW, read_csv_text, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

HEADER_NAMES = ("qid", "title", "severity")
HOST_COLUMNS = ("ip", "dns", "netbios", "asset id", "asset name", "asset ipv4", "asset ipv6")
SEVERITY_WORDS = {"1": "info", "2": "low", "3": "medium", "4": "high", "5": "critical"}
INFORMATION_TYPES = ("ig", "info", "information gathered")
ASSET_COLUMNS = ("dns", "asset name", "netbios", "ip", "asset ipv4", "asset ipv6", "asset id")
STATUS_COLUMNS = ("vuln status", "status")
LAST_DETECTED = ("last detected",)
LAST_FIXED = ("date last fixed", "last fixed")
FIRST_DETECTED = ("first detected",)
CVE_COLUMNS = ("cve id", "cve")
CVSS_COLUMNS = ("cvss3.1 base", "cvss3 base", "cvss base", "cvss3", "cvss")
EXPLOITED_RTI = r"(?i)active attack|active exploit|cisa known exploit"
REPORT_DATE = re.compile(
    r"^(\d{1,2} [A-Z][a-z]{2} \d{4} \d{1,2}:\d{2} ?[AP]M)(?: (?:GMT|UTC)([+-]\d{2}):?(\d{2}))?$"
)


class QualysCsv(ExportFormat):
    name: ClassVar[str] = "qualys_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        found = f.find_csv_header(head, HEADER_NAMES)
        return found is not None and any(name in found[1] for name in HOST_COLUMNS)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        found = f.find_csv_header(data[:HEAD_BYTES], HEADER_NAMES)
        if found is None:
            raise ExportError(f"{path}: no Qualys header (QID, Title, Severity) in the first records")
        lines_before, header = found
        header = [_rename(name) for name in header]
        table = f.read_csv_after(path, lines_before, header) if lines_before else read_csv_text(path, header)
        raw = tidy_text(table, header)
        present = set(header)
        report_date = _report_date(data, lines_before)

        def first(columns: tuple[str, ...]) -> pl.Expr:
            chosen = [vendor_values.text(pl.col(c)) for c in columns if c in present]
            return pl.coalesce(chosen) if chosen else pl.lit(None, dtype=pl.String)

        def naive_iso(columns: tuple[str, ...]) -> pl.Expr:
            return vendor_values.timestamp(first(columns))

        asset_columns = [c for c in ASSET_COLUMNS if c in present]
        asset = first(tuple(asset_columns))
        status = first(STATUS_COLUMNS).str.to_lowercase()
        last_fixed = naive_iso(LAST_FIXED)
        level = first(("severity_reported",))
        kind = first(("type",)).str.to_lowercase()
        cvss_columns = [c for c in CVSS_COLUMNS if c in present]
        cvss = [f.score(c, False) for c in cvss_columns]
        qid = vendor_values.text(pl.col("qid"))

        frame = raw.with_columns(
            pl.lit(f.content_scan_id(data)).alias("scan_id"),
            pl.lit("qualys").alias("scanner"),
            asset.alias("asset_id"),
            pl.coalesce([pl.when(vendor_values.text(pl.col(c)).is_not_null()).then(pl.lit(c))
                         for c in asset_columns] or [pl.lit(None, dtype=pl.String)]).alias("asset_id_source"),
            pl.when(kind.is_in(list(INFORMATION_TYPES))).then(pl.lit("info"))
            .otherwise(level.replace(SEVERITY_WORDS)).alias("severity"),
            (pl.coalesce(cvss) if cvss else pl.lit(None, dtype=pl.Float64)).alias("cvss_score"),
            pl.when(status == "fixed").then(last_fixed).otherwise(pl.lit(None, dtype=pl.String)).alias("fixed_at"),
            (pl.when(pl.col("rti").str.contains(EXPLOITED_RTI)).then(pl.lit("true"))
             .otherwise(pl.lit(None, dtype=pl.String)) if "rti" in present
             else pl.lit(None, dtype=pl.String)).alias("exploited_in_wild"),
            naive_iso(FIRST_DETECTED).alias("first_detected"),
            first(CVE_COLUMNS).str.extract_all(f.CVE_PATTERN).alias("_cves"),
            pl.lit(report_date, dtype=pl.String).alias("report_generated_at"),
            # The host's latest sighting, over all its records.
            pl.max_horizontal(
                naive_iso(LAST_DETECTED).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
                last_fixed.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
            ).alias("_seen"),
        ).with_columns(
            pl.col("_seen").max().over("asset_id").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_host_seen"),
        ).with_columns(
            pl.coalesce("_host_seen", "report_generated_at").alias("scanned_at"),
            pl.when(pl.col("_host_seen").is_not_null()).then(pl.lit("last detected or fixed of the host"))
            .when(pl.col("report_generated_at").is_not_null()).then(pl.lit("report date"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
            pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves"))
            .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
        ).explode("_cves").with_columns(
            pl.when(qid.is_null()).then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.coalesce(pl.col("_cves"), pl.lit("QID-") + qid)).alias("vulnerability_id"),
        ).drop("_cves", "_seen", "_host_seen")
        frame = f.with_scan_time(frame, path)
        derived = [c for c in frame.columns if c not in header and c != SOURCE_ROW]
        frame = frame.select(*derived, "title", SOURCE_ROW, *[c for c in header if c != "title"])
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}
        )


def _rename(name: str) -> str:
    """Header names that would collide with canonical ones, except title (same meaning)."""
    return "severity_reported" if name == "severity" else name


def _report_date(data: bytes, lines_before: int) -> str | None:
    """The report date of the preamble, as ISO text (with its offset when it states one)."""
    if not lines_before:
        return None
    text = f.head_text(data[:HEAD_BYTES])
    preamble = "\n".join(text.splitlines()[:lines_before])
    for record in csv.reader(io.StringIO(preamble)):
        for value in record:
            match = REPORT_DATE.match(value.strip())
            if not match:
                continue
            clock = match.group(1)
            layout = "%d %b %Y %I:%M %p" if clock[-3] == " " else "%d %b %Y %I:%M%p"
            moment = datetime.strptime(clock, layout)
            iso = moment.strftime("%Y-%m-%dT%H:%M:%S")
            if match.group(2):
                iso += f"{match.group(2)}:{match.group(3)}"
            return iso
    return None
