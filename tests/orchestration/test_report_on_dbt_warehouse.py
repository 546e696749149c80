"""The monthly report on a warehouse that `dbt build` made from a small landing zone.

The landing zone is the pipeline test's (tests/orchestration/landing; its values are
derived there). It is ingested and built with as_of 2026-10-02 03:00 UTC, the moment
of the schedule's run: September has ended, October is in progress. The fast report
tests (test_report.py) use a hand-filled warehouse (report_fixture.py); the first
test here proves its tables have the columns and types dbt builds, so the two cannot
drift apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from report_fixture import build_fixture_warehouse
from report_html import parse_report

from ingest.load import ingest_landing
from ingest.warehouse import open_warehouse
from orchestration.run_summary import print_headline
from publish.report import REPORT_TABLES, render_monthly_report

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
FIXTURE_LANDING = Path(__file__).parent / "landing"
# the 2nd of the month at 03:00 UTC: when the schedule judges the month before
AS_OF = datetime(2026, 10, 2, 3, 0, tzinfo=timezone.utc)

_COLUMNS = """
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'metrics' ORDER BY table_name, ordinal_position
"""


def _schema(warehouse: Path) -> dict[str, list[tuple[str, str]]]:
    with open_warehouse(warehouse, read_only=True) as con:
        rows = con.execute(_COLUMNS).fetchall()
    schema: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        schema.setdefault(table, []).append((column, data_type))
    return schema


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report_dbt")
    warehouse = base / "warehouse.duckdb"
    with open_warehouse(warehouse) as con:
        ingest_landing(con, FIXTURE_LANDING, now=AS_OF)
    # dbt in its own process, as the pipeline runs it: in-process, dbt-duckdb keeps the file open
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build",
         "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(base / "target"), "--log-path", str(base / "logs"),
         "--vars", json.dumps({"as_of": AS_OF.isoformat()}),
         # the unit tests check definitions on their own rows, not this warehouse
         "--exclude-resource-type", "unit_test"],
        env={**os.environ, "SECOPS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )
    if result.returncode != 0:
        pytest.fail("dbt build failed:\n" + result.stdout[-6000:] + result.stderr[-3000:])
    return warehouse


@pytest.fixture(scope="module")
def reports(built_warehouse):
    folder = built_warehouse.parent / "reports"
    rendered = {}
    for month in ("2026-09", "2026-10"):
        result = render_monthly_report(built_warehouse, folder, month, generated_at=AS_OF)
        rendered[month] = (result, parse_report(result.html_path.read_text(encoding="utf-8")))
    return rendered


def test_the_hand_filled_fixture_has_the_schema_dbt_builds(built_warehouse, tmp_path):
    built = _schema(built_warehouse)
    fixture = _schema(build_fixture_warehouse(tmp_path / "fixture.duckdb"))
    assert set(REPORT_TABLES) <= set(built)
    for table in REPORT_TABLES:
        assert fixture.get(table) == built[table], table
