"""Monthly partitions: a month's run replaces that month's rows only; the schedule picks last month."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main, parse_months
from orchestration.definitions import defs

FIXTURE_LANDING = Path(__file__).parent / "landing"


def _as_of_by_month(warehouse: Path, table: str) -> dict[str, str]:
    with open_warehouse(warehouse, read_only=True) as con:
        rows = con.sql(
            f"SELECT DISTINCT CAST(month AS VARCHAR), CAST(as_of AS VARCHAR) FROM metrics.{table}"
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def full_then_september(tmp_path_factory, restore_environment):
    base = tmp_path_factory.mktemp("partitions")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(FIXTURE_LANDING, landing)
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    full = main([*args, "--as-of", "2026-10-15T00:00:00Z"])
    september = main([*args, "--as-of", "2026-10-20T00:00:00Z", "--month", "2026-09"])
    return full, september, warehouse


def test_a_month_run_replaces_only_that_month(full_then_september):
    full, september, warehouse = full_then_september
    assert (full, september) == (0, 0)
    for table in ("security_slo_monthly", "dpmo_monthly", "incident_response_monthly",
                  "training_monthly", "error_budget_monthly"):
        # September recomputed at the partition run's as_of; October keeps the full run's
        assert _as_of_by_month(warehouse, table) == {
            "2026-09-01": "2026-10-20 00:00:00+00",
            "2026-10-01": "2026-10-15 00:00:00+00",
        }, table


def test_the_quarter_of_a_recomputed_month_is_recomputed(full_then_september):
    _, _, warehouse = full_then_september
    with open_warehouse(warehouse, read_only=True) as con:
        quarters = dict(con.sql(
            "SELECT DISTINCT CAST(quarter AS VARCHAR), CAST(as_of AS VARCHAR) FROM metrics.training_quarterly"
        ).fetchall())
    # September is in Q3 (recomputed); October is in Q4 (kept)
    assert quarters == {"2026-07-01": "2026-10-20 00:00:00+00", "2026-10-01": "2026-10-15 00:00:00+00"}


def test_month_ranges_parse_to_partition_keys():
    assert parse_months("2026-07:2026-09") == ("2026-07-01", "2026-09-01")
    assert parse_months("2026-09") == ("2026-09-01", "2026-09-01")
    with pytest.raises(ValueError):
        parse_months("2026-09:2026-07")
    with pytest.raises(ValueError):
        parse_months("September")


def test_schedule_runs_the_previous_month_on_the_second_at_three():
    repository = defs().get_repository_def()
    schedule = repository.get_schedule_def("previous_month_metrics")
    assert schedule.cron_schedule == "0 3 2 * *"
    assert schedule.execution_timezone == "UTC"
    for moment, expected in (
        (datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc), "2026-10-01"),
        (datetime(2027, 1, 2, 3, 0, tzinfo=timezone.utc), "2026-12-01"),
    ):
        context = dg.build_schedule_context(scheduled_execution_time=moment, repository_def=repository)
        request = schedule.evaluate_tick(context).run_requests[0]
        assert request.partition_key == expected


def test_metric_assets_are_monthly_partitioned_and_the_foundation_is_not():
    graph = defs().get_repository_def().asset_graph
    assert graph.get(dg.AssetKey(["metrics", "dpmo_monthly"])).partitions_def is not None
    assert graph.get(dg.AssetKey(["intermediate", "int_finding_instances"])).partitions_def is None
    assert graph.get(dg.AssetKey(["scanner", "findings"])).partitions_def is None
