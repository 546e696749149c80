"""SOURCES.md, "The landing folder: what a drop means": one case per rule, through ingest and validate."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest.landing import is_settled
from ingest.load import WithdrawError, withdraw
from ingest.validate import validate_file
from ingest.warehouse import open_warehouse
from orchestration.cli import main
from tests.reliability.conftest import canonical, ingest, settle, state_of

JOB = {"job_type": "backup", "started_at": "2026-03-01T01:00:00Z", "status": "succeeded", "system_id": "db"}
JOBS = canonical("backup_jobs", {**JOB, "job_id": "j1"}, {**JOB, "job_id": "j2"}, {**JOB, "job_id": "j3"})


def _manifest(warehouse: Path, status: str) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.execute(
            "SELECT file, sha256, family, size_bytes, error FROM ingest.file_manifest WHERE status = $status "
            "ORDER BY file",
            {"status": status},
        ).fetchall()


def test_a_link_to_outside_the_landing_folder_is_never_read(tmp_path, landing, drop, clean_state):
    secret = tmp_path / "elsewhere" / "jobs.csv"
    secret.parent.mkdir()
    secret.write_text(canonical("backup_jobs", {**JOB, "job_id": "outside"}), encoding="utf-8")
    drop("backup", "jobs.csv", JOBS)
    (landing / "backup" / "stolen.csv").symlink_to(secret)
    (landing / "backup" / "via-dotdot.csv").symlink_to(Path("..") / ".." / "elsewhere" / "jobs.csv")
    (landing / "backup" / "copy.csv").symlink_to(landing / "backup" / "jobs.csv")  # inside: fine
    warehouse = tmp_path / "warehouse.duckdb"

    report = ingest(warehouse, landing)

    assert report.warning_lines() == [
        "backup/stolen.csv: ignored: a symbolic link to outside the landing folder (never read)",
        "backup/via-dotdot.csv: ignored: a symbolic link to outside the landing folder (never read)",
    ]
    # never read: no hash, no size of the outside file in the manifest
    assert _manifest(warehouse, "ignored") == [
        ("backup/stolen.csv", "", "backup", None, "a symbolic link to outside the landing folder (never read)"),
        ("backup/via-dotdot.csv", "", "backup", None, "a symbolic link to outside the landing folder (never read)"),
    ]
    # a link inside is an export like any other: here the same bytes twice, loaded once
    assert {f.file: f.status for f in report.files if f.status not in ("ignored",)} == {
        "backup/copy.csv": "loaded", "backup/jobs.csv": "duplicate",
    }
    state = state_of(warehouse)
    assert state["raw"]["backup_jobs"] == 3

    # the links removed, a rerun ends where a clean run of what is left ends
    for name in ("stolen.csv", "via-dotdot.csv"):
        (landing / "backup" / name).unlink()
    ingest(warehouse, landing)

    def build(folder: Path) -> None:
        _write_settled(folder, "backup/jobs.csv", JOBS)
        (folder / "backup" / "copy.csv").symlink_to(folder / "backup" / "jobs.csv")

    assert state_of(warehouse) == clean_state(build)


def test_what_is_not_an_export_is_reported_once_per_run_and_listed_as_ignored(tmp_path, landing, drop, clean_state):
    drop("backup", "jobs.csv", JOBS)
    drop("backupp", "typo.csv", JOBS)                       # a folder that names no family
    (landing / "jobs-at-root.csv").write_text(JOBS)          # a file at the landing root
    os.mkfifo(landing / "backup" / "pipe.csv")                # a FIFO
    (landing / "backup" / "gone.csv").symlink_to(landing / "backup" / "missing.csv")  # dangling, inside
    drop("backup", ".partial.csv", JOBS)                     # dotfiles: silently
    (landing / ".DS_Store").write_text("x")
    (landing / "reference").mkdir()                          # what the completion rules read: not reported
    warehouse = tmp_path / "warehouse.duckdb"

    first = ingest(warehouse, landing)
    second = ingest(warehouse, landing)

    expected = [
        "backupp: ignored: a folder that names no family (families: scanner, iam, training, backup, incident)",
        "jobs-at-root.csv: ignored: a file at the landing root (exports go in <landing>/<family>/)",
        "backup/gone.csv: ignored: a dangling symbolic link (its target does not exist)",
        "backup/pipe.csv: ignored: a FIFO (named pipe)",
    ]
    assert first.warning_lines() == expected
    assert second.warning_lines() == expected  # once per run, every run
    assert [(f, fam, err) for f, _, fam, _, err in _manifest(warehouse, "ignored")] == [
        ("backup/gone.csv", "backup", "a dangling symbolic link (its target does not exist)"),
        ("backup/pipe.csv", "backup", "a FIFO (named pipe)"),
        ("backupp", "", "a folder that names no family (families: scanner, iam, training, backup, incident)"),
        ("jobs-at-root.csv", "", "a file at the landing root (exports go in <landing>/<family>/)"),
    ]
    assert state_of(warehouse)["raw"]["backup_jobs"] == 3  # the export beside them loaded whole

    # put right: the typo folder renamed, the rest removed; the ignored rows leave the manifest
    for name in ("pipe.csv", "gone.csv"):
        (landing / "backup" / name).unlink()
    (landing / "jobs-at-root.csv").unlink()
    (landing / "backupp" / "typo.csv").rename(landing / "backup" / "typo.csv")
    (landing / "backupp").rmdir()
    ingest(warehouse, landing)

    def build(folder: Path) -> None:
        for name in ("jobs.csv", "typo.csv"):
            path = folder / "backup" / name
            path.parent.mkdir(exist_ok=True)
            path.write_text(JOBS, encoding="utf-8")
            settle(path)

    assert state_of(warehouse) == clean_state(build)


def test_a_file_still_being_written_is_skipped_then_loaded_whole(tmp_path, landing, drop, clean_state, monkeypatch):
    monkeypatch.setenv("SECOPS_QUIET_SECONDS", "10")  # what validate reads; the default
    half = JOBS[: JOBS.index("j2") + 10]  # the copy stopped inside the second record
    path = drop("backup", "jobs.csv", half, settled=False)
    warehouse = tmp_path / "warehouse.duckdb"

    report = ingest(warehouse, landing, quiet_seconds=10)

    assert report.warning_lines() == [
        "backup/jobs.csv: modified less than 10 s ago (still being written?); skipped this run, read by a later one"
    ]
    assert state_of(warehouse)["manifest"] == []  # half-written bytes leave no trace
    assert state_of(warehouse)["raw"]["backup_jobs"] == 0
    # validate says the same
    assert validate_file(path).lines() == [
        f"{path}: cannot be loaded: backup/jobs.csv: modified less than 10 s ago (still being written?); "
        "skipped this run, read by a later one"
    ]

    path.write_text(JOBS, encoding="utf-8")  # the copy completes
    settle(path)
    report = ingest(warehouse, landing, quiet_seconds=10)

    assert report.warning_lines() == []
    assert state_of(warehouse) == clean_state(lambda folder: _write_settled(folder, "backup/jobs.csv", JOBS))


def test_a_file_changing_while_it_is_read_is_skipped(tmp_path, landing, drop):
    rows = [{**JOB, "job_id": f"j{i}"} for i in range(200_000)]
    path = drop("backup", "jobs.csv", canonical("backup_jobs", *rows))
    stop = threading.Event()

    def keep_writing() -> None:  # a copy still appending
        with path.open("a", encoding="utf-8") as handle:
            n = 0
            while not stop.is_set():
                n += 1
                handle.write(f"late{n},db,backup,2026-03-01T01:00:00Z,,succeeded,,\n")
                handle.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        report = ingest(tmp_path / "warehouse.duckdb", landing, quiet_seconds=0)
    finally:
        stop.set()
        writer.join()

    assert report.warning_lines() == [
        "backup/jobs.csv: its size or modification time changed while it was read (still being written?); "
        "skipped this run, read by a later one"
    ]
    assert state_of(tmp_path / "warehouse.duckdb")["raw"]["backup_jobs"] == 0

    settle(path)
    report = ingest(tmp_path / "warehouse.duckdb", landing, quiet_seconds=10)
    total = len(path.read_text(encoding="utf-8").splitlines()) - 1
    assert [(f.status, f.total_rows_loaded) for f in report.files] == [("loaded", total)]


def test_the_stability_predicate_the_sensor_shares(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("x")
    now = datetime.now(timezone.utc)
    settle(path, age_seconds=30)

    assert is_settled(path, 10, now)
    assert not is_settled(path, 60, now)
    assert not is_settled(path, 10, now - timedelta(minutes=5))  # a modification "in the future"


def test_a_corrected_re_export_supersedes_the_earlier_bytes(tmp_path, landing, drop, clean_state):
    drop("backup", "jobs.csv", JOBS)
    warehouse = tmp_path / "warehouse.duckdb"
    ingest(warehouse, landing)
    with open_warehouse(warehouse, read_only=True) as con:
        (first_sha,) = con.execute("SELECT sha256 FROM ingest.file_manifest").fetchall()[0]

    corrected = canonical("backup_jobs", {**JOB, "job_id": "j1"}, {**JOB, "job_id": "j2", "status": "failed"})
    drop("backup", "jobs.csv", corrected)
    report = ingest(warehouse, landing)

    assert [(f.file, f.status, f.total_rows_loaded) for f in report.files] == [("backup/jobs.csv", "loaded", 2)]
    with open_warehouse(warehouse, read_only=True) as con:
        new_sha = report.files[0].sha256
        assert con.execute(
            "SELECT sha256, status, superseded_by FROM ingest.file_manifest ORDER BY status"
        ).fetchall() == [(new_sha, "loaded", None), (first_sha, "superseded", new_sha)]
        # the earlier rows leave every metric as a withdrawn export's do; only the new ones count
        assert con.execute(
            "SELECT job_id, status FROM raw.backup_jobs WHERE NOT _withdrawn ORDER BY job_id"
        ).fetchall() == [("j1", "succeeded"), ("j2", "failed")]
        assert con.execute("SELECT count(*) FROM raw.backup_jobs WHERE _withdrawn").fetchall() == [(3,)]
    assert state_of(warehouse) == clean_state(lambda folder: _write_settled(folder, "backup/jobs.csv", corrected))

    # the correction undone: the earlier bytes count again, the correction is superseded
    drop("backup", "jobs.csv", JOBS)
    report = ingest(warehouse, landing)
    assert [f.status for f in report.files] == ["reinstated"]
    assert state_of(warehouse) == clean_state(lambda folder: _write_settled(folder, "backup/jobs.csv", JOBS))


def test_placeholder_and_implausible_timestamps_are_refused_like_unparseable_ones(tmp_path, landing, drop):
    tomorrow_plus = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    incident = {"category": "security", "severity": "P1", "detected_at": "2026-03-01T02:00:00Z"}
    drop("incident", "incidents.csv", canonical(
        "incidents",
        {**incident, "incident_id": "ok", "occurred_at": "2026-03-01T01:00:00Z"},
        {**incident, "incident_id": "epoch", "occurred_at": "0001-01-01T00:00:00Z"},
        {**incident, "incident_id": "excel", "occurred_at": "1900-01-01 12:30"},
        {**incident, "incident_id": "never", "occurred_at": "2026-03-01T01:00:00Z", "resolved_at": "9999-12-31T23:59:59Z"},
        {**incident, "incident_id": "old", "occurred_at": "1999-12-31T23:00:00Z"},
        {**incident, "incident_id": "future", "occurred_at": tomorrow_plus},
    ))
    # due dates and certificate validity may lie in the future
    drop("iam", "reviews.csv", canonical("access_reviews", {"item_id": "r1", "due_at": "2031-01-01T00:00:00Z"}))
    drop("scanner", "certs.csv", canonical("certificates", {
        "observed_at": "2026-03-01T00:00:00Z", "asset_id": "web", "not_before": "2026-01-01T00:00:00Z",
        "not_after": "2035-01-01T00:00:00Z",
    }))
    warehouse = tmp_path / "warehouse.duckdb"

    ingest(warehouse, landing)

    placeholder = "a placeholder date (0001-01-01, 1900-01-01, 9999-12-31), not a real time"
    state = state_of(warehouse)
    assert state["rejected"] == [
        ("incident/incidents.csv", "incidents", 2, "occurred_at", "0001-01-01T00:00:00Z", placeholder),
        ("incident/incidents.csv", "incidents", 3, "occurred_at", "1900-01-01 12:30", placeholder),
        ("incident/incidents.csv", "incidents", 4, "resolved_at", "9999-12-31T23:59:59Z", placeholder),
        ("incident/incidents.csv", "incidents", 5, "occurred_at", "1999-12-31T23:00:00Z",
         "before 2000-01-01 (SECOPS_EARLIEST_TIMESTAMP): not a plausible time"),
        ("incident/incidents.csv", "incidents", 6, "occurred_at", tomorrow_plus,
         "more than one day after the file was loaded (an event time cannot lie in the future)"),
    ]
    assert state["raw"]["incidents"] == 1 and state["raw"]["access_reviews"] == 1 and state["raw"]["certificates"] == 1

    # validate tells the user the same, field by field
    lines = validate_file(landing / "incident" / "incidents.csv").lines()
    assert lines[0].endswith("would load 1 incidents; 5 field(s) refused")
    # 6 rows: 1 loads, 5 are refused for their times; none is skipped
    assert lines[1] == "  records: 6 held -> rows: 1 incidents; 5 record(s) refused; 0 skipped"
    assert lines[2] == f"  refused: incidents row 2 field occurred_at value '0001-01-01T00:00:00Z': {placeholder}"


def test_the_earliest_plausible_time_is_configurable(tmp_path, landing, drop, monkeypatch):
    monkeypatch.setenv("SECOPS_EARLIEST_TIMESTAMP", "1990-01-01")
    drop("backup", "jobs.csv", canonical("backup_jobs", {**JOB, "job_id": "j1", "started_at": "1995-06-01T00:00:00Z"},
                                         {**JOB, "job_id": "j2", "started_at": "1989-06-01T00:00:00Z"}))
    ingest(tmp_path / "warehouse.duckdb", landing)
    assert [r[5] for r in state_of(tmp_path / "warehouse.duckdb")["rejected"]] == [
        "before 1990-01-01 (SECOPS_EARLIEST_TIMESTAMP): not a plausible time"
    ]


def test_withdraw_refuses_a_path_leading_outside_the_landing_folder(tmp_path, landing, drop, capsys):
    drop("backup", "jobs.csv", JOBS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.csv").write_text(JOBS)  # the same bytes, outside
    (landing / "backup" / "link.csv").symlink_to(elsewhere / "x.csv")
    warehouse = tmp_path / "warehouse.duckdb"
    ingest(warehouse, landing)
    before = state_of(warehouse)

    with open_warehouse(warehouse) as con:
        for name in ("backup/../../elsewhere/x.csv", "../elsewhere/x.csv", "backup/link.csv"):
            with pytest.raises(WithdrawError, match="is not under the landing folder"):
                withdraw(con, landing, name)
    code = main(["withdraw", "backup/../../elsewhere/x.csv", "--landing", str(landing), "--warehouse", str(warehouse)])

    assert code == 1
    assert capsys.readouterr().err == "error: backup/../../elsewhere/x.csv is not under the landing folder\n"
    assert state_of(warehouse) == before  # nothing withdrawn


def _write_settled(folder: Path, relative: str, content: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    settle(path)
