"""TLS scan results as findings (issue "Real vendor exports, round 2", item 4), shared by the
sslyze and SSL Labs formats (testssl.sh rates its own lines, see `testssl_csv`).

A TLS scanner reports, per server, checks beyond the certificate. A check that fails becomes a
findings row; a check that passes (or did not run) does not: it is counted as skipped in the
parse notes. The certificate itself stays a certificate observation.

- A weak protocol or cipher the server accepts is a `misconfiguration`, keyed `TLS-<CHECK>`
  (TLS-SSLV2, TLS-SSLV3, TLS-TLS1_0, TLS-TLS1_1, TLS-CIPHER-RC4, TLS-CIPHER-3DES, TLS-CIPHER-NULL,
  TLS-CIPHER-EXPORT, TLS-CIPHER-ANON, TLS-NO-FALLBACK-SCSV).
- A named vulnerability is a `vulnerability` keyed by its CVE: Heartbleed CVE-2014-0160, OpenSSL
  CCS injection CVE-2014-0224, ROBOT CVE-2017-13099, POODLE (SSLv3) CVE-2014-3566, POODLE TLS
  CVE-2014-8730, FREAK CVE-2015-0204, Logjam CVE-2015-4000, DROWN CVE-2016-0800, BEAST
  CVE-2011-3389, CRIME (TLS compression) CVE-2012-4929, insecure renegotiation CVE-2009-3555,
  client-initiated renegotiation DoS CVE-2011-1473, Ticketbleed CVE-2016-9244, OpenSSL padding
  oracle (LuckyMinus20) CVE-2016-2107.
- Severity: sslyze and SSL Labs rate nothing, so each check carries the severity testssl.sh
  gives the same check (SSLv2 and Heartbleed critical; SSLv3, CCS, ROBOT with a strong oracle,
  POODLE, FREAK, Logjam, DROWN, CRIME, insecure renegotiation, RC4, NULL/EXPORT/anonymous
  ciphers high; ROBOT with a weak oracle and client renegotiation DoS medium; TLS 1.0/1.1,
  BEAST, 3DES, no fallback SCSV low). The scanner's own value stays in `_extra.evidence`.
- The finding is (scanner, host, TLS-<CHECK> or CVE, blank package): one per host whatever its
  ports and addresses (a file is a scan of every host it names; a host without a failed check
  gives one clean-scan row, so a fixed weakness is closed by the next scan).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner import _findings as f

# sslyze and SSL Labs files larger than this are not parsed for detection
# (`_structure.json_document`), so none of their formats claims them.
DETECT_MAX_BYTES = 50 * 1024 * 1024
MISCONFIGURATION = "misconfiguration"
VULNERABILITY = "vulnerability"


@dataclass(frozen=True)
class Check:
    vulnerability_id: str
    title: str
    finding_class: str
    severity: str


# check key -> what a failed check is (misconfigurations are keyed by their own id)
CHECKS: dict[str, Check] = {
    "TLS-SSLV2": Check("TLS-SSLV2", "SSLv2 offered", MISCONFIGURATION, "critical"),
    "TLS-SSLV3": Check("TLS-SSLV3", "SSLv3 offered", MISCONFIGURATION, "high"),
    "TLS-TLS1_0": Check("TLS-TLS1_0", "TLS 1.0 offered", MISCONFIGURATION, "low"),
    "TLS-TLS1_1": Check("TLS-TLS1_1", "TLS 1.1 offered", MISCONFIGURATION, "low"),
    "TLS-CIPHER-RC4": Check("TLS-CIPHER-RC4", "RC4 cipher suites offered", MISCONFIGURATION, "high"),
    "TLS-CIPHER-3DES": Check("TLS-CIPHER-3DES", "3DES/DES cipher suites offered", MISCONFIGURATION, "low"),
    "TLS-CIPHER-NULL": Check("TLS-CIPHER-NULL", "NULL cipher suites offered", MISCONFIGURATION, "high"),
    "TLS-CIPHER-EXPORT": Check("TLS-CIPHER-EXPORT", "EXPORT cipher suites offered", MISCONFIGURATION, "high"),
    "TLS-CIPHER-ANON": Check("TLS-CIPHER-ANON", "Anonymous cipher suites offered", MISCONFIGURATION, "high"),
    "TLS-NO-FALLBACK-SCSV": Check("TLS-NO-FALLBACK-SCSV", "TLS_FALLBACK_SCSV not supported",
                                  MISCONFIGURATION, "low"),
    "heartbleed": Check("CVE-2014-0160", "Heartbleed", VULNERABILITY, "critical"),
    "ccs": Check("CVE-2014-0224", "OpenSSL CCS injection", VULNERABILITY, "high"),
    "robot_strong": Check("CVE-2017-13099", "ROBOT (strong oracle)", VULNERABILITY, "high"),
    "robot_weak": Check("CVE-2017-13099", "ROBOT (weak oracle)", VULNERABILITY, "medium"),
    "poodle": Check("CVE-2014-3566", "POODLE (SSLv3)", VULNERABILITY, "high"),
    "poodle_tls": Check("CVE-2014-8730", "POODLE TLS", VULNERABILITY, "high"),
    "freak": Check("CVE-2015-0204", "FREAK", VULNERABILITY, "high"),
    "logjam": Check("CVE-2015-4000", "Logjam", VULNERABILITY, "high"),
    "drown": Check("CVE-2016-0800", "DROWN", VULNERABILITY, "high"),
    "beast": Check("CVE-2011-3389", "BEAST", VULNERABILITY, "low"),
    "crime": Check("CVE-2012-4929", "CRIME (TLS compression)", VULNERABILITY, "high"),
    "insecure_renegotiation": Check("CVE-2009-3555", "Secure renegotiation not supported", VULNERABILITY, "high"),
    "client_renegotiation": Check("CVE-2011-1473", "Client-initiated renegotiation accepted", VULNERABILITY,
                                  "medium"),
    "ticketbleed": Check("CVE-2016-9244", "Ticketbleed", VULNERABILITY, "high"),
    "lucky_minus_20": Check("CVE-2016-2107", "OpenSSL padding oracle (LuckyMinus20)", VULNERABILITY, "high"),
}

PROTOCOL_CHECKS = {"SSL 2.0": "TLS-SSLV2", "SSL 3.0": "TLS-SSLV3", "TLS 1.0": "TLS-TLS1_0", "TLS 1.1": "TLS-TLS1_1"}


def weak_cipher_checks(names: list[str], key_sizes: list[int | None], anonymous: list[bool]) -> list[str]:
    """The weak-cipher checks a list of accepted cipher suites fails (each once)."""
    found: list[str] = []
    for name, size, anon in zip(names, key_sizes, anonymous):
        upper = (name or "").upper()
        if "RC4" in upper:
            found.append("TLS-CIPHER-RC4")
        if "3DES" in upper or "DES-CBC3" in upper or "DES_CBC" in upper or "_DES_" in upper or upper.startswith("DES-"):
            found.append("TLS-CIPHER-3DES")
        if "NULL" in upper:
            found.append("TLS-CIPHER-NULL")
        if "EXPORT" in upper or "EXP-" in upper or "_EXPORT" in upper:
            found.append("TLS-CIPHER-EXPORT")
        if anon or "ANON" in upper or "ADH" in upper or "AECDH" in upper:
            found.append("TLS-CIPHER-ANON")
    return list(dict.fromkeys(found))


ROW_COLUMNS = (f.RECORD, "asset_id", "scanned_at", f.SCANNED_AT_SOURCE, "check", "evidence", "ip", "port")


def findings_frame(rows: list[dict], hosts: list[dict], *, scanner: str, scan_id: str) -> pl.DataFrame:
    """Findings rows (canonical and extra columns, before `_findings.finish`) for failed checks.

    `rows`: one dict per failed check (ROW_COLUMNS plus `_source_row`); `hosts`: one dict per
    scanned host (asset_id, scanned_at, scanned_at_source, record) so that a host without any
    failed check gives a clean-scan row.
    """
    schema = {name: pl.String for name in ROW_COLUMNS} | {SOURCE_ROW: pl.Int64}
    failed = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    catalogue = pl.DataFrame({
        "check": list(CHECKS), "vulnerability_id": [c.vulnerability_id for c in CHECKS.values()],
        "title": [c.title for c in CHECKS.values()], "finding_class": [c.finding_class for c in CHECKS.values()],
        "severity": [c.severity for c in CHECKS.values()],
    })
    failed = failed.join(catalogue, on="check", how="left", maintain_order="left")
    with_findings = set(failed["asset_id"].drop_nulls().to_list())
    clean = [h for h in hosts if h.get("asset_id") not in with_findings]
    if clean:
        failed = pl.concat([failed, pl.DataFrame({
            f.RECORD: [h.get("record") for h in clean], "asset_id": [h.get("asset_id") for h in clean],
            "scanned_at": [h.get("scanned_at") for h in clean],
            f.SCANNED_AT_SOURCE: [h.get(f.SCANNED_AT_SOURCE) for h in clean],
            SOURCE_ROW: [f.CLEAN_SCAN_ROW] * len(clean),
        }, schema={f.RECORD: pl.String, "asset_id": pl.String, "scanned_at": pl.String,
                   f.SCANNED_AT_SOURCE: pl.String, SOURCE_ROW: pl.Int64})], how="diagonal_relaxed")
    return failed.with_columns(
        pl.lit(scan_id).alias("scan_id"), pl.lit(scanner).alias("scanner"),
    )


def skipped_note(name: str, passed: int, failed: int) -> str:
    return f"{name}: {failed} failed TLS check(s) loaded as findings, {passed} passed or not run skipped"
