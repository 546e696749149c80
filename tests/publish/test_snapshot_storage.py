"""The snapshot's storage version and its all-or-nothing replacement, on a small warehouse written here."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import pytest

from publish.bi_snapshot import publish_snapshot, storage_version_for


def _warehouse(path: Path, *, variant: bool = False) -> Path:
    with contextlib.closing(duckdb.connect(str(path))) as con:
        for schema in ("metrics", "data_quality", "ingest", "raw"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute("CREATE TABLE metrics.a (month DATE, n BIGINT, seen_at TIMESTAMPTZ, ok BOOLEAN, x DOUBLE, s VARCHAR)")
        con.execute("INSERT INTO metrics.a VALUES ('2026-09-01', 3, '2026-09-02 01:00:00+00', true, 0.5, 'it''s')")
        con.execute("COMMENT ON TABLE metrics.a IS 'Grain: one row per month; it''s documented'")
        con.execute("COMMENT ON COLUMN metrics.a.n IS 'how many'")
        con.execute("CREATE TABLE data_quality.results (suite VARCHAR)")
        con.execute("CREATE TABLE ingest.file_manifest (file VARCHAR)")
        con.execute("CREATE TABLE ingest.rejected_rows (file VARCHAR)")
        con.execute("CREATE TABLE raw.findings (x VARCHAR)")
        if variant:
            con.execute("CREATE TABLE metrics.v AS SELECT CAST(1 AS VARIANT) AS payload")
    return path


def _storage_tag(path: Path) -> str:
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
        (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE path = ?", [str(path)]).fetchone()
    return tags["storage_version"]


def test_oldest_version_that_holds_the_types():
    assert storage_version_for({"VARCHAR", "TIMESTAMP WITH TIME ZONE", "DATE", "DOUBLE"}) == "v1.0.0"
    assert storage_version_for({"VARCHAR", "BIGNUM"}) == "v1.1.0"
    assert storage_version_for({"VARIANT", "BIGNUM"}) == "v1.5.0"


def test_published_tables_comments_and_default_version(tmp_path, monkeypatch):
    monkeypatch.delenv("SECOPS_BI_STORAGE_VERSION", raising=False)
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    result = publish_snapshot(warehouse, tmp_path / "bi" / "warehouse.duckdb")
    assert result.row_counts == {"data_quality.results": 0, "ingest.file_manifest": 0, "metrics.a": 1}
    assert _storage_tag(result.path) == "v1.0.0+"
    with contextlib.closing(duckdb.connect(str(result.path), read_only=True)) as con:
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'a'").fetchone() == (
            "Grain: one row per month; it's documented",
        )
        assert con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'a' AND comment IS NOT NULL"
        ).fetchall() == [("n", "how many")]
        assert con.execute("SELECT s FROM metrics.a").fetchone() == ("it's",)


def test_the_environment_chooses_another_version(tmp_path, monkeypatch):
    monkeypatch.setenv("SECOPS_BI_STORAGE_VERSION", "v1.2.0")
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    result = publish_snapshot(warehouse, tmp_path / "snapshot.duckdb")
    assert result.storage_version == "v1.2.0"
    assert _storage_tag(result.path) == "v1.2.0+"


def test_a_type_raises_the_default_and_a_failed_publish_keeps_the_old_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv("SECOPS_BI_STORAGE_VERSION", raising=False)
    target = tmp_path / "bi" / "warehouse.duckdb"
    publish_snapshot(_warehouse(tmp_path / "plain.duckdb"), target)
    old_inode = target.stat().st_ino

    warehouse = _warehouse(tmp_path / "warehouse.duckdb", variant=True)
    # VARIANT needs storage v1.5.0: forced to v1.0.0, DuckDB refuses, nothing is replaced
    with pytest.raises(duckdb.Error, match="VARIANT"):
        publish_snapshot(warehouse, target, storage_version="v1.0.0")
    assert target.stat().st_ino == old_inode
    assert sorted(p.name for p in target.parent.iterdir()) == ["warehouse.duckdb"]  # no temporary left

    result = publish_snapshot(warehouse, target)
    assert result.storage_version == "v1.5.0"
    assert target.stat().st_ino != old_inode  # renamed over


def test_the_snapshot_is_never_the_working_warehouse(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    with pytest.raises(ValueError, match="cannot be the working warehouse"):
        publish_snapshot(warehouse, warehouse)
