"""Raw tables: the landing folder's export files loaded into `raw.<entity>`.

One asset per raw table, keyed `[family, table]` exactly as the dbt sources are
named, so dbt staging models attach to them without glue. A single multi-asset
loads them because one scan of the landing folder serves every family; selecting
some of them ingests only their families.

Each asset shows its column schema (ingest/schemas.py) and, where its family has a
cadence, a freshness policy with the window of the timeliness check; the `freshness`
check on it says, at the run's as_of (now for a run launched without one), whether the
newest record is older than that window (orchestration/freshness.py).
"""


import dagster as dg

from ingest.load import ingest_landing
from ingest.schemas import ENTITIES, Entity
from ingest.warehouse import ensure_schema, open_warehouse
from orchestration.as_of import run_as_of
from orchestration.freshness import freshness_column, freshness_policy, freshness_window, table_schema
from publish.alerts import FailedExpectation, check_failure_alert, deliver_alerts
from orchestration.owners import owners_for
from orchestration.settings import default_timezone, landing_dir, warehouse_path

FILES_READABLE = "files_readable"
# Materialization metadata: paths this run did not read and why (ignored entries, files still
# being written); the CLI prints each once as a `warning:` line (orchestration/run_summary.py).
LANDING_WARNINGS = "landing_warnings"
ROWS_ACCEPTED = "rows_accepted"
FRESHNESS = "freshness"


def _asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(list(entity.asset_key))


def _spec(entity: Entity) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=_asset_key(entity),
        group_name="raw",
        owners=owners_for(entity.family, entity.table),
        kinds={"duckdb", "csv"},
        description=(
            f"{entity.description} Loaded from the export files in `<landing>/{entity.family}/` "
            f"into `raw.{entity.table}`, one row per exported record with its file, sha256, "
            "row number and load time."
        ),
        metadata={
            "dagster/table_name": f"raw.{entity.table}",
            "dagster/column_schema": table_schema(entity),
            "family": entity.family,
        },
        freshness_policy=freshness_policy(entity),
        skippable=True,
    )


def _check_specs(entity: Entity) -> list[dg.AssetCheckSpec]:
    key = _asset_key(entity)
    specs = [
        dg.AssetCheckSpec(
            FILES_READABLE,
            asset=key,
            description=f"Every export file in <landing>/{entity.family}/ could be read; "
            "an unreadable file loads nothing and is named here.",
        ),
        dg.AssetCheckSpec(
            ROWS_ACCEPTED,
            asset=key,
            description="Rows rejected for a type or a blank required field in this run "
            "(kept in ingest.rejected_rows with file, row, field and reason).",
        ),
    ]
    window = freshness_window(entity)
    if window is not None:
        specs.append(dg.AssetCheckSpec(
            FRESHNESS,
            asset=key,
            description=f"The newest {freshness_column(entity)} is at most {window.total_seconds() / 3600:g} h "
            f"older than the run's as_of (the {entity.family} family's cadence in owners.yaml, with its grace).",
        ))
    return specs


def _freshness(con, entity: Entity, as_of) -> tuple[dg.AssetCheckResult, object] | None:
    """The newest record at or before as_of against the family's window (WARN, as a stale GX check)."""
    from expectations.config import load_config

    window, column = freshness_window(entity), freshness_column(entity)
    if window is None:
        return None
    newest = con.execute(
        f"SELECT max({column}) FROM raw.{entity.table} WHERE NOT _withdrawn AND {column} <= ?", [as_of]
    ).fetchone()[0]
    age_hours = None if newest is None else round((as_of - newest).total_seconds() / 3600, 2)
    config = load_config()
    threshold = window.total_seconds() / 3600
    summary = (
        f"no {column} at or before as_of" if newest is None
        else f"newest {column} {newest.isoformat()} is {age_hours:g} h old at as_of {as_of.isoformat()}; "
        f"at most {threshold:g} h ({config.family_cadences.get(entity.family)})"
    )
    result = dg.AssetCheckResult(
        asset_key=_asset_key(entity),
        check_name=FRESHNESS,
        passed=newest is not None and newest >= as_of - window,
        severity=dg.AssetCheckSeverity.ERROR if config.stale_severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=summary,
        metadata={
            "newest_record_at": dg.MetadataValue.timestamp(newest) if newest else dg.MetadataValue.text("no records"),
            "as_of": as_of.isoformat(),
            "age_hours": age_hours if age_hours is not None else dg.MetadataValue.text("n/a"),
            "threshold_hours": threshold,
            "summary": summary,
            "cadence": config.family_cadences.get(entity.family) or "",
        },
    )
    return result, newest


@dg.multi_asset(
    name="landing_zone",
    specs=[_spec(e) for e in ENTITIES],
    check_specs=[spec for e in ENTITIES for spec in _check_specs(e)],
    can_subset=True,
    description="Loads every new export file of the landing folder into the raw tables.",
)
def landing_zone(context: dg.AssetExecutionContext):
    selected = [e for e in ENTITIES if _asset_key(e) in context.selected_asset_keys]
    families = sorted({e.family for e in selected})
    landing = landing_dir()
    as_of = run_as_of(context)
    with open_warehouse(warehouse_path()) as con:
        ensure_schema(con)
        report = ingest_landing(con, landing, families=families, default_tz=default_timezone())
        table_rows = {
            e.table: con.sql(f"SELECT count(*) FROM raw.{e.table} WHERE NOT _withdrawn").fetchall()[0][0]
            for e in selected
        }
        freshness = {e.table: _freshness(con, e, as_of) for e in selected}
    for line in report.summary_lines():
        context.log.info(line)
    warnings = report.warning_lines()
    for line in warnings:
        context.log.warning(line)

    alerts = []
    for entity in selected:
        key = _asset_key(entity)
        files = report.files_by_table.get(entity.table, [])
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": table_rows[entity.table],
                "rows_loaded_this_run": report.rows_loaded_by_table.get(entity.table, 0),
                "files_loaded_this_run": dg.MetadataValue.json(files),
                "landing_folder": str(landing / entity.family),
                LANDING_WARNINGS: dg.MetadataValue.json(warnings),
                **(
                    {"newest_record_at": dg.MetadataValue.timestamp(freshness[entity.table][1])}
                    if freshness[entity.table] and freshness[entity.table][1] else {}
                ),
            },
        )
        if freshness[entity.table]:
            yield freshness[entity.table][0]
        failed = [f for f in report.failed if f.family == entity.family]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=FILES_READABLE,
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "failed_files": len(failed),
                "threshold": 0,
                "errors": dg.MetadataValue.json([f.error for f in failed]),
            },
        )
        if failed:
            alerts.append(check_failure_alert(
                context.run.run_id, key, FILES_READABLE, severity="ERROR",
                failed_expectations=[FailedExpectation("file_readable", None, len(failed), None, tuple(f.error for f in failed))],
                summary=f"{len(failed)} export files in <landing>/{entity.family}/ could not be loaded",
            ))
        rejected = report.rejected_by_table.get(entity.table, 0)
        read = rejected + report.rows_loaded_by_table.get(entity.table, 0)
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=ROWS_ACCEPTED,
            passed=rejected == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_rejected": rejected,
                "rows_read": read,
                "rejected_share": round(rejected / read, 6) if read else 0.0,
                "threshold": 0,
            },
        )
        if rejected:
            alerts.append(check_failure_alert(
                context.run.run_id, key, ROWS_ACCEPTED, severity="WARN",
                failed_expectations=[FailedExpectation("row_accepted", None, rejected, round(100 * rejected / read, 4) if read else None)],
                summary=f"{rejected} of {read} rows rejected (ingest.rejected_rows has file, row, field and reason)",
            ))
    if alerts:
        deliver_alerts(warehouse_path(), alerts)
