"""Tenable Vulnerability Management (Tenable.io) CSV: the workbench and the findings exports.

Two layouts, both comma- or semicolon-delimited (the delimiter is read from the
header line, `csv_text.separator_of`):
- workbench "Vulnerabilities" export: the Nessus CSV names (`Plugin ID, CVE, CVSS,
  Risk, Host, Protocol, Port, Name, Synopsis, ...`) plus the platform's own
  `Vulnerability State, IP Address, FQDN, NetBios, OS, CVSS3 Base Score, Host
  Start, Host End, First Found, Last Found, Risk Factor, Severity` (a level 0-4),
  `Original Severity, ..., Last Fixed`. Recognised by the Nessus names together
  with `Vulnerability State` (or `First Found` and `Last Found`); a plain Nessus
  CSV has neither, so `nessus_csv` and this format never claim the same file.
- findings (Explore) export: dotted names `asset.id, asset.name, asset.host_name,
  asset.display_fqdn, asset.display_ipv4_address, ..., definition.id,
  definition.name, definition.cve, definition.cvss3.base_score,
  definition.severity, ..., first_observed, last_seen, port, protocol, scan.id,
  severity, state` (ACTIVE, NEW, RESURFACED, FIXED). Recognised by
  `definition.id`, `definition.name` and an `asset.*` column.

Structure from the public fixtures DefectDojo/django-DefectDojo
`unittests/scans/tenable/tenable_many_vuln.csv` (workbench) and
`unittests/scans/tenable/nessus/nessus_new.csv` (findings export, semicolons)
(BSD-3-Clause); the samples under tests are written from that structure.

Counting rule: one row per (record, CVE), the Nessus rule (`_tenable`): a record
naming several CVEs gives one row each, one naming none a row keyed
"NESSUS-<plugin id>". The finding is (scanner 'tenable_vm', asset, CVE or plugin,
blank package), its ports merged. Informational plugins are findings of severity
info. Each asset of the export is a scan of that asset at the latest time the
platform saw it (see `_tenable`). DefectDojo instead merges records of one
title, severity, host, port and synopsis into one finding with every CVE.

Fields:
- scan_id: `sha256:<hex>` of the file's bytes (the findings export's `scan.id`
  is kept in `_extra`: it names the last scan of each record, not this export).
- scanned_at: per asset, the latest `Last Found` / `last_seen` or `Last Fixed` of
  its records; else the file's modification time (marked).
- asset_id: workbench `Host`, else `FQDN`, `IP Address`, `NetBios`; findings
  export `asset.display_fqdn`, `asset.host_name`, `asset.name`,
  `asset.netbios_name`, `asset.display_ipv4_address`, `asset.display_ipv6_address`,
  `asset.id`.
- severity: workbench `Risk` (word), else `Severity` (level 0-4), else `Risk
  Factor`; findings export `severity`, else `definition.severity`.
- cvss_score: `CVSS3 Base Score`, else `CVSS Base Score`, else `CVSS`;
  `definition.cvss3.base_score`, else `definition.cvss2.base_score`.
- fixed_at: `Last Fixed` / `last_fixed` when the state is Fixed.
- exploited_in_wild: `CISA-KNOWN-EXPLOITED` in the cross references, else blank.
- title: `Name` / `definition.name`. package: blank.
Every column is kept in `_extra` under its lower-cased header name (Tenable's
`Severity` as `severity_reported`).
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

SCANNER = "tenable_vm"

WORKBENCH = t.Columns(
    plugin="plugin id",
    title="name",
    asset=("host", "fqdn", "ip address", "netbios"),
    severity=("risk", "severity_reported", "risk factor"),
    level_columns=("severity_reported",),
    cvss=("cvss3 base score", "cvss base score", "cvss", "cvss4 base score"),
    cve="cve",
    last_seen=("last found",),
    last_fixed=("last fixed",),
    first_seen=("first found",),
    state=("vulnerability state",),
    xref=("xref", "cross references"),
    epss=("epss score",),
)

FINDINGS_EXPORT = t.Columns(
    plugin="definition.id",
    title="definition.name",
    asset=("asset.display_fqdn", "asset.host_name", "asset.name", "asset.netbios_name",
           "asset.display_ipv4_address", "asset.display_ipv6_address", "asset.id"),
    severity=("severity_reported", "definition.severity"),
    level_columns=(),
    cvss=("definition.cvss3.base_score", "definition.cvss2.base_score", "definition.cvss4.base_score"),
    cve="definition.cve",
    last_seen=("last_seen",),
    last_fixed=("last_fixed",),
    first_seen=("first_observed",),
    state=("state",),
    xref=("definition.references", "definition.xrefs"),
    epss=("definition.epss.score",),
)


def _is_findings_export(header: list[str]) -> bool:
    names = set(header)
    return {"definition.id", "definition.name"} <= names and any(n.startswith("asset.") for n in names)


class TenableVmCsv(ExportFormat):
    name: ClassVar[str] = "tenable_vm_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        header = read_header(head)
        return header is not None and (t.is_vm_workbench(header) or _is_findings_export(header))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        header = read_header(data[:HEAD_BYTES])
        if header is None or not (t.is_vm_workbench(header) or _is_findings_export(header)):
            raise ExportError(f"{path}: not a Tenable Vulnerability Management CSV (no workbench or findings header)")
        columns = WORKBENCH if t.is_vm_workbench(header) else FINDINGS_EXPORT
        header = t.reported_names(header)
        raw = tidy_text(read_csv_text(path, header), header)
        frame, rejected = t.plugin_rows(raw, header, data, path, scanner=SCANNER, columns=columns)
        frame = t.ordered(frame, header)
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: f.finish(frame, path, context)}, rejected=rejected)
