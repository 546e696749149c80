"""Run a suite against a DuckDB relation with Great Expectations, and say it in Dagster's terms.

GX 1.x has no DuckDB dialect of its own; it reaches DuckDB through SQLAlchemy
(duckdb-engine), so every expectation is computed by SQL aggregation inside DuckDB
and no table is loaded whole into pandas: memory stays that of the query, whatever
the row count. Two adjustments make that path correct:

- one connection: GX's SQL engine opens a connection per query and fetches after
  closing it, which loses the rows on DuckDB; like GX does for SQLite, the engine
  keeps one connection for all its queries (`_one_connection`);
- our connection: that connection is a cursor of the caller's DuckDB connection, so
  GX reads the warehouse file the run already holds (DuckDB has one writer per file)
  and sees the DuckDB variable `secops_as_of` the suites' queries filter on.

GX is imported on first use only: its import takes seconds.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from expectations.config import CheckConfig, load_config
from expectations.spec import DIMENSIONS, Suite, SuiteContext

log = logging.getLogger("secops.expectations")


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation of one suite, as measured in one run."""

    suite: str
    asset_key: tuple[str, ...]
    dimension: str
    expectation: str
    column: str
    success: bool
    severity: str | None  # None when it passed; else WARN or ERROR
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample_values: tuple[str, ...] = ()
    observed_value: str | None = None
    threshold: str = ""
    error: str | None = None

    @property
    def asset_path(self) -> str:
        return "/".join(self.asset_key)

    @property
    def blocking(self) -> bool:
        return self.severity == "ERROR"

    def describe(self) -> str:
        measured = (
            f"{self.unexpected_count} of {self.element_count} rows ({self.unexpected_percent:.2f} %)"
            if self.unexpected_count is not None and self.element_count
            else f"observed {self.observed_value}" if self.observed_value is not None
            else self.error or "failed"
        )
        return f"{self.expectation}({self.column}): {measured}; expected {self.threshold}"


@functools.cache
def _great_expectations():
    import great_expectations as gx
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

    original = engine_module.SqlAlchemyExecutionEngine.get_connection

    @contextlib.contextmanager
    def _one_connection(self):
        if self.engine.dialect.name != "duckdb":
            with original(self) as connection:
                yield connection
            return
        if not getattr(self, "_connection", None):
            self._connection = self.engine.connect()
        yield self._connection

    engine_module.SqlAlchemyExecutionEngine.get_connection = _one_connection
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _context(gx, cursor: duckdb.DuckDBPyConnection):
    from duckdb_engine import ConnectionWrapper
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from sqlalchemy.pool import StaticPool

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_sql(
        name="warehouse",
        connection_string="duckdb:///:memory:",  # never opened: the creator hands over our cursor
        kwargs={
            "creator": lambda: ConnectionWrapper(cursor),
            "poolclass": StaticPool,
            # the cursor is ours to close; the pool must not roll it back afterwards
            "pool_reset_on_return": None,
        },
    )
    return context, datasource


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".", 1)
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _columns_of(kwargs: dict) -> str:
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return str(kwargs.get("column", ""))


def _threshold_of(expectation_type: str, kwargs: dict) -> str:
    shown = {
        k: v for k, v in kwargs.items()
        if k not in ("column", "column_list", "column_A", "column_B", "batch_id", "result_format")
        and v is not None
    }
    if expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        shown.pop("ignore_row_if", None)
        sign = ">=" if shown.pop("or_equal", False) else ">"
        rest = f" ({json.dumps(shown, default=str)})" if shown else ""
        return f"{kwargs['column_A']} {sign} {kwargs['column_B']}{rest}"
    return json.dumps(shown, default=str, sort_keys=True)


def _sample_text(value: Any) -> str:
    """A sampled offending value as people read it (a pair of columns as 'a / b')."""
    if isinstance(value, (list, tuple)):
        return " / ".join(_sample_text(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _severity(rule: str, success: bool, share: float | None, config: CheckConfig) -> str | None:
    if success:
        return None
    if rule == "error":
        return "ERROR"
    if rule == "stale":
        return config.stale_severity
    if rule == "warn":
        return "WARN"
    return "ERROR" if share is not None and share > config.error_share else "WARN"


def _exception_message(info: dict) -> str | None:
    """The message of an exception GX caught, if it caught one.

    GX reports it flat ({"raised_exception": ...}) or keyed by the metric that raised.
    """
    infos = [info, *(v for v in info.values() if isinstance(v, dict))]
    return next((str(i.get("exception_message")) for i in infos if i.get("raised_exception")), None)


def _outcome(suite: Suite, result: Any, config: CheckConfig) -> ExpectationOutcome:
    expectation = result.expectation_config
    kwargs = dict(expectation.kwargs)
    meta = expectation.meta or {}
    details = result.result or {}
    message = _exception_message(result.exception_info or {})
    raised = message is not None
    percent = details.get("unexpected_percent")
    share = None if percent is None else float(percent) / 100
    success = bool(result.success) and not raised
    severity = "ERROR" if raised else _severity(meta.get("severity", "share"), success, share, config)
    observed = details.get("observed_value")
    return ExpectationOutcome(
        suite=suite.name,
        asset_key=suite.asset_key,
        dimension=meta.get("dimension", "validity"),
        expectation=expectation.type,
        column=_columns_of(kwargs),
        success=success,
        severity=severity,
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=None if percent is None else float(percent),
        sample_values=tuple(_sample_text(v) for v in (details.get("partial_unexpected_list") or [])[: config.sample_values]),
        observed_value=None if observed is None else str(observed),
        threshold=_threshold_of(expectation.type, kwargs),
        error=message,
    )


def run_suites(
    con: duckdb.DuckDBPyConnection,
    suites: Sequence[Suite],
    as_of: datetime,
    config: CheckConfig | None = None,
) -> list[ExpectationOutcome]:
    """Validate each suite's query on `con`; one outcome per expectation (or per missing relation)."""
    config = config or load_config()
    gx = _great_expectations()
    ctx = SuiteContext(config=config, as_of=as_of)
    cursor = con.cursor()
    try:
        cursor.execute("SET VARIABLE secops_as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
        context, datasource = _context(gx, cursor)
        outcomes: list[ExpectationOutcome] = []
        for suite in suites:
            if not _relation_exists(cursor, suite.relation):
                outcomes.append(
                    ExpectationOutcome(
                        suite=suite.name, asset_key=suite.asset_key, dimension="completeness",
                        expectation="relation_exists", column="", success=False, severity="ERROR",
                        threshold=f"{suite.relation} exists", error=f"{suite.relation} does not exist",
                    )
                )
                continue
            batch = (
                datasource.add_query_asset(name=suite.name, query=suite.query)
                .add_batch_definition_whole_table("whole")
                .get_batch()
            )
            gx_suite = gx.ExpectationSuite(name=suite.name, expectations=suite.build(gx, ctx))
            validation = batch.validate(
                gx_suite,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": config.sample_values},
            )
            outcomes.extend(_outcome(suite, r, config) for r in validation.results)
        return outcomes
    finally:
        cursor.close()


@dataclass
class CheckVerdict:
    """The Dagster check of one dimension of one suite: its expectations together."""

    asset_key: tuple[str, ...]
    dimension: str
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def severity(self) -> str:
        return "ERROR" if any(o.severity == "ERROR" for o in self.failed) else "WARN"

    @property
    def summary(self) -> str:
        if self.passed:
            return f"{len(self.outcomes)} expectations met"
        return "; ".join(o.describe() for o in self.failed)


def verdicts(outcomes: Iterable[ExpectationOutcome]) -> list[CheckVerdict]:
    grouped: dict[tuple, CheckVerdict] = {}
    for outcome in outcomes:
        key = (outcome.asset_key, outcome.dimension)
        grouped.setdefault(key, CheckVerdict(outcome.asset_key, outcome.dimension)).outcomes.append(outcome)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return sorted(grouped.values(), key=lambda v: (v.asset_key, order[v.dimension]))


def check_result(verdict: CheckVerdict, error_share: float):
    """The verdict as a Dagster AssetCheckResult: measured values, thresholds, offending samples."""
    import dagster as dg

    rows = ["| expectation | column | unexpected | % | expected | sample |", "|---|---|---|---|---|---|"]
    for o in verdict.outcomes:
        unexpected = "" if o.unexpected_count is None else str(o.unexpected_count)
        percent = "" if o.unexpected_percent is None else f"{o.unexpected_percent:.2f}"
        sample = ", ".join(o.sample_values) or (o.observed_value or o.error or "")
        mark = "" if o.success else " **failed**"
        rows.append(
            f"| {o.expectation}{mark} | {o.column} | {unexpected} | {percent} | {o.threshold} | {sample} |".replace("\n", " ")
        )
    worst = max((o.unexpected_percent or 0.0 for o in verdict.failed), default=0.0)
    metadata = {
        "expectations": len(verdict.outcomes),
        "failed_expectations": len(verdict.failed),
        "unexpected_percent": float(worst),
        "error_share_threshold": float(error_share),
        "summary": verdict.summary,
        "results": dg.MetadataValue.md("\n".join(rows)),
    }
    samples = {o.expectation + f"({o.column})": list(o.sample_values) for o in verdict.failed if o.sample_values}
    if samples:
        metadata["sample_values"] = dg.MetadataValue.json(samples)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(verdict.asset_key)),
        check_name=verdict.dimension,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR if verdict.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=verdict.summary,
    )
