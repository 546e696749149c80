"""Typing and validation of loaded values: timestamps, numbers, booleans, blanks, rejections."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from ingest.load import ingest_landing

UTC = timezone.utc


def _job(job_id: str, started_at: str, **fields: str) -> dict[str, str]:
    return {"job_id": job_id, "system_id": "db-1", "job_type": "backup", "started_at": started_at, **fields}


@pytest.fixture
def load_jobs(con, landing, drop, canonical_csv, run_at):
    """Drop backup jobs as one canonical file, ingest, return the raw rows as dicts by job_id."""

    def load(*jobs: dict[str, str], default_tz: str = "UTC") -> dict[str, dict]:
        drop("backup", "jobs.csv", canonical_csv("backup_jobs", *jobs))
        ingest_landing(con, landing, default_tz=default_tz, now=run_at)
        cursor = con.execute("SELECT * FROM raw.backup_jobs ORDER BY _source_row")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}

    return load


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-03-01T10:00:00+02:00", datetime(2024, 3, 1, 8, 0, tzinfo=UTC)),
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("2024-03-01 10:00:00-0530", datetime(2024, 3, 1, 15, 30, tzinfo=UTC)),
        ("2024-03-01T10:00+01", datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        ("2024-03-01T10:00:00.250z", datetime(2024, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_timestamp_with_offset_is_converted_to_utc(load_jobs, text, utc):
    rows = load_jobs(_job("j1", text))

    assert rows["j1"]["started_at"] == utc
    assert rows["j1"]["_naive_timestamps"] == 0


def test_timestamp_without_offset_is_read_in_utc_by_default_and_counted(con, load_jobs):
    rows = load_jobs(_job("j1", "2024-03-01 10:00:00", completed_at="2024-03-01T11:30"))

    assert rows["j1"]["started_at"] == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert rows["j1"]["completed_at"] == datetime(2024, 3, 1, 11, 30, tzinfo=UTC)
    assert rows["j1"]["_naive_timestamps"] == 2
    assert con.sql("SELECT naive_timestamps FROM ingest.file_manifest").fetchall() == [(2,)]


def test_timestamp_without_offset_is_read_in_the_configured_zone(load_jobs):
    # Berlin is UTC+1 in winter and UTC+2 in summer (DST from 31 March 2024).
    rows = load_jobs(
        _job("winter", "2024-03-01T10:00:00"),
        _job("summer", "2024-07-01T10:00:00", completed_at="2024-07-01T11:00:00Z"),
        default_tz="Europe/Berlin",
    )

    assert rows["winter"]["started_at"] == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert rows["summer"]["started_at"] == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert rows["summer"]["completed_at"] == datetime(2024, 7, 1, 11, 0, tzinfo=UTC)
    assert (rows["winter"]["_naive_timestamps"], rows["summer"]["_naive_timestamps"]) == (1, 1)


def test_date_only_value_is_midnight_in_the_default_zone(load_jobs):
    rows = load_jobs(_job("j1", "2024-03-01"), default_tz="Europe/Berlin")

    assert rows["j1"]["started_at"] == datetime(2024, 2, 29, 23, 0, tzinfo=UTC)
    assert rows["j1"]["_naive_timestamps"] == 1


def test_unknown_default_zone_is_refused_before_loading(con, landing):
    with pytest.raises(ValueError, match="unknown default time zone 'Mars/Olympus'"):
        ingest_landing(con, landing, default_tz="Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True), ("TRUE", True), ("yes", True), ("Yes", True), ("1", True),
        ("t", True), ("Y", True),
        ("false", False), ("False", False), ("no", False), ("NO", False), ("0", False),
        ("f", False), ("n", False),
    ],
)
def test_boolean_forms(load_jobs, text, value):
    rows = load_jobs(_job("j1", "2024-03-01T00:00:00Z", encrypted=text))

    assert rows["j1"]["encrypted"] is value


def test_numbers_are_read_as_doubles(con, landing, drop, canonical_csv, run_at):
    drop("scanner", "findings.csv", canonical_csv(
        "findings",
        {"scan_id": "s1", "scanned_at": "2024-03-01T00:00:00Z", "scanner": "trivy",
         "asset_id": "a1", "vulnerability_id": "CVE-1", "cvss_score": "9.8"},
        {"scan_id": "s1", "scanned_at": "2024-03-01T00:00:00Z", "scanner": "trivy",
         "asset_id": "a1", "vulnerability_id": "CVE-2", "cvss_score": "1e1"},
    ))

    ingest_landing(con, landing, now=run_at)

    assert con.sql("SELECT cvss_score FROM raw.findings ORDER BY _source_row").fetchall() == [(9.8,), (10.0,)]


def test_blank_values_are_null(load_jobs):
    rows = load_jobs(_job("j1", "2024-03-01T00:00:00Z", completed_at="  ", status="", encrypted=" "))

    assert rows["j1"]["completed_at"] is None
    assert rows["j1"]["status"] is None
    assert rows["j1"]["encrypted"] is None
    assert rows["j1"]["asset_environment"] is None


def test_extra_columns_are_kept_in_extra(con, landing, drop, run_at):
    drop(
        "backup",
        "jobs.csv",
        "job_id,system_id,job_type,started_at,completed_at,status,encrypted,asset_environment,Vault,size_gb\n"
        "j1,db-1,backup,2024-03-01T00:00:00Z,,succeeded,true,production,vault-a,12.5\n",
    )

    ingest_landing(con, landing, now=run_at)

    extra = con.execute("SELECT _extra FROM raw.backup_jobs").fetchall()[0][0]
    assert json.loads(extra) == {"vault": "vault-a", "size_gb": "12.5"}


def test_bad_timestamp_rejects_its_row_and_the_rest_loads(con, load_jobs, run_at):
    rows = load_jobs(
        _job("j1", "2024-03-01T00:00:00Z"),
        _job("j2", "03/01/2024 10:00"),
        _job("j3", "2024-03-02T00:00:00Z"),
    )

    assert sorted(rows) == ["j1", "j3"]
    assert con.sql(
        "SELECT file, entity, source_row, field, value, reason, rejected_at FROM ingest.rejected_rows"
    ).fetchall() == [
        ("backup/jobs.csv", "backup_jobs", 2, "started_at", "03/01/2024 10:00",
         "not an ISO 8601 timestamp", run_at),
    ]


def test_impossible_date_is_rejected(con, load_jobs):
    rows = load_jobs(_job("j1", "2024-02-30T00:00:00Z"))

    assert rows == {}
    assert con.sql("SELECT field, value FROM ingest.rejected_rows").fetchall() == [
        ("started_at", "2024-02-30T00:00:00Z")
    ]


def test_blank_required_field_rejects_its_row(con, load_jobs):
    rows = load_jobs(
        _job("j1", "2024-03-01T00:00:00Z"),
        {"job_id": "j2", "system_id": "db-1", "job_type": " ", "started_at": "2024-03-01T00:00:00Z"},
    )

    assert sorted(rows) == ["j1"]
    assert con.sql(
        "SELECT source_row, field, value, reason FROM ingest.rejected_rows"
    ).fetchall() == [(2, "job_type", None, "required field is blank")]


def test_each_failing_field_is_one_rejection_and_the_row_counts_once(con, load_jobs):
    load_jobs(_job("j1", "yesterday", encrypted="maybe"), _job("j2", "2024-03-01T00:00:00Z"))

    assert con.sql(
        "SELECT source_row, field, value, reason FROM ingest.rejected_rows ORDER BY field"
    ).fetchall() == [
        (1, "encrypted", "maybe", "not a boolean (true/false, yes/no, 1/0, t/f, y/n)"),
        (1, "started_at", "yesterday", "not an ISO 8601 timestamp"),
    ]
    assert con.sql("SELECT rows_loaded, rows_rejected FROM ingest.file_manifest").fetchall() == [(1, 1)]


def test_non_finite_number_is_rejected(con, landing, drop, canonical_csv, run_at):
    drop("scanner", "findings.csv", canonical_csv(
        "findings",
        {"scan_id": "s1", "scanned_at": "2024-03-01T00:00:00Z", "scanner": "trivy",
         "asset_id": "a1", "cvss_score": "NaN"},
    ))

    ingest_landing(con, landing, now=run_at)

    assert con.execute("SELECT count(*) FROM raw.findings").fetchall() == [(0,)]
    assert con.sql("SELECT field, reason FROM ingest.rejected_rows").fetchall() == [
        ("cvss_score", "not a finite number")
    ]


def test_newest_timestamp_of_the_file_is_recorded(con, load_jobs):
    load_jobs(
        _job("j1", "2024-03-01T00:00:00Z", completed_at="2024-03-05T06:00:00+02:00"),
        _job("j2", "2024-03-04T00:00:00Z"),
    )

    newest = con.execute("SELECT newest_timestamp FROM ingest.file_manifest").fetchall()[0][0]
    assert newest == datetime(2024, 3, 5, 4, 0, tzinfo=UTC)


def test_lineage_columns_are_filled(load_jobs, landing, run_at):
    rows = load_jobs(_job("j1", "2024-03-01T00:00:00Z"), _job("j2", "2024-03-02T00:00:00Z"))
    sha256 = hashlib.sha256((landing / "backup" / "jobs.csv").read_bytes()).hexdigest()

    lineage = [
        (r["_source_file"], r["_source_sha256"], r["_source_row"], r["_loaded_at"], r["_withdrawn"])
        for r in rows.values()
    ]
    assert lineage == [
        ("backup/jobs.csv", sha256, 1, run_at, False),
        ("backup/jobs.csv", sha256, 2, run_at, False),
    ]
