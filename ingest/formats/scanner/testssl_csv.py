"""testssl.sh CSV (`--csvfile`, `-oC`): certificate observations (SOURCES.md "scanner: certificates").

The file is testssl.sh's flat output, header `id,fqdn/ip,port,severity,finding,cve,cwe`,
one row per check and tested endpoint (`fqdn/ip` is `host/address`). The
certificate checks become one `certificates` row per (fqdn/ip, port, certificate):

| canonical   | testssl.sh check (finding column)                                    |
|-------------|----------------------------------------------------------------------|
| asset_id    | the host name of `fqdn/ip` (the address when no name was scanned)    |
| subject     | `CN=` + `cert_commonName` (the CSV gives only the subject's CN)      |
| serial      | `cert_serialNumber` (hex, as testssl prints it)                      |
| not_before  | `cert_notBefore`                                                     |
| not_after   | `cert_notAfter`                                                      |

A host serving several certificates (RSA and ECDSA) has its checks suffixed
` <hostCert#N>` (` <cert#N>` in older releases): each N is its own certificate.

Readings of the format:
- Certificate times are `YYYY-MM-DD HH:MM`, which testssl.sh prints in the local time
  zone of the machine that ran the scan, without an offset (the sample's notAfter
  `2019-08-16 20:28` is `18:28:09Z` in the certificate itself, scanned at UTC+2). They
  are read in the configured default time zone and counted as naive timestamps, like
  any canonical timestamp without an offset. A time with `UTC`/`GMT` or a numeric
  offset keeps it.
- Scan time: the CSV carries none (its `scanTime` check is a duration). observed_at is
  the start time in testssl.sh's own file name, `<host>-p<port>-YYYYMMDD-HHMM.csv` (also
  local, naive), else the file's modification time in UTC: the documented fallback,
  marked in `_extra` as `{"observed_at_source": "fallback_file_mtime"}` and in the notes.
  `observed_at_source` is `file_name` otherwise.
- asset_environment: testssl.sh knows none; it is completed by the scanner rules
  (asset inventory CSV, then asset name patterns: ingest/rules.yaml, applied by
  ingest/formats/scanner/_assets.py), `_extra.asset_environment_source` saying which.
- `_extra` also keeps the address, port, certificate number, common name, SHA-256
  fingerprint, issuer, subject alternative names and testssl.sh's expiration status.
- Record number (`_source_row`): the row of the certificate's first certificate check.

Findings (issue "Real vendor exports, round 2", item 4): every other check testssl.sh rates
LOW, MEDIUM, HIGH or CRITICAL is a findings row with that severity (scanner `testssl`): a check
whose `cve` column names CVEs (Heartbleed CVE-2014-0160, ROBOT CVE-2017-13099, CCS, POODLE,
BREACH, LUCKY13...) is a `vulnerability`, one row per CVE keyed by it; any other (a protocol or
cipher list offered, HSTS missing, no fallback SCSV...) is a `misconfiguration` keyed
`TESTSSL-<id>`. OK, INFO, WARN and DEBUG lines are not findings, nor are the certificate checks
(`cert_*`, `intermediate_cert*`: the certificate stays a certificate observation) and the rating
summary (`overall_grade`, `grade_cap_reason_*`, `final_score`); they are
counted as skipped in the notes. The finding is (testssl, host, CVE or TESTSSL-<id>, blank
package): the addresses of one host merge. scanned_at is observed_at (above); a host without a
rated line is a clean-scan row.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, read_csv_text, read_header, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.formats.scanner import _assets
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext
from ingest.schemas import CERTIFICATES

HEADER = ["id", "fqdn/ip", "port", "severity", "finding", "cve", "cwe"]

# testssl.sh check -> column of the certificate observation
CHECKS: dict[str, str] = {
    "cert_commonName": "common_name",
    "cert_serialNumber": "serial",
    "cert_notBefore": "not_before",
    "cert_notAfter": "not_after",
    "cert_fingerprintSHA256": "fingerprint_sha256",
    "cert_caIssuers": "issuer",
    "cert_subjectAltName": "subject_alt_name",
    "cert_expirationStatus": "expiration_status",
}
EXTRA_COLUMNS = (
    "observed_at_source", _assets.ENVIRONMENT_SOURCE, "ip", "port", "certificate_number",
    "common_name", "fingerprint_sha256", "issuer", "subject_alt_name", "expiration_status",
)
OBSERVED_FROM_FILE_NAME = "file_name"
OBSERVED_FROM_MTIME = "fallback_file_mtime"

# testssl.sh's automatic file name: ${NODE}-p${PORT}-${YYYYMMDD-HHMM}.csv (a prefix may precede)
_FILE_NAME_TIME = re.compile(r"[-_]p\d+-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\.csv$", re.IGNORECASE)
_CERT_NUMBER = r"<(?:host)?[Cc]ert#(\d+)>"


def observed_at(path: Path) -> tuple[str, str]:
    """(observed_at as ISO text, its source): testssl.sh's file-name time, else the mtime."""
    match = _FILE_NAME_TIME.search(path.name)
    if match:
        year, month, day, hour, minute = match.groups()
        return f"{year}-{month}-{day}T{hour}:{minute}:00", OBSERVED_FROM_FILE_NAME
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return mtime.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), OBSERVED_FROM_MTIME


def certificate_time(expr: pl.Expr) -> pl.Expr:
    """testssl.sh's `YYYY-MM-DD HH:MM[ UTC|GMT|±hhmm]` as ISO text (naive without a zone)."""
    value = vendor_values.text(expr)
    return (
        value.str.replace(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})?\s*(UTC|GMT)$", "${1}T${2}${3}Z")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})?\s*([+-]\d{2}):?(\d{2})$", "${1}T${2}${3}${4}:${5}")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(:\d{2})?)$", "${1}T${2}")
    )


class TestsslCsv(ExportFormat):
    __test__ = False  # a format, not a pytest test class, despite its name
    name: ClassVar[str] = "testssl_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".csv" and read_header(head) == HEADER

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        with path.open("rb") as handle:
            header = read_header(handle.read(HEAD_BYTES))
        if header != HEADER:
            raise ExportError(f"{path}: not a testssl.sh CSV (header must be {','.join(HEADER)})")
        rows = tidy_text(read_csv_text(path, header), header)
        checks = rows.with_columns(
            pl.col("id").str.extract(r"^(\S+)", 1).alias("check"),
            pl.col("id").str.extract(_CERT_NUMBER, 1).fill_null("1").alias("certificate_number"),
        ).filter(pl.col("check").is_in(list(CHECKS)))

        endpoint = ["fqdn/ip", "port", "certificate_number"]
        certificates = checks.group_by(endpoint, maintain_order=True).agg(
            pl.col(SOURCE_ROW).min(),
            *(
                pl.col("finding").filter(pl.col("check") == check).first().alias(column)
                for check, column in CHECKS.items()
            ),
        )
        when, source = observed_at(path)
        target = pl.col("fqdn/ip").str.split("/")
        certificates = certificates.with_columns(
            pl.lit(when).alias("observed_at"),
            pl.lit(source).alias("observed_at_source"),
            target.list.get(0, null_on_oob=True).str.strip_chars().replace("", None).alias("host"),
            target.list.get(1, null_on_oob=True).str.strip_chars().replace("", None).alias("ip"),
        ).with_columns(
            pl.coalesce("host", "ip").alias("asset_id"),
            pl.lit(None, dtype=pl.String).alias("asset_environment"),
            pl.when(pl.col("common_name").is_not_null())
            .then(pl.lit("CN=") + pl.col("common_name"))
            .alias("subject"),
            pl.col("serial").str.to_uppercase(),
            pl.col("port").cast(pl.Int64, strict=False),
            certificate_time(pl.col("not_before")).alias("not_before"),
            certificate_time(pl.col("not_after")).alias("not_after"),
        )
        certificates = _assets.complete_environment(certificates, context)
        frame = certificates.select(
            *CERTIFICATES.column_names,
            SOURCE_ROW,
            pl.struct(EXTRA_COLUMNS).struct.json_encode().alias(EXTRA),
        )
        findings, finding_notes = _findings(rows, path, when, source, context)
        notes = []
        if source == OBSERVED_FROM_MTIME and (frame.height or findings.height):
            notes.append(
                f"{path.name}: a testssl.sh CSV has no scan time; observed_at is the file's "
                f"modification time {when}"
            )
        return ParsedExport(
            format_name=self.name,
            entities={CERTIFICATES.table: frame, f.FINDINGS_TABLE: findings},
            notes=notes + finding_notes,
        )


RATED = ("low", "medium", "high", "critical")
# certificate checks (the certificate observation) and the rating summary are not findings
NOT_FINDING_CHECKS = r"^(cert_|intermediate_cert|overall_grade|grade_cap|final_score)"


def _findings(rows: pl.DataFrame, path: Path, when: str, source: str,
              context: ParseContext | None) -> tuple[pl.DataFrame, list[str]]:
    """The rated TLS checks as findings rows, and a note counting the lines left out."""
    check = pl.col("id").str.extract(r"^(\S+)", 1)
    level = pl.col("severity").str.to_lowercase()
    target = pl.col("fqdn/ip").str.split("/")
    host = pl.coalesce(
        target.list.get(0, null_on_oob=True).str.strip_chars().replace("", None),
        target.list.get(1, null_on_oob=True).str.strip_chars().replace("", None),
    )
    lines = rows.with_columns(check.alias("check"), host.alias("asset_id"))
    rated = level.is_in(list(RATED)) & ~pl.col("check").str.contains(NOT_FINDING_CHECKS).fill_null(False)
    kept = lines.filter(rated.fill_null(False))
    skipped = lines.height - kept.height
    data = path.read_bytes()
    frame = kept.with_columns(
        pl.col("cve").fill_null("").str.to_uppercase().str.extract_all(r"CVE-\d{4}-\d{4,}").alias("_cves"),
    ).with_columns(
        pl.when(pl.col("_cves").list.len() > 0).then(pl.lit("vulnerability"))
        .otherwise(pl.lit("misconfiguration")).alias("finding_class"),
        pl.when(pl.col("_cves").list.len() > 0).then(pl.col("_cves"))
        .otherwise(pl.lit([None], dtype=pl.List(pl.String))).alias("_cves"),
    ).explode("_cves").with_columns(
        pl.coalesce(pl.col("_cves"), pl.lit("TESTSSL-") + pl.col("check")).alias("vulnerability_id"),
        (pl.col("check") + pl.lit(": ") + pl.col("finding").fill_null("")).alias("title"),
        level.alias("severity"),
    ).drop("_cves")
    # hosts scanned without a rated line: clean scans
    hosts = lines.select("asset_id").drop_nulls().unique(maintain_order=True)
    clean = hosts.join(frame.select("asset_id").unique(), on="asset_id", how="anti").with_columns(
        pl.lit(f.CLEAN_SCAN_ROW, dtype=pl.Int64).alias(SOURCE_ROW))
    frame = pl.concat([frame, clean], how="diagonal_relaxed").with_columns(
        pl.lit(f.content_scan_id(data)).alias("scan_id"),
        pl.lit("testssl").alias("scanner"),
        pl.lit(when).alias("scanned_at"),
        pl.lit(source).alias(f.SCANNED_AT_SOURCE),
    ).rename({"id": "testssl_id", "severity": "severity"}).select(
        "scan_id", "scanned_at", "scanner", "asset_id", "vulnerability_id", "title", "severity",
        "finding_class", f.SCANNED_AT_SOURCE, "testssl_id", "fqdn/ip", "port", "finding", "cve", "cwe", SOURCE_ROW,
    )
    notes = [f"{path.name}: {kept.height} rated TLS check line(s) loaded as findings, {skipped} line(s) "
             "skipped (OK, INFO, WARN, DEBUG, certificate checks or grade)"]
    return f.finish(frame, path, context), notes
