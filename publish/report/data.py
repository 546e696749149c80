"""What the monthly report reads: the `metrics.*` rows of one month (and the charts' history).

Every query is a constant string with `?` parameters; no value ever becomes SQL text.
A table that is not in the warehouse yet is reported as missing, and its section says
so, instead of failing the whole report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

# Every table the report reads, in the order of its sections.
REPORT_TABLES = (
    "opex_scorecard",
    "security_slo_monthly",
    "incident_response_monthly",
    "control_chart_monthly",
    "dpmo_monthly",
    "defect_pareto_monthly",
    "training_monthly",
    "error_budget_monthly",
    "action_items",
)

# Months of history a control chart shows, the report's month included.
HISTORY_MONTHS = 24

GEOGRAPHY_ORDER = ("AMER", "EMEA", "APAC", "UNKNOWN", "ALL")

_EXISTING_TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_schema IN ('metrics', 'reference')
"""

_QUERIES = {
    # The month's row, its ISO weeks (a week belongs to the month of its Thursday, so each
    # week is in one report) and its quarter's row.
    "opex_scorecard": """
        SELECT metric, period, period_start, target, comparator, actual, status, period_complete, as_of
        FROM metrics.opex_scorecard
        WHERE (period = 'month' AND period_start = ?)
           OR (period = 'week' AND period_start + INTERVAL 3 DAY >= ? AND period_start + INTERVAL 3 DAY < ?)
           OR (period = 'quarter' AND period_start = ?)
        ORDER BY metric,
                 CASE period WHEN 'month' THEN 1 WHEN 'week' THEN 2 ELSE 3 END,
                 period_start
    """,
    "security_slo_monthly": """
        SELECT slo_id, description, target, comparator, actual, numerator, denominator, status, period_complete, as_of
        FROM metrics.security_slo_monthly
        WHERE month = ?
        ORDER BY slo_id
    """,
    "incident_response_monthly": """
        SELECT severity, geography, incidents, mttd_hours, mttd_median_hours, mttd_p90_hours,
               mttr_hours, mttr_median_hours, mttr_p90_hours, resolved_incidents,
               change_induced_incidents, period_complete, as_of
        FROM metrics.incident_response_monthly
        WHERE month = ? AND geography = 'ALL'
        ORDER BY severity = 'ALL' DESC, severity
    """,
    "control_chart_monthly": """
        SELECT month, process, chart, value, n, center, ucl, lcl, sigma,
               rule_1, rule_2, rule_3, rule_4, special_cause, period_complete, as_of
        FROM metrics.control_chart_monthly
        WHERE month > ? AND month <= ?
        ORDER BY chart, process = 'all', process, month
    """,
    "dpmo_monthly": """
        SELECT process, units, opportunities_per_unit, opportunities, defects, dpmo, sigma_level, period_complete, as_of
        FROM metrics.dpmo_monthly
        WHERE month = ?
        ORDER BY process = 'all', process
    """,
    "defect_pareto_monthly": """
        SELECT dimension, category, defects, share, cumulative_share, rank, vital_few, period_complete, as_of
        FROM metrics.defect_pareto_monthly
        WHERE month = ?
        ORDER BY dimension, rank, category
    """,
    "training_monthly": """
        SELECT geography, assignments_due, completed_on_time, completion_rate, phishing_delivered,
               phishing_clicked, click_rate, phishing_reported, report_rate, period_complete, as_of
        FROM metrics.training_monthly
        WHERE month = ?
    """,
    "error_budget_monthly": """
        SELECT dimension, objective, allowed, consumed, remaining, consumed_fraction, status,
               elapsed_fraction, burn_rate, projected_consumed_fraction, period_complete, as_of
        FROM metrics.error_budget_monthly
        WHERE month = ?
    """,
    # The items open at the table's as_of: not a monthly table, the report shows it as it is.
    "action_items": """
        SELECT category, subject, owner, since, due_at, details, as_of
        FROM metrics.action_items
        ORDER BY category, due_at NULLS LAST, since NULLS LAST, subject
    """,
}

_METRIC_UNITS = "SELECT metric_id, unit FROM reference.metric_targets"

_ERROR_BUDGET_ORDER = ("availability", "security_incident", "vulnerability_debt", "compliance_drift")


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_month(month: date) -> date:
    return _add_months(month, 1)


def quarter_start(month: date) -> date:
    return date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def parse_month(value: str | date | datetime) -> date:
    """A month as its first day, from `YYYY-MM`, `YYYY-MM-DD` (a partition key) or a date."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    text = value.strip()
    try:
        parsed = datetime.strptime(text, "%Y-%m-%d" if len(text) > 7 else "%Y-%m").date()
    except ValueError as error:
        raise ValueError(f"month {value!r} is neither YYYY-MM nor YYYY-MM-DD") from error
    return parsed.replace(day=1)


@dataclass
class ReportData:
    month: date
    missing_tables: list[str] = field(default_factory=list)
    scorecard: list[dict[str, Any]] = field(default_factory=list)
    slos: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    # process -> the p-chart's months up to the report month (oldest first)
    p_charts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # the MTTD individuals chart's months up to the report month (oldest first)
    xmr_mttd: list[dict[str, Any]] = field(default_factory=list)
    dpmo: list[dict[str, Any]] = field(default_factory=list)
    # dimension ('process', 'root_cause') -> categories by rank
    pareto: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    training: list[dict[str, Any]] = field(default_factory=list)
    error_budget: list[dict[str, Any]] = field(default_factory=list)
    action_items: list[dict[str, Any]] = field(default_factory=list)
    # metric_id -> unit ('fraction', 'hours', 'count', 'dpmo') from reference.metric_targets
    metric_units: dict[str, str] = field(default_factory=dict)

    def month_rows(self) -> int:
        """Rows of the report month itself: not the charts' earlier months, the quarter's
        scorecard rows (every month of the quarter shows them) or the action items."""
        chart_rows = sum(1 for rows in self.p_charts.values() for r in rows if r["month"] == self.month)
        chart_rows += sum(1 for r in self.xmr_mttd if r["month"] == self.month)
        return (
            sum(1 for r in self.scorecard if r["period"] != "quarter") + len(self.slos) + len(self.incidents) + len(self.dpmo)
            + sum(len(rows) for rows in self.pareto.values()) + len(self.training)
            + len(self.error_budget) + chart_rows
        )

    def as_of_values(self) -> list[datetime]:
        """The evaluation times of the month's rows (a table can mix them: README, partitions)."""
        rows = [*self.scorecard, *self.slos, *self.incidents, *self.dpmo, *self.training, *self.error_budget]
        rows += [r for rows in self.pareto.values() for r in rows]
        rows += [r for rows in self.p_charts.values() for r in rows if r["month"] == self.month]
        rows += [r for r in self.xmr_mttd if r["month"] == self.month]
        return sorted({r["as_of"] for r in rows if r.get("as_of") is not None})

    def month_complete(self) -> bool | None:
        """Whether the report month had ended at the as_of of its rows (METRICS.md
        `period_complete`): False when any of its rows was evaluated while the month was in
        progress, None without rows. The quarter's and weeks' scorecard rows are left out:
        their periods end on other days."""
        rows = [r for r in self.scorecard if r["period"] == "month"]
        rows += [*self.slos, *self.incidents, *self.dpmo, *self.training, *self.error_budget]
        rows += [r for rows in self.pareto.values() for r in rows]
        flags = [r["period_complete"] for r in rows if r.get("period_complete") is not None]
        return all(flags) if flags else None

    def action_items_as_of(self) -> list[datetime]:
        return sorted({r["as_of"] for r in self.action_items if r.get("as_of") is not None})


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _as_date(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def load_report_data(con: duckdb.DuckDBPyConnection, month: str | date) -> ReportData:
    """Read every table the report shows, for `month` (its first day, or YYYY-MM)."""
    month = parse_month(month)
    data = ReportData(month=month)
    existing = {(schema, name) for schema, name in con.execute(_EXISTING_TABLES).fetchall()}
    data.missing_tables = [t for t in REPORT_TABLES if ("metrics", t) not in existing]
    present = set(REPORT_TABLES) - set(data.missing_tables)

    if ("reference", "metric_targets") in existing:
        data.metric_units = {m: u for m, u in con.execute(_METRIC_UNITS).fetchall() if m and u}

    if "opex_scorecard" in present:
        data.scorecard = _rows(
            con, _QUERIES["opex_scorecard"], [month, month, next_month(month), quarter_start(month)]
        )
        for row in data.scorecard:
            row["period_start"] = _as_date(row["period_start"])
    if "security_slo_monthly" in present:
        data.slos = _rows(con, _QUERIES["security_slo_monthly"], [month])
    if "incident_response_monthly" in present:
        data.incidents = _rows(con, _QUERIES["incident_response_monthly"], [month])
    if "control_chart_monthly" in present:
        history_start = _add_months(month, -HISTORY_MONTHS)
        for row in _rows(con, _QUERIES["control_chart_monthly"], [history_start, month]):
            row["month"] = _as_date(row["month"])
            if row["chart"] == "XmR" and row["process"] == "mttd":
                data.xmr_mttd.append(row)
            elif row["chart"] == "p":
                data.p_charts.setdefault(row["process"], []).append(row)
    if "dpmo_monthly" in present:
        data.dpmo = _rows(con, _QUERIES["dpmo_monthly"], [month])
    if "defect_pareto_monthly" in present:
        for row in _rows(con, _QUERIES["defect_pareto_monthly"], [month]):
            data.pareto.setdefault(row["dimension"], []).append(row)
    if "training_monthly" in present:
        rows = _rows(con, _QUERIES["training_monthly"], [month])
        order = {g: i for i, g in enumerate(GEOGRAPHY_ORDER)}
        data.training = sorted(rows, key=lambda r: (order.get(r["geography"], len(order) - 1.5), r["geography"]))
    if "error_budget_monthly" in present:
        rows = _rows(con, _QUERIES["error_budget_monthly"], [month])
        order = {d: i for i, d in enumerate(_ERROR_BUDGET_ORDER)}
        data.error_budget = sorted(rows, key=lambda r: (order.get(r["dimension"], len(order)), r["dimension"]))
    if "action_items" in present:
        data.action_items = _rows(con, _QUERIES["action_items"], [])
    return data
