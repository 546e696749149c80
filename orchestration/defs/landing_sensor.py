"""`landing_zone_sensor`: a settled new or changed export in the landing folder starts a run.

Every tick lists the landing folder and compares it with the cursor (orchestration/landing_watch.py):
files whose size and mtime stayed the same for the quiet period (SECOPS_QUIET_SECONDS) ask
for one run of `secops_run` over the months they touch, with the files named in the run's
tags. While a run of the job is queued or in progress the settled files wait (DuckDB has one
writer): the next tick after it asks for them, so a file dropped during a run is never lost.

On by default in `make ui`; SECOPS_SENSOR_DEFAULT=off (as the tests set it) leaves it stopped
until someone starts it in the UI.
"""

import json
import os
import time
from datetime import date, datetime, timezone

import dagster as dg

from orchestration.defs.jobs import secops_run
from orchestration.landing_watch import (
    choose_months,
    dump_cursor,
    file_months,
    load_cursor,
    mark_requested,
    observe,
    quiet_seconds,
    run_key,
    scan,
)
from orchestration.partitions import every_partition, first_month
from orchestration.settings import default_timezone, landing_dir

SENSOR_DEFAULT_ENV = "SECOPS_SENSOR_DEFAULT"
INTERVAL_ENV = "SECOPS_SENSOR_INTERVAL_SECONDS"
TRIGGER_FILES_TAG = "secops/landing_files"
TRIGGER_COUNT_TAG = "secops/landing_file_count"
MONTHS_REASON_TAG = "secops/months_reason"
MAX_NAMES_IN_TAG = 50


def _default_status() -> dg.DefaultSensorStatus:
    off = os.environ.get(SENSOR_DEFAULT_ENV, "on").strip().lower() in ("off", "0", "false", "stopped")
    return dg.DefaultSensorStatus.STOPPED if off else dg.DefaultSensorStatus.RUNNING


def _interval() -> int:
    try:
        return max(1, int(os.environ.get(INTERVAL_ENV, "10")))
    except ValueError:
        return 10


def _run_in_progress(instance: dg.DagsterInstance) -> bool:
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    runs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=secops_run.name, statuses=IN_PROGRESS_RUN_STATUSES), limit=1
    )
    return bool(runs)


def _files_tag(names: list[str]) -> str:
    shown = names[:MAX_NAMES_IN_TAG]
    more = len(names) - len(shown)
    return json.dumps(shown + ([f"... and {more} more"] if more else []))


@dg.sensor(
    name="landing_zone_sensor",
    job=secops_run,
    minimum_interval_seconds=_interval(),
    default_status=_default_status(),
    description=(
        "Starts secops_run when new or changed export files in the landing folder have kept their "
        "size and modification time for SECOPS_QUIET_SECONDS; the run recomputes the months they touch."
    ),
)
def landing_zone_sensor(context: dg.SensorEvaluationContext):
    landing = landing_dir()
    now = time.time()
    previous = load_cursor(context.cursor) if context.cursor else None
    seen = scan(landing)
    tick = observe(previous, seen, now, quiet_seconds())
    if previous is None:
        context.update_cursor(dump_cursor(tick.files))
        return dg.SkipReason(f"first tick: {len(tick.files)} files in {landing} taken as the baseline")
    if not tick.settled:
        context.update_cursor(dump_cursor(tick.files))
        waiting = f"; {len(tick.waiting)} still settling" if tick.waiting else ""
        return dg.SkipReason(f"no new settled export files{waiting}")
    if _run_in_progress(context.instance):
        context.update_cursor(dump_cursor(tick.files))
        return dg.SkipReason(f"a {secops_run.name} run is in progress; {len(tick.settled)} settled files wait for the next tick")

    first = date.fromisoformat(f"{first_month()}-01")
    ranges = [file_months(seen[n][0], seen[n][1], default_timezone()) for n in tick.settled]
    months = choose_months(ranges, datetime.fromtimestamp(now, timezone.utc), first)
    if months.every_month:
        everything = every_partition()
        start, end = everything.start, everything.end
    else:
        start, end = months.start, months.end
    context.update_cursor(dump_cursor(mark_requested(tick.files, tick.settled)))
    context.log.info(f"run for {len(tick.settled)} files, months {start[:7]}..{end[:7]} ({months.reason})")
    return dg.RunRequest(
        run_key=run_key(tick.files, tick.settled),
        tags={
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
            TRIGGER_FILES_TAG: _files_tag(tick.settled),
            TRIGGER_COUNT_TAG: str(len(tick.settled)),
            MONTHS_REASON_TAG: months.reason,
        },
    )
