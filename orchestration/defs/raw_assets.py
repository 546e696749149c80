"""Raw tables: the landing folder's export files loaded into `raw.<entity>`.

One asset per raw table, keyed `[family, table]` exactly as the dbt sources are
named, so dbt staging models attach to them without glue. A single multi-asset
loads them because one scan of the landing folder serves every family; selecting
some of them ingests only their families.
"""


import dagster as dg

from ingest.load import ingest_landing
from ingest.schemas import ENTITIES, Entity
from ingest.warehouse import ensure_schema, open_warehouse
from publish.alerts import FailedExpectation, check_failure_alert, deliver_alerts
from orchestration.owners import owners_for
from orchestration.settings import default_timezone, landing_dir, warehouse_path

FILES_READABLE = "files_readable"
ROWS_ACCEPTED = "rows_accepted"


def _asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(list(entity.asset_key))


def _spec(entity: Entity) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=_asset_key(entity),
        group_name="raw",
        owners=owners_for(entity.family, entity.table),
        kinds={"duckdb", "csv"},
        description=(
            f"{entity.description} Loaded from the export files in <landing>/{entity.family}/ "
            f"into raw.{entity.table}, one row per exported record with its file, sha256, "
            "row number and load time."
        ),
        metadata={"dagster/table_name": f"raw.{entity.table}", "family": entity.family},
        skippable=True,
    )


def _check_specs(entity: Entity) -> list[dg.AssetCheckSpec]:
    key = _asset_key(entity)
    return [
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
    with open_warehouse(warehouse_path()) as con:
        ensure_schema(con)
        report = ingest_landing(con, landing, families=families, default_tz=default_timezone())
        table_rows = {
            e.table: con.sql(f"SELECT count(*) FROM raw.{e.table} WHERE NOT _withdrawn").fetchall()[0][0]
            for e in selected
        }
    for line in report.summary_lines():
        context.log.info(line)

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
            },
        )
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
