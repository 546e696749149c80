"""AWS Backup list-restore-jobs: no real sample exists; a fixture of the documented shape."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.formats.backup.aws_restore_jobs_json import AwsRestoreJobsJson
from ingest.rules import ParseContext

FIXTURES = Path(__file__).resolve().parent / "samples" / "aws_restore_jobs_json"


def jobs() -> dict[str, dict]:
    parsed = AwsRestoreJobsJson().parse(FIXTURES / "restore_tests.json", "backup", ParseContext())
    rows = parsed.entities["backup_jobs"].to_dicts()
    return {r["job_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


def test_every_restore_job_is_a_restore_test():
    rows = jobs()
    assert {r["job_type"] for r in rows.values()} == {"restore_test"}
    assert {k: r["status"] for k, r in rows.items()} == {
        "restore-ok": "succeeded",
        "restore-validation-failed": "failed",
        "restore-validating": "running",
        "restore-aborted": "failed",
        "restore-running": "running",
    }


def test_times_and_system():
    rows = jobs()
    ok = rows["restore-ok"]
    assert (ok["started_at"], ok["completed_at"]) == ("2024-04-02T10:00:00.500000Z", "2024-04-02T11:00:00.250000Z")
    assert ok["system_id"] == "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1"
    assert ok["_extra"]["system_id_source"] == "SourceResourceArn"
    assert ok["_extra"]["CreatedBy"]["RestoreTestingPlanArn"].endswith("restore-testing-plan:weekly")
    failed = rows["restore-validation-failed"]
    assert failed["system_id"] == "arn:aws:rds:eu-west-1:111122223333:db:orders-restore-test"
    assert failed["_extra"]["system_id_source"] == "CreatedResourceArn"
    assert rows["restore-aborted"]["_extra"]["system_id_source"] == "RecoveryPointArn"
    assert rows["restore-running"]["completed_at"] is None
    assert "encrypted" not in ok
