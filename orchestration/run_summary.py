"""What a finished run says to the person who started it: problems, warnings, headline numbers."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg


def _check_line(evaluation: dg.AssetCheckEvaluation) -> str:
    asset = "/".join(evaluation.asset_key.path)
    summary = evaluation.metadata.get("summary")
    if summary is not None:  # a Great Expectations suite's check: its failed expectations
        return f"check {evaluation.check_name} on {asset} failed: {summary.value}"
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


def blocked_lines(warehouse: Path, run_id: str) -> list[str]:
    """Families whose metric tables this run did not rebuild, and why (orchestration/gating.py)."""
    from expectations.results import blocked_families
    from ingest.warehouse import open_warehouse

    if not warehouse.exists():
        return []
    with open_warehouse(warehouse) as con:
        blocked = blocked_families(con, run_id)
    return [
        f"family {family}: its metric tables keep their last good rows ({'; '.join(reasons)})"
        for family, reasons in sorted(blocked.items())
    ]


def alert_failed_run(warehouse: Path, result: dg.ExecuteInProcessResult, problems: list[str]) -> None:
    """A failed run alerts the pipeline's owners (owners.yaml) by e-mail and webhook."""
    from publish.alerts import deliver_alerts, pipeline_failure_alert

    failed_steps = [e.step_key for e in result.get_step_failure_events()]
    alert = pipeline_failure_alert(
        result.run_id, result.job_def.name, problems[0] if problems else "the run failed",
        failed_steps=failed_steps,
    )
    deliver_alerts(warehouse, [alert])


def warnings_of(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        _check_line(e)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.WARN
    ]


def landing_warnings_of(result: dg.ExecuteInProcessResult) -> list[str]:
    """Paths the ingest did not read and why, each once (every raw asset carries the list)."""
    from orchestration.defs.raw_assets import LANDING_WARNINGS

    lines: dict[str, None] = {}
    for event in result.get_asset_materialization_events():
        value = event.step_materialization_data.materialization.metadata.get(LANDING_WARNINGS)
        for line in (value.value if value is not None else None) or []:
            lines[line] = None
    return list(lines)


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


def _format_actual(slo_id: str, actual: float | None) -> str:
    if actual is None:
        return "n/a"
    return f"{actual:.0f}" if slo_id == "expired_certs_production" else f"{actual:.1%}"


def _security_slos(con, month: str) -> list[str]:
    rows = con.execute(
        """
        SELECT slo_id, status, actual, numerator, denominator, comparator, target
        FROM metrics.security_slo_monthly
        WHERE month = CAST(? AS DATE)
        ORDER BY slo_id
        """,
        [month],
    ).fetchall()
    return [
        f"SLO {slo_id:<25} {status:<8} {_format_actual(slo_id, actual):>6} "
        f"({numerator}/{denominator}; target {comparator} {target:g})"
        for slo_id, status, actual, numerator, denominator, comparator, target in rows
    ]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _training(con, month: str) -> list[str]:
    rows = con.execute(
        """
        SELECT geography, assignments_due, completion_rate, phishing_delivered, click_rate, report_rate
        FROM metrics.training_monthly WHERE month = CAST(? AS DATE)
        ORDER BY geography = 'ALL' DESC, geography
        """,
        [month],
    ).fetchall()
    return [
        f"training {geography:<7} completion {_percent(completion)} of {due} due (target 100%); "
        f"phishing click {_percent(click)} of {delivered} (target < 3%), reported {_percent(report)}"
        for geography, due, completion, delivered, click, report in rows
    ]


def _dpmo(con, month: str) -> list[str]:
    rows = con.execute(
        """
        SELECT opportunities, defects, dpmo, sigma_level FROM metrics.dpmo_monthly
        WHERE month = CAST(? AS DATE) AND process = 'all'
        """,
        [month],
    ).fetchall()
    return [
        f"DPMO (all processes) {'n/a' if dpmo is None else f'{dpmo:,.0f}'} "
        f"({defects}/{opportunities}; sigma {'n/a' if sigma is None else f'{sigma:.2f}'}; target < 3.4)"
        for opportunities, defects, dpmo, sigma in rows
    ]


def _error_budget(con, month: str) -> list[str]:
    rows = con.execute(
        """
        SELECT dimension, status, consumed_fraction FROM metrics.error_budget_monthly
        WHERE month = CAST(? AS DATE) ORDER BY dimension
        """,
        [month],
    ).fetchall()
    parts = [f"{dimension} {status} ({_percent(used)} used)" for dimension, status, used in rows]
    return [f"error budget: {'; '.join(parts)}"] if parts else []


# Each metric table that exists adds its lines to the headline, in this order.
HEADLINE_SECTIONS = (
    ("security_slo_monthly", _security_slos),
    ("incident_response_monthly", _incident_response),
    ("training_monthly", _training),
    ("dpmo_monthly", _dpmo),
    ("error_budget_monthly", _error_budget),
)


def _period_complete(con, tables: set[str], month: str) -> bool | None:
    """The month's `period_complete` as the metric tables store it (None without rows)."""
    import duckdb

    for table in ("security_slo_monthly", "incident_response_monthly", "dpmo_monthly"):
        if table in tables:
            try:
                row = con.execute(
                    f"SELECT bool_and(period_complete) FROM metrics.{table} WHERE month = CAST(? AS DATE)",
                    [month],
                ).fetchone()
            except duckdb.BinderException:  # a table kept from before the column existed
                continue
            if row and row[0] is not None:
                return bool(row[0])
    return None


def month_heading(month_start: str, as_of: datetime, period_complete: bool | None) -> str:
    """`2026-10 (month in progress; pending: ...)`: the rows' period_complete, else as_of's month."""
    if period_complete is None:
        period_complete = month_start != as_of.date().replace(day=1).isoformat()
    state = "" if period_complete else " (month in progress; pending = no evidence yet, it may still arrive)"
    return f"{month_start[:7]}{state}, as_of {as_of.isoformat()}:"


def headline_months(as_of: datetime, months: tuple[str, str] | None) -> list[str]:
    """The last month of a partition run, else the last complete month and the month in progress."""
    if months:
        return [months[1]]
    current = as_of.date().replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    return [previous.isoformat(), current.isoformat()]


def _open_when_free(warehouse: Path, attempts: int = 20, pause_s: float = 0.5):
    """A read-only connection, waiting briefly for a writer that is still closing (a dbt process)."""
    import duckdb

    from ingest.warehouse import connect

    for attempt in range(attempts):
        try:
            return connect(warehouse, read_only=True)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(pause_s)
    raise AssertionError("unreachable")


def print_headline(warehouse: Path, as_of: datetime, months: tuple[str, str] | None = None) -> None:
    """Print the headline metrics of the metrics.* tables that exist."""
    import duckdb


    if not warehouse.exists():
        return
    try:
        con = _open_when_free(warehouse)
    except duckdb.IOException as error:
        print(f"headline metrics unavailable: {error}")
        return
    with contextlib.closing(con):
        tables = {
            row[0]
            for row in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'metrics'"
            ).fetchall()
        }
        for month_start in headline_months(as_of, months):
            print(month_heading(month_start, as_of, _period_complete(con, tables, month_start)))
            lines = [
                line
                for table, section in HEADLINE_SECTIONS
                if table in tables
                for line in section(con, month_start)
            ]
            for line in lines or ["no metric rows for this month"]:
                print(f"  {line}")
