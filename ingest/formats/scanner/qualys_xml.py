"""Qualys VM XML: the scan report (`<SCAN>`) and the asset data report (`<ASSET_DATA_REPORT>`).

Read through defusedxml (no entities; the `<!DOCTYPE ... SYSTEM "...dtd">` line Qualys
writes is never fetched). Recognised by the parsed root element.

Scan report (Qualys `scan-1.dtd`; "Scan Results" XML of the web UI and
`/api/2.0/fo/scan/?action=fetch`): `HEADER/KEY[@value]` (DATE, TITLE, TARGET,
STATUS...), then one `IP[@value, @name]` per host with `OS`, and detections in
`VULNS/CAT/VULN` (confirmed), `PRACTICES/CAT/PRACTICE` (potential), `INFOS/CAT/INFO`
(information gathered) and `SERVICES/CAT/SERVICE` (services detected); each
detection has `@number` (QID), `@severity` 1-5, `@cveid` (comma list), children
`TITLE`, `CVSS_BASE`, `CVSS3_BASE`, `CVE_ID_LIST/CVE_ID/ID`, `PCI_FLAG`, `RESULT`;
its `CAT` has `@value` (category), `@port`, `@protocol`, `@fqdn`.

Asset data report (Qualys `asset_data_report.dtd`): `HEADER/GENERATION_DATETIME`,
`HOST_LIST/HOST` (`IP`, `DNS`, `NETBIOS`, `FQDN`, `TRACKING_METHOD`,
`OPERATING_SYSTEM`) with `VULN_INFO_LIST/VULN_INFO` (`QID[@id]`, `TYPE` Vuln /
Practice / Ig, `PORT`, `PROTOCOL`, `SSL`, `FIRST_FOUND`, `LAST_FOUND`,
`TIMES_FOUND`, `VULN_STATUS`, `LAST_FIXED`, `CVSS_FINAL`, `CVSS3_FINAL`), and
the QIDs described once in `GLOSSARY/VULN_DETAILS_LIST/VULN_DETAILS[@id]`
(`TITLE`, `SEVERITY` 1-5, `CATEGORY`, `CVE_ID_LIST/CVE_ID/ID`,
`CVSS_SCORE/CVSS_BASE`, `CVSS3_SCORE/CVSS3_BASE`, `PCI_FLAG`).

Structure from Qualys's DTDs as the public fixtures show them:
DefectDojo/django-DefectDojo `unittests/scans/qualys/Qualys_Sample_Report.xml`,
`unittests/scans/qualys/empty.xml` (asset data report) and
`unittests/scans/qualys_infrascan_webgui/*.xml` (scan report) (BSD-3-Clause); the
samples under tests are written from that structure.

Counting rule: one row per (detection, CVE), as `qualys_csv`: a detection naming
several CVEs gives one row each, one naming none a row keyed "QID-<qid>". The
finding is (scanner 'qualys', asset, CVE or QID-<qid>, blank package): ports merged.
Every detection counts, confirmed, potential and information gathered alike
(information gathered and services are severity info, as in `qualys_csv`). Each
host is a scan of that host; a host with no detection is a clean-scan row. An
asset data report without HOST_LIST (Qualys writes one when the template matched
nothing) has no rows.

Fields:
- scan_id: the scan report's `SCAN/@value` (its scan reference), else
  `sha256:<hex>` of the file's bytes.
- scanned_at: scan report: `HEADER/KEY[@value=DATE]` (the scan's launch time);
  asset data report, per host: the latest `LAST_FOUND` / `LAST_FIXED` of its
  detections, else `GENERATION_DATETIME`; else the file's modification time (marked).
- asset_id: scan report `IP/@name` (unless "No registered hostname"), else
  `IP/@value`; asset data report `DNS`, else `NETBIOS`, else `IP` (the order of
  `qualys_csv`); `_extra.asset_id_source` names it.
- severity: the QID's severity 1-5 -> info, low, medium, high, critical
  (`qualys_csv`'s rule); information gathered (`Ig`, `INFO`, `SERVICE`) is info.
  A severity word where 1-5 was expected is read and marked `_extra.severity_form`.
- cvss_score: CVSS v3 (`CVSS3_FINAL`, else `CVSS3_BASE`), else v2 (`CVSS_FINAL`,
  else `CVSS_BASE`); the leading number of "9.0 (AV:N/...)".
- fixed_at: `LAST_FIXED` when `VULN_STATUS` is Fixed.
- title: `TITLE`. package, exploited_in_wild: blank (port, protocol, category,
  type, PCI flag, first found, times found in `_extra`).
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
from ingest.formats.scanner.qualys_csv import SEVERITY_WORDS
from ingest.rules import ParseContext

ROOTS = ("SCAN", "ASSET_DATA_REPORT")
SCAN_SECTIONS = (("VULNS", "VULN", "Vuln"), ("PRACTICES", "PRACTICE", "Practice"),
                 ("INFOS", "INFO", "Ig"), ("SERVICES", "SERVICE", "Service"))
INFORMATION_TYPES = ("ig", "service", "info", "information gathered")
NO_HOSTNAME = "No registered hostname"
TEXT_COLUMNS = (
    f.RECORD, "host", "asset_id", "asset_id_source", "qid", "type", "category", "port", "protocol",
    "title", "severity_level", "cvss3", "cvss2", "pci_flag", "vuln_status", "first_found",
    "last_found", "last_fixed", "times_found", "operating_system", "host_dns", "host_ip",
    "host_netbios", "glossary",
)


class QualysXml(ExportFormat):
    name: ClassVar[str] = "qualys_xml"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        root = xml_root_element(path, head)
        return root is not None and root.parsed and root.namespace == "" and root.name in ROOTS

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        root = _parse(path)
        if root.tag == "SCAN":
            columns, scan_id, report_time = _scan_report(root)
        elif root.tag == "ASSET_DATA_REPORT":
            columns, scan_id, report_time = _asset_data_report(root)
        else:
            raise ExportError(f"{path}: root element is <{root.tag}>, not <SCAN> or <ASSET_DATA_REPORT>")
        schema = {name: pl.String for name in TEXT_COLUMNS} | {SOURCE_ROW: pl.Int64, "cves": pl.List(pl.String)}
        rows = f.frame_from_columns(columns, schema, path)

        level = vendor_values.text(pl.col("severity_level"))
        word = level.str.to_lowercase()
        kind = vendor_values.text(pl.col("type")).str.to_lowercase()
        clean = pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW
        last_found = vendor_values.timestamp(pl.col("last_found"))
        last_fixed = vendor_values.timestamp(pl.col("last_fixed"))
        wall = lambda e: e.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "").str.to_datetime(  # noqa: E731
            "%Y-%m-%dT%H:%M:%S%.f", strict=False)
        words = {"minimal": "info", "medium": "low", "serious": "medium", "critical": "high", "urgent": "critical",
                 "info": "info", "low": "low", "high": "high"}
        frame = rows.with_columns(
            pl.lit(scan_id or f.content_scan_id(data)).alias("scan_id"),
            pl.lit("qualys").alias("scanner"),
            pl.when(clean).then(pl.lit(None, dtype=pl.String))
            .when(kind.is_in(list(INFORMATION_TYPES))).then(pl.lit("info"))
            .when(level.is_in(list(SEVERITY_WORDS))).then(level.replace_strict(SEVERITY_WORDS, default=None))
            .when(word.is_in(list(words))).then(word.replace_strict(words, default=None))
            .otherwise(level).alias("severity"),
            pl.when(~clean & level.is_not_null() & ~level.is_in(list(SEVERITY_WORDS)))
            .then(pl.lit("word where a level 1-5 was expected"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias("severity_form"),
            pl.coalesce(f.score("cvss3", False), f.score("cvss2", False)).alias("cvss_score"),
            pl.when(vendor_values.text(pl.col("vuln_status")).str.to_lowercase() == "fixed").then(last_fixed)
            .otherwise(pl.lit(None, dtype=pl.String)).alias("fixed_at"),
            pl.when(wall(last_found) >= wall(last_fixed).fill_null(wall(last_found))).then(last_found)
            .otherwise(pl.coalesce(last_fixed, last_found)).alias("_seen_text"),
            pl.lit(report_time, dtype=pl.String).alias("report_time"),
        ).with_columns(
            wall(pl.col("_seen_text")).alias("_seen"),
        )
        if rows.height and root.tag == "SCAN":
            frame = frame.with_columns(
                pl.col("report_time").alias("scanned_at"),
                pl.lit("HEADER KEY DATE").alias(f.SCANNED_AT_SOURCE),
            )
        else:
            frame = frame.with_columns(
                pl.col("_seen_text").sort_by("_seen", descending=True, nulls_last=True).first().over("asset_id")
                .alias("_host_seen"),
            ).with_columns(
                pl.coalesce("_host_seen", "report_time").alias("scanned_at"),
                pl.when(pl.col("_host_seen").is_not_null()).then(pl.lit("last found or fixed of the host"))
                .when(pl.col("report_time").is_not_null()).then(pl.lit("GENERATION_DATETIME"))
                .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
            ).drop("_host_seen")
        frame = frame.with_columns(
            pl.when(pl.col("cves").list.len() > 0).then(pl.col("cves").list.unique(maintain_order=True))
            .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("cves"),
        ).explode("cves").with_columns(
            pl.when(clean).then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.coalesce(pl.col("cves"), pl.lit("QID-") + pl.col("qid"))).alias("vulnerability_id"),
        ).drop("cves", "_seen", "_seen_text", "host")
        frame = f.with_scan_time(frame, path)
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)})


def _parse(path: Path) -> Element:
    try:
        return safe_xml.parse(path).getroot()
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise ExportError(f"{path}: not well-formed XML at line {line} column {column}: {error}") from error
    except DefusedXmlException as error:
        raise ExportError(f"{path}: refused XML construct ({type(error).__name__}): {error}") from error


def _text(element: Element | None, child: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(child)
    return value.strip() if value and value.strip() else None


def _cves(element: Element, attribute: str | None = None) -> list[str]:
    found = [c.text.strip().upper() for c in element.iterfind("CVE_ID_LIST/CVE_ID/ID") if c.text and c.text.strip()]
    if attribute and element.get(attribute):
        found += [c.strip().upper() for c in element.get(attribute, "").split(",") if c.strip()]
    return [c for c in dict.fromkeys(found) if c.startswith("CVE-")]


def _new_columns() -> dict[str, list[Any]]:
    return {name: [] for name in (*TEXT_COLUMNS, SOURCE_ROW, "cves")}


def _append(columns: dict[str, list[Any]], values: dict[str, Any]) -> None:
    for name in columns:
        columns[name].append(values.get(name))


def _scan_report(root: Element) -> tuple[dict[str, list[Any]], str | None, str | None]:
    keys = {key.get("value"): (key.text or "").strip() for key in root.iterfind("HEADER/KEY")}
    columns = _new_columns()
    number = 0
    for host_index, host in enumerate(root.iterfind("IP"), start=1):
        name = (host.get("name") or "").strip()
        name = None if not name or name == NO_HOSTNAME else name
        address = (host.get("value") or "").strip() or None
        base = {
            "host": str(host_index), "asset_id": name or address,
            "asset_id_source": "IP/@name" if name else ("IP/@value" if address else None),
            "host_ip": address, "host_dns": name, "operating_system": _text(host, "OS"),
        }
        detections = 0
        for section, tag, kind in SCAN_SECTIONS:
            for category in host.iterfind(f"{section}/CAT"):
                for item in category.iterfind(tag):
                    number += 1
                    detections += 1
                    _append(columns, base | {
                        f.RECORD: f"IP[{host_index}]/{section}/CAT/{tag}[@number={item.get('number')}]",
                        SOURCE_ROW: number, "qid": (item.get("number") or "").strip() or None,
                        "type": kind, "category": category.get("value"), "port": category.get("port"),
                        "protocol": category.get("protocol"), "title": _text(item, "TITLE"),
                        "severity_level": item.get("severity"), "cvss3": _text(item, "CVSS3_BASE"),
                        "cvss2": _text(item, "CVSS_BASE"), "pci_flag": _text(item, "PCI_FLAG"),
                        "cves": _cves(item, "cveid"),
                    })
        if not detections:
            _append(columns, base | {f.RECORD: f"IP[{host_index}]", SOURCE_ROW: f.CLEAN_SCAN_ROW, "cves": []})
    return columns, (root.get("value") or "").strip() or None, keys.get("DATE") or None


def _asset_data_report(root: Element) -> tuple[dict[str, list[Any]], str | None, str | None]:
    glossary: dict[str, Element] = {
        item.get("id", ""): item for item in root.iterfind("GLOSSARY/VULN_DETAILS_LIST/VULN_DETAILS")
    }
    columns = _new_columns()
    number = 0
    for host_index, host in enumerate(root.iterfind("HOST_LIST/HOST"), start=1):
        dns, netbios, address = _text(host, "DNS"), _text(host, "NETBIOS"), _text(host, "IP")
        source = "DNS" if dns else ("NETBIOS" if netbios else ("IP" if address else None))
        base = {
            "host": str(host_index), "asset_id": dns or netbios or address, "asset_id_source": source,
            "host_dns": dns, "host_netbios": netbios, "host_ip": address,
            "operating_system": _text(host, "OPERATING_SYSTEM"),
        }
        detections = 0
        for item in host.iterfind("VULN_INFO_LIST/VULN_INFO"):
            number += 1
            detections += 1
            qid_element = item.find("QID")
            qid_ref = qid_element.get("id", "") if qid_element is not None else ""
            qid = _text(item, "QID") or qid_ref.removeprefix("qid_") or None
            details = glossary.get(qid_ref) or glossary.get(f"qid_{qid}")
            _append(columns, base | {
                f.RECORD: f"HOST_LIST/HOST[{host_index}]/VULN_INFO_LIST/VULN_INFO[{detections}]",
                SOURCE_ROW: number, "qid": qid, "type": _text(item, "TYPE"),
                "category": _text(details, "CATEGORY"), "port": _text(item, "PORT"),
                "protocol": _text(item, "PROTOCOL"), "title": _text(details, "TITLE"),
                "severity_level": _text(details, "SEVERITY"),
                "cvss3": _text(item, "CVSS3_FINAL") or _text(details, "CVSS3_SCORE/CVSS3_BASE"),
                "cvss2": _text(item, "CVSS_FINAL") or _text(details, "CVSS_SCORE/CVSS_BASE"),
                "pci_flag": _text(details, "PCI_FLAG"), "vuln_status": _text(item, "VULN_STATUS"),
                "first_found": _text(item, "FIRST_FOUND"), "last_found": _text(item, "LAST_FOUND"),
                "last_fixed": _text(item, "LAST_FIXED"), "times_found": _text(item, "TIMES_FOUND"),
                "glossary": None if details is not None else "missing",
                "cves": _cves(details) if details is not None else [],
            })
        if not detections:
            _append(columns, base | {f.RECORD: f"HOST_LIST/HOST[{host_index}]", SOURCE_ROW: f.CLEAN_SCAN_ROW,
                                     "cves": []})
    return columns, None, _text(root, "HEADER/GENERATION_DATETIME")
