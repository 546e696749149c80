"""One writer per warehouse: the lock file, the CLI's wait-or-refuse, the UI's run queue,
and a warehouse held open outside the pipeline.

Holders are separate processes (flock and DuckDB's own file lock are per process), so
everything here is real and none of it needs a pipeline run to finish.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from ingest.warehouse import ensure_schema, open_warehouse
from orchestration.cli import _steps_failed_on_outside_lock, main
from orchestration.writer_lock import lock_path, outside_holder_problem, warehouse_writer_lock

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_YAML = REPO_ROOT / "orchestration" / "instance" / "dagster.yaml"

LOCK_HOLDER = """
import sys, time
from orchestration.writer_lock import warehouse_writer_lock
with warehouse_writer_lock(sys.argv[1], wait_seconds=0):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""

# An analyst's DuckDB session on the working file (read-write, as the DuckDB CLI opens it).
FILE_HOLDER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def _holding(script: str, warehouse: Path, seconds: float):
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _run(landing: Path, warehouse: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", "2026-10-15T00:00:00Z"])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def small_warehouse(tmp_path, restore_environment) -> tuple[Path, Path]:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    landing.mkdir()
    with open_warehouse(warehouse) as con:
        ensure_schema(con)
    return landing, warehouse


def test_a_second_run_waits_then_refuses_in_one_line_naming_the_holder(small_warehouse, monkeypatch):
    landing, warehouse = small_warehouse
    monkeypatch.setenv("SECOPS_LOCK_WAIT_SECONDS", "1")
    before = warehouse.stat().st_mtime_ns
    with _holding(LOCK_HOLDER, warehouse, 30) as holder:
        started = time.monotonic()
        code, out, err = _run(landing, warehouse)
        waited = time.monotonic() - started
    assert code == 1
    assert err.splitlines() == [
        f"problem: warehouse {warehouse} is being written by another pipeline run (pid {holder.pid}); "
        "waited 1 s (SECOPS_LOCK_WAIT_SECONDS sets how long)"
    ]
    assert out == ""
    assert waited >= 1.0
    assert warehouse.stat().st_mtime_ns == before  # nothing was written


def test_the_lock_is_taken_once_the_holder_lets_go_and_records_our_pid(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with _holding(LOCK_HOLDER, warehouse, 1.5):
        started = time.monotonic()
        with warehouse_writer_lock(warehouse, wait_seconds=30):
            waited = time.monotonic() - started
            assert lock_path(warehouse).read_text().split() == [str(os.getpid())]
            # re-entrant in this process: the run's own resource finds it held
            with warehouse_writer_lock(warehouse, wait_seconds=0):
                pass
            assert lock_path(warehouse).read_text().split() == [str(os.getpid())]
    assert 0.5 <= waited < 30
    assert lock_path(warehouse).read_text() == ""  # released: no holder recorded


def test_a_run_launched_by_dagster_waits_for_the_lock_too(small_warehouse, monkeypatch, tmp_path):
    # A UI or schedule run's worker sets up the run's resources first: the lock among them.
    from orchestration.defs.publish import WarehouseWriterLock, bi_snapshot

    _, warehouse = small_warehouse
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SECOPS_BI_FILE", str(tmp_path / "bi.duckdb"))
    monkeypatch.setenv("SECOPS_LOCK_WAIT_SECONDS", "0.5")
    with _holding(LOCK_HOLDER, warehouse, 30) as holder:
        result = dg.materialize(
            [bi_snapshot], resources={"warehouse_writer_lock": WarehouseWriterLock()}, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value in ("RESOURCE_INIT_FAILURE", "STEP_FAILURE"))
    assert f"pid {holder.pid}" in str(failure.event_specific_data.error.message)
    assert not (tmp_path / "bi.duckdb").exists()


def test_a_warehouse_held_open_outside_the_pipeline_is_said_in_one_line(small_warehouse):
    landing, warehouse = small_warehouse
    with _holding(FILE_HOLDER, warehouse, 30) as holder:
        code, out, err = _run(landing, warehouse)
    assert code == 1
    assert "Traceback" not in err + out
    assert err.splitlines() == [
        f"problem: the warehouse {warehouse} is held open by process {holder.pid} outside the pipeline "
        "(DuckDB allows one writer or many readers per file); close it and point BI tools at the BI "
        f"snapshot {warehouse.parent / 'bi' / 'warehouse.duckdb'} instead"
    ]


def test_a_run_that_fails_before_its_metric_models_publishes_nothing(small_warehouse, monkeypatch, tmp_path):
    # The job itself (as the UI runs it), while the file is held open: ingest fails, the
    # steps after it are skipped and the BI snapshot is not written.
    from orchestration.definitions import defs

    landing, warehouse = small_warehouse
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SECOPS_LANDING", str(landing))
    snapshot = tmp_path / "bi.duckdb"
    monkeypatch.setenv("SECOPS_BI_FILE", str(snapshot))
    job = defs().resolve_job_def("secops_run")
    with _holding(FILE_HOLDER, warehouse, 60) as holder:
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={"dagster/asset_partition_range_start": "2026-09-01",
                  "dagster/asset_partition_range_end": "2026-10-01",
                  "secops/as_of": "2026-10-15T00:00:00Z"},
            raise_on_error=False,
        )
    assert not result.success
    assert "landing_zone" in {e.step_key for e in result.get_step_failure_events()}
    # what `secops run` makes of such a step failure (a reader that opened the file mid-run)
    outside = _steps_failed_on_outside_lock(result)
    assert list(outside) == ["landing_zone"]
    assert f"held open by process {holder.pid} outside the pipeline" in outside_holder_problem(
        warehouse, outside["landing_zone"], snapshot
    )
    assert not any(e.asset_key.path == ["publish", "bi_snapshot"] for e in result.get_asset_materialization_events())
    assert not snapshot.exists()


def test_ui_runs_are_queued_one_per_warehouse(tmp_path, monkeypatch):
    from dagster._core.storage.dagster_run import DagsterRun
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    from orchestration.defs.jobs import WAREHOUSE_TAG

    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        limits = instance.run_coordinator.get_run_queue_config().tag_concurrency_limits
    assert limits == [{"key": WAREHOUSE_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]

    # every run of the job carries its warehouse, so the limit applies per warehouse file
    # (read when a code server loads the definitions, as `dagster dev` does)
    loaded = subprocess.run(
        [sys.executable, "-c", "from orchestration.definitions import defs; "
         f"print(defs().resolve_job_def('secops_run').tags[{WAREHOUSE_TAG!r}])"],
        capture_output=True, text=True, check=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "SECOPS_WAREHOUSE": str(tmp_path / "w.duckdb")},
    )
    assert loaded.stdout.strip() == str(tmp_path / "w.duckdb")

    def run(warehouse: str) -> DagsterRun:
        return DagsterRun(job_name="secops_run", tags={WAREHOUSE_TAG: warehouse})

    # the daemon's own admission rule: one run in progress on /a blocks another on /a only
    counter = TagConcurrencyLimitsCounter(limits, [run("/a/warehouse.duckdb")])
    assert counter.is_blocked(run("/a/warehouse.duckdb"))
    assert not counter.is_blocked(run("/b/warehouse.duckdb"))
