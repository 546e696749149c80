"""Render one month's report: `<reports_dir>/<YYYY-MM>/report.html` with its PNG charts beside it.

The HTML embeds every chart as a base64 data: URI, so the file alone is the report (it
can be mailed or archived); the PNG files are the same charts for slides and tickets.
A month is written into a fresh folder that then replaces the previous one, so a
reader never sees a half-written report and charts of a previous render never linger.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from ingest.warehouse import open_warehouse
from publish.report import formatting as fmt
from publish.report.charts import Chart, draw_charts
from publish.report.data import ReportData, load_report_data, parse_month
from publish.report.template import ONLOAD_SCRIPT, TEMPLATE, script_hash

REPORT_FILE = "report.html"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Dimensions of the error budget measured in minutes of outage; the others are shares.
MINUTE_BUDGETS = ("availability", "security_incident")


@dataclass
class ReportResult:
    month: date
    directory: Path
    html_path: Path
    charts: list[Chart]
    chart_paths: list[Path]
    counts: dict[str, int] = field(default_factory=dict)
    missing_tables: list[str] = field(default_factory=list)
    as_of_values: list[datetime] = field(default_factory=list)
    special_causes: list[str] = field(default_factory=list)  # "process YYYY-MM" of the report month
    month_complete: bool | None = None  # False: the month was in progress at its rows' as_of

    @property
    def month_label(self) -> str:
        return fmt.month_label(self.month)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    env.filters.update(
        percent=fmt.percent, hours=fmt.hours, num=fmt.count, dpmo=fmt.dpmo, sigma=fmt.sigma,
        ratio=fmt.ratio, day=fmt.day, instant=fmt.instant, text=fmt.text, yes_no=fmt.flag,
        fraction_of=fmt.fraction_of, status_label=fmt.status_label, status_symbol=fmt.status_symbol,
        status_class=fmt.status_class, period_text=fmt.period_text,
    )
    return env


def _rules_text(row: dict[str, Any]) -> str:
    rules = [str(i) for i in (1, 2, 3, 4) if row.get(f"rule_{i}")]
    if not rules:
        return "special cause"
    return ("rule " if len(rules) == 1 else "rules ") + ", ".join(rules)


def _control(rows: list[dict[str, Any]], chart: Chart, month: date, show) -> dict[str, Any]:
    flags = [
        {
            "month": fmt.month_label(r["month"]),
            "value": f"{show(r['value'])}, limits {show(r['lcl'])} \u2013 {show(r['ucl'])}",
            "rules": _rules_text(r),
        }
        for r in rows
        if r.get("special_cause")
    ]
    current = next((r for r in rows if r["month"] == month), None)
    return {"chart": chart, "flags": flags, "current": current}


def _budget_amount(row: dict[str, Any], column: str) -> str:
    value = row[column]
    return fmt.minutes(value) if row["dimension"] in MINUTE_BUDGETS else fmt.percent(value, 2)


def _context(data: ReportData, charts: list[Chart], warehouse: Path, generated_at: datetime) -> dict[str, Any]:
    by_name = {c.filename: c for c in charts}
    by_section: dict[str, list[Chart]] = {}
    for chart in charts:
        by_section.setdefault(chart.section, []).append(chart)
    month = data.month

    scorecard = [
        {**row,
         "target_text": fmt.target(row["comparator"], row["target"], fmt.unit_of(row["metric"], data.metric_units)),
         "actual_text": fmt.by_unit(row["actual"], fmt.unit_of(row["metric"], data.metric_units))}
        for row in data.scorecard
    ]
    slos = [
        {**row,
         "target_text": fmt.target(row["comparator"], row["target"], fmt.unit_of(row["slo_id"], data.metric_units)),
         "actual_text": fmt.by_unit(row["actual"], fmt.unit_of(row["slo_id"], data.metric_units))}
        for row in data.slos
    ]
    xmr = None
    if data.xmr_mttd and "xmr_mttd.png" in by_name:
        xmr = _control(data.xmr_mttd, by_name["xmr_mttd.png"], month, fmt.hours)
    p_charts = [
        {"process": process, **_control(rows, chart, month, fmt.percent)}
        for (process, rows), chart in zip(data.p_charts.items(), by_section.get("six_sigma", []))
    ]
    pareto = [
        {"dimension": dimension, "name": "root cause" if dimension == "root_cause" else dimension,
         "rows": rows, "chart": chart}
        for (dimension, rows), chart in zip(data.pareto.items(), by_section.get("pareto", []))
    ]
    error_budget = [
        {**row,
         "objective_text": fmt.percent(row["objective"]) if row["objective"] is not None else "\u2013",
         "allowed_text": _budget_amount(row, "allowed"),
         "consumed_text": _budget_amount(row, "consumed"),
         "remaining_text": _budget_amount(row, "remaining")}
        for row in data.error_budget
    ]
    slo_counts = {status: sum(1 for r in data.slos if r["status"] == status) for status in fmt.STATUS_LABELS}
    return {
        "month_label": fmt.month_label(month),
        "month_title": fmt.month_title(month),
        "month_complete": data.month_complete(),
        "as_of_values": [fmt.instant(v) for v in data.as_of_values()],
        "action_items_as_of": [fmt.instant(v) for v in data.action_items_as_of()],
        "generated_at": fmt.instant(generated_at),
        "warehouse_name": warehouse.name,
        "missing_tables": data.missing_tables,
        "charts": charts,
        "chart_uris": {c.filename: data_uri(c.png) for c in charts},
        "chart_sizes": {c.filename: png_size(c.png) for c in charts},
        "slo_counts": slo_counts,
        "special_causes": special_causes(data),
        "scorecard": scorecard,
        "slos": slos,
        "incidents": data.incidents,
        "xmr": xmr,
        "dpmo": data.dpmo,
        "p_charts": p_charts,
        "pareto": pareto,
        "training": data.training,
        "training_chart": (by_section.get("training") or [None])[0],
        "error_budget": error_budget,
        "error_budget_chart": (by_section.get("error_budget") or [None])[0],
        "action_items": data.action_items,
        "onload_script": ONLOAD_SCRIPT,
        "script_hash": script_hash(),
    }


def special_causes(data: ReportData) -> list[str]:
    """The control-chart points of the report month that signal a special cause."""
    found = [f"{p} {fmt.month_label(data.month)}" for p, rows in data.p_charts.items()
             for r in rows if r["month"] == data.month and r.get("special_cause")]
    found += [f"mttd {fmt.month_label(data.month)}" for r in data.xmr_mttd
              if r["month"] == data.month and r.get("special_cause")]
    return found


def render_html(data: ReportData, charts: list[Chart], *, warehouse: Path, generated_at: datetime) -> str:
    template = _environment().from_string(TEMPLATE)
    return template.render(**_context(data, charts, warehouse, generated_at))


def _replace_directory(staging: Path, target: Path) -> None:
    previous = None
    if target.exists():
        previous = target.with_name(f".{target.name}.previous-{staging.name}")
        target.rename(previous)
    staging.rename(target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def render_monthly_report(
    warehouse: str | Path,
    reports_dir: str | Path,
    month: str | date,
    *,
    generated_at: datetime | None = None,
    skip_if_empty: bool = False,
) -> ReportResult | None:
    """Read the month's metrics from the warehouse (read-only) and write its report folder.

    With `skip_if_empty`, a month without a single metric row writes nothing and returns
    None (a run over every partition renders only the months that have data).
    """
    from orchestration.as_of import now_utc

    warehouse, reports_dir = Path(warehouse), Path(reports_dir)
    month = parse_month(month)
    generated_at = generated_at or now_utc()
    with open_warehouse(warehouse, read_only=True) as con:
        data = load_report_data(con, month)
    if skip_if_empty and data.month_rows() == 0:
        return None
    charts = draw_charts(data)
    html = render_html(data, charts, warehouse=warehouse, generated_at=generated_at)

    reports_dir.mkdir(parents=True, exist_ok=True)
    target = reports_dir / fmt.month_label(month)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=reports_dir))
    try:
        for chart in charts:
            (staging / chart.filename).write_bytes(chart.png)
        (staging / REPORT_FILE).write_text(html, encoding="utf-8")
        staging.chmod(0o755)
        _replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    counts = {
        "charts": len(charts),
        "slos_met": sum(1 for r in data.slos if r["status"] == "met"),
        "slos_breached": sum(1 for r in data.slos if r["status"] == "breached"),
        "slos_pending": sum(1 for r in data.slos if r["status"] == "pending"),
        "slos_no_data": sum(1 for r in data.slos if r["status"] == "no_data"),
        "scorecard_breached": sum(1 for r in data.scorecard if r["status"] == "breached"),
        "scorecard_pending": sum(1 for r in data.scorecard if r["status"] == "pending"),
        "special_causes": len(special_causes(data)),
        "action_items": len(data.action_items),
        "month_rows": data.month_rows(),
    }
    return ReportResult(
        month=month,
        directory=target,
        html_path=target / REPORT_FILE,
        charts=charts,
        chart_paths=[target / c.filename for c in charts],
        counts=counts,
        missing_tables=list(data.missing_tables),
        as_of_values=data.as_of_values(),
        special_causes=special_causes(data),
        month_complete=data.month_complete(),
    )


def _md(text: str) -> str:
    """Text from the warehouse (process and category names) inert in Markdown."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", text)


def metadata_markdown(result: ReportResult) -> str:
    """The report's charts as Markdown with data: URI images, for the Dagster UI's metadata."""
    counts = result.counts
    in_progress = " (month in progress)" if result.month_complete is False else ""
    lines = [
        f"## Security metrics report {result.month_label}{in_progress}",
        "",
        f"SLOs: {counts['slos_met']} met, {counts['slos_breached']} breached, {counts['slos_pending']} pending, "
        f"{counts['slos_no_data']} no data; "
        f"special causes this month: {counts['special_causes']}; open action items: {counts['action_items']}.",
        "",
    ]
    if result.missing_tables:
        lines += ["Not in the warehouse yet: " + ", ".join(f"`metrics.{t}`" for t in result.missing_tables), ""]
    for chart in result.charts:
        lines += [f"### {_md(chart.title)}", "", f"![{_md(chart.alt)}]({data_uri(chart.png)})", ""]
    return "\n".join(lines)
