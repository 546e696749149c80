"""The DuckDB warehouse file: connections and the tables ingest owns.

Every connection is set to UTC (METRICS.md: month truncation of a TIMESTAMPTZ
follows the session time zone) and given a memory limit. DuckDB allows one
writer per file, so callers open, work and close; nothing holds a connection
across Dagster steps.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from ingest.schemas import DUCKDB_TYPES, ENTITIES, LINEAGE_COLUMNS, Entity

DEFAULT_MEMORY_LIMIT = "2GB"


def memory_limit() -> str:
    return os.environ.get("SECOPS_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


# DuckDB names a database after its file; a file named like one of our schemas would make
# every `schema.table` reference ambiguous.
RESERVED_FILE_STEMS = {"raw", "ingest", "staging", "intermediate", "reference", "metrics", "main"}


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if path.stem.lower() in RESERVED_FILE_STEMS:
        raise ValueError(
            f"warehouse file {path.name!r}: DuckDB names the database after the file, and "
            f"{path.stem!r} is a schema of the warehouse; choose another name (e.g. warehouse.duckdb)"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit()])
    return con


@contextmanager
def open_warehouse(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def raw_table_ddl(entity: Entity) -> str:
    columns = [f"{c.name} {DUCKDB_TYPES[c.type]}" for c in entity.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS raw.{entity.table} (\n  " + ",\n  ".join(columns) + "\n)"


FILE_MANIFEST_DDL = """
CREATE TABLE IF NOT EXISTS ingest.file_manifest (
  file VARCHAR NOT NULL,          -- path relative to the landing folder
  sha256 VARCHAR NOT NULL,
  family VARCHAR NOT NULL,
  format VARCHAR,                 -- detected export format
  entity VARCHAR,                 -- comma-separated entity tables the file fed
  size_bytes BIGINT,
  rows_loaded BIGINT,
  rows_rejected BIGINT,
  naive_timestamps BIGINT,        -- timestamp fields read in the default zone
  newest_timestamp TIMESTAMPTZ,   -- newest timestamp in the file (merge precedence)
  status VARCHAR NOT NULL,        -- loaded | duplicate | failed | withdrawn | superseded | ignored
  duplicate_of VARCHAR,           -- for status duplicate: the file loaded with these bytes
  error VARCHAR,                  -- for failed: the error; for ignored: why it is not an export
  first_seen_at TIMESTAMPTZ NOT NULL,
  loaded_at TIMESTAMPTZ,
  withdrawn_at TIMESTAMPTZ,
  -- nothing dropped without a word (issue 17), for a loaded file:
  records_held BIGINT,            -- records the export held (rows made + refused + skipped)
  rows_by_class VARCHAR,          -- JSON {"findings/vulnerability": n, "findings/clean_scan": n, "identities": n}
  records_skipped BIGINT,         -- records that became no row by the format's counting rule
  skipped_reasons VARCHAR,        -- JSON {"PASS misconfiguration (...)": n}
  superseded_by VARCHAR,          -- for superseded: the sha256 of the corrected re-export
  superseded_at TIMESTAMPTZ,
  PRIMARY KEY (file, sha256)
)
"""

# Columns added after warehouses were created: added in place, at the end of the column list.
FILE_MANIFEST_ADDED_COLUMNS = (
    ("records_held", "BIGINT"), ("rows_by_class", "VARCHAR"),
    ("records_skipped", "BIGINT"), ("skipped_reasons", "VARCHAR"),
    ("superseded_by", "VARCHAR"),       # for superseded: the sha256 of the corrected re-export
    ("superseded_at", "TIMESTAMPTZ"),
)

REJECTED_ROWS_DDL = """
CREATE TABLE IF NOT EXISTS ingest.rejected_rows (
  file VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  entity VARCHAR,
  source_row BIGINT,              -- 1-based record number after the header
  field VARCHAR,
  value VARCHAR,
  reason VARCHAR NOT NULL,
  rejected_at TIMESTAMPTZ NOT NULL
)
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and ingest schemas and tables if they are missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    for entity in ENTITIES:
        con.execute(raw_table_ddl(entity))
        # A warehouse made before a column joined the contract (an optional canonical
        # column such as findings.finding_class) gains it, blank for the rows it holds.
        for column in entity.columns:
            con.execute(
                f"ALTER TABLE raw.{entity.table} ADD COLUMN IF NOT EXISTS {column.name} {DUCKDB_TYPES[column.type]}"
            )
    con.execute(FILE_MANIFEST_DDL)
    # a manifest made before a column joined it gains the column, blank
    for name, sql_type in FILE_MANIFEST_ADDED_COLUMNS:
        con.execute(f"ALTER TABLE ingest.file_manifest ADD COLUMN IF NOT EXISTS {name} {sql_type}")
    con.execute(REJECTED_ROWS_DDL)
