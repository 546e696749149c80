"""Validation results kept for BI: `data_quality.validation_results`, one row per expectation per run.

The schema `data_quality` is the checks' own: results of every run (never rewritten),
read by metrics.data_quality_monthly and the HTML report of the latest validations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import duckdb

from expectations.adapter import ExpectationOutcome

_DDL = """
CREATE SCHEMA IF NOT EXISTS data_quality;
CREATE TABLE IF NOT EXISTS data_quality.validation_results (
    run_id VARCHAR NOT NULL,
    validated_at TIMESTAMPTZ NOT NULL,
    as_of TIMESTAMPTZ NOT NULL,
    suite VARCHAR NOT NULL,
    asset_key VARCHAR NOT NULL,
    family VARCHAR,
    entity VARCHAR,
    check_name VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    column_name VARCHAR,
    success BOOLEAN NOT NULL,
    element_count BIGINT,
    unexpected_count BIGINT,
    unexpected_percent DOUBLE,
    sample_values VARCHAR,
    observed_value VARCHAR,
    threshold VARCHAR,
    severity VARCHAR,
    blocking BOOLEAN NOT NULL,
    error VARCHAR
);
"""

COLUMNS = (
    "run_id", "validated_at", "as_of", "suite", "asset_key", "family", "entity", "check_name",
    "expectation", "column_name", "success", "element_count", "unexpected_count",
    "unexpected_percent", "sample_values", "observed_value", "threshold", "severity", "blocking", "error",
)


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL)


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    outcomes: Iterable[ExpectationOutcome],
    *,
    run_id: str,
    as_of: datetime,
    validated_at: datetime,
) -> int:
    """Append the outcomes of one run (replacing that run's rows for the same suites)."""
    ensure_results_table(con)
    rows = []
    for o in outcomes:
        raw = o.asset_key[0] != "metrics" and len(o.asset_key) == 2
        rows.append((
            run_id, validated_at, as_of, o.suite, o.asset_path,
            o.asset_key[0] if raw else None, o.asset_key[1] if raw else None,
            o.dimension, o.expectation, o.column, o.success, o.element_count, o.unexpected_count,
            o.unexpected_percent, json.dumps(list(o.sample_values)), o.observed_value, o.threshold,
            o.severity, o.blocking, o.error,
        ))
    suites = sorted({r[3] for r in rows})
    con.execute("BEGIN")
    try:
        con.execute(
            "DELETE FROM data_quality.validation_results WHERE run_id = ? AND list_contains(?, suite)",
            [run_id, suites],
        )
        if rows:
            placeholders = ", ".join("?" for _ in COLUMNS)
            con.executemany(
                f"INSERT INTO data_quality.validation_results ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                rows,
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def blocked_families(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, list[str]]:
    """Families with a blocking (ERROR) failure in this run, with the failed checks that block them.

    A failed file (unreadable, broken schema; ingest.file_manifest status 'failed') blocks
    its family as well: it is retried on every run until it is fixed or removed.
    """
    ensure_results_table(con)
    rows = con.execute(
        """
        SELECT family, asset_key || ' ' || check_name || ': ' || expectation AS reason
        FROM data_quality.validation_results
        WHERE run_id = ? AND blocking AND family IS NOT NULL
        UNION ALL
        SELECT family, 'file ' || file || ' failed: ' || coalesce(error, 'unreadable') AS reason
        FROM ingest.file_manifest
        WHERE status = 'failed' AND withdrawn_at IS NULL
        ORDER BY 1, 2
        """,
        [run_id],
    ).fetchall()
    blocked: dict[str, list[str]] = {}
    for family, reason in rows:
        blocked.setdefault(family, []).append(reason)
    return blocked


def run_outcomes(con: duckdb.DuckDBPyConnection, run_id: str) -> list[ExpectationOutcome]:
    """The outcomes recorded for a run, back as ExpectationOutcome (for the checks and alerts)."""
    ensure_results_table(con)
    rows = con.execute(
        """
        SELECT suite, asset_key, check_name, expectation, column_name, success, severity,
               element_count, unexpected_count, unexpected_percent, sample_values,
               observed_value, threshold, error
        FROM data_quality.validation_results
        WHERE run_id = ?
        ORDER BY suite, check_name, expectation, column_name
        """,
        [run_id],
    ).fetchall()
    return [
        ExpectationOutcome(
            suite=r[0], asset_key=tuple(r[1].split("/")), dimension=r[2], expectation=r[3],
            column=r[4] or "", success=r[5], severity=r[6], element_count=r[7],
            unexpected_count=r[8], unexpected_percent=r[9],
            sample_values=tuple(json.loads(r[10] or "[]")), observed_value=r[11],
            threshold=r[12] or "", error=r[13],
        )
        for r in rows
    ]
