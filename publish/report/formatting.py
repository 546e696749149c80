"""Numbers as people read them: rates in percent, durations in hours, DPMO with thousands separators.

Every function takes None (a NULL in the warehouse: a ratio without a denominator, a
month without data) and returns "n/a".
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

NA = "n/a"

# pending: in a period still in progress, the evidence has not arrived yet (METRICS.md "Conventions")
STATUS_LABELS = {"met": "met", "breached": "breached", "pending": "pending", "no_data": "no data"}
STATUS_SYMBOLS = {"met": "\u2714", "breached": "\u2716", "pending": "\u2026", "no_data": "\u2013"}

# Units of the metrics the report shows, as in the seed reference.metric_targets (which,
# when the warehouse has it, takes precedence); anything else is guessed from its name.
DEFAULT_UNITS = {
    "critical_patch_24h": "fraction",
    "privileged_mfa": "fraction",
    "expired_certs_production": "count",
    "backup_restore_test": "fraction",
    "p1_detection_1h": "fraction",
    "mttd_hours": "hours",
    "mttr_hours": "hours",
    "change_induced_incidents": "count",
    "completion_rate": "fraction",
    "training_completion": "fraction",
    "click_rate": "fraction",
    "dpmo": "dpmo",
    "slo_compliance": "fraction",
    "dr_test_success": "fraction",
    "runbook_currency": "fraction",
    "global_delivery_audit": "fraction",
}


def unit_of(metric: str, units: dict[str, str] | None = None) -> str:
    if units and metric in units:
        return units[metric]
    if metric in DEFAULT_UNITS:
        return DEFAULT_UNITS[metric]
    name = metric.lower()
    if "dpmo" in name:
        return "dpmo"
    if name.endswith("_hours") or name.startswith(("mttd", "mttr")):
        return "hours"
    if "incidents" in name or name.endswith("_count") or name.startswith(("expired", "count")):
        return "count"
    return "fraction"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return NA
    return f"{value * 100:,.{digits}f} %"


def hours(value: float | None) -> str:
    return NA if value is None else f"{value:,.2f} h"


def minutes(value: float | None) -> str:
    return NA if value is None else f"{value:,.1f} min"


def count(value: float | int | None) -> str:
    if value is None:
        return NA
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def dpmo(value: float | None) -> str:
    """66,807 / 6,210 / 3.4: whole numbers with separators, one decimal below 100."""
    if value is None:
        return NA
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def sigma(value: float | None) -> str:
    return NA if value is None else f"{value:.2f} \u03c3"


def ratio(value: float | None) -> str:
    """A multiple (burn rate): 1.00x spends exactly the budget over the month."""
    return NA if value is None else f"{value:,.2f}\u00d7"


def by_unit(value: Any, unit: str) -> str:
    if unit == "fraction":
        return percent(value)
    if unit == "hours":
        return hours(value)
    if unit == "dpmo":
        return dpmo(value)
    if unit == "minutes":
        return minutes(value)
    return count(value)


def target(comparator: str | None, value: Any, unit: str) -> str:
    if value is None:
        return NA
    comparator = (comparator or "").replace(">=", "\u2265").replace("<=", "\u2264")
    return f"{comparator} {by_unit(value, unit)}".strip()


def fraction_of(numerator: Any, denominator: Any) -> str:
    if numerator is None and denominator is None:
        return NA
    return f"{count(numerator)} / {count(denominator)}"


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "no_data", status or "no data")


def status_symbol(status: str | None) -> str:
    return STATUS_SYMBOLS.get(status or "no_data", "?")


def status_class(status: str | None) -> str:
    return status if status in STATUS_LABELS else "other"


def period_text(period: str, period_complete: bool | None) -> str:
    """`month`, or `week (in progress)` for a period that had not ended at the row's as_of."""
    return f"{period} (in progress)" if period_complete is False else period


def month_label(value: date) -> str:
    return value.strftime("%Y-%m")


def month_title(value: date) -> str:
    return value.strftime("%B %Y")


def day(value: date | datetime | None) -> str:
    if value is None:
        return NA
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def instant(value: datetime | date | None) -> str:
    """A timestamp in UTC to the minute (`2026-10-15 00:00 UTC`)."""
    if value is None:
        return NA
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def flag(value: bool | None) -> str:
    return "yes" if value else "no"


def text(value: Any) -> str:
    return NA if value is None or value == "" else str(value)
