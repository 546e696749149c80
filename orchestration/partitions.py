"""Monthly partitions of the metric tables (METRICS.md: the period is the calendar month, UTC).

The first month is SECOPS_FIRST_MONTH (YYYY-MM, default 2024-01); the last is the
month in progress, so it can be evaluated before it ends.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import dagster as dg

DEFAULT_FIRST_MONTH = "2024-01"


def first_month() -> str:
    return os.environ.get("SECOPS_FIRST_MONTH", DEFAULT_FIRST_MONTH)


monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=f"{first_month()}-01", timezone="UTC", end_offset=1, fmt="%Y-%m-%d"
)


def month_key(month: str) -> str:
    """The partition key of a YYYY-MM month (its first day)."""
    try:
        return datetime.strptime(month, "%Y-%m").date().isoformat()
    except ValueError as error:
        raise ValueError(f"month {month!r} is not YYYY-MM") from error


def previous_month_key(moment: datetime) -> str:
    first_of_month = moment.date().replace(day=1)
    last_month = date(first_of_month.year - (first_of_month.month == 1),
                      12 if first_of_month.month == 1 else first_of_month.month - 1, 1)
    return last_month.isoformat()


def every_partition() -> dg.PartitionKeyRange:
    """From the first month to the month in progress: a run over it rebuilds every month."""
    keys = monthly_partitions.get_partition_keys()
    return dg.PartitionKeyRange(keys[0], keys[-1])


def is_every_partition(keys: dg.PartitionKeyRange) -> bool:
    everything = every_partition()
    return keys.start <= everything.start and keys.end >= everything.end
