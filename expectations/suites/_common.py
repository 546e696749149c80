"""Expectations every raw entity shares: required fields present, and timeliness."""

from __future__ import annotations

from typing import Any

from expectations.spec import SuiteContext, expect


def required(gx: Any, *columns: str, severity: str = "share") -> list:
    """Fields the operational definitions cannot do without (a blank one is counted)."""
    return [
        expect(gx.expectations.ExpectColumnValuesToNotBeNull, "completeness", severity, column=c)
        for c in columns
    ]


def timeliness(gx: Any, ctx: SuiteContext, family: str, time_column: str, *, fresh: bool = True) -> list:
    """No record timestamped after it was loaded; the newest record no older than the cadence.

    Both are measured against stored times and the run's as_of (not the wall clock),
    so a rerun with the same files and as_of repeats its outcome.
    """
    rules = [
        expect(
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB,
            "timeliness",
            column_A="_loaded_at",
            column_B=time_column,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    ]
    window = ctx.config.freshness_window(family) if fresh else None
    if window is not None:
        rules.append(
            expect(
                gx.expectations.ExpectColumnMaxToBeBetween,
                "timeliness",
                severity="stale",
                column=time_column,
                min_value=(ctx.as_of - window).isoformat(),
                strict_min=False,
            )
        )
    return rules


def in_set(gx: Any, column: str, values: list, severity: str = "share", **kwargs: Any) -> Any:
    return expect(
        gx.expectations.ExpectColumnValuesToBeInSet, "validity", severity, column=column, value_set=values, **kwargs
    )


def ordered(gx: Any, later: str, earlier: str, dimension: str = "validity", severity: str = "share") -> Any:
    """`later` >= `earlier` wherever both are set (a time order, or a part within its whole)."""
    return expect(
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB,
        dimension,
        severity,
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def unique(gx: Any, *columns: str, severity: str = "share") -> Any:
    if len(columns) == 1:
        return expect(gx.expectations.ExpectColumnValuesToBeUnique, "uniqueness", severity, column=columns[0])
    return expect(
        gx.expectations.ExpectCompoundColumnsToBeUnique,
        "uniqueness",
        severity,
        column_list=list(columns),
        ignore_row_if="all_values_are_missing",
    )
