"""Okta users (`GET /api/v1/users`: a JSON array of users; `GET /api/v1/users/{id}`: one user object).

COUNTING RULE: one user object = one identity row; the file is one full snapshot of
the directory `okta_users_json`.

Fields:
- `id` -> user_id (Okta's immutable id); `profile.email` -> email (else `profile.login`
  when it is an e-mail address); `profile.countryCode` -> country.
- `status` -> status (Okta lifecycle states, rule):
  ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT, RECOVERY -> active (the account is enabled; a
  lock or an expired password does not disable it);
  PROVISIONED -> active (activated by an admin: the user can complete activation alone);
  STAGED -> suspended (created, cannot sign in until an admin activates it);
  SUSPENDED -> suspended; DEPROVISIONED -> deprovisioned.
  Any other value is kept lower-cased (not active downstream) and noted.
  `statusChanged` -> disabled_at when the status is SUSPENDED or DEPROVISIONED.
- mfa_enabled: the users API carries no factors. Blank (read as false downstream)
  unless the directory is listed in the iam rule `mfa_enforced_directories` (its
  sign-on policy requires MFA of every account): then true, `_extra.mfa_source` =
  "mfa_enforced_directories".
- is_privileged: the users API carries no admin roles; a `privileged_group_patterns`
  regex of the iam rules matched against `profile.login` sets it (true/false,
  `_extra.privileged_source` = "name_pattern"); blank with no patterns.
- country: `profile.countryCode`, else the user directory (ingest/formats/people.py);
  `_extra.country_source` says which.
- snapshot_at: the export carries no time of its own (the record times are the users'
  last changes, not the listing's), so it is the file's modification time,
  `_extra.snapshot_at_source` = "file_mtime".
- `_extra`: login, first/last name, created, activated, statusChanged, lastLogin,
  lastUpdated, passwordChanged, type and the raw Okta status; `_links` are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import polars as pl

from ingest.formats import _el_records as el_records
from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, dig, file_mtime, has_key, head_text, is_empty_array, json_kind, leftovers,
    load_json, record_list,
)
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.rules import ParseContext

STATUS = {
    "ACTIVE": "active",
    "PASSWORD_EXPIRED": "active",
    "LOCKED_OUT": "active",
    "RECOVERY": "active",
    "PROVISIONED": "active",
    "STAGED": "suspended",
    "SUSPENDED": "suspended",
    "DEPROVISIONED": "deprovisioned",
}
DISABLING = ("SUSPENDED", "DEPROVISIONED")
COLUMNS = ("user_id", "email", "status", "country", "disabled_at", "_okta_status", "_login")


class OktaUsersJson(ExportFormat):
    name: ClassVar[str] = "okta_users_json"
    families: ClassVar[tuple[str, ...]] = ("iam",)

    def detect(self, path: Path, head: bytes) -> bool:
        if el_records.sniff(head) is not None:
            return False  # Airbyte or dlt JSON lines: the *_jsonl format reads the envelope
        kind = json_kind(head)
        if kind is None:
            return False
        text = head_text(head)
        if kind == "array" and is_empty_array(text):
            return True  # an empty user list: the only array-shaped iam export
        return all(has_key(text, key) for key in ("id", "status", "profile", "login")) and (
            has_key(text, "statusChanged") or has_key(text, "lastUpdated") or has_key(text, "created")
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        document = load_json(path)
        users = record_list([document] if isinstance(document, dict) else document, path, "the user list")
        frame, notes = users_frame(
            users, range(1, len(users) + 1), path, family, context,
            snapshot_at=file_mtime(path), snapshot_source="file_mtime", directory=self.name,
        )
        return ParsedExport(format_name=self.name, entities={"identities": frame}, notes=notes)


def users_frame(
    users: Sequence[dict[str, Any]],
    numbers: Iterable[int],
    path: Path,
    family: str,
    context: ParseContext | None,
    *,
    snapshot_at: str,
    snapshot_source: str,
    directory: str,
    extras: Sequence[dict[str, Any]] | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """The identities frame of Okta user objects (shared by every reader of Okta users).

    `numbers` are the records' `_source_row`s; `snapshot_at` is the one time of the listing
    (`_extra.snapshot_at_source` names where it came from); `directory` is the name the iam
    rule `mfa_enforced_directories` lists; `extras` (one dict per user) join each row's `_extra`.
    """
    context = context or ParseContext()
    notes: list[str] = []
    rows = [_row(number, user, path) for number, user in zip(numbers, users)]
    for row, extra in zip(rows, extras or ()):
        row[EXTRA].update(extra)
    frame = build_frame(rows, COLUMNS)
    unknown = sorted({s for s in frame["_okta_status"].drop_nulls().to_list() if s.upper() not in STATUS})
    if unknown:
        notes.append(f"unknown Okta status(es) kept as written (not active): {', '.join(unknown)}")

    rules = context.rules.get(family, {})
    patterns = rules.get("privileged_group_patterns") or []
    login = pl.coalesce(pl.col("_login"), pl.col("email"))
    if patterns:
        privileged = pl.any_horizontal([login.str.contains(p) for p in patterns]).fill_null(False)
        privileged_text = pl.when(privileged).then(pl.lit("true")).otherwise(pl.lit("false"))
        privileged_source = pl.lit("name_pattern")
    else:
        privileged_text = privileged_source = pl.lit(None, dtype=pl.String)
    enforced = directory in (rules.get("mfa_enforced_directories") or [])
    frame = frame.with_columns(
        pl.lit(snapshot_at, dtype=pl.String).alias("snapshot_at"),
        vendor_values.text(pl.col("email")).alias("email"),
        vendor_values.text(pl.col("country")).str.to_uppercase().alias("country"),
        vendor_values.timestamp(pl.col("disabled_at")).alias("disabled_at"),
        privileged_text.alias("is_privileged"),
        pl.lit("true" if enforced else None, dtype=pl.String).alias("mfa_enabled"),
        pl.lit(snapshot_source, dtype=pl.String).alias("_snapshot_at_source"),
        privileged_source.alias("_privileged_source"),
        pl.lit("mfa_enforced_directories" if enforced else None, dtype=pl.String).alias("_mfa_source"),
    ).drop("_okta_status", "_login")
    frame = complete_country(frame, context, family, notes=notes)
    frame = add_to_extra(frame, ["_snapshot_at_source", "_privileged_source", "_mfa_source", COUNTRY_SOURCE])
    return frame, notes


def _row(number: int, user: dict[str, Any], path: Path) -> dict[str, Any]:
    profile = user.get("profile")
    if not isinstance(profile, dict):
        raise ExportError(f"{path}: record {number} has no profile object (not an Okta user)")
    okta_status = user.get("status")
    status_text = str(okta_status).strip().upper() if okta_status is not None else None
    login = profile.get("login")
    email = profile.get("email") or (login if isinstance(login, str) and "@" in login else None)
    extra = leftovers(user, ("id", "status", "profile", "credentials"))
    extra.update({
        "login": login,
        "first_name": profile.get("firstName"),
        "last_name": profile.get("lastName"),
        "okta_status": okta_status,
        "credentials_provider": dig(user, "credentials", "provider", "type"),
    })
    return {
        SOURCE_ROW: number,
        "user_id": user.get("id"),
        "email": email,
        "status": STATUS.get(status_text, status_text.lower()) if status_text else None,
        "country": profile.get("countryCode"),
        "disabled_at": user.get("statusChanged") if status_text in DISABLING else None,
        "_okta_status": okta_status,
        "_login": login,
        EXTRA: extra,
    }
