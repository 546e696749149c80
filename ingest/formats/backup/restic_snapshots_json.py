"""restic snapshots (`restic snapshots --json`: a JSON array of snapshots).

COUNTING RULE: one snapshot = one backup job that succeeded (job_type `backup`): restic
writes a snapshot only when a backup run finishes, so its existence is the success;
failed runs leave no snapshot and are not in this export. Merged by job_id downstream
(the same snapshot listed again in a later export is the same job).

Fields:
- job_id = the snapshot `id` (the full 64-hex id; `short_id` goes to `_extra`).
- system_id = `hostname`; paths, tags, username, tree, parent, program version and
  summary go to `_extra`.
- started_at = `time` (when the backup run started; RFC 3339 with nanoseconds and an
  offset, read to the microsecond as a UTC instant); completed_at =
  `summary.backup_end` when present (restic >= 0.17), else blank.
- status = succeeded (see the counting rule).
- encrypted: restic has no per-snapshot flag because every repository is encrypted; it
  is the backup rule `restic_encrypted` (ingest/rules.yaml, a property of the tool):
  true/false as configured, blank (unknown, a defect) when the rule is absent.
  `_extra.encrypted_source` = "rule".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, dig, has_key, head_text, is_empty_array, json_kind, leftovers, load_json, record_list,
)
from ingest.rules import ParseContext

COLUMNS = ("job_id", "system_id", "started_at", "completed_at")
MAPPED = ("id", "hostname", "time")


class ResticSnapshotsJson(ExportFormat):
    name: ClassVar[str] = "restic_snapshots_json"
    families: ClassVar[tuple[str, ...]] = ("backup",)

    def detect(self, path: Path, head: bytes) -> bool:
        if json_kind(head) != "array":
            return False
        text = head_text(head)
        if is_empty_array(text):
            return True  # a repository without snapshots: the only array-shaped backup export
        return all(has_key(text, key) for key in ("time", "tree", "paths", "hostname"))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        snapshots = record_list(load_json(path), path, "the snapshot list")
        frame = build_frame([_row(n, s) for n, s in enumerate(snapshots, start=1)], COLUMNS)
        rule = context.rules.get(family, {}).get("restic_encrypted")
        encrypted = None if rule is None else ("true" if rule else "false")
        frame = frame.with_columns(
            pl.lit("backup").alias("job_type"),
            pl.lit("succeeded").alias("status"),
            pl.lit(encrypted, dtype=pl.String).alias("encrypted"),
            vendor_values.timestamp(pl.col("started_at")).alias("started_at"),
            vendor_values.timestamp(pl.col("completed_at")).alias("completed_at"),
            pl.lit(None if encrypted is None else "rule", dtype=pl.String).alias("_encrypted_source"),
        )
        frame = add_to_extra(frame, ["_encrypted_source"])
        notes = [] if encrypted is not None else ["backup rule restic_encrypted is not set: encrypted left blank"]
        return ParsedExport(format_name=self.name, entities={"backup_jobs": frame}, notes=notes)


def _row(number: int, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        SOURCE_ROW: number,
        "job_id": snapshot.get("id"),
        "system_id": snapshot.get("hostname"),
        "started_at": snapshot.get("time"),
        "completed_at": dig(snapshot, "summary", "backup_end"),
        EXTRA: leftovers(snapshot, MAPPED),
    }
