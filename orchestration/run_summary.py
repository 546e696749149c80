"""What a finished run says to the person who started it: problems, warnings, headline numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg


def _check_line(evaluation: dg.AssetCheckEvaluation) -> str:
    asset = "/".join(evaluation.asset_key.path)
    details = []
    for name in ("errors", "failed_files", "rows_rejected", "rejected_share", "threshold"):
        value = evaluation.metadata.get(name)
        if value is not None:
            details.append(f"{name}={value.value}")
    return f"check {evaluation.check_name} on {asset} failed ({', '.join(details) or 'see the UI'})"


def problems_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per problem that makes the run end non-zero."""
    lines = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "failed"
        lines.append(f"step {event.step_key} failed: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            lines.append(_check_line(evaluation))
    return lines


def warnings_of(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        _check_line(e)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.WARN
    ]


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} h"


def _incident_response(con, month: str) -> list[str]:
    rows = con.execute(
        """
        SELECT incidents, mttd_hours, mttd_median_hours, mttr_hours, mttr_median_hours,
               change_induced_incidents
        FROM metrics.incident_response_monthly
        WHERE month = CAST(? AS DATE) AND severity = 'ALL' AND geography = 'ALL'
        """,
        [month],
    ).fetchall()
    if not rows:
        return []
    incidents, mttd, mttd_median, mttr, mttr_median, change_induced = rows[0]
    return [
        f"security incidents detected: {incidents}; change-induced: {change_induced} (target 0)",
        f"MTTD {_hours(mttd)} (median {_hours(mttd_median)}; target < 1 h); "
        f"MTTR {_hours(mttr)} (median {_hours(mttr_median)}; target < 4 h)",
    ]


# Each metric table that exists adds its lines to the headline, in this order.
HEADLINE_SECTIONS = (
    ("incident_response_monthly", _incident_response),
)


def headline_months(as_of: datetime, month: str | None) -> list[str]:
    """The month asked for, else the last complete month and the month in progress."""
    if month:
        return [f"{month}-01"]
    current = as_of.date().replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    return [previous.isoformat(), current.isoformat()]


def print_headline(warehouse: Path, as_of: datetime, month: str | None = None) -> None:
    """Print the headline metrics of the metrics.* tables that exist."""
    from ingest.warehouse import open_warehouse

    if not warehouse.exists():
        return
    with open_warehouse(warehouse, read_only=True) as con:
        tables = {
            row[0]
            for row in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'metrics'"
            ).fetchall()
        }
        for month_start in headline_months(as_of, month):
            in_progress = month_start == as_of.date().replace(day=1).isoformat()
            print(f"{month_start[:7]}{' (in progress)' if in_progress else ''}, as_of {as_of.isoformat()}:")
            lines = [
                line
                for table, section in HEADLINE_SECTIONS
                if table in tables
                for line in section(con, month_start)
            ]
            for line in lines or ["no metric rows for this month"]:
                print(f"  {line}")
