"""AWS Backup restore jobs (`aws backup list-restore-jobs`: `{"RestoreJobs": [...]}`).

Documented record shape (RestoreJobsListMember): AccountId, RestoreJobId,
RecoveryPointArn, CreationDate, CompletionDate, Status (PENDING | RUNNING | COMPLETED |
ABORTED | FAILED), StatusMessage, PercentDone, BackupSizeInBytes, IamRoleArn,
ExpectedCompletionTimeMinutes, CreatedResourceArn, ResourceType,
RecoveryPointCreationDate, CreatedBy{RestoreTestingPlanArn}, ValidationStatus
(FAILED | SUCCESSFUL | TIMED_OUT | VALIDATING), ValidationStatusMessage,
DeletionStatus, and in newer versions SourceResourceArn, BackupVaultArn.

COUNTING RULE: one `RestoreJobs[]` entry = one restore test (job_type `restore_test`):
every restore job restores real backup data, so each one is a test of a backup,
whether started by hand or by a restore-testing plan. Merged by job_id downstream.

Fields:
- `RestoreJobId` -> job_id.
- system_id = `SourceResourceArn` (the protected resource the backup came from) when
  present, else `CreatedResourceArn` (the restored copy; older API versions name no
  source), else `RecoveryPointArn`; `_extra.system_id_source` says which.
- started_at = `CreationDate`; completed_at = `CompletionDate` (epoch floats or ISO).
- status from `Status` and `ValidationStatus` (rule): COMPLETED -> succeeded, unless
  the restore test's validation says FAILED or TIMED_OUT (-> failed) or is still
  VALIDATING (-> running); ABORTED, FAILED -> failed; PENDING, RUNNING -> running.
- encrypted: blank (encryption is judged on backups, not on restore tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats._structure import json_structure
from ingest.formats.backup.aws_backup_jobs_json import map_state, status_notes
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    build_frame, leftovers, load_json, record_list,
)
from ingest.rules import ParseContext

STATES = {
    "COMPLETED": "succeeded",
    "ABORTED": "failed",
    "FAILED": "failed",
    "PENDING": "running",
    "RUNNING": "running",
}
VALIDATION = {"FAILED": "failed", "TIMED_OUT": "failed", "VALIDATING": "running"}
COLUMNS = ("job_id", "system_id", "started_at", "completed_at", "status")
MAPPED = ("RestoreJobId", "CreationDate", "CompletionDate", "Status")


class AwsRestoreJobsJson(ExportFormat):
    name: ClassVar[str] = "aws_restore_jobs_json"
    families: ClassVar[tuple[str, ...]] = ("backup",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: a top-level RestoreJobs list, wherever it comes in the object (a
        # document that does not parse is claimed from its head, so parse names the break).
        doc = json_structure(path, head)
        if doc is None or doc.kind != "object":
            return False
        return isinstance(doc.get("RestoreJobs"), list) if doc.parsed else "RestoreJobs" in doc.keys

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        document = load_json(path)
        if not isinstance(document, dict) or "RestoreJobs" not in document:
            raise ExportError(f"{path}: not a list-restore-jobs response (no RestoreJobs list)")
        jobs = record_list(document["RestoreJobs"], path, "RestoreJobs")
        frame = build_frame([_row(n, job) for n, job in enumerate(jobs, start=1)], COLUMNS)
        notes = status_notes(frame, STATES, "Status")
        frame = frame.with_columns(
            pl.lit("restore_test").alias("job_type"),
            vendor_values.timestamp(pl.col("started_at")).alias("started_at"),
            vendor_values.timestamp(pl.col("completed_at")).alias("completed_at"),
        )
        return ParsedExport(format_name=self.name, entities={"backup_jobs": frame}, notes=notes)


def _row(number: int, job: dict[str, Any]) -> dict[str, Any]:
    status = map_state(job.get("Status"), STATES)
    validation = str(job.get("ValidationStatus") or "").strip().upper()
    if status == "succeeded" and validation in VALIDATION:
        status = VALIDATION[validation]
    for key, source in (("SourceResourceArn", "SourceResourceArn"), ("CreatedResourceArn", "CreatedResourceArn"),
                        ("RecoveryPointArn", "RecoveryPointArn")):
        if job.get(key):
            system_id, system_source = job[key], source
            break
    else:
        system_id = system_source = None
    return {
        SOURCE_ROW: number,
        "job_id": job.get("RestoreJobId"),
        "system_id": system_id,
        "started_at": job.get("CreationDate"),
        "completed_at": job.get("CompletionDate"),
        "status": status,
        EXTRA: {**leftovers(job, MAPPED), "Status": job.get("Status"), "system_id_source": system_source},
    }
