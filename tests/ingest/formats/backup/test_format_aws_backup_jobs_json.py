"""AWS Backup list-backup-jobs: the AWS CLI documentation example and an own fixture of every state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats.backup.aws_backup_jobs_json import AwsBackupJobsJson
from ingest.formats.base import ExportError
from ingest.rules import ParseContext
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "aws_backup_jobs_json"
SAMPLE = SHARED_SAMPLES / "backup" / "aws-backup-jobs-json" / "awscli_list_backup_jobs_example1.json"


def parse(path: Path):
    return AwsBackupJobsJson().parse(path, "backup", ParseContext())


def jobs(path: Path) -> dict[str, dict]:
    rows = parse(path).entities["backup_jobs"].to_dicts()
    return {r["job_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared samples absent")
def test_real_cli_example_epoch_floats():
    rows = jobs(SAMPLE)
    created = rows["a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"]
    assert (created["status"], created["completed_at"]) == ("running", None)
    assert created["started_at"] == "2020-09-21T20:58:12.929000Z"
    assert created["system_id"] == "arn:aws:ec2:us-west-2:123456789012:instance/i-12345678901234567"
    completed = rows["a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"]
    assert completed["status"] == "succeeded"
    assert (completed["started_at"], completed["completed_at"]) == (
        "2020-09-21T20:55:24.770000Z", "2020-09-21T20:55:44.488000Z")
    assert completed["job_type"] == "backup"
    assert completed["encrypted"] is None            # the listing carries no IsEncrypted: unknown
    assert completed["_extra"]["StartBy"] == 1600725324.77
    assert completed["_extra"]["State"] == "COMPLETED"


def test_states_iso_times_and_encryption():
    parsed = parse(FIXTURES / "iso_times_all_states.json")
    rows = {r["job_id"]: r for r in parsed.entities["backup_jobs"].to_dicts()}
    assert {k: r["status"] for k, r in rows.items()} == {
        "job-failed": "failed", "job-aborted": "failed", "job-expired": "failed", "job-partial": "partial",
        "job-running": "running", "job-pending": "running", "job-odd": "migrating",
    }
    assert parsed.notes == ["unknown State value(s) kept as written: migrating"]
    assert rows["job-failed"]["started_at"] == "2024-04-01T01:00:00.123000+02:00"
    assert (rows["job-failed"]["encrypted"], rows["job-aborted"]["encrypted"]) == ("true", "false")
    assert rows["job-running"]["system_id"] == "fs-name-only"        # no ARN: the resource name
    assert rows["job-running"]["started_at"] == "2024-04-01T04:00:00.000000Z"


def test_no_backup_jobs_list(tmp_path):
    path = tmp_path / "jobs.json"
    path.write_text('{"BackupJobs": null}')
    with pytest.raises(ExportError, match="jobs.json: BackupJobs is not a list"):
        parse(path)
