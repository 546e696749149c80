"""sslyze 5.x JSON (`--json_out`): certificate observations (SOURCES.md "scanner: certificates").

One `certificates` row per certificate deployment of each server scanned:
`server_scan_results[].scan_result.certificate_info.result.certificate_deployments[]`,
whose `received_certificate_chain[0]` is the leaf the server sent.

| canonical   | sslyze                                                               |
|-------------|----------------------------------------------------------------------|
| observed_at | `date_scans_started` (else `date_scans_completed`)                   |
| asset_id    | `server_location.hostname` (the IP address when there is none)       |
| subject     | leaf `subject.rfc4514_string`, e.g. `CN=*.example.com`               |
| serial      | leaf `serial_number` (a JSON integer) as upper-case hex, whole bytes |
| not_before  | leaf `not_valid_before`                                              |
| not_after   | leaf `not_valid_after`                                               |

Readings of the format:
- sslyze 5 writes its times as naive ISO 8601 that are UTC: the scan dates come from
  `datetime.utcnow()` and the validity dates from `cryptography`'s naive-UTC
  `not_valid_before/after`. They are read as UTC (a `Z` is appended), so they are not
  counted as naive; a time that carries an offset (later sslyze releases) keeps it.
- The serial is the hex form openssl and testssl.sh print (`03F199EE...`, padded to
  whole bytes), so the same certificate has the same identity in both tools; the
  decimal integer stays in `_extra` as `serial_decimal`.
- A server that could not be reached, or whose certificate scan did not complete,
  yields no row (the notes name it): there is nothing observed to record.
- asset_environment: sslyze knows none; it is completed by the scanner rules (asset
  inventory CSV, then asset name patterns: ingest/rules.yaml, applied by
  ingest/formats/scanner/_assets.py), `_extra.asset_environment_source` saying which.
- `_extra` also keeps the IP address, port, SNI name, deployment number, SHA-256 fingerprint,
  issuer, DNS subject alternative names, serial_decimal and observed_at_source.
- Record number (`_source_row`): the 1-based position of the deployment among all the
  file's certificate deployments, in file order.

Findings (issue "Real vendor exports, round 2", item 4): the TLS checks of each reachable
server that failed (`_tls`, read by `_sslyze`: weak protocols and ciphers are misconfigurations,
Heartbleed, CCS injection, ROBOT, CRIME, insecure renegotiation are vulnerabilities keyed by
their CVE), scanner `sslyze`, scanned_at the observed_at above; a server with none failed is a
clean-scan row; passed checks are counted as skipped in the notes. Older schemas:
`sslyze_legacy_json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_document
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.scanner import _assets, _sslyze, _tls
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext
from ingest.schemas import CERTIFICATES

ROW_SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.String for name in CERTIFICATES.column_names},
    SOURCE_ROW: pl.Int64,
    "observed_at_source": pl.String,
    "ip": pl.String,
    "port": pl.Int64,
    "server_name_indication": pl.String,
    "deployment_number": pl.Int64,
    "fingerprint_sha256": pl.String,
    "issuer": pl.String,
    "subject_alt_name_dns": pl.List(pl.String),
    "serial_decimal": pl.String,
}
EXTRA_COLUMNS = (
    "observed_at_source", _assets.ENVIRONMENT_SOURCE, "ip", "port", "server_name_indication",
    "deployment_number", "fingerprint_sha256", "issuer", "subject_alt_name_dns", "serial_decimal",
)

_HAS_OFFSET = re.compile(r"([Zz]|[+-]\d{2}(:?\d{2})?)$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def utc_text(value: Any) -> str | None:
    """An sslyze time as ISO text: naive ones are UTC (sslyze's convention) and get a `Z`."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if _ISO_TIME.match(value) and not _HAS_OFFSET.search(value):
        return value + "Z"
    return value


def serial_hex(value: Any) -> str | None:
    """A certificate serial as upper-case hex padded to whole bytes (openssl's form)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        digits = format(value, "X")
        return digits.zfill(len(digits) + len(digits) % 2)
    return str(value).strip() or None


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _certificate_rows(path: Path, document: dict) -> tuple[list[dict], list[str]]:
    started = utc_text(document.get("date_scans_started"))
    completed = utc_text(document.get("date_scans_completed"))
    observed_at = started or completed
    observed_source = "date_scans_started" if started else ("date_scans_completed" if completed else None)
    rows: list[dict] = []
    notes: list[str] = []
    for index, server in enumerate(document.get("server_scan_results") or []):
        location = _get(server, "server_location") or {}
        name = location.get("hostname") or location.get("ip_address") or f"server_scan_results[{index}]"
        info = _get(server, "scan_result", "certificate_info")
        deployments = _get(info, "result", "certificate_deployments")
        if not isinstance(deployments, list):
            status = _get(info, "status") or _get(server, "scan_status") or server.get("connectivity_status")
            notes.append(f"{path.name}: no certificate observed for {name} (sslyze status {status})")
            continue
        for number, deployment in enumerate(deployments, start=1):
            chain = _get(deployment, "received_certificate_chain")
            leaf = chain[0] if isinstance(chain, list) and chain and isinstance(chain[0], dict) else {}
            serial = leaf.get("serial_number")
            san = _get(leaf, "subject_alternative_name", "dns")
            rows.append({
                "observed_at": observed_at,
                "asset_id": location.get("hostname") or location.get("ip_address"),
                "asset_environment": None,
                "subject": _get(leaf, "subject", "rfc4514_string"),
                "serial": serial_hex(serial),
                "not_before": utc_text(leaf.get("not_valid_before")),
                "not_after": utc_text(leaf.get("not_valid_after")),
                SOURCE_ROW: len(rows) + 1,
                "observed_at_source": observed_source,
                "ip": location.get("ip_address"),
                "port": location.get("port") if isinstance(location.get("port"), int) else None,
                "server_name_indication": _get(
                    server, "network_configuration", "tls_server_name_indication"),
                "deployment_number": number,
                "fingerprint_sha256": leaf.get("fingerprint_sha256"),
                "issuer": _get(leaf, "issuer", "rfc4514_string"),
                "subject_alt_name_dns": [str(n) for n in san] if isinstance(san, list) else None,
                "serial_decimal": str(serial) if isinstance(serial, int) else None,
            })
    return rows, notes


class SslyzeJson(ExportFormat):
    name: ClassVar[str] = "sslyze_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        # by parsed structure: 5.x entries carry scan_result/server_location (older schemas
        # are sslyze_legacy_json's)
        return _sslyze.schema_of(json_document(path, head, _tls.DETECT_MAX_BYTES)) == "5"

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        try:
            document = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ExportError(f"{path}: not valid JSON: {error}") from error
        if not isinstance(document, dict) or not isinstance(document.get("server_scan_results"), list):
            raise ExportError(f"{path}: not an sslyze JSON output (no 'server_scan_results' array)")
        rows, notes = _certificate_rows(path, document)
        findings, finding_notes = _tls_findings(path, document, context)
        notes += finding_notes
        frame = _assets.complete_environment(pl.DataFrame(rows, schema=ROW_SCHEMA), context)
        frame = frame.select(
            *CERTIFICATES.column_names,
            SOURCE_ROW,
            pl.struct(EXTRA_COLUMNS).struct.json_encode().alias(EXTRA),
        )
        return ParsedExport(format_name=self.name,
                            entities={CERTIFICATES.table: frame, f.FINDINGS_TABLE: findings}, notes=notes)


def _tls_findings(path: Path, document: dict, context: ParseContext | None) -> tuple[pl.DataFrame, list[str]]:
    started = utc_text(document.get("date_scans_started"))
    completed = utc_text(document.get("date_scans_completed"))
    when = started or completed
    source = "date_scans_started" if started else ("date_scans_completed" if completed else None)
    hosts, failed_rows, passed_total = [], [], 0
    for index, (record, location, commands) in enumerate(_sslyze.servers(document, "5"), start=1):
        server = document["server_scan_results"][index - 1]
        if not any(v is not None for v in commands.values()) or server.get("connectivity_status") not in (
                None, "COMPLETED"):
            continue
        asset = location.get("hostname") or location.get("ip_address")
        failed, passed = _sslyze.failed_checks(commands)
        if failed or passed:  # a server no TLS check ran on is not a TLS scan of it
            hosts.append({"asset_id": asset, "scanned_at": when, f.SCANNED_AT_SOURCE: source, "record": record})
        passed_total += passed
        port = None if location.get("port") is None else str(location.get("port"))
        failed_rows += [{f.RECORD: record, "asset_id": asset, "scanned_at": when, f.SCANNED_AT_SOURCE: source,
                         "check": check, "evidence": evidence, "ip": location.get("ip_address"), "port": port,
                         SOURCE_ROW: index} for check, evidence in failed]
    frame = _tls.findings_frame(failed_rows, hosts, scanner="sslyze",
                                scan_id=f.content_scan_id(f.read_bytes(path)))
    frame = f.with_scan_time(frame, path)
    return f.finish(frame, path, context), [_tls.skipped_note(path.name, passed_total, len(failed_rows))]
