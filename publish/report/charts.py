"""The report's charts as PNG bytes, drawn with matplotlib's Agg renderer (no browser, no display).

Figures are made with `matplotlib.figure.Figure`, never pyplot, so nothing global (the
backend, the current figure) is touched and the charts can be drawn in any process.
Status is never shown by colour alone: limits, flags and budgets are labelled.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from publish.report import formatting as fmt
from publish.report.data import ReportData

DPI = 100
BLUE = "#1f5f99"
LIGHT_BLUE = "#9dc3e6"
RED = "#c62828"
GREEN = "#2e7d32"
GREY = "#8a8a8a"
ORANGE = "#e08a00"
STATUS_COLOURS = {"met": GREEN, "breached": RED, "no_data": GREY}


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    alt: str
    section: str  # the report section the chart belongs to
    png: bytes


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_") or "chart"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(width: float = 9.0, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def _month_ticks(ax, months: list[date], report_month: date) -> None:
    positions = list(range(len(months)))
    step = 1 if len(months) <= 14 else 2 if len(months) <= 28 else 3
    # always label the report month (the last one)
    shown = [i for i in positions if (len(months) - 1 - i) % step == 0]
    ax.set_xticks(shown)
    ax.set_xticklabels([fmt.month_label(months[i]) for i in shown], rotation=45, ha="right", fontsize=8)
    if report_month in months:
        ax.axvspan(months.index(report_month) - 0.5, months.index(report_month) + 0.5,
                   color=LIGHT_BLUE, alpha=0.25, lw=0)


def _rules(row: dict[str, Any]) -> list[int]:
    return [i for i in (1, 2, 3, 4) if row.get(f"rule_{i}")]


def control_chart(rows: list[dict[str, Any]], title: str, report_month: date, *, unit: str) -> bytes:
    """Values with centre line and 3-sigma limits per month; special-cause points marked and labelled."""
    fig = _figure()
    ax = fig.add_subplot()
    months = [r["month"] for r in rows]
    x = list(range(len(rows)))
    values = [_nan(r["value"]) for r in rows]
    ax.plot(x, [_nan(r["ucl"]) for r in rows], drawstyle="steps-mid", color=RED, lw=1.2, ls="--", label="UCL / LCL")
    ax.plot(x, [_nan(r["lcl"]) for r in rows], drawstyle="steps-mid", color=RED, lw=1.2, ls="--")
    ax.plot(x, [_nan(r["center"]) for r in rows], drawstyle="steps-mid", color=GREEN, lw=1.2, label="centre")
    ax.plot(x, values, color=BLUE, marker="o", ms=4, lw=1.5, label="value")
    flagged = [i for i, r in enumerate(rows) if r.get("special_cause")]
    if flagged:
        ax.scatter([x[i] for i in flagged], [values[i] for i in flagged], s=110, facecolors="none",
                   edgecolors=RED, linewidths=2, zorder=5, label="special cause")
        for i in flagged:
            rules = ",".join(str(n) for n in _rules(rows[i]))
            ax.annotate(f"R{rules}" if rules else "!", (x[i], values[i]), textcoords="offset points",
                        xytext=(0, 8), ha="center", fontsize=8, color=RED, fontweight="bold")
    if unit == "fraction":
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
        ax.set_ylabel("defect proportion")
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g} h"))
        ax.set_ylabel("MTTD (hours)")
    highest = [v for r in rows for v in (_nan(r["value"]), _nan(r["ucl"])) if not math.isnan(v)]
    ax.set_ylim(0, max(highest) * 1.18 if highest and max(highest) > 0 else 1)
    _month_ticks(ax, months, report_month)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1, 1), ncols=4, frameon=False)
    return _png(fig)


def pareto_chart(rows: list[dict[str, Any]], title: str) -> bytes:
    """Defects per category (vital few in dark blue) and the cumulative share on the right axis."""
    fig = _figure(9.0, 3.8)
    ax = fig.add_subplot()
    labels = [str(r["category"]) for r in rows]
    x = list(range(len(rows)))
    defects = [float(r["defects"] or 0) for r in rows]
    colours = [BLUE if r.get("vital_few") else LIGHT_BLUE for r in rows]
    bars = ax.bar(x, defects, color=colours, edgecolor=BLUE)
    top = max(defects + [1.0]) * 1.2
    for i, (d, row) in enumerate(zip(defects, rows)):
        # at the foot of the bar (clear of the cumulative line), above it when the bar is too short
        inside = d >= top * 0.12
        ax.text(i, top * 0.02 if inside else d + top * 0.01, fmt.count(d), ha="center",
                va="bottom", fontsize=9,
                color="white" if inside and row.get("vital_few") else "black")
    ax.set_ylabel("defects")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center",
                       fontsize=8)
    ax.set_ylim(0, top)
    line_ax = ax.twinx()
    line_ax.plot(x, [_nan(r["cumulative_share"]) for r in rows], color=ORANGE, marker="o", lw=2,
                 label="cumulative share")
    line_ax.axhline(0.8, color=GREY, ls=":", lw=1)
    line_ax.text(len(rows) - 0.5, 0.81, "80 %", fontsize=8, color=GREY, ha="right", va="bottom")
    line_ax.set_ylim(0, 1.05)
    line_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    line_ax.set_ylabel("cumulative share")
    handles = [bars, line_ax.lines[0]]
    ax.legend(handles, ["defects (dark: vital few)", "cumulative share"], fontsize=8, loc="lower right",
              bbox_to_anchor=(1, 1), ncols=2, frameon=False)
    ax.set_title(title, fontsize=11, loc="left")
    return _png(fig)


def _geography_bars(ax, rows: list[dict[str, Any]], column: str, goal: float, goal_label: str,
                    title: str, good: Callable[[float], bool]) -> None:
    labels = [r["geography"] for r in rows]
    x = list(range(len(rows)))
    values = [r[column] for r in rows]
    colours = [GREY if v is None else GREEN if good(v) else RED for v in values]
    bars = ax.bar(x, [0 if v is None else v for v in values], color=colours)
    ax.bar_label(bars, labels=[fmt.percent(v) for v in values], fontsize=8, padding=2)
    ax.axhline(goal, color="black", ls="--", lw=1)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8)
    top = max([goal] + [v for v in values if v is not None])
    ax.set_ylim(0, top * 1.25 if top > 0 else 1)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.set_title(f"{title} (dashed: {goal_label})", fontsize=10, loc="left")


def training_chart(rows: list[dict[str, Any]], title: str) -> bytes:
    """Completion rate and phishing click rate per geography, each with its target."""
    fig = _figure(9.0, 3.4)
    left, right = fig.subplots(1, 2)
    _geography_bars(left, rows, "completion_rate", 1.0, "target 100 %", "Training completed on time",
                    lambda v: v >= 1.0)
    _geography_bars(right, rows, "click_rate", 0.03, "target < 3 %", "Phishing click rate", lambda v: v < 0.03)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return _png(fig)


def error_budget_chart(rows: list[dict[str, Any]], title: str) -> bytes:
    """Share of each dimension's budget consumed (100 % = the whole budget), status in words."""
    fig = _figure(9.0, 0.7 * max(len(rows), 2) + 1.2)
    ax = fig.add_subplot()
    labels = [r["dimension"] for r in rows]
    y = list(range(len(rows)))
    consumed = [r["consumed_fraction"] for r in rows]
    colours = [STATUS_COLOURS.get(r["status"], GREY) for r in rows]
    ax.barh(y, [0 if c is None else c for c in consumed], color=colours, height=0.55)
    projected = [(i, r["projected_consumed_fraction"]) for i, r in enumerate(rows)
                 if r.get("projected_consumed_fraction") is not None]
    if projected:
        ax.scatter([p for _, p in projected], [i for i, _ in projected], marker="D", color="black", s=30,
                   zorder=5, label="projected at month end")
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.axvline(1.0, color="black", ls="--", lw=1)
    values = [c for c in consumed if c is not None] + [p for _, p in projected]
    right = max([1.2] + [v * 1.25 for v in values])
    for i, (c, r) in enumerate(zip(consumed, rows)):
        ax.text(max(0 if c is None else c, 1.0) + right * 0.01, i,
                f"{fmt.percent(c)} \u2013 {fmt.status_label(r['status'])}", va="center", fontsize=8)
    ax.set_xlim(0, right)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=9)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.set_xlabel("budget consumed (100 % = the month's budget)")
    ax.set_title(title, fontsize=11, loc="left")
    return _png(fig)


def draw_charts(data: ReportData) -> list[Chart]:
    """Every chart of the report, in the order the report shows them."""
    month = data.month
    charts: list[Chart] = []
    if data.xmr_mttd:
        flagged = sum(1 for r in data.xmr_mttd if r.get("special_cause"))
        charts.append(Chart(
            "xmr_mttd.png", "MTTD individuals (XmR) chart",
            f"XmR chart of monthly MTTD over {len(data.xmr_mttd)} months, {flagged} special-cause point(s)",
            "incidents",
            control_chart(data.xmr_mttd, "MTTD, individuals chart (XmR)", month, unit="hours"),
        ))
    for index, (process, rows) in enumerate(data.p_charts.items(), start=1):
        flagged = sum(1 for r in rows if r.get("special_cause"))
        charts.append(Chart(
            f"p_chart_{index:02d}_{_slug(process)}.png", f"p-chart: {process}",
            f"p-chart of {process} over {len(rows)} months, {flagged} special-cause point(s)",
            "six_sigma",
            control_chart(rows, f"p-chart: {process}", month, unit="fraction"),
        ))
    for dimension, rows in data.pareto.items():
        name = "root cause" if dimension == "root_cause" else dimension
        charts.append(Chart(
            f"pareto_{_slug(dimension)}.png", f"Pareto of defects by {name}",
            f"Pareto chart of {len(rows)} categories by {name} with the cumulative share",
            "pareto",
            pareto_chart(rows, f"Pareto: defects by {name}"),
        ))
    if data.training:
        charts.append(Chart(
            "training_by_geography.png", "Training completion and phishing click rate by geography",
            f"Training completion and phishing click rate for {len(data.training)} geographies",
            "training",
            training_chart(data.training, "Training and phishing by geography"),
        ))
    if data.error_budget:
        charts.append(Chart(
            "error_budget.png", "Error budget consumed",
            f"Error budget consumed for {len(data.error_budget)} dimensions",
            "error_budget",
            error_budget_chart(data.error_budget, "Error budget consumed"),
        ))
    return charts
