"""The BI snapshot: a separate DuckDB file BI tools open, never the working warehouse.

After a run that built metrics, `publish_snapshot` copies every table of the schemas
`metrics` and `data_quality`, and `ingest.file_manifest` (which exports fed the
numbers), with their table and column comments, into `bi/<warehouse file name>`
beside the warehouse (SECOPS_BI_FILE overrides). It writes a temporary file in the
same folder and renames it over the previous snapshot, so a reader has the old file
or the new one, never a mix; a reader holding the old file keeps reading it (the
rename leaves its inode alone) until it reconnects.

The file is written in a storage version DuckDB 1.x reads (`ATTACH ... (STORAGE_VERSION
...)`): by default the oldest that holds every column type the tables use
(TYPE_STORAGE_VERSIONS), SECOPS_BI_STORAGE_VERSION to choose another.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.warehouse import memory_limit

BI_FILE_ENV = "SECOPS_BI_FILE"
STORAGE_VERSION_ENV = "SECOPS_BI_STORAGE_VERSION"

SNAPSHOT_SCHEMAS = ("metrics", "data_quality")
SNAPSHOT_EXTRA_TABLES = (("ingest", "file_manifest"),)

# The oldest storage format DuckDB 1.x reads is v1.0.0 (DuckDB 1.0 through 1.5 read it);
# a type that format cannot hold raises the default to the first version that can.
OLDEST_STORAGE_VERSION = "v1.0.0"
TYPE_STORAGE_VERSIONS = {
    "VARINT": "v1.1.0",
    "BIGNUM": "v1.1.0",
    "VARIANT": "v1.5.0",
    "GEOMETRY": "v1.5.0",
}


@dataclass
class SnapshotResult:
    path: Path
    storage_version: str
    row_counts: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows


def bi_snapshot_path(warehouse: str | Path) -> Path:
    value = os.environ.get(BI_FILE_ENV)
    if value:
        return Path(value).expanduser().resolve()
    warehouse = Path(warehouse).expanduser().resolve()
    return warehouse.parent / "bi" / warehouse.name


def quote_identifier(name: str) -> str:
    """A DuckDB identifier; the names come from the warehouse catalog."""
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    """A DuckDB string literal, for the one statement that takes no parameter (COMMENT ON).

    The text is a dbt description read from the warehouse catalog, never file contents;
    DuckDB literals have no backslash escapes, so doubling the quote is the whole rule.
    """
    return "'" + text.replace("'", "''") + "'"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def storage_version_for(types: set[str]) -> str:
    """The oldest storage version that holds every one of these DuckDB type names."""
    needed = [OLDEST_STORAGE_VERSION]
    for sql_type in types:
        for name, version in TYPE_STORAGE_VERSIONS.items():
            if name in sql_type.upper():
                needed.append(version)
    return max(needed, key=_version_key)


def _snapshot_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """(schema, table, comment) of every table the snapshot holds, as the catalog has them."""
    return con.execute(
        """
        SELECT schema_name, table_name, comment FROM duckdb_tables()
        WHERE database_name = 'wh'
          AND (list_contains($schemas, schema_name)
               OR list_contains($extra, schema_name || '.' || table_name))
        ORDER BY schema_name, table_name
        """,
        {
            "schemas": list(SNAPSHOT_SCHEMAS),
            "extra": [f"{schema}.{table}" for schema, table in SNAPSHOT_EXTRA_TABLES],
        },
    ).fetchall()


def _column_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """
        SELECT column_name, comment FROM duckdb_columns()
        WHERE database_name = 'wh' AND schema_name = ? AND table_name = ? AND comment IS NOT NULL
        ORDER BY column_index
        """,
        [schema, table],
    ).fetchall()


def _column_types(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str, str | None]]) -> set[str]:
    rows = con.execute(
        """
        SELECT DISTINCT data_type FROM duckdb_columns()
        WHERE database_name = 'wh' AND list_contains(?, schema_name || '.' || table_name)
        """,
        [[f"{schema}.{table}" for schema, table, _ in tables]],
    ).fetchall()
    return {row[0] for row in rows}


def _remove_quietly(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_snapshot(
    warehouse: str | Path, target: str | Path | None = None, storage_version: str | None = None
) -> SnapshotResult:
    """Copy the published tables of `warehouse` into a new snapshot file and rename it over `target`."""
    warehouse = Path(warehouse).expanduser().resolve()
    target = Path(target).expanduser().resolve() if target else bi_snapshot_path(warehouse)
    if target == warehouse:
        raise ValueError(f"the BI snapshot cannot be the working warehouse itself ({warehouse}); set {BI_FILE_ENV} elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the target, so the rename is atomic; named by process so two
    # publishers never share one (the writer lock keeps them apart anyway).
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove_quietly(temporary)

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [memory_limit()])
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        tables = _snapshot_tables(con)
        version = storage_version or os.environ.get(STORAGE_VERSION_ENV) or storage_version_for(
            _column_types(con, tables)
        )
        # The snapshot's catalog is named after its file stem by every client that opens it.
        con.execute("ATTACH $path AS snap (STORAGE_VERSION $version)", {"path": str(temporary), "version": version})
        result = SnapshotResult(path=target, storage_version=version)
        for schema in sorted({schema for schema, _, _ in tables}):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS snap.{quote_identifier(schema)}")
        for schema, table, comment in tables:
            name = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            con.execute(f"CREATE TABLE snap.{name} AS SELECT * FROM wh.{name}")
            if comment:
                con.execute(f"COMMENT ON TABLE snap.{name} IS {string_literal(comment)}")
            for column, column_comment in _column_comments(con, schema, table):
                con.execute(
                    f"COMMENT ON COLUMN snap.{name}.{quote_identifier(column)} IS {string_literal(column_comment)}"
                )
            result.row_counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM snap.{name}").fetchone()[0]
        con.execute("CHECKPOINT snap")
        con.execute("DETACH snap")
    except BaseException:
        con.close()
        _remove_quietly(temporary)
        raise
    con.close()
    _fsync(temporary)
    os.replace(temporary, target)
    _fsync(target.parent)
    return result
