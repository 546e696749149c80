"""The BI snapshot as an asset, and the writer lock every run holds (orchestration/writer_lock.py).

`publish/bi_snapshot` runs after the metric tables (and, by its low priority, after the
metric-table checks that write data_quality.validation_results): a run that failed
before its metric models skips it and publishes nothing.

Known gap: a run with a blocked family leaves its metric models out of the dbt build, so
their outputs are not produced and Dagster skips this step too; the previous snapshot
stays (the blocked tables have the same last good rows there, the rebuilt ones are a run
old). A fan-in input over the metric tables would let it run, but Dagster cannot fan in
inputs that already gather an asset and its blocking checks (docs/DECISIONS.md).
"""

import json
from contextlib import contextmanager

import dagster as dg

from orchestration.dbt_manifest import ensure_manifest, secops_dbt_project
from orchestration.owners import pipeline_owners
from orchestration.settings import warehouse_path
from orchestration.writer_lock import warehouse_writer_lock
from publish.bi_snapshot import bi_snapshot_path, publish_snapshot

BI_SNAPSHOT = dg.AssetKey(["publish", "bi_snapshot"])
VALIDATION_RESULTS = dg.AssetKey(["data_quality", "validation_results"])
WRITER_LOCK = "warehouse_writer_lock"


class WarehouseWriterLock(dg.ConfigurableResource):
    """The warehouse's writer lock, held from the start of a run to its end.

    With the in-process executor a run's resources are set up once, before its first
    step, and torn down after its last, so a run worker launched by the UI or the
    schedule waits here for a `secops run` (and the reverse). Runs from the UI are
    also queued one per warehouse by the instance's tag concurrency limit (dagster.yaml).
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        with warehouse_writer_lock(warehouse_path()):
            yield self


def _metric_table_keys() -> list[dg.AssetKey]:
    manifest = json.loads(ensure_manifest(secops_dbt_project).read_text())
    return sorted(
        (
            dg.AssetKey([node["schema"], node["name"]])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["schema"] == "metrics"
        ),
        key=lambda key: key.path,
    )


@dg.asset(
    key=BI_SNAPSHOT,
    group_name="publish",
    owners=pipeline_owners(),
    kinds={"duckdb"},
    deps=[*_metric_table_keys(), VALIDATION_RESULTS],
    required_resource_keys={WRITER_LOCK},
    # Among the steps ready at once, after the metric-table checks, so their results are in it.
    op_tags={"dagster/priority": "-10"},
)
def bi_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The DuckDB file BI tools open: every metrics.* and data_quality.* table and
    ingest.file_manifest, copied as tables with their comments into bi/<warehouse file name>
    (SECOPS_BI_FILE overrides), in a storage version DuckDB 1.x reads, and renamed over
    the previous snapshot so a reader sees the old file or the new one, never a mix."""
    result = publish_snapshot(warehouse_path(), bi_snapshot_path(warehouse_path()))
    metric_rows = sum(n for table, n in result.row_counts.items() if table.startswith("metrics."))
    context.log.info(f"bi snapshot {result.path} (storage {result.storage_version}, {len(result.row_counts)} tables)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "storage_version": result.storage_version,
            "tables": len(result.row_counts),
            "dagster/row_count": metric_rows,
            "row_counts": dg.MetadataValue.json(result.row_counts),
        }
    )


@dg.definitions
def publish_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[bi_snapshot], resources={WRITER_LOCK: WarehouseWriterLock()})
