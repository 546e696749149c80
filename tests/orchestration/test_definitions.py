"""The Dagster definitions load, and raw assets and dbt sources meet on the same keys."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from ingest.schemas import ENTITIES
from orchestration.definitions import defs
from orchestration.defs.dbt_assets import _MANIFEST, _TRANSLATOR


def _repository():
    return defs().get_repository_def()


def test_every_raw_table_is_an_asset_with_owner_group_and_kind():
    graph = _repository().asset_graph
    for entity in ENTITIES:
        node = graph.get(dg.AssetKey([entity.family, entity.table]))
        assert node.group_name == "raw"
        assert node.owners and node.owners[0].startswith("team:")
        assert "duckdb" in node.kinds


def dangling_sources(manifest: dict, graph) -> list[str]:
    """The dbt sources whose asset key is no raw asset the landing zone materializes."""
    raw_keys = {dg.AssetKey([e.family, e.table]) for e in ENTITIES}
    dangling = []
    for source in manifest["sources"].values():
        key = _TRANSLATOR.get_asset_key(source)
        node = graph.get(key) if graph.has(key) else None
        if key not in raw_keys or node is None or not node.is_materializable:
            dangling.append(f"{source['source_name']}.{source['name']} -> {'/'.join(key.path)}")
    return sorted(dangling)


def test_staging_models_depend_on_the_raw_assets_without_glue():
    graph = _repository().asset_graph
    parents = graph.get(dg.AssetKey(["staging", "stg_incident__incidents"])).parent_keys
    assert dg.AssetKey(["incident", "incidents"]) in parents
    # Every dbt source is the raw asset itself: none is left dangling (an external asset
    # under its own key), and the graph has no asset that nothing materializes.
    manifest = json.loads(Path(_MANIFEST).read_text(encoding="utf-8"))
    assert dangling_sources(manifest, graph) == []
    assert len(manifest["sources"]) == len(ENTITIES) == 10  # one source per raw table
    external = sorted("/".join(key.path) for key in graph.get_all_asset_keys() if not graph.get(key).is_materializable)
    assert external == []


def test_a_dangling_source_is_named():
    # The check above on a manifest with one source more, which no raw asset serves.
    manifest = json.loads(Path(_MANIFEST).read_text(encoding="utf-8"))
    extra = dict(next(iter(manifest["sources"].values())), source_name="incident", name="postmortems")
    manifest["sources"]["source.secops_metrics.incident.postmortems"] = extra
    assert dangling_sources(manifest, _repository().asset_graph) == ["incident.postmortems -> incident/postmortems"]


def test_metric_table_is_an_asset_in_the_metrics_group():
    node = _repository().asset_graph.get(dg.AssetKey(["metrics", "incident_response_monthly"]))
    assert node.group_name == "metrics"


def test_whole_pipeline_job_runs_in_process():
    job = defs().resolve_job_def("secops_run")
    assert job.executor_def.name == "in_process"
