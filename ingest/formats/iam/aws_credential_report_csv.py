"""AWS IAM credential report (`aws iam get-credential-report`), as its CSV or as the CLI's
JSON envelope `{"Content": <base64 CSV>, "ReportFormat": "text/csv", "GeneratedTime": ...}`.

COUNTING RULE: one CSV record = one identity row (an IAM user of the account, or
`<root_account>`); the file is one full snapshot of the directory
`aws_credential_report_csv` (SOURCES.md: each vendor is its own directory).

Fields:
- `user` -> user_id (`<root_account>` kept as written); `arn` and every other column
  go to `_extra`. email = the user name when it is an e-mail address, else blank.
- `mfa_active` -> mfa_enabled.
- status (the report has no status column; rule): `active` when the account can
  authenticate: `password_enabled`, `access_key_1_active`, `access_key_2_active`,
  `cert_1_active` or `cert_2_active` is true; otherwise `suspended` (the user exists
  but holds no usable credential). The root account is always `active` (its password
  can always be reset; the report writes `not_supported` for it).
- is_privileged (the report has no groups or policies; rule): true when a
  `privileged_group_patterns` regex of the iam rules matches the user name (`root`
  for the root account), false otherwise; blank when no patterns are configured.
  `_extra.privileged_source` = "name_pattern".
- country (the report has none): from the user directory (ingest/formats/people.py);
  `_extra.country_source` says where it came from.
- snapshot_at (the CSV has no time of its own), first that applies, marked in
  `_extra.snapshot_at_source`:
  `generated_time`: the envelope's GeneratedTime;
  `newest_timestamp`: the newest past-event timestamp in the file (creation, last use,
  last change and last rotation columns; `password_next_rotation` is in the future and
  left out) - a lower bound of the generation time, which the report always follows;
  `file_mtime`: the file's modification time (a report without any timestamp).
- Sentinels `N/A`, `not_supported`, `no_information` are missing values; timestamps
  end in `+00:00` or `Z` (both read as UTC).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, normalise_name, read_csv_text, read_header, tidy_text
from ingest.formats.iam._json_records import add_to_extra, file_mtime, has_key, head_text, json_kind, newest_text
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext

SIGNATURE = ("user", "arn", "user_creation_time", "password_enabled", "mfa_active")
ROOT = "<root_account>"
ENCODED_HEADER = "dXNlcixhcm4s"  # base64 of "user,arn,"
CREDENTIAL_FLAGS = (
    "password_enabled", "access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active",
)
# Times of past events: the report is generated after every one of them.
PAST_EVENT_COLUMNS = (
    "user_creation_time", "password_last_used", "password_last_changed",
    "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_2_last_rotated", "access_key_2_last_used_date",
    "cert_1_last_rotated", "cert_2_last_rotated",
)


class AwsCredentialReportCsv(ExportFormat):
    name: ClassVar[str] = "aws_credential_report_csv"
    families: ClassVar[tuple[str, ...]] = ("iam",)

    def detect(self, path: Path, head: bytes) -> bool:
        if json_kind(head) == "object":
            # The base64 Content comes first and may fill the head: its opening
            # ("user,arn," encoded) or the envelope's other keys identify it.
            text = head_text(head)
            return has_key(text, "Content") and (
                ENCODED_HEADER in text or has_key(text, "ReportFormat") or has_key(text, "GeneratedTime")
            )
        header = read_header(head)
        return header is not None and set(SIGNATURE) <= set(header)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        notes: list[str] = []
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        generated: str | None = None
        if json_kind(head) == "object":
            frame, generated = _read_envelope(path)
        else:
            header = read_header(head)
            if header is None or not set(SIGNATURE) <= set(header):
                raise ExportError(f"{path}: not an AWS credential report (header lacks {', '.join(SIGNATURE)})")
            frame = tidy_text(read_csv_text(path, header), header)
        return ParsedExport(
            format_name=self.name,
            entities={"identities": _identities(frame, path, generated, context, family, notes)},
            notes=notes,
        )


def _read_envelope(path: Path) -> tuple[pl.DataFrame, str | None]:
    """The CSV inside `get-credential-report`'s JSON output, and its GeneratedTime."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8").lstrip("\ufeff"))
        content = base64.b64decode(document["Content"], validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, binascii.Error) as error:
        raise ExportError(f"{path}: unreadable credential report envelope: {error}") from error
    header = read_header(content)
    if header is None or not set(SIGNATURE) <= set(header):
        raise ExportError(f"{path}: the envelope's Content is not a credential report CSV")
    try:
        frame = pl.read_csv(io.BytesIO(content), has_header=True, infer_schema=False, raise_if_empty=False)
    except Exception as error:  # polars raises several exception types for bad input
        raise ExportError(f"{path}: unreadable CSV in the envelope's Content: {error}") from error
    frame.columns = [normalise_name(name, i) for i, name in enumerate(frame.columns, start=1)]
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    generated = document.get("GeneratedTime")
    return tidy_text(frame, header), (str(generated) if generated is not None else None)


def _identities(
    frame: pl.DataFrame,
    path: Path,
    generated: str | None,
    context: ParseContext,
    family: str,
    notes: list[str],
) -> pl.DataFrame:
    columns = [c for c in frame.columns if c != SOURCE_ROW]
    # _extra keeps the report's own words (N/A, not_supported, no_information differ in meaning).
    extra_columns = [c for c in columns if c not in ("user", "mfa_active")]
    frame = frame.with_columns(pl.struct(extra_columns).struct.json_encode().alias(EXTRA))
    # Sentinels to null, vendor time forms to ISO, in every column at once.
    clean = frame.with_columns(vendor_values.text(pl.col(c)).alias(c) for c in columns)
    clean = clean.with_columns(
        vendor_values.timestamp(pl.col(c)).alias(c) for c in PAST_EVENT_COLUMNS if c in columns
    )

    snapshot_at, source = _snapshot_time(clean, path, generated)
    user = pl.col("user")
    is_root = user == ROOT
    flags = [vendor_values.boolean_text(pl.col(c)) == "true" for c in CREDENTIAL_FLAGS if c in columns]
    can_authenticate = pl.any_horizontal(flags).fill_null(False) if flags else pl.lit(False)
    name_for_patterns = pl.when(is_root).then(pl.lit("root")).otherwise(user)
    patterns = context.rules.get(family, {}).get("privileged_group_patterns") or []
    if patterns:
        privileged = pl.any_horizontal([name_for_patterns.str.contains(p) for p in patterns]).fill_null(False)
        privileged_text = pl.when(privileged).then(pl.lit("true")).otherwise(pl.lit("false"))
        privileged_source = pl.lit("name_pattern")
    else:
        privileged_text = pl.lit(None, dtype=pl.String)
        privileged_source = pl.lit(None, dtype=pl.String)

    identities = clean.select(
        pl.lit(snapshot_at).alias("snapshot_at"),
        user.alias("user_id"),
        pl.when(user.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")).then(user).alias("email"),
        pl.when(is_root | can_authenticate).then(pl.lit("active")).otherwise(pl.lit("suspended")).alias("status"),
        privileged_text.alias("is_privileged"),
        vendor_values.boolean_text(pl.col("mfa_active")).alias("mfa_enabled"),
        pl.col(SOURCE_ROW),
        pl.col(EXTRA),
        pl.lit(source).alias("_snapshot_at_source"),
        privileged_source.alias("_privileged_source"),
    ).filter(pl.col("user_id").is_not_null())
    identities = complete_country(identities, context, family, notes=notes)
    return add_to_extra(identities, ["_snapshot_at_source", "_privileged_source", COUNTRY_SOURCE])


def _snapshot_time(clean: pl.DataFrame, path: Path, generated: str | None) -> tuple[str, str]:
    if generated:
        return generated, "generated_time"
    times = [c for c in PAST_EVENT_COLUMNS if c in clean.columns]
    if times and clean.height:
        stacked = pl.concat([clean.get_column(c) for c in times])
        newest = newest_text(stacked)
        if newest is not None:
            return newest, "newest_timestamp"
    return file_mtime(path), "file_mtime"
