"""Breached SLOs of closed months, told once to the teams owners.yaml names for them.

A row of metrics.security_slo_monthly or metrics.error_budget_monthly with status `breached`
for a closed month (its month before the month of the row's own as_of: the period was over
when it was evaluated) goes to the teams of `slo_notifications` in owners.yaml, and for a
security SLO also to the executives, by the alert channels (publish.alerts: e-mail and
webhook, contacts from the environment). Each team is told each (SLO, month, status) once:
a rerun that publishes the same breach sends nothing; a recompute that turns a breach told
into anything else (met, no_data, pending) sends a correction, and a later breach again is
told again. `pending` or an open month is never told as a breach.

What was told is kept in ingest.slo_notifications (one row per team, channel and message; a
channel without a destination counts as told, a failed delivery is retried on the next run);
every delivery is also in ingest.alert_deliveries like any alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ingest.warehouse import open_warehouse
from publish.alerts import Alert, deliver_alerts, load_settings

LOGGER = logging.getLogger("secops.alerts")

BREACHED, RECOVERED = "breached", "recovered"

# section -> (table, column naming the SLO, value, target, comparator, numerator, denominator)
SOURCES = {
    "security_slo": (
        "metrics.security_slo_monthly", "slo_id",
        "actual", "target", "comparator", "numerator", "denominator",
    ),
    # an error budget is breached when more than all of it is used: consumed / allowed > 1
    "error_budget": (
        "metrics.error_budget_monthly", "dimension",
        "consumed_fraction", "CAST(1 AS DOUBLE)", "'<='", "consumed", "allowed",
    ),
}

NOTIFICATIONS_DDL = """
CREATE TABLE IF NOT EXISTS ingest.slo_notifications (
  section VARCHAR NOT NULL,        -- security_slo | error_budget
  name VARCHAR NOT NULL,           -- slo_id or dimension
  month DATE NOT NULL,
  notified VARCHAR NOT NULL,       -- breached | recovered (a correction)
  status VARCHAR NOT NULL,         -- the status published when told
  team VARCHAR NOT NULL,
  channel VARCHAR NOT NULL,        -- email | webhook
  delivery VARCHAR NOT NULL,       -- sent | not_configured (no destination: nothing to retry)
  run_id VARCHAR NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL
)
"""


@dataclass(frozen=True)
class SloRow:
    section: str
    name: str
    month: date
    status: str
    value: float | None
    target: float | None
    comparator: str | None
    numerator: float | None
    denominator: float | None
    as_of: datetime

    @property
    def closed(self) -> bool:
        """The month was over at the row's evaluation time (judged here, with or without a
        `period_complete` column in the table)."""
        as_of = self.as_of.astimezone(timezone.utc)
        return self.month < date(as_of.year, as_of.month, 1)

    @property
    def key(self) -> str:
        return f"{self.section}/{self.name}/{self.month:%Y-%m}"


def _float(value) -> float | None:
    return None if value is None else float(value)


def _table_exists(con, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()[0])


def read_rows(con, months: tuple[str, str] | None = None) -> list[SloRow]:
    """The SLO and error-budget rows of the months given (partition keys, inclusive), or of every month."""
    rows: list[SloRow] = []
    for section, (table, name, value, target, comparator, numerator, denominator) in SOURCES.items():
        if not _table_exists(con, table):
            continue
        where, params = ("WHERE month BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)", list(months)) if months else ("", [])
        found = con.execute(
            f"SELECT {name}, CAST(month AS DATE), status, {value}, {target}, {comparator}, {numerator}, {denominator}, "
            "CAST(as_of AS TIMESTAMPTZ) "
            f"FROM {table} {where} ORDER BY month, {name}",
            params,
        ).fetchall()
        for slo, month, status, *numbers, as_of in found:
            value, target, comparator, numerator, denominator = numbers
            rows.append(SloRow(section, slo, month, status, _float(value), _float(target), comparator,
                               _float(numerator), _float(denominator), as_of))
    return rows


def _last_told(con, row: SloRow, team: str) -> str | None:
    found = con.execute(
        "SELECT notified FROM ingest.slo_notifications WHERE section = ? AND name = ? AND month = ? AND team = ? "
        "ORDER BY sent_at DESC, rowid DESC LIMIT 1",
        [row.section, row.name, row.month, team],
    ).fetchone()
    return found[0] if found else None


def recipients(row: SloRow) -> list[str]:
    from orchestration.owners import executive_owners, slo_owners

    teams = slo_owners(row.section, row.name)
    if row.section == "security_slo":
        teams += executive_owners()
    return list(dict.fromkeys(teams))


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6g}"


def _message(row: SloRow, told: str, run_id: str, team: str, report: Path) -> Alert:
    what = "SLO" if row.section == "security_slo" else "Error budget"
    target = f"{row.comparator} {_number(row.target)}"
    if told == BREACHED:
        title = f"[secops {what} breached] {row.name} {row.month:%Y-%m}: {_number(row.value)} (target {target})"
        summary = f"{row.name} was breached in {row.month:%Y-%m}, a closed month."
    else:
        title = f"[secops {what} correction] {row.name} {row.month:%Y-%m} is no longer breached: {row.status}"
        summary = (
            f"Correction: the breach of {row.name} in {row.month:%Y-%m} told earlier no longer holds; "
            f"recomputed at {row.as_of.isoformat()} it is {row.status}."
        )
    facts = [
        (what if row.section == "security_slo" else "Dimension", row.name),
        ("Month", f"{row.month:%Y-%m}"),
        ("Status", row.status),
        ("Value", _number(row.value)),
        ("Target", target),
        ("Numerator", _number(row.numerator)),
        ("Denominator", _number(row.denominator)),
        ("Evaluated at", row.as_of.isoformat()),
        ("Run", run_id),
    ]
    table = SOURCES[row.section][0]
    return Alert(
        run_id=run_id,
        asset=table.replace(".", "/"),
        check_name=f"{told}:{row.name}:{row.month:%Y-%m}",
        severity="ERROR" if told == BREACHED else "WARN",
        owners=(team,),
        summary=summary,
        link=str(report),
        title_text=title,
        facts=tuple(facts),
    )


@dataclass(frozen=True)
class Notice:
    key: str
    team: str
    told: str           # breached | recovered
    channel: str
    status: str         # delivery outcome: sent | failed | not_configured


def notify_slo_breaches(
    warehouse: Path,
    run_id: str,
    reports: Path,
    months: tuple[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> list[Notice]:
    """Tell the breaches (and corrections) of the months given; returns what was attempted."""
    now = now or datetime.now(timezone.utc)
    with open_warehouse(warehouse) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
        con.execute(NOTIFICATIONS_DDL)
        pending: list[tuple[SloRow, str, str]] = []
        for row in read_rows(con, months):
            breached = row.status == BREACHED and row.closed
            for team in recipients(row):
                last = _last_told(con, row, team)
                told = BREACHED if breached else (RECOVERED if last == BREACHED else None)
                if told is not None and told != last:
                    pending.append((row, team, told))
    # Repeats are decided above, per SLO, month, status and team; the alerts' own
    # time-window suppression would also hold back a correction followed by a new breach.
    settings = replace(load_settings(), suppress_interval=timedelta(0))
    notices: list[Notice] = []
    for row, team, told in pending:
        report = reports / f"{row.month:%Y-%m}" / "report.html"
        outcomes = deliver_alerts(warehouse, [_message(row, told, run_id, team, report)], now=now, settings=settings)
        with open_warehouse(warehouse) as con:
            for outcome in outcomes:
                notices.append(Notice(row.key, team, told, outcome.channel, outcome.status))
                # a failed delivery is tried again on the next run; a channel without a
                # destination is not (the team hears of the next change once it has one)
                if outcome.status in ("sent", "not_configured"):
                    con.execute(
                        "INSERT INTO ingest.slo_notifications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [row.section, row.name, row.month, told, row.status, team, outcome.channel,
                         outcome.status, run_id, now],
                    )
    return notices
