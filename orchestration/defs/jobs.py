"""The whole pipeline as one job: ingest every family, then build and test every metric."""

import dagster as dg

secops_run = dg.define_asset_job(
    name="secops_run",
    selection=dg.AssetSelection.all(),
    description="Ingest everything new in the landing folder, then build and check every metric.",
    executor_def=dg.in_process_executor,
)
