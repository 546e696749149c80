"""dbt models (staging -> intermediate -> metrics) as Dagster assets.

Sources resolve to the raw-table assets `[family, table]`; models are keyed
`[schema, model]` so the UI reads like the warehouse. Two asset definitions:
the foundation (seeds, staging, intermediate), rebuilt whole on every run, and
the metric marts, partitioned by month. A run for a month or a range of months
recomputes and replaces only those months' rows (earlier months keep their
as_of); a run without a partition rebuilds every month (--full-refresh). Every
`dbt build` gets the run's as_of, so each metric row stores the evaluation time
it was computed at. Each `dbt build` writes its target and log files to its own
folder beside the warehouse, the newest few kept (orchestration/dbt_runs.py).
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ingest.warehouse import open_warehouse
from orchestration.as_of import format_as_of, run_as_of
from orchestration.dbt_manifest import ensure_manifest, secops_dbt_project
from orchestration.dbt_runs import new_target_path
from orchestration.gating import models_blocked_by
from orchestration.owners import pipeline_owners
from orchestration.partitions import is_every_partition, monthly_partitions
from orchestration.settings import warehouse_path

VALIDATION_RESULTS = dg.AssetKey(["data_quality", "validation_results"])

_LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "metrics"}
FOUNDATION_SELECTION = "resource_type:seed path:models/staging path:models/intermediate path:models/operational"
METRICS_SELECTION = "path:models/marts"


class SecopsDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[1] if len(fqn) > 2 else None
        return _LAYER_GROUPS.get(layer, "metrics")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return pipeline_owners()

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or {}
        if node.get("resource_type") == "model" and node.get("original_file_path", "").startswith("models/marts/"):
            # The metric tables are built after the raw entities are validated: a family
            # whose checks fail with ERROR is not published from (orchestration/gating.py).
            spec = spec.merge_attributes(deps=[VALIDATION_RESULTS])
        return spec


_MANIFEST = ensure_manifest(secops_dbt_project)
_TRANSLATOR = SecopsDbtTranslator()


@dbt_assets(
    manifest=_MANIFEST,
    project=secops_dbt_project,
    dagster_dbt_translator=_TRANSLATOR,
    select=FOUNDATION_SELECTION,
    name="secops_dbt_foundation",
)
def secops_dbt_foundation(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging views and intermediate models: every rule of METRICS.md applied once, judged at as_of."""
    as_of = format_as_of(run_as_of(context))
    context.log.info(f"dbt build (foundation) with as_of={as_of}")
    yield from dbt.cli(
        ["build", "--vars", json.dumps({"as_of": as_of})], context=context, target_path=_target_path(context)
    ).stream()


@dbt_assets(
    manifest=_MANIFEST,
    project=secops_dbt_project,
    dagster_dbt_translator=_TRANSLATOR,
    select=METRICS_SELECTION,
    name="secops_dbt_metrics",
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def secops_dbt_metrics(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The metrics.* tables BI tools read, one partition per month."""
    variables: dict[str, str] = {"as_of": format_as_of(run_as_of(context))}
    args = ["build"]
    keys = context.partition_key_range if context.has_partition_key_range else None
    if keys is None or is_every_partition(keys):
        # every month: rebuilt from scratch, months before the first partition included
        args.append("--full-refresh")
        context.log.info(f"recomputing every month with as_of={variables['as_of']}")
    else:
        # Unit tests check definitions on their own fixture months, which a partition filter
        # would hide; they run with every full build.
        args += ["--exclude-resource-type", "unit_test"]
        variables.update(partition_month_from=keys.start, partition_month_to=keys.end)
        context.log.info(f"recomputing months {keys.start}..{keys.end} with as_of={variables['as_of']}")
    args += _blocked_model_exclusions(context)
    yield from dbt.cli(
        [*args, "--vars", json.dumps(variables)], context=context, target_path=_target_path(context)
    ).stream()


def _target_path(context: dg.AssetExecutionContext):
    """This invocation's target and log folder, outside the checkout, older ones pruned (orchestration/dbt_runs.py)."""
    path = new_target_path(context.op_execution_context.op.name, context.run.run_id)
    context.log.info(f"dbt target and logs: {path}")
    return path


def _blocked_model_exclusions(context: dg.AssetExecutionContext) -> list[str]:
    """`--exclude` for the metric models reading a family blocked in this run (README "Checks")."""
    from expectations.results import blocked_families

    with open_warehouse(warehouse_path(), read_only=False) as con:
        blocked = blocked_families(con, context.run.run_id)
    if not blocked:
        return []
    candidates = [
        key.path[-1] for key in context.selected_asset_keys if key.path[0] == "metrics"
    ]
    excluded = models_blocked_by(_MANIFEST, blocked, candidates)
    for family, reasons in sorted(blocked.items()):
        context.log.warning(f"family {family} is blocked: {'; '.join(reasons)}")
    if excluded:
        context.log.warning(f"not rebuilt this run (they keep their last good rows): {', '.join(excluded)}")
        return ["--exclude", " ".join(excluded)]
    return []
