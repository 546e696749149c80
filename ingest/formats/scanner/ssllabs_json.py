"""Qualys SSL Labs API JSON: an `/analyze` host result, or an array of them as `ssllabs-scan`
writes (certificates and TLS weaknesses).

Structure (SSL Labs API v3, and v2's `details.cert`): a host object `{host, port, protocol,
status, startTime, testTime (epoch ms), engineVersion, criteriaVersion, certs[] (v3:
id, subject, serialNumber, notBefore, notAfter in epoch ms, issuerSubject...), endpoints[]:
{ipAddress, grade, details: {hostStartTime, certChains[].certIds (leaf first), cert (v2),
protocols[{name, version}], suites (cipher lists), heartbleed, vulnBeast, poodle, poodleTls,
freak, logjam, openSslCcs, openSSLLuckyMinus20, ticketbleed, bleichenbacher, drownVulnerable,
compressionMethods, renegSupport, fallbackScsv, supportsRc4...}}}`. Recognised by parsed
structure: an object (or an array of objects) with `host` and an `endpoints` array, plus
`engineVersion`, `criteriaVersion` or endpoint `details`/`grade`.

Structure from SSL Labs' API documentation (ssllabs/ssllabs-scan `ssllabs-api-docs-v3.md`,
Apache-2.0) and the public fixtures DefectDojo/django-DefectDojo
`unittests/scans/ssl_labs/*.json` (ssllabs-scan v1.5.0 output, BSD-3-Clause); the samples under
tests are written from that structure.

Two entities:
- certificates: one row per (host, endpoint, certificate chain): the chain's leaf (`certIds[0]`
  looked up in `certs`), or v2's `details.cert`. observed_at: the endpoint's `hostStartTime`,
  else the host's `startTime`, else `testTime` (epoch ms, UTC). serial: `serialNumber` upper-case.
- findings (`_tls`): per endpoint, a protocol SSL 2.0/3.0 or TLS 1.0/1.1 offered, RC4, 3DES,
  NULL, EXPORT or anonymous suites, or no fallback SCSV is a misconfiguration; heartbleed,
  openSslCcs 3, openSSLLuckyMinus20 2, ticketbleed 2, bleichenbacher 2/3 (ROBOT weak/strong),
  poodle, poodleTls 2, freak, logjam, drownVulnerable, vulnBeast, compression (DEFLATE bit),
  renegSupport without secure renegotiation (bit 2) or with client-initiated insecure
  renegotiation (bit 1) are vulnerabilities with their CVE; the rest are passed checks,
  counted in the notes. Values SSL Labs marks as errors or unknown (0, -1...) are not
  findings. One finding per host (its endpoints merged); a host with none is a clean-scan row.
  scanned_at as observed_at. Scanner `ssllabs`. The grade is kept in `_extra`.
A host whose `status` is not READY (ERROR, IN_PROGRESS) gives no row; the notes name it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_document
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.scanner import _assets, _tls
from ingest.formats.scanner import _findings as f
from ingest.formats.scanner._sslyze import get
from ingest.rules import ParseContext
from ingest.schemas import CERTIFICATES

SCANNER = "ssllabs"
CERT_EXTRA = ("observed_at_source", _assets.ENVIRONMENT_SOURCE, "ip", "port", "grade", "issuer",
              "certificate_id", "chain_number")
CERT_SCHEMA = {**{n: pl.String for n in CERTIFICATES.column_names}, SOURCE_ROW: pl.Int64,
               **{n: pl.String for n in CERT_EXTRA if n != _assets.ENVIRONMENT_SOURCE},
               "_observed_ms": pl.String, "_not_before_ms": pl.String, "_not_after_ms": pl.String}


def _hosts(document: Any) -> list[dict] | None:
    candidates = document if isinstance(document, list) else [document]
    hosts = [h for h in candidates if isinstance(h, dict)]
    if not hosts or len(hosts) != len(candidates):
        return None
    for host in hosts:
        endpoints = host.get("endpoints")
        if "host" not in host or not isinstance(endpoints, list):
            return None
        if not ("engineVersion" in host or "criteriaVersion" in host or any(
                isinstance(e, dict) and ("details" in e or "grade" in e) for e in endpoints)):
            return None
    return hosts


def _epoch_ms(name: str) -> pl.Expr:
    return (pl.col(name).cast(pl.Int64, strict=False).cast(pl.Datetime("ms", "UTC"))
            .dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))


def _checks(details: dict) -> tuple[list[tuple[str, str]], int]:
    failed: list[tuple[str, str]] = []
    passed = 0

    def verdict(check: str, is_failed: bool | None, evidence: str) -> None:
        nonlocal passed
        if is_failed:
            failed.append((check, evidence))
        elif is_failed is not None:
            passed += 1

    def flag(key: str) -> bool | None:
        value = details.get(key)
        return value if isinstance(value, bool) else None

    def code(key: str, *bad: int) -> bool | None:
        value = details.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            return None  # -1 test failed, 0 unknown: no verdict
        return value in bad

    offered = {f"{p.get('name')} {p.get('version')}" for p in details.get("protocols") or [] if isinstance(p, dict)}
    for protocol, check in _tls.PROTOCOL_CHECKS.items():
        if details.get("protocols") is not None:
            verdict(check, protocol in offered, f"{protocol} offered")
    verdict("heartbleed", flag("heartbleed"), "heartbleed=true")
    verdict("ccs", code("openSslCcs", 3), "openSslCcs=3 (vulnerable and exploitable)")
    verdict("lucky_minus_20", code("openSSLLuckyMinus20", 2), "openSSLLuckyMinus20=2")
    verdict("ticketbleed", code("ticketbleed", 2), "ticketbleed=2")
    bleichenbacher = details.get("bleichenbacher")
    if isinstance(bleichenbacher, int) and not isinstance(bleichenbacher, bool) and bleichenbacher > 0:
        if bleichenbacher == 3:
            verdict("robot_strong", True, "bleichenbacher=3 (strong oracle)")
        elif bleichenbacher == 2:
            verdict("robot_weak", True, "bleichenbacher=2 (weak oracle)")
        else:
            verdict("robot_strong", False, "")
    verdict("poodle", flag("poodle"), "poodle=true")
    verdict("poodle_tls", code("poodleTls", 2), "poodleTls=2")
    verdict("freak", flag("freak"), "freak=true")
    verdict("logjam", flag("logjam"), "logjam=true")
    verdict("drown", flag("drownVulnerable"), "drownVulnerable=true")
    verdict("beast", flag("vulnBeast"), "vulnBeast=true")
    compression = details.get("compressionMethods")
    if isinstance(compression, int) and not isinstance(compression, bool):
        verdict("crime", bool(compression & 1), f"compressionMethods={compression}")
    reneg = details.get("renegSupport")
    if isinstance(reneg, int) and not isinstance(reneg, bool):
        verdict("client_renegotiation", bool(reneg & 1), f"renegSupport={reneg}")
        verdict("insecure_renegotiation", not (reneg & 2), f"renegSupport={reneg}")
    fallback = flag("fallbackScsv")
    verdict("TLS-NO-FALLBACK-SCSV", None if fallback is None else not fallback, "fallbackScsv=false")
    suites = details.get("suites")
    lists = suites if isinstance(suites, list) else [suites] if isinstance(suites, dict) else []
    names = [str(s.get("name") or "") for block in lists if isinstance(block, dict)
             for s in block.get("list") or [] if isinstance(s, dict)]
    weak = _tls.weak_cipher_checks(names, [None] * len(names), [False] * len(names))
    if flag("supportsRc4") and "TLS-CIPHER-RC4" not in weak:
        weak.append("TLS-CIPHER-RC4")
    for check in weak:
        verdict(check, True, "offered cipher suites include it")
    if names or details.get("supportsRc4") is not None:
        passed += 5 - len(weak)
    return failed, passed


class SsllabsJson(ExportFormat):
    name: ClassVar[str] = "ssllabs_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _hosts(json_document(path, head, _tls.DETECT_MAX_BYTES)) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        document = f.load_json(path, data)
        hosts = _hosts(document)
        if hosts is None:
            raise ExportError(f"{path}: not an SSL Labs API result (no host with an endpoints array)")
        certificates: list[dict] = []
        failed_rows: list[dict] = []
        scanned: list[dict] = []
        notes: list[str] = []
        passed_total = 0
        for h, host in enumerate(hosts):
            record = f"[{h}]" if isinstance(document, list) else "$"
            name = host.get("host")
            if host.get("status") not in (None, "READY"):
                notes.append(f"{path.name}: {name}: status {host.get('status')} ({host.get('statusMessage')}): no rows")
                continue
            certs = {c.get("id"): c for c in host.get("certs") or [] if isinstance(c, dict)}
            host_time = host.get("startTime") or host.get("testTime")
            host_source = "startTime" if host.get("startTime") else ("testTime" if host.get("testTime") else None)
            checked = 0
            for e, endpoint in enumerate(host.get("endpoints") or []):
                details = get(endpoint, "details") or {}
                observed = details.get("hostStartTime") or host_time
                source = "hostStartTime" if details.get("hostStartTime") else host_source
                leaves = [certs.get((chain.get("certIds") or [None])[0]) for chain in details.get("certChains") or []
                          if isinstance(chain, dict)]
                if not leaves and isinstance(details.get("cert"), dict):
                    leaves = [details["cert"]]
                for number, leaf in enumerate(leaves, start=1):
                    if not isinstance(leaf, dict):
                        continue
                    certificates.append({
                        "asset_id": name, "subject": leaf.get("subject"),
                        "serial": str(leaf["serialNumber"]).upper() if leaf.get("serialNumber") else None,
                        SOURCE_ROW: len(certificates) + 1, "observed_at_source": source,
                        "ip": endpoint.get("ipAddress"), "port": str(host.get("port") or ""),
                        "grade": endpoint.get("grade"), "issuer": leaf.get("issuerSubject") or leaf.get("issuerLabel"),
                        "certificate_id": leaf.get("id"), "chain_number": str(number),
                        "_observed_ms": str(observed) if observed else None,
                        "_not_before_ms": str(leaf.get("notBefore")) if leaf.get("notBefore") else None,
                        "_not_after_ms": str(leaf.get("notAfter")) if leaf.get("notAfter") else None,
                    })
                failed, passed = _checks(details) if details else ([], 0)
                passed_total += passed
                checked += len(failed) + passed
                for check, evidence in failed:
                    failed_rows.append({
                        f.RECORD: f"{record}.endpoints[{e}]", "asset_id": name,
                        "scanned_at": str(observed) if observed else None, f.SCANNED_AT_SOURCE: source,
                        "check": check, "evidence": evidence, "ip": endpoint.get("ipAddress"),
                        "port": str(host.get("port") or ""), SOURCE_ROW: h + 1,
                    })
            if checked:  # a host no TLS check ran on is not a TLS scan of it
                scanned.append({"asset_id": name, "scanned_at": str(host_time) if host_time else None,
                                f.SCANNED_AT_SOURCE: host_source, "record": record})
        notes.append(_tls.skipped_note(path.name, passed_total, len(failed_rows)))

        cert_frame = pl.DataFrame(certificates, schema=CERT_SCHEMA).with_columns(
            _epoch_ms("_observed_ms").alias("observed_at"),
            _epoch_ms("_not_before_ms").alias("not_before"),
            _epoch_ms("_not_after_ms").alias("not_after"),
        )
        cert_frame = _assets.complete_environment(cert_frame, context).select(
            *CERTIFICATES.column_names, SOURCE_ROW, pl.struct(CERT_EXTRA).struct.json_encode().alias(EXTRA))
        findings = _tls.findings_frame(failed_rows, scanned, scanner=SCANNER, scan_id=f.content_scan_id(data))
        findings = findings.with_columns(
            pl.coalesce(_epoch_ms("scanned_at"), pl.col("scanned_at")).alias("scanned_at"))
        findings = f.with_scan_time(findings, path)
        return ParsedExport(
            format_name=self.name,
            entities={CERTIFICATES.table: cert_frame, f.FINDINGS_TABLE: f.finish(findings, path, context)},
            notes=notes,
        )
