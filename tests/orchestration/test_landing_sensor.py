"""landing_zone_sensor on real files: the quiet period, a changed file, the cursor across restarts,
the months a run recomputes, and a file that arrives while a run is in progress."""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.landing_sensor import landing_zone_sensor
from orchestration.landing_watch import load_cursor
from orchestration.partitions import every_partition

QUIET = 1.0
HEADER = "job_id,system_id,job_type,started_at,completed_at,status,encrypted,asset_environment"
NOW = datetime.now(timezone.utc)
IN_PROGRESS = date(NOW.year, NOW.month, 1)
LAST_CLOSED = date(IN_PROGRESS.year - (IN_PROGRESS.month == 1), 12 if IN_PROGRESS.month == 1 else IN_PROGRESS.month - 1, 1)


def _job(job_id: str, month: date, day: int = 1) -> str:
    start = f"{month:%Y-%m}-{day:02d}T01:00:00Z"
    return f"{job_id},db-1,backup,{start},{month:%Y-%m}-{day:02d}T02:00:00Z,succeeded,true,production"


def _write(path: Path, *rows: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def landing(tmp_path, monkeypatch):
    folder = tmp_path / "landing"
    (folder / "backup").mkdir(parents=True)
    _write(folder / "backup" / "already_there.csv", _job("j0", LAST_CLOSED))
    monkeypatch.setenv("SECOPS_LANDING", str(folder))
    monkeypatch.setenv("SECOPS_QUIET_SECONDS", str(QUIET))
    return folder


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as it:
        yield it


class Sensor:
    """Ticks the sensor the way the daemon does: each tick gets the cursor the last one stored,
    as a string (what survives a restart of the daemon)."""

    def __init__(self, instance):
        self.instance, self.cursor = instance, None

    def tick(self):
        context = dg.build_sensor_context(cursor=self.cursor, instance=self.instance)
        result = landing_zone_sensor(context)
        self.cursor = context.cursor
        return result


def _settle():
    time.sleep(QUIET + 0.2)


def test_the_first_tick_takes_the_files_present_as_the_baseline(landing, instance):
    sensor = Sensor(instance)
    first = sensor.tick()
    assert isinstance(first, dg.SkipReason) and "1 files" in first.skip_message
    state = json.loads(sensor.cursor)["files"]["backup/already_there.csv"]
    assert state["requested"] is True and state["size"] == (landing / "backup" / "already_there.csv").stat().st_size
    _settle()
    assert isinstance(sensor.tick(), dg.SkipReason)  # nothing new: no run


def test_a_new_file_asks_for_one_run_after_the_quiet_period_and_the_cursor_survives_a_restart(landing, instance):
    sensor = Sensor(instance)
    sensor.tick()
    _write(landing / "backup" / "new.csv", _job("j1", IN_PROGRESS), _job("j2", IN_PROGRESS, 2))

    seen = sensor.tick()
    assert isinstance(seen, dg.SkipReason) and "1 still settling" in seen.skip_message
    saved = sensor.cursor
    _settle()

    restarted = Sensor(instance)  # a new daemon process: only the stored cursor string carries over
    restarted.cursor = saved
    request = restarted.tick()
    assert isinstance(request, dg.RunRequest)
    assert json.loads(request.tags["secops/landing_files"]) == ["backup/new.csv"]
    assert request.tags["secops/landing_file_count"] == "1"
    # records in the month in progress only: that month
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        IN_PROGRESS.isoformat(), IN_PROGRESS.isoformat()
    )
    assert load_cursor(restarted.cursor)["backup/new.csv"].requested
    _settle()
    assert isinstance(restarted.tick(), dg.SkipReason)  # asked once, not again


def test_a_file_still_being_written_waits_until_it_stops_changing(landing, instance):
    sensor = Sensor(instance)
    sensor.tick()
    growing = _write(landing / "backup" / "growing.csv", _job("j1", IN_PROGRESS))
    sensor.tick()
    _settle()
    with growing.open("a", encoding="utf-8") as handle:  # the copy goes on
        handle.write(_job("j2", IN_PROGRESS, 3) + "\n")
    assert isinstance(sensor.tick(), dg.SkipReason)  # changed since the last tick: starts again
    assert isinstance(sensor.tick(), dg.SkipReason)  # unchanged, but not for the quiet period yet
    _settle()
    request = sensor.tick()
    assert isinstance(request, dg.RunRequest)
    assert json.loads(request.tags["secops/landing_files"]) == ["backup/growing.csv"]


def test_a_changed_file_is_asked_for_again(landing, instance):
    sensor = Sensor(instance)
    sensor.tick()
    _write(landing / "backup" / "jobs.csv", _job("j1", IN_PROGRESS))
    sensor.tick()
    _settle()
    first = sensor.tick()
    assert isinstance(first, dg.RunRequest)
    _write(landing / "backup" / "jobs.csv", _job("j1", IN_PROGRESS), _job("j9", IN_PROGRESS, 4))
    os.utime(landing / "backup" / "jobs.csv", (time.time() + 5, time.time() + 5))
    sensor.tick()
    _settle()
    second = sensor.tick()
    assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key
    assert json.loads(second.tags["secops/landing_files"]) == ["backup/jobs.csv"]


def test_the_months_are_those_the_files_touch_or_every_month(landing, instance):
    sensor = Sensor(instance)
    sensor.tick()
    _write(landing / "backup" / "last_month.csv", _job("j1", LAST_CLOSED, 20), _job("j2", IN_PROGRESS))
    sensor.tick()
    _settle()
    request = sensor.tick()
    # from the last closed month to the month in progress
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        LAST_CLOSED.isoformat(), IN_PROGRESS.isoformat()
    )

    older = date(LAST_CLOSED.year - (LAST_CLOSED.month == 1), 12 if LAST_CLOSED.month == 1 else LAST_CLOSED.month - 1, 1)
    _write(landing / "backup" / "late_export.csv", _job("j3", older, 15))
    sensor.tick()
    _settle()
    request = sensor.tick()
    everything = every_partition()
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        everything.start, everything.end
    )
    assert f"reaches back to {older:%Y-%m}" in request.tags["secops/months_reason"]

    (landing / "backup" / "broken.csv").write_text("not,an\nexport\n", encoding="utf-8")
    sensor.tick()
    _settle()
    request = sensor.tick()
    assert request.tags["dagster/asset_partition_range_start"] == everything.start
    assert "cannot be told" in request.tags["secops/months_reason"]


def test_a_file_arriving_during_a_run_is_asked_for_on_the_next_tick_after_it(landing, instance):
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
    from dagster._core.utils import make_new_run_id

    sensor = Sensor(instance)
    sensor.tick()
    run = instance.add_run(DagsterRun(job_name="secops_run", run_id=make_new_run_id(), status=DagsterRunStatus.STARTED))
    _write(landing / "backup" / "during_the_run.csv", _job("j1", IN_PROGRESS))
    sensor.tick()
    _settle()
    waiting = sensor.tick()
    assert isinstance(waiting, dg.SkipReason) and "in progress" in waiting.skip_message
    assert not load_cursor(sensor.cursor)["backup/during_the_run.csv"].requested

    instance.report_run_canceled(run)
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
    request = sensor.tick()
    assert isinstance(request, dg.RunRequest)
    assert json.loads(request.tags["secops/landing_files"]) == ["backup/during_the_run.csv"]


def test_the_sensor_is_on_by_default_and_off_when_the_environment_says_so(monkeypatch):
    import importlib

    import orchestration.defs.landing_sensor as module

    monkeypatch.setenv("SECOPS_SENSOR_DEFAULT", "off")
    assert importlib.reload(module).landing_zone_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    monkeypatch.delenv("SECOPS_SENSOR_DEFAULT")
    assert importlib.reload(module).landing_zone_sensor.default_status == dg.DefaultSensorStatus.RUNNING
