"""dbt models (staging -> intermediate -> metrics) as Dagster assets.

Sources resolve to the raw-table assets `[family, table]`; models are keyed
`[schema, model]` so the UI reads like the warehouse. Every `dbt build` gets the
run's as_of, so each metric row stores the evaluation time it was computed at.
"""


import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.as_of import format_as_of, run_as_of
from orchestration.dbt_manifest import ensure_manifest, secops_dbt_project
from orchestration.owners import pipeline_owners

_LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "metrics"}


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


@dbt_assets(
    manifest=ensure_manifest(secops_dbt_project),
    project=secops_dbt_project,
    dagster_dbt_translator=SecopsDbtTranslator(),
)
def secops_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging views, intermediate models and the metrics.* tables, built and tested by dbt."""
    as_of = format_as_of(run_as_of(context))
    context.log.info(f"dbt build with as_of={as_of}")
    yield from dbt.cli(["build", "--vars", json.dumps({"as_of": as_of})], context=context).stream()
