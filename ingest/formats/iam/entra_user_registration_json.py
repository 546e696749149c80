"""Microsoft Entra authentication-methods registration report (Graph
`GET /reports/authenticationMethods/userRegistrationDetails`: `{"value": [...]}`).

COUNTING RULE: one `value[]` entry = one identity row; the file is one full snapshot
of the directory `entra_user_registration_json` (a paged response saved as several
files is one snapshot only where the pages share their newest lastUpdatedDateTime).

Fields:
- `userPrincipalName` -> user_id and email (the UPN is the sign-in name, e-mail shaped);
  `id` (the Entra object id), display name, user type, methods, SSPR/passwordless flags
  go to `_extra`.
- `isAdmin` -> is_privileged; `isMfaRegistered` -> mfa_enabled.
- status (the report has no account state; rule): `active` - a listed user is an
  existing account - unless the record carries `accountEnabled` (some exports join it
  from `/users`): false -> suspended. `_extra.status_source` says which.
- country: the report has none: from the user directory (ingest/formats/people.py),
  `_extra.country_source`.
- snapshot_at: the newest `lastUpdatedDateTime` of the file (the report's refresh time;
  7-digit fractions are read to the microsecond), `_extra.snapshot_at_source` =
  "newest_lastUpdatedDateTime"; without any, the file's modification time ("file_mtime").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats._structure import json_structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, file_mtime, leftovers, load_json, newest_text, record_list,
)
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.rules import ParseContext

COLUMNS = ("user_id", "email", "status", "is_privileged", "mfa_enabled", "_last_updated", "_status_source")
MAPPED = ("userPrincipalName", "isAdmin", "isMfaRegistered", "accountEnabled")


class EntraUserRegistrationJson(ExportFormat):
    name: ClassVar[str] = "entra_user_registration_json"
    families: ClassVar[tuple[str, ...]] = ("iam",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: a Graph collection (`value` list) whose @odata.context names
        # userRegistrationDetails or whose entries carry isMfaRegistered, keys in any
        # order; a document that does not parse is claimed from its head's keys.
        doc = json_structure(path, head)
        if doc is None or doc.kind != "object":
            return False
        if not doc.parsed:
            text = doc.head_text
            return doc.has_key_in_head("value") and (
                "userRegistrationDetails" in text or doc.has_key_in_head("isMfaRegistered"))
        value = doc.get("value")
        if not isinstance(value, list):
            return False
        context = doc.get("@odata.context")
        return (isinstance(context, str) and "userRegistrationDetails" in context) or any(
            isinstance(item, dict) and "isMfaRegistered" in item for item in value
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        notes: list[str] = []
        document = load_json(path)
        if not isinstance(document, dict) or "value" not in document:
            raise ExportError(f"{path}: not a Graph userRegistrationDetails response (no value list)")
        records = record_list(document["value"], path, "value")
        frame = build_frame([_row(n, r) for n, r in enumerate(records, start=1)], COLUMNS)
        newest = newest_text(frame["_last_updated"])
        snapshot_at, source = (newest, "newest_lastUpdatedDateTime") if newest else (file_mtime(path), "file_mtime")
        frame = frame.with_columns(
            pl.lit(snapshot_at).alias("snapshot_at"),
            vendor_values.text(pl.col("user_id")).alias("user_id"),
            vendor_values.text(pl.col("email")).alias("email"),
            vendor_values.boolean_text(pl.col("is_privileged")).alias("is_privileged"),
            vendor_values.boolean_text(pl.col("mfa_enabled")).alias("mfa_enabled"),
            pl.lit(source).alias("_snapshot_at_source"),
        ).drop("_last_updated")
        frame = complete_country(frame, context, family, notes=notes)
        frame = add_to_extra(frame, ["_snapshot_at_source", "_status_source", COUNTRY_SOURCE])
        return ParsedExport(format_name=self.name, entities={"identities": frame}, notes=notes)


def _row(number: int, record: dict[str, Any]) -> dict[str, Any]:
    upn = record.get("userPrincipalName")
    enabled = record.get("accountEnabled")
    if isinstance(enabled, bool):
        status, source = ("active" if enabled else "suspended"), "accountEnabled"
    else:
        status, source = "active", "listed_in_report"
    return {
        SOURCE_ROW: number,
        "user_id": upn,
        "email": upn if isinstance(upn, str) and "@" in upn else None,
        "status": status,
        "is_privileged": record.get("isAdmin"),
        "mfa_enabled": record.get("isMfaRegistered"),
        "_last_updated": record.get("lastUpdatedDateTime"),
        "_status_source": source,
        EXTRA: leftovers(record, MAPPED),
    }
