"""`secops export` on a small warehouse written here: formula cells, months, partitions.

The warehouse has one monthly table whose text cells start with every character OWASP
lists (=, +, -, @, tab, carriage return), and one table without a month column.
"""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from publish.bi_snapshot import bi_snapshot_path

CELLS = ["=1+1", "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "plain", "a=b", "it's \"quoted\", with a comma"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "warehouse.duckdb"
    with contextlib.closing(duckdb.connect(str(path))) as con:
        con.execute("CREATE SCHEMA metrics")
        con.execute("CREATE TABLE metrics.cells_monthly (id INTEGER, month DATE, subject VARCHAR, delta DOUBLE)")
        con.executemany(
            "INSERT INTO metrics.cells_monthly VALUES (?, ?, ?, ?)",
            [(i, "2026-09-01" if i % 2 else "2026-10-01", cell, -1.5 * (i + 1)) for i, cell in enumerate(CELLS)],
        )
        con.execute("CREATE TABLE metrics.state_now (subject VARCHAR)")
        con.execute("INSERT INTO metrics.state_now VALUES ('=cmd|calc'), ('ok')")
        con.execute("CREATE SCHEMA raw")  # not exported: only metrics.*
        con.execute("CREATE TABLE raw.other (x VARCHAR)")
    assert not bi_snapshot_path(path).exists()  # the export reads the warehouse itself
    return path


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_a_spreadsheet_would_run_get_a_single_quote(warehouse, tmp_path):
    assert main(["export", "--format", "csv", "--out", str(tmp_path), "--warehouse", str(warehouse)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells_monthly.csv", "state_now.csv"]
    rows = _csv_rows(tmp_path / "cells_monthly.csv")
    by_original = {CELLS[int(r["id"])]: r["subject"] for r in rows}
    assert by_original == {
        "=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
        "\tTAB": "'\tTAB", "\rCR": "'\rCR",
        "plain": "plain", "a=b": "a=b", "it's \"quoted\", with a comma": "it's \"quoted\", with a comma",
    }
    # a negative number is a number: no quote before it (-1.5 x (id + 1))
    assert [r["delta"] for r in sorted(rows, key=lambda r: int(r["id"]))][:3] == ["-1.5", "-3.0", "-4.5"]
    assert _csv_rows(tmp_path / "state_now.csv") == [{"subject": "'=cmd|calc"}, {"subject": "ok"}]


def test_csv_of_one_month_filters_monthly_tables_and_keeps_the_others_whole(warehouse, tmp_path):
    code = main(["export", "--format", "csv", "--out", str(tmp_path), "--warehouse", str(warehouse),
                 "--month", "2026-09"])
    assert code == 0
    months = {r["month"] for r in _csv_rows(tmp_path / "cells_monthly.csv")}
    assert months == {"2026-09-01"}
    assert len(_csv_rows(tmp_path / "cells_monthly.csv")) == 4  # CELLS[1], [3], [5], [7]
    assert len(_csv_rows(tmp_path / "state_now.csv")) == 2


def test_parquet_is_hive_partitioned_by_month_and_keeps_values(warehouse, tmp_path):
    assert main(["export", "--format", "parquet", "--out", str(tmp_path), "--warehouse", str(warehouse)]) == 0
    assert sorted(p.name for p in (tmp_path / "cells_monthly").iterdir()) == ["month=2026-09-01", "month=2026-10-01"]
    with contextlib.closing(duckdb.connect()) as con:
        september = con.execute(
            "SELECT subject FROM read_parquet(?) ORDER BY id",
            [str(tmp_path / "cells_monthly" / "month=2026-09-01" / "*.parquet")],
        ).fetchall()
        whole = con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "state_now.parquet")]).fetchone()
    assert september == [("+1",), ("@SUM(A1)",), ("\rCR",), ("a=b",)]  # unchanged in Parquet
    assert whole == (2,)


def test_an_unknown_format_is_refused_by_the_command_line(warehouse, tmp_path):
    with pytest.raises(SystemExit):
        main(["export", "--format", "xlsx", "--out", str(tmp_path), "--warehouse", str(warehouse)])
