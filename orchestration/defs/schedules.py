"""Last month's metrics, materialised on the 2nd of every month at 03:00 UTC.

A day's grace lets late exports of the month arrive; the run ingests what is new,
rebuilds the foundation and replaces the previous month's metric rows (as_of = the
run's start). Earlier months keep their rows and their as_of.
"""

import dagster as dg

from orchestration.defs.jobs import secops_run
from orchestration.partitions import previous_month_key


@dg.schedule(
    job=secops_run,
    cron_schedule="0 3 2 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On the 2nd at 03:00 UTC: the previous month's metrics.",
)
def previous_month_metrics(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    partition_key = previous_month_key(context.scheduled_execution_time)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)
