"""AWS Backup backup jobs (`aws backup list-backup-jobs`: `{"BackupJobs": [...]}`).

COUNTING RULE: one `BackupJobs[]` entry = one backup job row (job_type `backup`),
merged across exports by job_id downstream (a later listing updates a running job).

Fields:
- `BackupJobId` -> job_id.
- system_id = `ResourceArn` (unique across accounts and regions), else `ResourceName`;
  ResourceName, ResourceType, vault, recovery point and the other fields go to `_extra`.
- started_at = `CreationDate`; completed_at = `CompletionDate`. CLI v1 writes epoch
  seconds as floats (`1600721892.929`), CLI v2 and SDKs ISO 8601 with an offset: both
  read as UTC instants. `StartBy`/`ExpectedCompletionDate` are deadlines, not times of
  the job (`_extra`).
- status from `State` (rule): COMPLETED -> succeeded; PARTIAL -> partial;
  FAILED, ABORTED, EXPIRED -> failed (the backup did not happen in its window);
  CREATED, PENDING, RUNNING, ABORTING -> running (not finished). Another value is
  kept lower-cased and noted.
- encrypted = `IsEncrypted` when the listing carries it (newer API versions); otherwise
  blank: unknown, which the DPMO counts as a defect rather than guessing (AWS Backup
  encrypts most resource types in the vault, but not all, e.g. unencrypted EBS/EC2
  sources keep their source encryption).
- asset_environment: blank (the listing has no environment).
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
    build_frame, leftovers, load_json, record_list,
)
from ingest.rules import ParseContext

STATES = {
    "COMPLETED": "succeeded",
    "PARTIAL": "partial",
    "FAILED": "failed",
    "ABORTED": "failed",
    "EXPIRED": "failed",
    "CREATED": "running",
    "PENDING": "running",
    "RUNNING": "running",
    "ABORTING": "running",
}
COLUMNS = ("job_id", "system_id", "started_at", "completed_at", "status", "encrypted")
MAPPED = ("BackupJobId", "ResourceArn", "CreationDate", "CompletionDate", "State", "IsEncrypted")


class AwsBackupJobsJson(ExportFormat):
    name: ClassVar[str] = "aws_backup_jobs_json"
    families: ClassVar[tuple[str, ...]] = ("backup",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: a top-level BackupJobs list, wherever it comes in the object (a
        # document that does not parse is claimed from its head, so parse names the break).
        doc = json_structure(path, head)
        if doc is None or doc.kind != "object":
            return False
        return isinstance(doc.get("BackupJobs"), list) if doc.parsed else "BackupJobs" in doc.keys

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        document = load_json(path)
        if not isinstance(document, dict) or "BackupJobs" not in document:
            raise ExportError(f"{path}: not a list-backup-jobs response (no BackupJobs list)")
        jobs = record_list(document["BackupJobs"], path, "BackupJobs")
        frame = build_frame([_row(n, job) for n, job in enumerate(jobs, start=1)], COLUMNS)
        notes = status_notes(frame, STATES, "State")
        frame = frame.with_columns(
            pl.lit("backup").alias("job_type"),
            vendor_values.timestamp(pl.col("started_at")).alias("started_at"),
            vendor_values.timestamp(pl.col("completed_at")).alias("completed_at"),
            vendor_values.boolean_text(pl.col("encrypted")).alias("encrypted"),
        )
        return ParsedExport(format_name=self.name, entities={"backup_jobs": frame}, notes=notes)


def _row(number: int, job: dict[str, Any]) -> dict[str, Any]:
    state = job.get("State")
    return {
        SOURCE_ROW: number,
        "job_id": job.get("BackupJobId"),
        "system_id": job.get("ResourceArn") or job.get("ResourceName"),
        "started_at": job.get("CreationDate"),
        "completed_at": job.get("CompletionDate"),
        "status": map_state(state, STATES),
        "encrypted": job.get("IsEncrypted"),
        EXTRA: {**leftovers(job, MAPPED), "State": state},
    }


def map_state(state: Any, states: dict[str, str]) -> str | None:
    """The canonical status of an AWS job state; an unknown state kept lower-cased."""
    if state is None or not str(state).strip():
        return None
    text = str(state).strip().upper()
    return states.get(text, text.lower())


def status_notes(frame: pl.DataFrame, states: dict[str, str], field: str) -> list[str]:
    canonical = set(states.values())
    unknown = sorted(set(frame["status"].drop_nulls().to_list()) - canonical)
    return [f"unknown {field} value(s) kept as written: {', '.join(unknown)}"] if unknown else []
