"""Withdrawing an export: manifest and raw rows flagged, never deleted, and it stays withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingest.load import WithdrawError, ingest_landing, withdraw

JOB = {"job_id": "j1", "system_id": "db-1", "job_type": "backup", "started_at": "2024-03-01T00:00:00Z"}


@pytest.fixture
def loaded_jobs(con, landing, drop, canonical_csv, run_at):
    """backup/jobs.csv loaded (two rows) and the same bytes dropped as backup/jobs_copy.csv."""
    content = canonical_csv("backup_jobs", JOB, {**JOB, "job_id": "j2"})
    path = drop("backup", "jobs.csv", content)
    drop("backup", "jobs_copy.csv", content)
    ingest_landing(con, landing, now=run_at)
    return path


def _manifest(con) -> list[tuple]:
    return con.sql("SELECT file, status, withdrawn_at FROM ingest.file_manifest ORDER BY file").fetchall()


def test_withdraw_flags_raw_rows_and_every_manifest_row_of_the_bytes(con, landing, loaded_jobs, run_at):
    at = run_at + timedelta(days=1)

    names = withdraw(con, landing, "backup/jobs.csv", now=at)

    assert sorted(names) == ["backup/jobs.csv", "backup/jobs_copy.csv"]
    assert con.sql("SELECT job_id, _withdrawn FROM raw.backup_jobs ORDER BY job_id").fetchall() == [
        ("j1", True), ("j2", True)
    ]
    assert _manifest(con) == [("backup/jobs.csv", "withdrawn", at), ("backup/jobs_copy.csv", "withdrawn", at)]
    assert loaded_jobs.exists()


def test_withdraw_accepts_an_absolute_path(con, landing, loaded_jobs):
    names = withdraw(con, landing, loaded_jobs)

    assert "backup/jobs.csv" in names


def test_withdraw_accepts_the_sha256(con, landing, loaded_jobs):
    sha256 = con.sql("SELECT sha256 FROM ingest.file_manifest WHERE file = 'backup/jobs.csv'").fetchall()[0][0]

    withdraw(con, landing, sha256)

    assert con.sql("SELECT bool_and(_withdrawn) FROM raw.backup_jobs").fetchall() == [(True,)]


def test_withdraw_works_after_the_file_is_gone(con, landing, loaded_jobs):
    loaded_jobs.unlink()

    withdraw(con, landing, "backup/jobs.csv")

    assert con.sql("SELECT bool_and(_withdrawn) FROM raw.backup_jobs").fetchall() == [(True,)]


def test_withdrawn_file_stays_withdrawn_on_later_runs(con, landing, loaded_jobs, run_at):
    withdraw(con, landing, "backup/jobs.csv")

    report = ingest_landing(con, landing, now=run_at + timedelta(days=2))

    assert [(f.file, f.status) for f in report.files] == [
        ("backup/jobs.csv", "withdrawn"), ("backup/jobs_copy.csv", "withdrawn")
    ]
    assert con.sql("SELECT count(*), bool_and(_withdrawn) FROM raw.backup_jobs").fetchall() == [(2, True)]


def test_redrop_of_withdrawn_bytes_under_a_new_name_stays_withdrawn(con, landing, drop, loaded_jobs, run_at):
    withdraw(con, landing, "backup/jobs.csv")
    drop("backup", "redrop.csv", loaded_jobs.read_bytes())

    report = ingest_landing(con, landing, now=run_at + timedelta(days=2))

    redrop = next(f for f in report.files if f.file == "backup/redrop.csv")
    assert (redrop.status, redrop.duplicate_of) == ("withdrawn", "backup/jobs.csv")
    assert con.sql("SELECT count(*) FROM raw.backup_jobs WHERE NOT _withdrawn").fetchall() == [(0,)]
    assert con.sql(
        "SELECT status FROM ingest.file_manifest WHERE file = 'backup/redrop.csv'"
    ).fetchall() == [("withdrawn",)]


def test_withdraw_leaves_other_files_alone(con, landing, drop, canonical_csv, loaded_jobs, run_at):
    drop("backup", "other.csv", canonical_csv("backup_jobs", {**JOB, "job_id": "j9"}))
    ingest_landing(con, landing, now=run_at)

    withdraw(con, landing, "backup/jobs.csv")

    assert con.sql("SELECT job_id FROM raw.backup_jobs WHERE NOT _withdrawn").fetchall() == [("j9",)]


def test_unknown_file_is_a_clear_error(con, landing, loaded_jobs):
    with pytest.raises(WithdrawError, match="backup/never.csv has not been ingested"):
        withdraw(con, landing, "backup/never.csv")


def test_unknown_sha256_is_a_clear_error(con, landing, loaded_jobs):
    with pytest.raises(WithdrawError, match="no ingested file has sha256 " + "0" * 64):
        withdraw(con, landing, "0" * 64)


def test_path_outside_the_landing_folder_is_refused(con, landing, tmp_path, loaded_jobs):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("x\n")

    with pytest.raises(WithdrawError, match="is not under the landing folder"):
        withdraw(con, landing, outside)
