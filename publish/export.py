"""`secops export`: every metrics.* table as Parquet or CSV files, for tools that do not speak DuckDB.

    <out>/<table>/month=YYYY-MM-01/data_0.parquet   a table with a `month` column, hive-style,
                                                    the month also kept inside each file
    <out>/<table>.parquet                           a table without one (state at as_of, quarters)
    <out>/<table>.csv                               CSV: one file per table, header row, text cells
                                                    neutralised against formulas (publish/csv_safety.py)

The source is the BI snapshot (publish/bi_snapshot.py) when it exists: the published
state, which never blocks a run; otherwise the warehouse, read-only. `--month A[:B]`
keeps those months' rows of the tables with a `month` column and exports the others
whole. Everything is one DuckDB COPY per table, with the months, the paths and the
formula characters as parameters; table and column names come from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.warehouse import memory_limit
from publish.bi_snapshot import bi_snapshot_path, quote_identifier
from publish.csv_safety import FORMULA_STARTS, FORMULA_STARTS_PARAMETER, neutralised_text

FORMATS = ("parquet", "csv")
MONTH_COLUMN = "month"


@dataclass(frozen=True)
class ExportedTable:
    table: str
    rows: int
    path: Path
    by_month: bool  # partitioned (parquet) or filtered (--month) by its month column


def export_source(warehouse: str | Path) -> Path:
    snapshot = bi_snapshot_path(warehouse)
    return snapshot if snapshot.exists() else Path(warehouse).expanduser().resolve()


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[tuple[str, str]]]]:
    rows = con.execute(
        """
        SELECT table_name, list(struct_pack(name := column_name, type := data_type) ORDER BY column_index)
        FROM duckdb_columns()
        WHERE database_name = 'src' AND schema_name = 'metrics'
          AND table_name IN (SELECT table_name FROM duckdb_tables()
                             WHERE database_name = 'src' AND schema_name = 'metrics')
        GROUP BY table_name ORDER BY table_name
        """
    ).fetchall()
    return [(table, [(c["name"], c["type"]) for c in columns]) for table, columns in rows]


def _safe_file_stem(table: str) -> str:
    # Catalog names of dbt models; refuse anything that would leave the output folder.
    if not table or table.startswith(".") or "/" in table or "\\" in table:
        raise ValueError(f"metrics table name {table!r} cannot be a file name")
    return table


def export_metrics(
    warehouse: str | Path, out: str | Path, fmt: str, months: tuple[str, str] | None = None
) -> tuple[Path, list[ExportedTable]]:
    """Write every metrics.* table of the warehouse's snapshot (or the warehouse) under `out`."""
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    source = export_source(warehouse)
    if not source.exists():
        raise ValueError(f"no warehouse at {source}: run `secops run` first")
    out = Path(out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [memory_limit()])
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(source)])
        exported = []
        for table, columns in _tables(con):
            exported.append(_export_table(con, table, columns, out, fmt, months))
        return source, exported
    finally:
        con.close()


def _export_table(con, table: str, columns: list[tuple[str, str]], out: Path, fmt: str, months) -> ExportedTable:
    has_month = any(name == MONTH_COLUMN for name, _ in columns)
    parameters: dict[str, object] = {}
    if fmt == "csv":
        selected = [
            f"{neutralised_text(quote_identifier(name))} AS {quote_identifier(name)}"
            if sql_type == "VARCHAR" else quote_identifier(name)
            for name, sql_type in columns
        ]
        parameters[FORMULA_STARTS_PARAMETER] = list(FORMULA_STARTS)
    else:
        selected = [quote_identifier(name) for name, _ in columns]
    relation, where, months_parameters = f"src.metrics.{quote_identifier(table)}", "", {}
    if months and has_month:
        where = f" WHERE {quote_identifier(MONTH_COLUMN)} BETWEEN CAST($month_from AS DATE) AND CAST($month_to AS DATE)"
        months_parameters = {"month_from": months[0], "month_to": months[1]}
    query = f"SELECT {', '.join(selected)} FROM {relation}{where} ORDER BY ALL"

    stem = _safe_file_stem(table)
    if fmt == "csv":
        path = out / f"{stem}.csv"
        options = "FORMAT csv, HEADER true"
    elif has_month:
        path = out / stem
        options = (
            f"FORMAT parquet, PARTITION_BY ({quote_identifier(MONTH_COLUMN)}), WRITE_PARTITION_COLUMNS true, "
            "OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'data_{i}'"
        )
    else:
        path = out / f"{stem}.parquet"
        options = "FORMAT parquet"
    con.execute(f"COPY ({query}) TO $path ({options})", {**parameters, **months_parameters, "path": str(path)})
    rows = con.execute(f"SELECT count(*) FROM {relation}{where}", months_parameters).fetchone()[0]
    return ExportedTable(table=table, rows=rows, path=path, by_month=has_month and (fmt == "parquet" or bool(months)))
