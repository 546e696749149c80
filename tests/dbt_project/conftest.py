"""Build the dbt project once per session against a small warehouse in tmp.

The raw tables are created with ingest.warehouse.ensure_schema and filled with a
hand-made fixture (dbt_fixture_rows.RAW_ROWS); then `dbt build` runs once with a fixed
as_of, its target and logs in tmp so parallel runs don't clash.
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


@pytest.fixture(scope="session")
def dbt_warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dbt_project")
    warehouse = tmp / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        ensure_schema(con)
        for table, rows in RAW_ROWS.items():
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
            "--vars", json.dumps({"as_of": AS_OF}),
        ],
        env,
    )
    if result.returncode != 0:
        pytest.fail("dbt build failed:\n" + result.stdout[-8000:] + result.stderr[-4000:])
    return warehouse


@pytest.fixture(scope="session")
def query(dbt_warehouse):
    """Run a query on the built warehouse; returns a list of dicts."""

    def run(sql: str, params: list | None = None) -> list[dict]:
        con = connect(dbt_warehouse, read_only=True)
        try:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, values)) for values in cursor.fetchall()]
        finally:
            con.close()

    return run
