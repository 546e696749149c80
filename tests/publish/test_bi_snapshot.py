"""The BI snapshot through `secops run` on the small fixture landing zone, read by DuckDB 1.x clients.

One warehouse is built for the module (tests/orchestration/landing plus one planted scan
whose asset name and title a spreadsheet would run as formulas); the last test runs the
pipeline twice more while a DuckDB 1.x reader holds the snapshot open.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from duckdb_1x import HOLDING_READER, NEWEST_1X, OLDEST_1X, duckdb_1x_python, read_with
from orchestration.cli import main

FIXTURE_LANDING = Path(__file__).parent.parent / "orchestration" / "landing"
AS_OF = "2026-10-15T00:00:00Z"
SECOND_AS_OF = "2026-10-16T00:00:00Z"
THIRD_AS_OF = "2026-10-17T00:00:00Z"

PLANTED_ASSET = '=HYPERLINK("http://example.invalid/x")'
PLANTED_TITLE = "@SUM(1+1) planted title"
# One low finding on an asset of its own, seen once (so still open at as_of): it reaches
# metrics.vulnerability_remediation with this asset_id and title.
PLANTED_SCAN = (
    "scan_id,scanned_at,scanner,asset_id,asset_environment,vulnerability_id,title,severity,"
    "cvss_score,exploited_in_wild,package,fixed_at\n"
    f's9,2026-09-25T00:00:00Z,trivy,"{PLANTED_ASSET.replace(chr(34), chr(34) * 2)}",staging,'
    f"CVE-2026-0099,{PLANTED_TITLE},low,2.0,false,libfoo,\n"
)

HOLDER = """
import sys, time
from orchestration.writer_lock import warehouse_writer_lock
with warehouse_writer_lock(sys.argv[1], wait_seconds=0):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _run(landing: Path, warehouse: Path, as_of: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", as_of])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def published(tmp_path_factory, restore_environment):
    base = tmp_path_factory.mktemp("bi")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(FIXTURE_LANDING, landing)
    (landing / "scanner" / "findings_2026-09-25_planted.csv").write_text(PLANTED_SCAN, encoding="utf-8")
    os.environ.pop("SECOPS_BI_FILE", None)
    os.environ.pop("SECOPS_BI_STORAGE_VERSION", None)
    code, out, err = _run(landing, warehouse, AS_OF)
    return code, out, err, landing, warehouse, base / "bi" / "warehouse.duckdb"


def _catalog(path: Path) -> dict[str, int]:
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('metrics', 'data_quality') "
            "OR (schema_name = 'ingest' AND table_name = 'file_manifest') ORDER BY ALL"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in tables}


def test_run_publishes_the_snapshot_beside_the_warehouse_and_says_where(published):
    code, out, err, _, warehouse, snapshot = published
    assert code == 0, err
    assert f"bi snapshot: {snapshot}" in out.splitlines()
    assert snapshot.exists() and snapshot != warehouse
    # the temporary file was renamed over, nothing else is left in bi/
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["warehouse.duckdb"]


def test_snapshot_holds_the_published_tables_with_the_warehouse_row_counts(published):
    *_, warehouse, snapshot = published
    in_warehouse, in_snapshot = _catalog(warehouse), _catalog(snapshot)
    assert in_snapshot == in_warehouse
    assert {"metrics.security_slo_monthly", "metrics.vulnerability_remediation",
            "data_quality.validation_results", "ingest.file_manifest"} <= set(in_snapshot)
    # September and October, five SLOs each; 13 export files (12 fixture files + the planted one)
    assert in_snapshot["metrics.security_slo_monthly"] == 10
    assert in_snapshot["ingest.file_manifest"] == 13
    with contextlib.closing(duckdb.connect(str(snapshot), read_only=True)) as con:
        # tables, not views into the working file; nothing of raw, staging or the alert log
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
        schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
        assert schemas == {"metrics", "data_quality", "ingest"}
        (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'warehouse'").fetchone()
    # every column type (VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE, TIMESTAMPTZ) fits v1.0.0
    assert tags["storage_version"] == "v1.0.0+"


def test_dbt_descriptions_are_comments_in_the_warehouse_and_the_snapshot(published):
    *_, warehouse, snapshot = published
    for path in (warehouse, snapshot):
        with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
            (table_comment,) = con.execute(
                "SELECT comment FROM duckdb_tables() WHERE schema_name = 'metrics' "
                "AND table_name = 'incident_response_monthly'"
            ).fetchone()
            (column_comment,) = con.execute(
                "SELECT comment FROM duckdb_columns() WHERE schema_name = 'metrics' "
                "AND table_name = 'incident_response_monthly' AND column_name = 'month'"
            ).fetchone()
            undocumented = con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE schema_name = 'metrics' AND comment IS NULL"
            ).fetchall()
        # _marts__models.yml: the model's description and the month column's
        assert table_comment.startswith('Incident response (METRICS.md "Incident response")'), path
        assert column_comment == "Month of detection (UTC), first day.", path
        assert undocumented == [], path


@pytest.mark.parametrize("version", [OLDEST_1X, NEWEST_1X])
def test_duckdb_1x_reads_every_metrics_table_with_the_warehouse_values(published, version):
    *_, warehouse, snapshot = published
    python = duckdb_1x_python(version)
    old_client = read_with(python, snapshot)
    assert old_client["version"] == version
    # the same reading script under this session's DuckDB, on the working warehouse
    script = Path(__file__).with_name("duckdb_1x.py")
    current = read_with(Path(sys.executable), warehouse) if script.exists() else None
    assert old_client["tables"].keys() == current["tables"].keys()
    assert len(old_client["tables"]) == 14
    for table, rows in current["tables"].items():
        assert old_client["tables"][table] == rows, table
    assert old_client["column_comments"] == current["column_comments"]
    assert old_client["table_comments"] == current["table_comments"]


def test_duckdb_1x_cannot_open_the_working_warehouse(published):
    # Why the snapshot exists: the working file is in DuckDB 2's storage format.
    *_, warehouse, _ = published
    with pytest.raises(RuntimeError, match="version number"):
        read_with(duckdb_1x_python(NEWEST_1X), warehouse)


def test_bi_snapshot_asset_is_downstream_of_every_metric_table_with_row_counts(published, tmp_path):
    from orchestration.definitions import defs
    from orchestration.defs.publish import BI_SNAPSHOT, WarehouseWriterLock, bi_snapshot

    *_, warehouse, snapshot = published
    graph = defs().get_repository_def().asset_graph
    node = graph.get(BI_SNAPSHOT)
    assert node.group_name == "publish" and "duckdb" in node.kinds
    metric_keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "metrics"}
    assert len(metric_keys) == 14 and metric_keys <= set(node.parent_keys)

    os.environ["SECOPS_WAREHOUSE"] = str(warehouse)
    os.environ["SECOPS_BI_FILE"] = str(tmp_path / "elsewhere.duckdb")
    try:
        result = dg.materialize([bi_snapshot], resources={"warehouse_writer_lock": WarehouseWriterLock()})
    finally:
        del os.environ["SECOPS_BI_FILE"]
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == BI_SNAPSHOT]
    materialization = event.materialization
    counts = materialization.metadata["row_counts"].value
    assert counts == _catalog(snapshot)
    assert materialization.metadata["dagster/row_count"].value == sum(
        n for table, n in counts.items() if table.startswith("metrics.")
    )
    assert materialization.metadata["path"].value == str(tmp_path / "elsewhere.duckdb")


def test_csv_export_neutralises_the_planted_formulas(published, tmp_path):
    *_, warehouse, _ = published
    out = tmp_path / "csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--warehouse", str(warehouse)]) == 0
    assert len(list(out.glob("*.csv"))) == 14
    with contextlib.closing(duckdb.connect()) as con:
        rows = con.execute(
            "SELECT asset_id, title, cvss_score FROM read_csv(?, all_varchar = true) WHERE vulnerability_id = 'CVE-2026-0099'",
            [str(out / "vulnerability_remediation.csv")],
        ).fetchall()
    assert rows == [("'" + PLANTED_ASSET, "'" + PLANTED_TITLE, "2.0")]


def test_parquet_export_partitions_monthly_tables_by_month(published, tmp_path):
    *_, warehouse, _ = published
    out = tmp_path / "parquet"
    assert main(["export", "--format", "parquet", "--out", str(out), "--warehouse", str(warehouse)]) == 0
    months = sorted(p.name for p in (out / "security_slo_monthly").iterdir())
    assert months == ["month=2026-09-01", "month=2026-10-01"]
    with contextlib.closing(duckdb.connect()) as con:
        per_month = con.execute(
            "SELECT CAST(month AS VARCHAR), count(*) FROM read_parquet(?) GROUP BY ALL ORDER BY ALL",
            [str(out / "security_slo_monthly" / "*" / "*.parquet")],
        ).fetchall()
        planted = con.execute(
            "SELECT asset_id FROM read_parquet(?) WHERE vulnerability_id = 'CVE-2026-0099'",
            [str(out / "vulnerability_remediation.parquet")],
        ).fetchall()
    assert per_month == [("2026-09-01", 5), ("2026-10-01", 5)]  # five SLOs a month
    assert planted == [(PLANTED_ASSET,)]  # Parquet keeps values as they are


def test_export_of_one_month_keeps_only_its_rows(published, tmp_path):
    *_, warehouse, _ = published
    out = tmp_path / "september"
    code = main(["export", "--format", "csv", "--out", str(out), "--warehouse", str(warehouse), "--month", "2026-09"])
    assert code == 0
    with contextlib.closing(duckdb.connect()) as con:
        months = con.execute(
            "SELECT DISTINCT month FROM read_csv(?, all_varchar = true)", [str(out / "security_slo_monthly.csv")]
        ).fetchall()
    assert months == [("2026-09-01",)]


def _ask(reader: subprocess.Popen, command: str) -> str:
    reader.stdin.write(command + "\n")
    reader.stdin.flush()
    return reader.stdout.readline().strip()


def test_a_reader_holding_the_snapshot_never_blocks_two_runs(published):
    """Also: the first run waits for a writer that holds the lock (2 s), then runs."""
    _, _, _, landing, warehouse, snapshot = published
    reader = subprocess.Popen(
        [str(duckdb_1x_python(NEWEST_1X)), "-c", HOLDING_READER, str(snapshot)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    holder = None
    try:
        assert reader.stdout.readline().strip() == "ready"
        assert _ask(reader, "read") == "2026-10-15 00:00:00+00|10"

        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(warehouse), "2"], stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert holder.stdout.readline().strip() == "held"
        os.environ["SECOPS_LOCK_WAIT_SECONDS"] = "120"
        started = time.monotonic()
        first = _run(landing, warehouse, SECOND_AS_OF)
        assert first[0] == 0, first[2]
        assert time.monotonic() - started >= 1.5  # it waited for the holder's 2 s
        assert holder.wait(timeout=30) == 0
        # the reader's connection still reads the file it opened
        assert _ask(reader, "read") == "2026-10-15 00:00:00+00|10"

        second = _run(landing, warehouse, THIRD_AS_OF)
        assert second[0] == 0, second[2]
        assert f"bi snapshot: {snapshot}" in second[1].splitlines()
        assert _ask(reader, "read") == "2026-10-15 00:00:00+00|10"

        assert _ask(reader, "reconnect") == "reconnected"
        assert _ask(reader, "read") == "2026-10-17 00:00:00+00|10"
    finally:
        os.environ.pop("SECOPS_LOCK_WAIT_SECONDS", None)
        if holder is not None and holder.poll() is None:
            holder.kill()
        with contextlib.suppress(Exception):
            _ask(reader, "quit")
        reader.wait(timeout=30)
