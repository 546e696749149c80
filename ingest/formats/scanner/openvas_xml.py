"""OpenVAS / Greenbone XML report (GMP `get_reports`, report format "XML"), read through defusedxml.

Structure: a root `<report id format_id extension content_type>` (or a
`<get_reports_response>` holding it) whose inner `<report id>` has `scan_start`,
`scan_end`, `timestamp`, `results/result` and one `host` per scanned host (`ip`,
`start`, `end`, `detail`s). Each `result` has `name`, `host` (its text the address, a
`hostname` child), `port` ("443/tcp", "general/tcp"), `nvt[@oid]` (`name`, `family`,
`cvss_base`, `severities/severity/score`, `tags` "summary=...|insight=...",
`solution`, `refs/ref[@type, @id]`, CVEs as `ref type="cve"`), `threat` (High, Medium,
Low, Log, False Positive...), `severity` (the score, -1 false positive), `qod/value`,
`description`, `original_threat`, `creation_time`. Recognised by the parsed root:
`report` with Greenbone's `format_id` or `content_type` attribute, or
`get_reports_response`.

Structure from the public fixtures DefectDojo/django-DefectDojo
`unittests/scans/openvas/*.xml` (BSD-3-Clause) and Greenbone's GMP documentation of
`get_reports`; the samples under tests are written from that structure.

Counting rule and threat levels: `_openvas` (one row per result and CVE, else
"OPENVAS-<oid>"; Log is info; False Positive, Debug and Error results are skipped and
counted in the notes). A host of the report's host list without any result left is a
clean-scan row. DefectDojo merges results of one host, port, title, OID and severity.

Fields:
- scan_id: the report's `@id`, else `sha256:<hex>` of the file's bytes.
- scanned_at, per host: its `host/start` in the report's host list; else the report's
  `scan_start`; else the latest `creation_time` of its results; else the file's mtime.
- asset_id: the result's `host/hostname`, else the host address (`_extra.host_ip`).
- severity: from `threat`, see `_openvas`.
- cvss_score: `nvt/cvss_base`, else `nvt/severities/severity/score`, else the result's
  `severity` when it is a score (0 to 10).
- title: `nvt/name`, else the result's `name`. package, fixed_at, exploited_in_wild: blank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
import polars as pl
from defusedxml import DefusedXmlException

from ingest.formats import vendor_values
from ingest.formats._structure import xml_root_element
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner import _openvas as o
from ingest.rules import ParseContext

TEXT_COLUMNS = (
    f.RECORD, "result_id", "host_ip", "hostname", "port", "oid", "title", "nvt_family", "threat",
    "severity_score", "cvss_base", "nvt_score", "qod", "original_threat", "creation_time", "host_start",
)


class OpenvasXml(ExportFormat):
    name: ClassVar[str] = "openvas_xml"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        root = xml_root_element(path, head)
        if root is None or not root.parsed or root.namespace != "":
            return False
        return root.name == "get_reports_response" or (
            root.name == "report" and ("format_id" in root.attributes or "content_type" in root.attributes)
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        report = _inner_report(path, _parse(path))
        columns = _columns(report)
        schema = {name: pl.String for name in TEXT_COLUMNS} | {SOURCE_ROW: pl.Int64, "_cves": pl.List(pl.String)}
        rows = f.frame_from_columns(columns, schema, path)
        rows, notes = o.skipped(rows, "threat", ["host_ip", "hostname"])
        # hosts of the host list with no result left: clean scans
        listed = {ip: start for ip, start in _host_list(report)}
        seen = set(rows["host_ip"].drop_nulls().to_list())
        clean = [ip for ip in listed if ip not in seen]
        if clean:
            rows = pl.concat([rows, pl.DataFrame({
                f.RECORD: [f"report/host[ip={ip}]" for ip in clean], "host_ip": clean,
                SOURCE_ROW: [f.CLEAN_SCAN_ROW] * len(clean), "_cves": [[] for _ in clean],
            }, schema={f.RECORD: pl.String, "host_ip": pl.String, SOURCE_ROW: pl.Int64,
                       "_cves": pl.List(pl.String)})], how="diagonal_relaxed")
        starts = pl.DataFrame({"host_ip": list(listed), "host_start": list(listed.values())},
                              schema={"host_ip": pl.String, "host_start": pl.String})
        rows = rows.drop("host_start").join(starts, on="host_ip", how="left", maintain_order="left")

        severity, form = o.threat_severity(pl.col("threat"))
        score = vendor_values.text(pl.col("severity_score")).cast(pl.Float64, strict=False)
        is_clean = pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW
        scan_start = _text(report, "scan_start")
        frame = rows.with_columns(
            pl.lit(report.get("id") or f.content_scan_id(data)).alias("scan_id"),
            pl.lit(o.SCANNER).alias("scanner"),
            pl.coalesce(vendor_values.text(pl.col("hostname")), vendor_values.text(pl.col("host_ip"))).alias("asset_id"),
            pl.when(vendor_values.text(pl.col("hostname")).is_not_null()).then(pl.lit("hostname"))
            .otherwise(pl.lit("host")).alias("asset_id_source"),
            pl.when(is_clean).then(pl.lit(None, dtype=pl.String)).otherwise(severity).alias("severity"),
            pl.when(is_clean).then(pl.lit(None, dtype=pl.String)).otherwise(form).alias("severity_form"),
            pl.coalesce(
                f.score("cvss_base", False), f.score("nvt_score", False),
                pl.when((score >= 0) & (score <= 10)).then(score),
            ).alias("cvss_score"),
            vendor_values.timestamp(pl.col("creation_time")).alias("_created"),
        ).with_columns(
            o.latest_per_asset(pl.col("_created")).alias("_latest"),
        ).with_columns(
            pl.coalesce(vendor_values.timestamp(pl.col("host_start")), pl.lit(scan_start, dtype=pl.String),
                        pl.col("_latest")).alias("scanned_at"),
            pl.when(vendor_values.text(pl.col("host_start")).is_not_null()).then(pl.lit("host start"))
            .when(pl.lit(scan_start is not None)).then(pl.lit("scan_start"))
            .when(pl.col("_latest").is_not_null()).then(pl.lit("latest creation_time of the host"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
        ).drop("_created", "_latest")
        frame = o.split_cves(frame, "oid")
        frame = f.with_scan_time(frame, path)
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, notes=notes,
        )


def _parse(path: Path) -> Element:
    try:
        return safe_xml.parse(path).getroot()
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise ExportError(f"{path}: not well-formed XML at line {line} column {column}: {error}") from error
    except DefusedXmlException as error:
        raise ExportError(f"{path}: refused XML construct ({type(error).__name__}): {error}") from error


def _inner_report(path: Path, root: Element) -> Element:
    """The element holding `results`: the inner report of the GMP wrapper, or the root itself."""
    if root.tag == "get_reports_response":
        outer = root.find("report")
        if outer is None:
            raise ExportError(f"{path}: <get_reports_response> holds no <report>")
        root = outer
    if root.tag != "report":
        raise ExportError(f"{path}: root element is <{root.tag}>, not a Greenbone <report>")
    inner = root.find("report")
    return inner if inner is not None and inner.find("results") is not None else (
        inner if inner is not None and root.find("results") is None else root)


def _text(element: Element | None, child: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(child)
    return value.strip() if value and value.strip() else None


def _host_list(report: Element) -> list[tuple[str, str | None]]:
    return [(ip, _text(host, "start")) for host in report.iterfind("host") if (ip := _text(host, "ip"))]


def _columns(report: Element) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in (*TEXT_COLUMNS, SOURCE_ROW, "_cves")}
    for number, result in enumerate(report.iterfind("results/result"), start=1):
        host = result.find("host")
        nvt = result.find("nvt")
        address = (host.text or "").strip() or None if host is not None else None
        refs = nvt.iterfind("refs/ref") if nvt is not None else []
        cves = [r.get("id", "").strip().upper() for r in refs if (r.get("type") or "").lower() == "cve"]
        values = {
            f.RECORD: f"results/result[{number}]", SOURCE_ROW: number, "result_id": result.get("id"),
            "host_ip": address, "hostname": _text(host, "hostname"), "port": _text(result, "port"),
            "oid": nvt.get("oid") if nvt is not None else None,
            "title": _text(nvt, "name") or _text(result, "name"), "nvt_family": _text(nvt, "family"),
            "threat": _text(result, "threat"), "severity_score": _text(result, "severity"),
            "cvss_base": _text(nvt, "cvss_base"), "nvt_score": _text(nvt, "severities/severity/score"),
            "qod": _text(result, "qod/value"), "original_threat": _text(result, "original_threat"),
            "creation_time": _text(result, "creation_time"),
            "_cves": [c for c in dict.fromkeys(cves) if c.startswith("CVE-")],
        }
        for name in columns:
            columns[name].append(values.get(name))
    return columns
