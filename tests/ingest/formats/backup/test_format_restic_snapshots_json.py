"""restic snapshots --json: the restic manual's output and a restic 0.17 fixture."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.formats.backup.restic_snapshots_json import ResticSnapshotsJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "restic_snapshots_json"
SAMPLE = SHARED_SAMPLES / "backup" / "restic-snapshots-json" / "restic_doc_snapshots_json.json"


def parse(path: Path, backup_rules: dict | None = None):
    rules = load_rules() if backup_rules is None else {**load_rules(), "backup": backup_rules}
    return ResticSnapshotsJson().parse(path, "backup", ParseContext(rules=rules))


def jobs(path: Path, backup_rules: dict | None = None) -> dict[str, dict]:
    rows = parse(path, backup_rules).entities["backup_jobs"].to_dicts()
    return {r["job_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared samples absent")
def test_real_snapshots_are_succeeded_encrypted_backups():
    rows = jobs(SAMPLE)
    first = rows["bbeed6d28159aa384d1ccc6fa0b540644b1b9599b162d2972acda86b1b80f89e"]
    assert (first["system_id"], first["job_type"], first["status"], first["encrypted"]) == (
        "kasimir", "backup", "succeeded", "true")
    assert first["started_at"] == "2017-03-11T09:57:43.26630619+01:00"
    # nanoseconds and +01:00 read as the UTC instant, to the microsecond
    instant = duckdb.sql(f"SELECT CAST('{first['started_at']}' AS TIMESTAMPTZ) AT TIME ZONE 'UTC'").fetchall()[0][0]
    assert instant.isoformat() == "2017-03-11T08:57:43.266306"
    assert first["completed_at"] is None
    assert first["_extra"]["encrypted_source"] == "rule"
    assert len(rows) == 2


def test_summary_end_and_negative_offset():
    rows = jobs(FIXTURES / "summary_and_offsets.json")
    db = rows["1f0c7e1c5b1f0c7e1c5b1f0c7e1c5b1f0c7e1c5b1f0c7e1c5b1f0c7e1c5b1f0c"]
    assert (db["system_id"], db["completed_at"]) == ("db-prod-1", "2024-04-01T22:07:30.5-05:00")
    assert db["_extra"]["short_id"] == "1f0c7e1c" and db["_extra"]["tags"] == ["nightly"]
    assert rows["2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"]["completed_at"] is None


def test_without_the_rule_encryption_is_unknown():
    parsed = parse(FIXTURES / "summary_and_offsets.json", backup_rules={})
    assert set(parsed.entities["backup_jobs"]["encrypted"].to_list()) == {None}
    assert parsed.notes == ["backup rule restic_encrypted is not set: encrypted left blank"]
