"""Okta users as extract-load tools write them: Airbyte messages and dlt JSON lines.

The envelope is read by `ingest.formats._el_records` (shapes and their public sources there);
each user record is mapped by the Okta users module (`okta_users_json.users_frame`), so every
field rule of `okta_users_json` holds here unchanged (status map, disabled_at, privileged
patterns, country completion). Airbyte's source-okta `users` stream emits the `/api/v1/users`
objects as they are (airbytehq/airbyte `airbyte-integrations/connectors/source-okta`, MIT);
dlt's records are flattened (`profile__email`) and snake_cased, and are unflattened and
camelCased back before the mapping.

COUNTING RULE: one Okta user record (a RECORD message of an Okta-user stream, or one dlt line)
= one identity row; `_source_row` is the record's line number. Messages without a record
(STATE, LOG, TRACE, ...) are skipped and counted in the notes, as are the records of streams
that hold no Okta users (`groups`, `logs`, ...). A file none of whose streams holds Okta users
is refused, naming its streams. A stream holds Okta users when its first record has `id`,
`status` and a `profile` object.

- snapshot_at: the latest extraction time of the file's user records (Airbyte `emitted_at`, ms
  since the epoch; dlt `_dlt_load_id`, the load's start): the moment the listing was complete.
  `_extra.snapshot_at_source` = "airbyte_emitted_at" / "dlt_load_id"; a file without any
  (hand-made) falls back to its modification time ("file_mtime"), as `okta_users_json` does.
- The file is taken as a full snapshot of the directory, as the users listing is. An Airbyte
  *incremental* sync of `users` holds only the users changed since its cursor; such a file is
  a partial snapshot the format cannot tell apart (documented in docs/DECISIONS.md).
- mfa_enforced_directories: the directory name is `okta_users_json` (the same Okta org,
  however it was pulled), so one rule covers both formats.
- `_extra`: as `okta_users_json`, plus `stream`, and `emitted_at` (Airbyte) or
  `dlt_load_id`/`dlt_id` (dlt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _el_records as el
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.iam._json_records import file_mtime
from ingest.formats.iam.okta_users_json import users_frame
from ingest.rules import ParseContext

DIRECTORY = "okta_users_json"
SNAPSHOT_SOURCE = {el.AIRBYTE: "airbyte_emitted_at", el.AIRBYTE_RAW: "airbyte_emitted_at", el.DLT: "dlt_load_id"}
WANTED = "Okta users"


def is_okta_user(record: dict[str, Any]) -> bool:
    return "id" in record and "status" in record and isinstance(record.get("profile"), dict)


class OktaUsersJsonl(ExportFormat):
    name: ClassVar[str] = "okta_users_jsonl"
    families: ClassVar[tuple[str, ...]] = ("iam",)

    def detect(self, path: Path, head: bytes) -> bool:
        # Any Airbyte or dlt file dropped in iam: parse names the streams when none holds users.
        return el.sniff(head) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        source = el.read(path)
        streams, notes = el.select(source, path, is_okta_user, WANTED)
        users, numbers, extras, times = [], [], [], []
        for stream in streams:
            users += [el.unflatten(r, source.tool, camel_case=True) for r in stream.records]
            numbers += stream.lines
            extras += stream.envelope
            times += stream.extracted_at
        snapshot_at = el.latest(times)
        snapshot_source = SNAPSHOT_SOURCE[source.tool] if snapshot_at else "file_mtime"
        frame, mapping_notes = users_frame(
            users, numbers, path, family, context,
            snapshot_at=snapshot_at or file_mtime(path), snapshot_source=snapshot_source,
            directory=DIRECTORY, extras=extras,
        )
        skipped = source.skipped_note()
        notes = ([skipped] if skipped else []) + notes + mapping_notes
        return ParsedExport(format_name=self.name, entities={"identities": frame}, notes=notes)
