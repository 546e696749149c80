"""Nessus `.nessus` v2 XML export (`<NessusClientData_v2>`), read through defusedxml.

Structure: `Report/ReportHost[@name]` with `HostProperties/tag[@name]` (HOST_START,
HOST_START_TIMESTAMP, host-ip, host-fqdn...) and `ReportItem`s (attributes
pluginID, pluginName, port, protocol, severity 0-4; children risk_factor,
cvss3_base_score, cvss_base_score, cve*, xref*, epss_score...).

Counting rule: one row per (ReportItem, CVE): an item naming several `<cve>`s
gives one row each, an item naming none gives one row keyed "NESSUS-<pluginID>".
The canonical finding is (scanner 'nessus', host, CVE or NESSUS-<pluginID>, blank
package): one finding per host and CVE, or per host and plugin when the plugin
names no CVE, whatever ports and plugins report it — the same rule as
`nessus_csv`. Informational items (severity 0) are findings of severity info. Each
ReportHost is a scan of that host; a ReportHost without any ReportItem gives a
clean-scan row (blank vulnerability_id).

Fields, and what was completed by which rule:
- scan_id: the export names none: `sha256:<hex>` of the file's bytes.
- scanned_at, per host: `HOST_START_TIMESTAMP` (epoch seconds, UTC); else
  `HOST_START` ("Tue Jun 25 10:32:42 2013", the scanner's local time without a
  zone: naive ISO text, read by the loader in the configured default zone and
  counted as naive); else the file's modification time, marked
  `_extra.scanned_at_source = "fallback_file_mtime"`.
- asset_id: the ReportHost `name` (what the scan was pointed at); host-ip,
  host-fqdn, netbios-name in `_extra`.
- asset_environment: completed by `_assets` (inventory, then name patterns).
- severity: the item's `severity` 0-4 -> info, low, medium, high, critical; when it
  is absent or not 0-4, `risk_factor` (None -> info).
- cvss_score: `cvss3_base_score`, else `cvss_base_score` (v2), else
  `cvss4_base_score`; `_extra.cvss_source` names it.
- exploited_in_wild: true when an `xref` is `CISA-KNOWN-EXPLOITED:...` or the item
  has a `cisa-known-exploited` element, else blank.
- EPSS: `epss_score` as written, a probability in [0, 1], in `_extra.epss`. An item
  with a CVSS score outside 0..10 or an EPSS score outside 0..1 is refused with its
  reason, never rescaled (same rule as the CSV, nessus_csv.py).
- title: `pluginName`. package, fixed_at: blank (port, protocol, service in `_extra`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
import polars as pl
from defusedxml import DefusedXmlException

from ingest.formats import vendor_values
from ingest.formats._structure import xml_root
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

ROOT = "NessusClientData_v2"
SEVERITY_WORDS = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
RISK_WORDS = {"none": "info"}
ITEM_ATTRIBUTES = {"plugin_id": "pluginID", "title": "pluginName", "port": "port", "protocol": "protocol",
                   "service": "svc_name", "severity_level": "severity", "plugin_family": "pluginFamily"}
ITEM_CHILDREN = ("risk_factor", "cvss3_base_score", "cvss_base_score", "cvss4_base_score", "epss_score",
                 "vpr_score", "exploit_available", "exploited_by_malware", "plugin_type")
CVSS_CHILDREN = ("cvss3_base_score", "cvss_base_score", "cvss4_base_score")
HOST_TAGS = {"host_start_timestamp": "HOST_START_TIMESTAMP", "host_start": "HOST_START",
             "host_end": "HOST_END", "host_ip": "host-ip", "host_fqdn": "host-fqdn",
             "netbios_name": "netbios-name", "operating_system": "operating-system"}


class NessusXml(ExportFormat):
    name: ClassVar[str] = "nessus_xml"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: the XML root element is NessusClientData_v2 (read up to the
        # root's start tag through defusedxml).
        root = xml_root(path, head)
        return root is not None and root[0] == ROOT

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        items, hosts = _read(path)
        item_frame = pl.DataFrame(items, schema=_item_schema())
        host_frame = pl.DataFrame(hosts, schema={name: pl.String for name in ("host", "record", *HOST_TAGS)}
                                  | {"host_index": pl.Int64, "items": pl.Int64})

        # Hosts without items: one clean-scan row each.
        clean = host_frame.filter(pl.col("items") == 0).select(
            "host_index", pl.col("record").alias(f.RECORD),
            pl.lit(f.CLEAN_SCAN_ROW, dtype=pl.Int64).alias(SOURCE_ROW),
        )
        rows = pl.concat([item_frame, clean], how="diagonal_relaxed").join(
            host_frame.drop("record", "items"), on="host_index", how="left", maintain_order="left"
        )

        severity_level = vendor_values.text(pl.col("severity_level"))
        risk = pl.col("risk_factor").str.strip_chars()
        rows, rejected = f.refuse_out_of_scale(
            rows, [(c, "cvss_score", f.CVSS_SCALE) for c in CVSS_CHILDREN] + [("epss_score", "epss", f.EPSS_SCALE)]
        )
        cvss = [f.score(c) for c in CVSS_CHILDREN]
        start = pl.col("host_start").str.replace(r"^[A-Za-z]{3}\s+", "").str.replace_all(r"\s+", " ")
        start_iso = start.str.strptime(pl.Datetime("us"), "%b %d %H:%M:%S %Y", strict=False).dt.strftime(
            "%Y-%m-%dT%H:%M:%S")
        epoch = vendor_values.text(pl.col("host_start_timestamp"))
        frame = rows.with_columns(
            pl.lit(f.content_scan_id(data)).alias("scan_id"),
            pl.when(epoch.is_not_null()).then(vendor_values.timestamp(epoch))
            .otherwise(pl.when(start.is_not_null()).then(pl.coalesce(start_iso, start)))
            .alias("scanned_at"),
            pl.when(epoch.is_not_null()).then(pl.lit("HOST_START_TIMESTAMP"))
            .when(start.is_not_null()).then(pl.lit("HOST_START"))
            .otherwise(pl.lit(None, dtype=pl.String)).alias(f.SCANNED_AT_SOURCE),
            pl.lit("nessus").alias("scanner"),
            pl.col("host").alias("asset_id"),
            pl.when(severity_level.is_in(list(SEVERITY_WORDS))).then(severity_level.replace(SEVERITY_WORDS))
            .when(risk.str.to_lowercase().is_in(list(RISK_WORDS))).then(risk.str.to_lowercase().replace(RISK_WORDS))
            .otherwise(risk).alias("severity"),
            pl.coalesce(cvss).alias("cvss_score"),
            pl.coalesce([pl.when(v.is_not_null()).then(pl.lit(n)) for n, v in zip(CVSS_CHILDREN, cvss)])
            .alias("cvss_source"),
            pl.when(pl.col("xrefs").list.eval(pl.element().str.contains(r"(?i)^CISA-KNOWN-EXPLOITED")).list.any()
                    | pl.col("cisa_known_exploited").is_not_null())
            .then(pl.lit("true")).otherwise(pl.lit(None, dtype=pl.String)).alias("exploited_in_wild"),
            f.epss_fraction("epss_score").alias("epss"),
        )
        frame = frame.with_columns(
            pl.when(pl.col("cves").list.len() > 0).then(pl.col("cves"))
            .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("cves"),
        ).explode("cves").with_columns(
            pl.when(pl.col(SOURCE_ROW) == f.CLEAN_SCAN_ROW).then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.coalesce(pl.col("cves"), pl.lit("NESSUS-") + pl.col("plugin_id")))
            .alias("vulnerability_id"),
        ).drop("cves", "host_index", "host", "severity_level", "xrefs")
        frame = f.with_scan_time(frame, path)
        return ParsedExport(
            format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, rejected=rejected,
        )


def _item_schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {f.RECORD: pl.String, SOURCE_ROW: pl.Int64, "host_index": pl.Int64}
    schema.update({name: pl.String for name in ITEM_ATTRIBUTES})
    schema.update({name: pl.String for name in ITEM_CHILDREN})
    schema.update({"cisa_known_exploited": pl.String, "cves": pl.List(pl.String), "xrefs": pl.List(pl.String)})
    return schema


def _read(path: Path) -> tuple[dict[str, list], dict[str, list]]:
    """Column lists of ReportItems and of ReportHosts, streamed (elements freed as read)."""
    items: dict[str, list] = {name: [] for name in _item_schema()}
    hosts: dict[str, list] = {name: [] for name in ("host_index", "host", "record", "items", *HOST_TAGS)}
    host_index = -1
    host_items = 0
    item_number = 0
    root_checked = False
    try:
        for event, element in safe_xml.iterparse(path, events=("start", "end")):
            if not root_checked:
                if element.tag != ROOT:
                    raise ExportError(f"{path}: root element is <{element.tag}>, not <{ROOT}>")
                root_checked = True
            if event == "start":
                if element.tag == "ReportHost":
                    host_index += 1
                    host_items = 0
                continue
            if element.tag == "ReportItem":
                item_number += 1
                host_items += 1
                where = f"ReportHost[{host_index + 1}]/ReportItem[{host_items}]"
                if host_index < 0:
                    raise ExportError(f"{path}: ReportItem {item_number} lies outside any ReportHost")
                items[f.RECORD].append(where)
                items[SOURCE_ROW].append(item_number)
                items["host_index"].append(host_index)
                for name, attribute in ITEM_ATTRIBUTES.items():
                    items[name].append(element.get(attribute))
                for name in ITEM_CHILDREN:
                    items[name].append(element.findtext(name))
                items["cisa_known_exploited"].append(element.findtext("cisa-known-exploited"))
                items["cves"].append([c.text.strip() for c in element.findall("cve") if c.text and c.text.strip()])
                items["xrefs"].append([x.text.strip() for x in element.findall("xref") if x.text and x.text.strip()])
                element.clear()
            elif element.tag == "ReportHost":
                name = element.get("name")
                tags = {
                    tag.get("name"): tag.text for tag in element.iterfind("HostProperties/tag")
                }
                hosts["host_index"].append(host_index)
                hosts["host"].append(name.strip() if name and name.strip() else None)
                hosts["record"].append(f"ReportHost[{host_index + 1}]")
                hosts["items"].append(host_items)
                for column, tag in HOST_TAGS.items():
                    hosts[column].append(tags.get(tag))
                element.clear()
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise ExportError(f"{path}: not well-formed XML at line {line} column {column}: {error}") from error
    except DefusedXmlException as error:
        raise ExportError(f"{path}: refused XML construct ({type(error).__name__}): {error}") from error
    if not root_checked:
        raise ExportError(f"{path}: empty XML document")
    return items, hosts
