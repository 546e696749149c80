"""End to end through the `secops run` CLI, which executes the Dagster job in-process.

The fixture landing folder (tests/orchestration/landing) has one small export per
entity. Its security incidents detected in September 2026, at as_of 2026-10-15:

  i1 P1 AMER  detected 0.5 h after occurrence, resolved 2.0 h after detection
  i2 P2 EMEA  detected 1.5 h after occurrence, resolved 4.0 h after detection, change CHG-7
  i3 P3 AMER  detected 1.0 h after occurrence, still open
  i4 is an availability incident: not in the security population.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main

AS_OF = "2026-10-15T00:00:00Z"
FIXTURE_LANDING = Path(__file__).parent / "landing"

MONTHLY_COLUMNS = (
    "month, severity, geography, incidents, mttd_hours, mttd_median_hours, mttd_p90_hours, "
    "mttr_hours, mttr_median_hours, mttr_p90_hours, resolved_incidents, change_induced_incidents"
)


def _incident_response(warehouse: Path) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.sql(
            f"SELECT {MONTHLY_COLUMNS} FROM metrics.incident_response_monthly ORDER BY ALL"
        ).fetchall()


def _september_all(rows: list[tuple]) -> tuple:
    return next(r for r in rows if str(r[0]) == "2026-09-01" and r[1] == "ALL" and r[2] == "ALL")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, restore_environment):
    base = tmp_path_factory.mktemp("pipeline")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(FIXTURE_LANDING, landing)
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF])
    return code, landing, warehouse, _incident_response(warehouse)


def test_run_exits_zero_and_builds_incident_response(first_run):
    code, _, _, rows = first_run
    assert code == 0
    september = _september_all(rows)
    # MTTD over i1..i3: (0.5 + 1.5 + 1.0) / 3 = 1.0; median 1.0;
    # p90 (continuous): position 0.9 * (3 - 1) = 1.8 -> 1.0 + 0.8 * (1.5 - 1.0) = 1.4
    assert september[3] == 3
    assert september[4] == pytest.approx(1.0)
    assert september[5] == pytest.approx(1.0)
    assert september[6] == pytest.approx(1.4)
    # MTTR over the resolved i1, i2: (2 + 4) / 2 = 3.0; median 3.0; p90: 2 + 0.9 * (4 - 2) = 3.8
    assert september[7] == pytest.approx(3.0)
    assert september[8] == pytest.approx(3.0)
    assert september[9] == pytest.approx(3.8)
    assert september[10] == 2  # resolved
    assert september[11] == 1  # i2 carries change CHG-7


def test_every_metric_row_stores_the_run_as_of(first_run):
    _, _, warehouse, _ = first_run
    with open_warehouse(warehouse, read_only=True) as con:
        as_of_values = con.sql(
            "SELECT DISTINCT CAST(as_of AS VARCHAR) FROM metrics.incident_response_monthly"
        ).fetchall()
    assert as_of_values == [("2026-10-15 00:00:00+00",)]


def test_months_run_from_first_covered_month_to_as_of(first_run):
    _, _, _, rows = first_run
    # Every family first covers September 2026; as_of is in October: two months of ALL/ALL rows.
    months = sorted({str(r[0]) for r in rows if r[1] == "ALL" and r[2] == "ALL"})
    assert months == ["2026-09-01", "2026-10-01"]
    october = next(r for r in rows if str(r[0]) == "2026-10-01" and r[1] == "ALL" and r[2] == "ALL")
    assert october[3] == 0 and october[4] is None  # no incident detected in October


def test_same_files_again_change_nothing_and_a_broken_file_is_named(first_run, capsys):
    code, landing, warehouse, rows_before = first_run
    # The same bytes under new names, plus one file that cannot be read.
    for path in sorted(landing.rglob("*.csv")):
        shutil.copy(path, path.with_name(f"copy_of_{path.name}"))
    broken = landing / "backup" / "broken_export.csv"
    broken.write_text("job_id,system_id\n\"unterminated,quote\n", encoding="utf-8")

    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF])

    assert code == 1
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("problem:")]
    assert problems and all("broken_export.csv" in line for line in problems)
    assert _incident_response(warehouse) == rows_before
    with open_warehouse(warehouse, read_only=True) as con:
        statuses = dict(
            con.sql("SELECT status, count(*) FROM ingest.file_manifest GROUP BY status").fetchall()
        )
    assert statuses == {"loaded": 7, "duplicate": 7, "failed": 1}  # 7 fixture files, 7 copies
