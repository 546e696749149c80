"""Build the dbt project once per session against a small warehouse in tmp.

The raw tables are created with ingest.warehouse.ensure_schema and filled with a
hand-made fixture (dbt_fixture_rows.RAW_ROWS); then `dbt build` runs once with a fixed
as_of, its target and logs in tmp so parallel runs don't clash. The finding lifecycle has
its own fixture (dbt_findings_rows.RAW_ROWS, `findings_query`), built once per session with
only the findings models selected, so its scans don't change the months the other tests see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.warehouse import connect, ensure_schema

from dbt_fixture_rows import AS_OF, RAW_ROWS

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
LOADED_AT = datetime(2024, 5, 15, 6, 0, tzinfo=timezone.utc)


def _insert_raw(con, table: str, rows: list[dict]) -> None:
    row_numbers: dict[str, int] = {}
    for row in rows:
        row = dict(row)
        source_file = row.setdefault("_source_file", f"{table}/fixture.csv")
        row_numbers[source_file] = row_numbers.get(source_file, 0) + 1
        row.setdefault("_source_sha256", f"sha-{source_file}")
        row.setdefault("_source_row", row_numbers[source_file])
        row.setdefault("_loaded_at", LOADED_AT)
        row.setdefault("_naive_timestamps", 0)
        row.setdefault("_withdrawn", False)
        columns = list(row)
        placeholders = ", ".join("?" for _ in columns)
        con.execute(
            f"INSERT INTO raw.{table} ({', '.join(columns)}) VALUES ({placeholders})",
            [row[c] for c in columns],
        )


def _dbt(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    # dbt's own CLI entry point, in this interpreter (the project's venv).
    cmd = [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=REPO)


def build_warehouse(tmp: Path, raw_rows: dict[str, list[dict]], as_of: str,
                    select: list[str] | None = None) -> Path:
    """A warehouse in `tmp` with the raw rows loaded and `dbt build` run once (optionally --select)."""
    warehouse = tmp / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        ensure_schema(con)
        for table, rows in raw_rows.items():
            _insert_raw(con, table, rows)
    finally:
        con.close()

    env = {
        **os.environ,
        "SECOPS_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    result = _dbt(
        [
            "build",
            "--project-dir", str(DBT_PROJECT),
            "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(tmp / "target"),
            "--log-path", str(tmp / "logs"),
            "--vars", json.dumps({"as_of": as_of}),
            *(["--select", *select] if select else []),
        ],
        env,
    )
    if result.returncode != 0:
        pytest.fail("dbt build failed:\n" + result.stdout[-8000:] + result.stderr[-4000:])
    return warehouse


def query_runner(warehouse: Path):
    """Run a query on a built warehouse; returns a list of dicts."""

    def run(sql: str, params: list | None = None) -> list[dict]:
        con = connect(warehouse, read_only=True)
        try:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, values)) for values in cursor.fetchall()]
        finally:
            con.close()

    return run


@pytest.fixture(scope="session")
def dbt_warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("dbt_project"), RAW_ROWS, AS_OF)


@pytest.fixture(scope="session")
def query(dbt_warehouse):
    """Run a query on the built warehouse; returns a list of dicts."""
    return query_runner(dbt_warehouse)


@pytest.fixture(scope="session")
def findings_query(tmp_path_factory):
    """The finding lifecycle fixture (dbt_findings_rows.py): its own small warehouse, built
    once per session with only the findings models and their parents selected."""
    from dbt_findings_rows import AS_OF as FINDINGS_AS_OF, RAW_ROWS as FINDINGS_RAW_ROWS

    warehouse = build_warehouse(
        tmp_path_factory.mktemp("dbt_findings"), FINDINGS_RAW_ROWS, FINDINGS_AS_OF,
        select=["+path:models/intermediate/findings"],
    )
    return query_runner(warehouse)
