"""What a suite is: the relation it checks, its asset, and its expectations by dimension.

A suite's rows come from a fixed query over a dbt relation (never text from a file):
the raw entity as the metrics read it (staging, or the merged record for event
entities), limited to evidence at or before the run's as_of, which the adapter sets as
the DuckDB variable `secops_as_of`. Each expectation carries in its `meta`:

- `dimension`: completeness, validity, uniqueness, timeliness or consistency; one
  Dagster check per dimension of an asset, and the scores of data_quality_monthly;
- `severity`: how a failure counts: `share` (WARN up to config error_share of the
  rows, ERROR above), `stale` (config stale_severity), `warn` (always WARN: rows that
  are kept and counted, not excluded, like an unresolved geography), or `error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from expectations.config import CheckConfig

DIMENSIONS = ("completeness", "validity", "uniqueness", "timeliness", "consistency")
SEVERITY_RULES = ("share", "stale", "warn", "error")


@dataclass(frozen=True)
class SuiteContext:
    config: CheckConfig
    as_of: datetime


@dataclass(frozen=True)
class Suite:
    name: str
    asset_key: tuple[str, ...]
    relation: str  # schema.table the query reads; a missing one fails the suite (ERROR)
    query: str
    build: Callable[[Any, SuiteContext], list]  # (great_expectations module, context) -> expectations
    # Declared, so Dagster's check specs exist without importing GX; a test holds
    # them equal to the dimensions the built expectations carry.
    dimensions: tuple[str, ...] = ()
    description: str = ""
    # Other relations the query joins (so Dagster runs the suite after they are built).
    also_reads: tuple[str, ...] = ()

    @property
    def relations(self) -> tuple[str, ...]:
        return (self.relation, *self.also_reads)

    @property
    def asset_path(self) -> str:
        return "/".join(self.asset_key)


def expect(gx_class: Any, dimension: str, severity: str = "share", **kwargs: Any) -> Any:
    """One GX expectation with the dimension and severity rule it is judged by."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    if severity not in SEVERITY_RULES:
        raise ValueError(f"unknown severity rule {severity!r}")
    return gx_class(meta={"dimension": dimension, "severity": severity}, **kwargs)


def as_of_query(relation: str, time_column: str, columns: str = "*") -> str:
    """Rows of `relation` with their time at or before as_of (or no time at all)."""
    return (
        f"select {columns} from {relation} "
        f"where {time_column} is null or {time_column} <= getvariable('secops_as_of')"
    )
