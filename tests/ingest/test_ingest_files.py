"""Whole files through ingest_landing: failures, duplicates, reruns, atomicity and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest

import ingest.load
from ingest.load import ingest_landing
from ingest.formats.registry import all_formats

INCIDENT = {"incident_id": "i1", "category": "security", "severity": "P1",
            "occurred_at": "2024-03-01T10:00:00Z", "detected_at": "2024-03-01T10:20:00Z"}
JOB = {"job_id": "j1", "system_id": "db-1", "job_type": "backup", "started_at": "2024-03-01T00:00:00Z"}


def _manifest(con) -> list[tuple]:
    return con.sql(
        "SELECT file, status, duplicate_of, rows_loaded, error FROM ingest.file_manifest ORDER BY file"
    ).fetchall()


def _count(con, table: str) -> int:
    return con.sql(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]


def test_canonical_file_loads_and_is_reported(con, landing, drop, canonical_csv, run_at):
    drop("incident", "incidents.csv", canonical_csv("incidents", INCIDENT, {**INCIDENT, "incident_id": "i2"}))

    report = ingest_landing(con, landing, now=run_at)

    [result] = report.files
    assert (result.file, result.family, result.format, result.status) == (
        "incident/incidents.csv", "incident", "canonical_csv", "loaded")
    assert result.rows_loaded == {"incidents": 2}
    assert report.rows_loaded_by_table == {"incidents": 2}
    assert report.files_by_table == {"incidents": ["incident/incidents.csv"]}
    assert _manifest(con) == [("incident/incidents.csv", "loaded", None, 2, None)]


def test_broken_schema_loads_nothing_is_recorded_failed_and_others_load(
    con, landing, drop, drop_fixture, canonical_csv, run_at
):
    drop_fixture("incident", "incidents_missing_columns.csv")
    drop("incident", "incidents_ok.csv", canonical_csv("incidents", INCIDENT))

    report = ingest_landing(con, landing, now=run_at)

    [failed] = report.failed
    assert failed.file == "incident/incidents_missing_columns.csv"
    assert failed.error == (
        "incident/incidents_missing_columns.csv: broken schema for canonical incidents CSV: "
        "missing column(s) geography, acknowledged_at, change_id, root_cause_category"
    )
    assert con.sql("SELECT DISTINCT _source_file FROM raw.incidents").fetchall() == [("incident/incidents_ok.csv",)]
    assert [(f, s, e) for f, s, _, _, e in _manifest(con)] == [
        ("incident/incidents_missing_columns.csv", "failed", failed.error),
        ("incident/incidents_ok.csv", "loaded", None),
    ]


@pytest.mark.parametrize("fixture", ["findings_ragged_record.csv", "findings_unterminated_quote.csv"])
def test_unparsable_file_loads_nothing_is_recorded_failed_and_others_load(
    con, landing, drop, drop_fixture, canonical_csv, run_at, fixture
):
    drop_fixture("scanner", fixture)
    drop("backup", "jobs.csv", canonical_csv("backup_jobs", JOB))

    report = ingest_landing(con, landing, now=run_at)

    [failed] = report.failed
    assert failed.file == f"scanner/{fixture}"
    assert failed.error.startswith(f"scanner/{fixture}: unreadable CSV: ")
    assert _count(con, "findings") == 0
    assert _count(con, "backup_jobs") == 1
    assert con.sql("SELECT status, error FROM ingest.file_manifest WHERE family = 'scanner'").fetchall() == [
        ("failed", failed.error)
    ]


def test_file_no_format_recognises_fails_with_the_reason(con, landing, drop, run_at):
    drop("training", "notes.csv", "what,is,this\n1,2,3\n")

    report = ingest_landing(con, landing, now=run_at)

    considered = ", ".join(f.name for f in all_formats() if "training" in f.families)
    assert "knowbe4_training_json" in considered and "canonical_csv" in considered
    assert [(f.file, f.error) for f in report.failed] == [
        ("training/notes.csv", "training/notes.csv: not a recognised training export (no format matched its "
                               f"content; formats considered: {considered})")
    ]


def test_failed_file_is_reported_again_on_every_run(con, landing, drop_fixture, run_at):
    drop_fixture("incident", "incidents_missing_columns.csv")
    ingest_landing(con, landing, now=run_at)

    second = ingest_landing(con, landing, now=run_at + timedelta(days=1))

    assert [f.file for f in second.failed] == ["incident/incidents_missing_columns.csv"]
    assert con.sql("SELECT status, first_seen_at FROM ingest.file_manifest").fetchall() == [("failed", run_at)]


def test_fixed_file_under_the_same_name_loads_and_replaces_its_failure(
    con, landing, drop, drop_fixture, canonical_csv, run_at
):
    drop_fixture("incident", "incidents_missing_columns.csv")
    ingest_landing(con, landing, now=run_at)
    drop("incident", "incidents_missing_columns.csv", canonical_csv("incidents", INCIDENT))

    report = ingest_landing(con, landing, now=run_at + timedelta(days=1))

    assert [f.status for f in report.files] == ["loaded"]
    assert _manifest(con) == [("incident/incidents_missing_columns.csv", "loaded", None, 1, None)]


def test_same_bytes_under_a_second_name_load_once(con, landing, drop, canonical_csv, run_at):
    content = canonical_csv("backup_jobs", JOB)
    drop("backup", "jobs.csv", content)
    drop("backup", "jobs_copy.csv", content)

    report = ingest_landing(con, landing, now=run_at)

    assert [(f.file, f.status, f.duplicate_of) for f in report.files] == [
        ("backup/jobs.csv", "loaded", None),
        ("backup/jobs_copy.csv", "duplicate", "backup/jobs.csv"),
    ]
    assert _count(con, "backup_jobs") == 1
    assert _manifest(con) == [
        ("backup/jobs.csv", "loaded", None, 1, None),
        ("backup/jobs_copy.csv", "duplicate", "backup/jobs.csv", 0, None),
    ]


def test_copy_dropped_in_a_later_run_is_a_duplicate(con, landing, drop, canonical_csv, run_at):
    content = canonical_csv("backup_jobs", JOB)
    drop("backup", "jobs.csv", content)
    ingest_landing(con, landing, now=run_at)
    drop("backup", "2024/jobs_again.csv", content)

    report = ingest_landing(con, landing, now=run_at + timedelta(hours=1))

    assert [(f.file, f.status) for f in report.files] == [
        ("backup/2024/jobs_again.csv", "duplicate"),
        ("backup/jobs.csv", "already_loaded"),
    ]
    assert _count(con, "backup_jobs") == 1


def test_second_run_loads_nothing_new(con, landing, drop, canonical_csv, run_at):
    drop("backup", "jobs.csv", canonical_csv("backup_jobs", JOB))
    drop("incident", "incidents.csv", canonical_csv("incidents", INCIDENT))
    ingest_landing(con, landing, now=run_at)
    manifest_before = _manifest(con)

    report = ingest_landing(con, landing, now=run_at + timedelta(hours=1))

    assert [f.status for f in report.files] == ["already_loaded", "already_loaded"]
    assert report.rows_loaded_by_table == {}
    assert (_count(con, "backup_jobs"), _count(con, "incidents")) == (1, 1)
    assert _manifest(con) == manifest_before


def test_snapshot_rows_of_different_files_are_all_kept(con, landing, drop, canonical_csv, run_at):
    row = {"snapshot_at": "2024-03-01T00:00:00Z", "user_id": "u1", "status": "active"}
    drop("iam", "directory_a.csv", canonical_csv("identities", row))
    drop("iam", "directory_b.csv", canonical_csv("identities", row, row))

    ingest_landing(con, landing, now=run_at)

    assert con.sql(
        "SELECT _source_file, count(*) FROM raw.identities GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("iam/directory_a.csv", 1), ("iam/directory_b.csv", 2)]


def test_event_records_are_not_merged_at_ingest(con, landing, drop, canonical_csv, run_at):
    drop("incident", "export_1.csv", canonical_csv("incidents", INCIDENT))
    drop("incident", "export_2.csv", canonical_csv("incidents", {**INCIDENT, "resolved_at": "2024-03-01T12:00:00Z"}))

    ingest_landing(con, landing, now=run_at)

    assert con.sql(
        "SELECT _source_file, resolved_at IS NULL FROM raw.incidents ORDER BY 1"
    ).fetchall() == [("incident/export_1.csv", True), ("incident/export_2.csv", False)]


def test_error_midway_rolls_the_whole_file_back(con, landing, drop, canonical_csv, run_at, monkeypatch):
    drop("backup", "jobs.csv", canonical_csv("backup_jobs", JOB, {**JOB, "job_type": ""}))
    # Raw rows are inserted before refused fields: make the second statement fail.
    monkeypatch.setattr(ingest.load, "insert_rejected_sql", lambda entity: "SELECT * FROM no_such_table")

    report = ingest_landing(con, landing, now=run_at)

    [failed] = report.failed
    assert failed.error.startswith("backup/jobs.csv: CatalogException: ")
    assert _count(con, "backup_jobs") == 0
    assert con.sql("SELECT count(*) FROM ingest.rejected_rows").fetchall() == [(0,)]
    assert con.sql("SELECT status FROM ingest.file_manifest").fetchall() == [("failed",)]


def test_only_the_requested_families_are_ingested(con, landing, drop, canonical_csv, run_at):
    drop("backup", "jobs.csv", canonical_csv("backup_jobs", JOB))
    drop("incident", "incidents.csv", canonical_csv("incidents", INCIDENT))

    report = ingest_landing(con, landing, families=["incident"], now=run_at)

    assert [f.file for f in report.files] == ["incident/incidents.csv"]
    assert _count(con, "backup_jobs") == 0


def test_summary_lines_name_loaded_duplicate_and_failed_files(
    con, landing, drop, drop_fixture, canonical_csv, run_at
):
    content = canonical_csv("backup_jobs", JOB, {**JOB, "job_id": "j2", "started_at": "2024-03-02"})
    drop("backup", "a.csv", content)
    drop("backup", "b.csv", content)
    drop_fixture("incident", "incidents_missing_columns.csv")

    lines = ingest_landing(con, landing, now=run_at).summary_lines()

    assert lines == [
        "3 file(s): 1 loaded, 1 duplicate, 0 already_loaded, 0 withdrawn, 1 failed; 2 row(s) loaded, 0 rejected",
        "loaded backup/a.csv [canonical_csv]: backup_jobs 2 (1 timestamp(s) without offset)",
        "duplicate backup/b.csv: same bytes as backup/a.csv, not loaded again",
        "FAILED incident/incidents_missing_columns.csv: broken schema for canonical incidents CSV: "
        "missing column(s) geography, acknowledged_at, change_id, root_cause_category",
    ]


def test_rejected_rows_are_counted_per_table_in_the_report(con, landing, drop, canonical_csv, run_at):
    drop("backup", "jobs.csv", canonical_csv("backup_jobs", JOB, {**JOB, "job_id": "j2", "started_at": "soon"}))

    report = ingest_landing(con, landing, now=run_at)

    assert report.rejected_by_table == {"backup_jobs": 1}
    assert report.files[0].rows_rejected == 1


def test_a_warehouse_file_named_like_a_schema_is_refused_clearly(tmp_path):
    import pytest

    from ingest.warehouse import connect

    # DuckDB would name the database "ingest", making ingest.file_manifest ambiguous.
    with pytest.raises(ValueError, match="ingest.duckdb"):
        connect(tmp_path / "ingest.duckdb")
