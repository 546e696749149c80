"""sslyze JSON before 5.0: the 1.x/2.x `accepted_targets` schema and the 3.x/4.x
`server_scan_results[].scan_commands_results` schema (see `_sslyze` for both structures).

Two entities from one file:
- certificates: one row per certificate deployment of each server (2.x: its received chain),
  the leaf being the chain's first certificate, as `sslyze_json` does for 5.x: subject
  (`rfc4514_string`, or 2.x's subject string), serial as upper-case hex in whole bytes
  (`serial_number` integer; 2.x/3.x's `serialNumber` text of decimal digits is read as that
  integer, other text kept as written), `not_valid_before/after` (`notBefore/notAfter`).
- findings: the TLS checks that failed (`_tls`: weak protocols and ciphers are
  misconfigurations, Heartbleed, CCS injection, ROBOT, CRIME, insecure renegotiation... are
  vulnerabilities keyed by their CVE); a host whose checks all passed is a clean-scan row;
  passed checks are counted as skipped in the notes. Scanner `sslyze`.

These schemas carry no scan date (only `total_scan_time`, a duration): observed_at and
scanned_at are the file's modification time, marked `fallback_file_mtime` in `_extra` and in the
notes. Times inside certificates without an offset are UTC (sslyze's convention, as in 5.x).
Servers sslyze could not reach (`invalid_targets`, `server_connectivity_errors`) give no row;
the notes name them. asset_id: the server's hostname, else its IP address.

Recognised by parsed structure: a JSON object with an `accepted_targets` array, or a
`server_scan_results` array whose entries carry `scan_commands_results`/`server_info` (5.x
entries carry `scan_result`/`server_location` and go to `sslyze_json`).

Structure from the public fixtures DefectDojo/django-DefectDojo
`unittests/scans/sslyze/*_old.json` (sslyze 3.0.7, BSD-3-Clause) and the sslyze 2.x JSON
field names (nabla-c0d3/sslyze `--json_out`, AGPL-3.0) as public parsers read them; the samples
under tests are written from that structure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_document
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.scanner import _assets, _sslyze, _tls
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner.sslyze_json import serial_hex, utc_text
from ingest.rules import ParseContext
from ingest.schemas import CERTIFICATES

SCANNER = "sslyze"
CERT_SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.String for name in CERTIFICATES.column_names}, SOURCE_ROW: pl.Int64,
    "observed_at_source": pl.String, "ip": pl.String, "port": pl.String, "server_name_indication": pl.String,
    "deployment_number": pl.Int64, "issuer": pl.String, "serial_decimal": pl.String, "sslyze_schema": pl.String,
}
CERT_EXTRA = ("observed_at_source", _assets.ENVIRONMENT_SOURCE, "ip", "port", "server_name_indication",
              "deployment_number", "issuer", "serial_decimal", "sslyze_schema")


def load_document(path: Path, head: bytes) -> Any:
    """The parsed document, or None when the file is not JSON (`_structure.json_document`)."""
    return json_document(path, head, _tls.DETECT_MAX_BYTES)


def _time(value: Any) -> str | None:
    """A certificate time as ISO text in UTC (`YYYY-MM-DD HH:MM:SS` gets its `T`)."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        value = value[:10] + "T" + value[11:]
    return utc_text(value)


def _serial(value: Any) -> tuple[str | None, str | None]:
    """(hex serial, decimal text) of an integer or decimal-text serial."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return serial_hex(value), str(value)
    return (str(value).strip().upper() or None) if value is not None else None, None


class SslyzeLegacyJson(ExportFormat):
    name: ClassVar[str] = "sslyze_legacy_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _sslyze.schema_of(load_document(path, head)) in ("2", "3")

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        schema = _sslyze.schema_of(document)
        if schema not in ("2", "3"):
            raise ExportError(f"{path}: not an sslyze < 5 JSON output (no accepted_targets or scan_commands_results)")
        when = f.file_mtime_iso(path)
        certificates: list[dict] = []
        failed_rows: list[dict] = []
        hosts: list[dict] = []
        passed_total = 0
        for server_number, (record, location, commands) in enumerate(_sslyze.servers(document, schema), start=1):
            asset = location.get("hostname") or location.get("ip_address")
            port = None if location.get("port") is None else str(location.get("port"))
            for number, leaf in enumerate(_sslyze.leaf_certificates(commands), start=1):
                serial, decimal = _serial(leaf.get("serial_number", leaf.get("serialNumber")))
                certificates.append({
                    "observed_at": when, "asset_id": asset, "asset_environment": None,
                    "subject": _sslyze.subject_text(leaf.get("subject")), "serial": serial,
                    "not_before": _time(leaf.get("not_valid_before", leaf.get("notBefore"))),
                    "not_after": _time(leaf.get("not_valid_after", leaf.get("notAfter"))),
                    SOURCE_ROW: len(certificates) + 1, "observed_at_source": f.FALLBACK_FILE_MTIME,
                    "ip": location.get("ip_address"), "port": port, "server_name_indication": location.get("sni"),
                    "deployment_number": number, "issuer": _sslyze.subject_text(leaf.get("issuer")),
                    "serial_decimal": decimal, "sslyze_schema": schema,
                })
            failed, passed = _sslyze.failed_checks(commands)
            passed_total += passed
            if failed or passed:  # a server no TLS check ran on is not a TLS scan of it
                hosts.append({"asset_id": asset, "scanned_at": when,
                              f.SCANNED_AT_SOURCE: f.FALLBACK_FILE_MTIME, "record": record})
            for check, evidence in failed:
                failed_rows.append({
                    f.RECORD: record, "asset_id": asset, "scanned_at": when,
                    f.SCANNED_AT_SOURCE: f.FALLBACK_FILE_MTIME, "check": check, "evidence": evidence,
                    "ip": location.get("ip_address"), "port": port, SOURCE_ROW: server_number,
                })
        notes = [f"{path.name}: sslyze < 5 writes no scan date; observed_at and scanned_at are the file's "
                 f"modification time {when}"] if hosts or certificates else []
        unreachable = document.get("invalid_targets") or document.get("server_connectivity_errors") or []
        if isinstance(unreachable, list) and unreachable:
            notes.append(f"{path.name}: {len(unreachable)} server(s) sslyze could not reach: no rows")
        notes.append(_tls.skipped_note(path.name, passed_total, len(failed_rows)))

        cert_frame = _assets.complete_environment(pl.DataFrame(certificates, schema=CERT_SCHEMA), context)
        cert_frame = cert_frame.select(
            *CERTIFICATES.column_names, SOURCE_ROW, pl.struct(CERT_EXTRA).struct.json_encode().alias(EXTRA))
        findings = _tls.findings_frame(failed_rows, hosts, scanner=SCANNER, scan_id=f.content_scan_id(data))
        return ParsedExport(
            format_name=self.name,
            entities={CERTIFICATES.table: cert_frame, f.FINDINGS_TABLE: f.finish(findings, path, context)},
            notes=notes,
        )
