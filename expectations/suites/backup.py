"""Backup family: backup, restore-test and DR-test jobs (SOURCES.md "backup")."""

from __future__ import annotations

from expectations.spec import Suite, as_of_query
from expectations.suites._common import in_set, ordered, required, timeliness, unique


def _backup_jobs(gx, ctx):
    return [
        *required(gx, "job_id", "job_type", "started_at", "status"),
        in_set(gx, "job_type", ["backup", "restore_test", "dr_test"]),
        in_set(gx, "status", ["succeeded", "failed", "partial", "running"]),
        ordered(gx, "completed_at", "started_at"),
        unique(gx, "job_id"),
        *timeliness(gx, ctx, "backup", "started_at"),
    ]


SUITES = [
    Suite(
        name="backup.backup_jobs",
        asset_key=("backup", "backup_jobs"),
        relation="intermediate.int_backup_jobs_merged",
        query=as_of_query(
            "intermediate.int_backup_jobs_merged", "started_at",
            "* replace (lower(trim(job_type)) as job_type, lower(trim(status)) as status)",
        ),
        build=_backup_jobs,
        dimensions=("completeness", "validity", "uniqueness", "timeliness"),
        description="Backup jobs, merged by job_id: required fields, job_type and status words, completed_at >= started_at, timeliness.",
    ),
]
