"""Environment faults end in one `problem:` line with a documented exit code, never a traceback.

Each case builds its landing folder, meets the fault through the real `secops` command,
checks that nothing else was lost, then removes the fault and checks that a rerun of ingest
ends where a clean one does. Read-only folders and a full disk need mounts (root, and a
kernel that lets this process mount); without them the case is skipped with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from orchestration import faults
from orchestration.cli import _run_log_path
from tests.reliability.conftest import canonical, ingest, settle, state_of

REPO = Path(__file__).resolve().parents[2]
SECOPS = str(Path(sys.executable).parent / "secops")
JOB = {"job_type": "backup", "started_at": "2026-03-01T01:00:00Z", "status": "succeeded", "system_id": "db"}
JOBS = canonical("backup_jobs", {**JOB, "job_id": "j1"}, {**JOB, "job_id": "j2"})


def _secops(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SECOPS, *args], capture_output=True, text=True, cwd=REPO, timeout=600,
        env={**os.environ, "SECOPS_QUIET_SECONDS": "0", **(env or {})},
    )


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    (landing / "backup").mkdir(parents=True)
    (landing / "backup" / "jobs.csv").write_text(JOBS)
    settle(landing / "backup" / "jobs.csv")
    return landing


def _clean(tmp_path: Path) -> dict:
    warehouse = tmp_path / "clean" / "warehouse.duckdb"
    ingest(warehouse, _landing(tmp_path / "clean"))
    return state_of(warehouse)


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or 'mount failed'}): needs root and mount rights")


def test_a_missing_landing_folder(tmp_path):
    missing = tmp_path / "no-such-landing"

    result = _secops("run", "--landing", str(missing), "--warehouse", str(tmp_path / "w" / "warehouse.duckdb"))

    assert result.returncode == faults.EXIT_MISSING == 6
    assert result.stderr == f"problem: {missing}: landing folder does not exist (or is not a folder)\n"
    _no_traceback(result)
    assert not (tmp_path / "w" / "warehouse.duckdb").exists()  # nothing created for nothing


def test_a_corrupt_warehouse_file(tmp_path):
    landing = _landing(tmp_path)
    warehouse = tmp_path / "w" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    garbage = b"this is not a database\n" * 1000
    warehouse.write_bytes(garbage)

    result = _secops("run", "--landing", str(landing), "--warehouse", str(warehouse))

    assert result.returncode == faults.EXIT_CORRUPT_WAREHOUSE == 5
    assert result.stderr == (
        f"problem: {warehouse}: not a readable DuckDB warehouse (corrupt or another kind of file); "
        "restore it from a backup or move it away to rebuild from the landing folder\n"
    )
    _no_traceback(result)
    assert warehouse.read_bytes() == garbage  # the evidence is left as it was
    assert (landing / "backup" / "jobs.csv").read_text() == JOBS

    warehouse.rename(warehouse.with_suffix(".broken"))
    ingest(warehouse, landing)
    assert state_of(warehouse) == _clean(tmp_path)


def test_a_read_only_warehouse_folder(tmp_path):
    landing = _landing(tmp_path)
    folder = tmp_path / "w"
    folder.mkdir()
    # root ignores permission bits: a read-only bind mount is what really refuses writes
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,bind,ro", str(folder))
        result = _secops("run", "--landing", str(landing), "--warehouse", str(folder / "warehouse.duckdb"))
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert result.returncode == faults.EXIT_NOT_WRITABLE == 3
    # the writer lock beside the warehouse is the first thing a run writes
    assert result.stderr == f"problem: {folder / 'warehouse.duckdb.lock'}: cannot be written (Read-only file system)\n"
    _no_traceback(result)

    ingest(folder / "warehouse.duckdb", landing)  # writable again: a rerun ends as a clean run
    assert state_of(folder / "warehouse.duckdb") == _clean(tmp_path)


def test_a_full_disk(tmp_path):
    landing = tmp_path / "landing"
    (landing / "backup").mkdir(parents=True)
    rows = [{**JOB, "job_id": f"j{i}-{uuid.uuid4().hex}"} for i in range(60_000)]
    (landing / "backup" / "jobs.csv").write_text(canonical("backup_jobs", *rows))
    settle(landing / "backup" / "jobs.csv")
    folder = tmp_path / "small"
    folder.mkdir()
    _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder))
    try:
        result = _secops("run", "--landing", str(landing), "--warehouse", str(folder / "warehouse.duckdb"))
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert result.returncode == faults.EXIT_DISK_FULL == 4
    problems = [line for line in result.stderr.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and "disk full (No space left on device)" in problems[0], result.stderr
    assert str(folder) in problems[0]  # names where
    _no_traceback(result)

    ingest(tmp_path / "roomy" / "warehouse.duckdb", landing)  # with room, the same file loads whole
    assert state_of(tmp_path / "roomy" / "warehouse.duckdb")["raw"]["backup_jobs"] == 60_000


def test_a_deeply_nested_json_export(tmp_path):
    landing = tmp_path / "landing"
    (landing / "scanner").mkdir(parents=True)
    deep = landing / "scanner" / "trivy.json"
    deep.write_text('{"SchemaVersion": 2, "ArtifactName": "x", "Results": ' + "[" * 100_000 + "]" * 100_000 + "}")
    settle(deep)

    result = _secops("validate", str(deep))

    assert result.returncode == 1
    assert result.stdout == f"{deep}: cannot be loaded: scanner/trivy.json: JSON nested too deeply to read\n"
    assert "RecursionError" not in result.stdout + result.stderr
    _no_traceback(result)
    report = ingest(tmp_path / "warehouse.duckdb", landing)
    assert [(f.status, f.error) for f in report.files] == [("failed", "scanner/trivy.json: JSON nested too deeply to read")]


def test_concurrent_runs_write_distinct_run_logs(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    as_of = datetime(2026, 6, 1, tzinfo=timezone.utc)
    script = (
        "import sys; from datetime import datetime, timezone; from pathlib import Path;"
        "from orchestration.cli import _run_log_path;"
        f"print(_run_log_path(Path({str(warehouse)!r}), datetime(2026, 6, 1, tzinfo=timezone.utc)).name)"
    )
    others = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
              for _ in range(2)]
    names = {_run_log_path(warehouse, as_of).name, _run_log_path(warehouse, as_of).name}
    names |= {done.stdout.strip() for done in others}

    assert len(names) == 4  # same second, same as_of: still four logs
    assert all(name.startswith("secops-run-") and name.endswith("-asof-20260601T000000.log") for name in names)


def test_an_unexpected_error_shows_one_line_and_keeps_the_traceback_in_a_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))

    def broken() -> int:
        raise KeyError("a bug")

    assert faults.guarded("run", broken) == faults.EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert err.startswith("problem: unexpected error: KeyError: 'a bug' (details in ")
    log = Path(err.rsplit("(details in ", 1)[1].rstrip(")\n"))
    assert log.parent == tmp_path / "logs" and "Traceback" in log.read_text() and "Traceback" not in err


def test_dbt_dies_with_the_run_that_started_it(tmp_path):
    """secops-dbt (what Dagster starts) must not outlive a run killed with SIGKILL."""
    launcher = Path(sys.executable).parent / "secops-dbt"
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time; child = subprocess.Popen(sys.argv[1:]); print(child.pid, flush=True); "
         "time.sleep(600)", str(launcher), "600"],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "SECOPS_DBT_EXECUTABLE": "sleep"},
    )
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _program(child) != b"sleep":
        time.sleep(0.05)
    assert _program(child) == b"sleep"  # the launcher became the program it runs

    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)

    assert not _alive(child)


def _program(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has died; only its exit status waits for a reaper


def test_sigterm_stops_ingest_between_files_and_leaves_nothing_half_written(tmp_path):
    landing = tmp_path / "landing"
    for name, count in (("a.csv", 10), ("b.csv", 400_000), ("c.csv", 10)):
        rows = [{**JOB, "job_id": f"{name}-{i}"} for i in range(count)]
        path = landing / "backup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canonical("backup_jobs", *rows))
        settle(path)
    warehouse = tmp_path / "warehouse.duckdb"
    # The child terminates itself 0.3 s into b.csv (a 400,000-record file takes seconds), as a
    # `kill` from outside would, but at a known point.
    script = (
        "import os, signal, sys, threading; from pathlib import Path; from orchestration.faults import guarded;"
        "import ingest.load as load; from tests.reliability.conftest import ingest;"
        "real = load.ingest_one\n"
        "def watched(con, landing, family, path, **kw):\n"
        "    if path.name == 'b.csv':\n"
        "        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()\n"
        "    return real(con, landing, family, path, **kw)\n"
        "load.ingest_one = watched\n"
        "sys.exit(guarded('ingest', lambda: (ingest(Path(sys.argv[1]), Path(sys.argv[2])), 0)[1]))"
    )
    run = subprocess.Popen([sys.executable, "-c", script, str(warehouse), str(landing)], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = run.communicate(timeout=120)

    assert run.returncode == faults.EXIT_INTERRUPTED == 130
    assert err == ("problem: interrupted: the file being loaded was rolled back, files loaded before it are "
                   "kept; run again to continue\n")
    state = state_of(warehouse)
    loaded = {file: rows for file, _, _, status, _, _, rows, *_ in state["manifest"] if status == "loaded"}
    # a.csv whole, nothing of b.csv (rolled back mid-file), c.csv not started
    assert loaded == {"backup/a.csv": 10}
    assert state["raw"]["backup_jobs"] == 10

    ingest(warehouse, landing)
    clean = tmp_path / "clean.duckdb"
    ingest(clean, landing)
    assert state_of(warehouse) == state_of(clean)
