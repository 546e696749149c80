"""Fixtures for the ingest tests: an in-memory warehouse and a landing folder in tmp_path."""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from ingest.schemas import ENTITIES_BY_TABLE
from ingest.warehouse import connect, ensure_schema

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The load time of test ingests: the session's start, since event times may not lie more than a
# day after their load (SOURCES.md, "The landing folder") and formats without a scan time take
# the file's modification time.
RUN_AT = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="session")
def _warehouse():
    # Opening a DuckDB database costs more than emptying one; tests share one.
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def con(_warehouse):
    """An empty warehouse (raw and ingest schemas freshly created)."""
    with contextlib.suppress(duckdb.Error):
        _warehouse.rollback()  # a test that failed midway may have left one open
    _warehouse.execute("DROP SCHEMA IF EXISTS raw CASCADE")
    _warehouse.execute("DROP SCHEMA IF EXISTS ingest CASCADE")
    ensure_schema(_warehouse)
    return _warehouse


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def drop(landing: Path) -> Callable[[str, str, str | bytes], Path]:
    """Write an export into <landing>/<family>/<name>; text is written as UTF-8 as is."""

    def write(family: str, name: str, content: str | bytes) -> Path:
        path = landing / family / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture
def drop_fixture(drop) -> Callable[[str, str], Path]:
    """Copy tests/ingest/fixtures/<name> into a family folder, under the same name."""

    def copy(family: str, name: str) -> Path:
        return drop(family, name, (FIXTURES / name).read_bytes())

    return copy


@pytest.fixture
def canonical_csv() -> Callable[..., str]:
    """A canonical CSV of `table`: header in schema order (+ extra columns), rows as dicts.

    Values are written verbatim (no quoting), so tests can put exactly the text
    they mean to exercise; absent keys are blank.
    """

    def build(table: str, *rows: dict[str, str], extra_columns: tuple[str, ...] = ()) -> str:
        header = [*ENTITIES_BY_TABLE[table].column_names, *extra_columns]
        lines = [",".join(header)]
        lines += [",".join(row.get(name, "") for name in header) for row in rows]
        return "\n".join(lines) + "\n"

    return build


@pytest.fixture
def run_at() -> datetime:
    return RUN_AT
