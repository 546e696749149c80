"""Great Expectations checks: the measurement system analysis that gates publication.

- `data_quality/validation_results` validates every raw entity (as the metrics read
  it: staging, or the merged record) after the foundation is built and before the
  metric tables are, records one row per expectation in
  data_quality.validation_results, refreshes the register of measurement definitions
  and writes the HTML page of the latest validations.
- `raw_entity_checks` shows those results as checks on the raw assets, one per
  dimension (completeness, validity, uniqueness, timeliness, consistency).
- `metric_table_checks` validates the metrics.* tables after they are built.
A failed check alerts the asset's owners (publish/alerts). An ERROR on a raw
entity blocks its family: the metric models reading it are not rebuilt in the run
(orchestration/gating.py, applied by the metrics dbt asset).
"""


from collections.abc import Iterable

import dagster as dg

from expectations.suites import METRIC_SUITES, RAW_SUITES
from ingest.warehouse import open_warehouse
from orchestration.as_of import run_as_of
from orchestration.dbt_manifest import ensure_manifest, secops_dbt_project
from orchestration.data_quality_alerts import alert_failed_checks
from orchestration.owners import pipeline_owners
from orchestration.settings import data_docs_dir, warehouse_path

VALIDATION_RESULTS = dg.AssetKey(["data_quality", "validation_results"])


def _relation_key(relation: str) -> dg.AssetKey:
    return dg.AssetKey(relation.split("."))


def _check_specs(suites, extra_deps: Iterable[dg.AssetKey] = ()) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=dimension,
            asset=dg.AssetKey(list(suite.asset_key)),
            description=f"{dimension.capitalize()} of suite {suite.name}: {suite.description}",
            additional_deps=list(extra_deps),
        )
        for suite in suites
        for dimension in suite.dimensions
    ]


@dg.asset(
    key=VALIDATION_RESULTS,
    group_name="data_quality",
    owners=pipeline_owners(),
    kinds={"great_expectations", "duckdb"},
    deps=sorted({_relation_key(r) for suite in RAW_SUITES for r in suite.relations}, key=str),
    description=(
        "Every expectation of every raw-entity suite (expectations/suites), validated by "
        "Great Expectations on the warehouse at the run's as_of: one row per expectation "
        "and run in data_quality.validation_results. Also refreshes "
        "data_quality.measurement_definitions and the HTML page of the latest validations."
    ),
)
def validation_results(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from expectations.data_docs import write_data_docs
    from expectations.register import write_register
    from expectations.results import blocked_families

    with open_warehouse(warehouse_path()) as con:
        outcomes = _validate(con, context, RAW_SUITES)
        definitions = write_register(con)
        # the metrics dbt asset acts on (and logs) the blocked families
        blocked = blocked_families(con, context.run.run_id)
        page = write_data_docs(con, data_docs_dir())
    failed = [o for o in outcomes if not o.success]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(outcomes),
            "expectations": len(outcomes),
            "failed_expectations": len(failed),
            "errors": sum(o.severity == "ERROR" for o in failed),
            "blocked_families": dg.MetadataValue.json(blocked),
            "measurement_definitions": definitions,
            "data_docs": dg.MetadataValue.path(str(page)),
            "as_of": run_as_of(context).isoformat(),
        }
    )


def _validate(con, context, suites) -> list:
    """Run the suites at the run's as_of and record their outcomes under the run's id."""
    from datetime import datetime, timezone

    from expectations.adapter import run_suites
    from expectations.results import record_outcomes

    as_of = run_as_of(context)
    outcomes = run_suites(con, suites, as_of)
    record_outcomes(
        con, outcomes, run_id=context.run.run_id, as_of=as_of, validated_at=datetime.now(timezone.utc)
    )
    return outcomes


def _yield_selected(context, verdicts, error_share):
    from expectations.adapter import check_result

    selected = context.selected_asset_check_keys
    for verdict in verdicts:
        key = dg.AssetCheckKey(dg.AssetKey(list(verdict.asset_key)), verdict.dimension)
        if key in selected:
            yield check_result(verdict, error_share)


@dg.multi_asset_check(
    name="raw_entity_checks",
    specs=_check_specs(RAW_SUITES, extra_deps=[VALIDATION_RESULTS]),
    can_subset=True,
    description="The raw-entity suites' results of this run, as checks on the raw assets.",
)
def raw_entity_checks(context: dg.AssetCheckExecutionContext) -> Iterable[dg.AssetCheckResult]:
    from expectations.adapter import verdicts
    from expectations.config import load_config
    from expectations.results import run_outcomes

    raw_suites = {suite.name for suite in RAW_SUITES}
    with open_warehouse(warehouse_path()) as con:
        outcomes = [o for o in run_outcomes(con, context.run.run_id) if o.suite in raw_suites]
        if not outcomes:  # the checks run without the validation asset: validate now
            outcomes = _validate(con, context, RAW_SUITES)
        found = verdicts(outcomes)
        alert_failed_checks(con, context, found)
    yield from _yield_selected(context, found, load_config().error_share)


def _built_metric_suites():
    """The metric suites whose table is a model of the dbt project (their assets exist)."""
    import json

    manifest = json.loads(ensure_manifest(secops_dbt_project).read_text())
    models = {
        (node["schema"], node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    return [suite for suite in METRIC_SUITES if tuple(suite.asset_key) in models]


_METRIC_SUITES = _built_metric_suites()


@dg.multi_asset_check(
    name="metric_table_checks",
    specs=_check_specs(_METRIC_SUITES),
    can_subset=True,
    description="The metrics.* suites: rates in [0, 1], numerators within denominators, keys unique, status words.",
)
def metric_table_checks(context: dg.AssetCheckExecutionContext) -> Iterable[dg.AssetCheckResult]:
    from expectations.adapter import verdicts
    from expectations.config import load_config
    from expectations.data_docs import write_data_docs

    selected_assets = {key.asset_key for key in context.selected_asset_check_keys}
    suites = [s for s in _METRIC_SUITES if dg.AssetKey(list(s.asset_key)) in selected_assets]
    with open_warehouse(warehouse_path()) as con:
        outcomes = _validate(con, context, suites)
        write_data_docs(con, data_docs_dir())
        found = verdicts(outcomes)
        alert_failed_checks(con, context, found)
    yield from _yield_selected(context, found, load_config().error_share)
