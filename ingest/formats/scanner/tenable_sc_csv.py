"""Tenable.sc (SecurityCenter) vulnerability CSV export.

Columns (the "Vulnerability Detail List" export, any subset the user ticked):
`Plugin, Plugin Name, Family, Severity, IP Address, Protocol, Port, Exploit?,
Repository, MAC Address, DNS Name, NetBIOS Name, Plugin Output (or Plugin Text),
Synopsis, Description, Solution (or Steps to Remediate), See Also, Risk Factor,
STIG Severity, Vulnerability Priority Rating, CVSS V2 Base Score, CVSS V3 Base
Score, ..., CPE, CVE, BID, Cross References, First Discovered, Last Observed, Vuln
Publication Date, Patch Publication Date, Plugin Publication Date, Plugin
Modification Date, Exploit Ease, Exploit Frameworks, Check Type, Version, ...,
Agent ID, Host ID`. Dates are written `Jan 5, 2021 10:24:08 MST`, in the zone the
Tenable.sc server names. Recognised by `Plugin`, `Plugin Name`, `Severity` and
`IP Address` without `Plugin ID` (which Nessus and Tenable VM write instead), so
`nessus_csv`, `tenable_vm_csv` and this format never claim the same file.

Structure from the public fixtures DefectDojo/django-DefectDojo
`unittests/scans/tenable/issue_11102.csv`, `unittests/scans/tenable/issue_9612.csv`
and `unittests/scans/tenable/nessus/nessus_many_vuln.csv` (BSD-3-Clause); the
samples under tests are written from that structure.

Counting rule: one row per (record, CVE), the Nessus rule (`_tenable`): a record
naming several CVEs gives one row each, one naming none a row keyed
"NESSUS-<Plugin>". The finding is (scanner 'tenable_sc', asset, CVE or plugin,
blank package), one per host whatever its ports. A record without a plugin is
blank (Tenable.sc pads exports with separator-only lines) and is dropped as a
blank record. Each asset is a scan of that asset at its latest `Last Observed`.
DefectDojo merges records of one severity, title, port and synopsis across
hosts (its key has no host for this layout).

Fields:
- scan_id: `sha256:<hex>` of the file's bytes.
- scanned_at: per asset, the latest `Last Observed` of its records (converted to
  UTC when the zone abbreviation is a known one, else naive text); else the file's
  modification time (marked).
- asset_id: `DNS Name`, else `IP Address`, else `NetBIOS Name` (the order of
  `nessus_csv`; `_extra.asset_id_source` names the column).
- severity: `Severity` (word), else `Risk Factor`; a level 0-4 is read and marked.
- cvss_score: `CVSS V3 Base Score`, else `CVSS V2 Base Score`, else `CVSS V4 Base
  Score`.
- exploited_in_wild: `CISA-KNOWN-EXPLOITED` in `Cross References`, else blank
  (`Exploit?` Yes means an exploit exists, kept in `_extra`).
- title: `Plugin Name`. package, fixed_at: blank (the export lists open
  vulnerabilities; a mitigated-vulnerability export is the same layout and its
  records are then simply absent from the next export).
Every column is kept in `_extra` under its lower-cased header name (`Severity` as
`severity_reported`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import read_csv_text, read_header, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner import _tenable as t
from ingest.rules import ParseContext

SCANNER = "tenable_sc"
REQUIRED = ("plugin", "plugin name", "severity", "ip address")

COLUMNS = t.Columns(
    plugin="plugin",
    title="plugin name",
    asset=("dns name", "ip address", "netbios name"),
    severity=("severity_reported", "risk factor"),
    level_columns=(),
    cvss=("cvss v3 base score", "cvss v2 base score", "cvss v4 base score"),
    cve="cve",
    last_seen=("last observed",),
    first_seen=("first discovered",),
    xref=("cross references",),
    epss=("epss score",),
)


def _is_sc(header: list[str] | None) -> bool:
    return header is not None and set(REQUIRED) <= set(header) and "plugin id" not in header


class TenableScCsv(ExportFormat):
    name: ClassVar[str] = "tenable_sc_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _is_sc(read_header(head))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        header = read_header(data[:HEAD_BYTES])
        if not _is_sc(header):
            raise ExportError(f"{path}: not a Tenable.sc CSV (no Plugin, Plugin Name, Severity, IP Address header)")
        header = t.reported_names(header)
        raw = tidy_text(read_csv_text(path, header), header)
        raw = raw.filter(raw["plugin"].is_not_null())
        frame, rejected = t.plugin_rows(raw, header, data, path, scanner=SCANNER, columns=COLUMNS)
        frame = t.ordered(frame, header)
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, rejected=rejected)
