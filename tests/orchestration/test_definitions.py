"""The Dagster definitions load, and raw assets and dbt sources meet on the same keys."""

from __future__ import annotations

import dagster as dg

from ingest.schemas import ENTITIES
from orchestration.definitions import defs


def _repository():
    return defs().get_repository_def()


def test_every_raw_table_is_an_asset_with_owner_group_and_kind():
    graph = _repository().asset_graph
    for entity in ENTITIES:
        node = graph.get(dg.AssetKey([entity.family, entity.table]))
        assert node.group_name == "raw"
        assert node.owners and node.owners[0].startswith("team:")
        assert "duckdb" in node.kinds


def test_staging_models_depend_on_the_raw_assets_without_glue():
    graph = _repository().asset_graph
    parents = graph.get(dg.AssetKey(["staging", "stg_incident__incidents"])).parent_keys
    assert dg.AssetKey(["incident", "incidents"]) in parents
    # No dbt source is left dangling as an external asset: each is the raw asset itself.
    raw_keys = {dg.AssetKey([e.family, e.table]) for e in ENTITIES}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_external:
            assert key not in raw_keys


def test_metric_table_is_an_asset_in_the_metrics_group():
    node = _repository().asset_graph.get(dg.AssetKey(["metrics", "incident_response_monthly"]))
    assert node.group_name == "metrics"


def test_whole_pipeline_job_runs_in_process():
    job = defs().resolve_job_def("secops_run")
    assert job.executor_def.name == "in_process"
