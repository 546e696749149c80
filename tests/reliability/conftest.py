"""The reliability battery (issue 12): inputs built in each test, real DuckDB files, the real CLI.

`state_of` is what "a rerun ends equal to a clean run" compares: the rows that count in
every raw table, the manifest (without its times; superseded rows are history a clean run
cannot have, so they are compared on their own) and the rejected rows of bytes that count.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import pytest

from ingest.load import ingest_landing
from ingest.report import IngestReport
from ingest.schemas import ENTITIES, ENTITIES_BY_TABLE
from ingest.warehouse import ensure_schema, open_warehouse

MANIFEST_COLUMNS = "file, sha256, family, status, format, entity, rows_loaded, rows_rejected, duplicate_of, error, superseded_by"


def canonical(table: str, *rows: dict[str, str]) -> str:
    """A canonical CSV of `table`: header in schema order, values verbatim, absent keys blank."""
    header = ENTITIES_BY_TABLE[table].column_names
    lines = [",".join(header)] + [",".join(row.get(name, "") for name in header) for row in rows]
    return "\n".join(lines) + "\n"


def settle(path: Path, age_seconds: float = 3600) -> Path:
    """Give a file a modification time past any quiet period."""
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment), follow_symlinks=False)
    return path


def ingest(warehouse: Path, landing: Path, *, quiet_seconds: float = 0) -> IngestReport:
    with open_warehouse(warehouse) as con:
        ensure_schema(con)
        return ingest_landing(con, landing, quiet_seconds=quiet_seconds)


def state_of(warehouse: Path) -> dict:
    with open_warehouse(warehouse, read_only=True) as con:
        raw = {
            e.table: con.execute(f"SELECT count(*) FROM raw.{e.table} WHERE NOT _withdrawn").fetchall()[0][0]
            for e in ENTITIES
        }
        manifest = con.execute(f"SELECT {MANIFEST_COLUMNS} FROM ingest.file_manifest "
                               "WHERE status <> 'superseded' ORDER BY file, sha256").fetchall()
        rejected = con.execute(
            "SELECT file, entity, source_row, field, value, reason FROM ingest.rejected_rows "
            "WHERE sha256 IN (SELECT sha256 FROM ingest.file_manifest WHERE status IN ('loaded', 'duplicate')) "
            "ORDER BY ALL"
        ).fetchall()
    return {"raw": raw, "manifest": manifest, "rejected": rejected}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def drop(landing: Path) -> Callable[..., Path]:
    """Write an export into <landing>/<family>/<name>, settled unless told otherwise."""

    def write(family: str, name: str, content: str, *, settled: bool = True) -> Path:
        path = landing / family / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return settle(path) if settled else path

    return write


@pytest.fixture
def clean_state(tmp_path: Path) -> Callable[[Callable[[Path], None]], dict]:
    """The state a fresh warehouse reaches from a landing folder built by `build(landing)`."""
    counter = iter(range(1000))

    def run(build: Callable[[Path], None]) -> dict:
        n = next(counter)
        folder = tmp_path / f"clean-{n}" / "landing"
        folder.mkdir(parents=True)
        build(folder)
        warehouse = tmp_path / f"clean-{n}" / "warehouse.duckdb"
        ingest(warehouse, folder)
        return state_of(warehouse)

    return run
