"""The BI snapshot as an asset, and the writer lock every run holds (orchestration/writer_lock.py).

`publish/bi_snapshot` runs after the metric tables (and, by its low priority, after the
metric-table checks that write data_quality.validation_results): a run that failed
before its metric models skips it and publishes nothing; a run with a blocked family
publishes the tables as they stand, the blocked ones with their last good rows.
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


@dg.op(
    ins={"published_after": dg.In(dg.Nothing)},
    out=dg.Out(dg.Nothing),
    required_resource_keys={WRITER_LOCK},
    # Among the steps ready at once, after the metric-table checks, so their results are in it.
    tags={"dagster/priority": "-10"},
)
def publish_bi_snapshot(context: dg.OpExecutionContext):
    """Copy the published tables into a new snapshot file and rename it over the last one."""
    result = publish_snapshot(warehouse_path(), bi_snapshot_path(warehouse_path()))
    metric_rows = sum(n for table, n in result.row_counts.items() if table.startswith("metrics."))
    context.log.info(f"bi snapshot {result.path} (storage {result.storage_version}, {len(result.row_counts)} tables)")
    yield dg.Output(
        None,
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "storage_version": result.storage_version,
            "tables": len(result.row_counts),
            "dagster/row_count": metric_rows,
            "row_counts": dg.MetadataValue.json(result.row_counts),
        },
    )


# One fan-in input over the gate and every metric table: Dagster skips a step when one of
# its inputs was not produced, but a fan-in input only when none of its sources was. A metric
# model left out for a blocked family produces nothing, and the snapshot must still be
# published; a failed metrics step (or a failed gate) leaves it unrun, publishing nothing.
_UPSTREAM = {"__".join(key.path): key for key in [VALIDATION_RESULTS, *_metric_table_keys()]}


@dg.graph_asset(
    key=BI_SNAPSHOT,
    group_name="publish",
    owners=pipeline_owners(),
    kinds={"duckdb"},
    ins={name: dg.AssetIn(key, dagster_type=dg.Nothing) for name, key in _UPSTREAM.items()},
    description=(
        "The DuckDB file BI tools open: every metrics.* and data_quality.* table and "
        "ingest.file_manifest, copied as tables with their comments into bi/<warehouse file name> "
        "(SECOPS_BI_FILE overrides), in a storage version DuckDB 1.x reads, and renamed over the "
        "previous snapshot so a reader sees the old file or the new one, never a mix."
    ),
)
def bi_snapshot(**upstream):
    return publish_bi_snapshot(published_after=list(upstream.values()))


@dg.definitions
def publish_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[bi_snapshot], resources={WRITER_LOCK: WarehouseWriterLock()})
