"""The whole pipeline as one job: ingest every family, rebuild the foundation, build and test the metrics.

The metric tables are partitioned by month, so a run names its months: one month
(the schedule), a range (a backfill, from the UI or `secops run --month A:B`), or
every partition (`secops run` without --month), which rebuilds every month.
"""

import dagster as dg

from orchestration.partitions import monthly_partitions
from orchestration.settings import warehouse_path

# The instance's run queue admits one run per value of this tag (dagster.yaml, `make ui`),
# so runs launched from the UI or the schedule never write the same warehouse at once.
WAREHOUSE_TAG = "secops/warehouse"

secops_run = dg.define_asset_job(
    name="secops_run",
    selection=dg.AssetSelection.all(),
    partitions_def=monthly_partitions,
    description="Ingest everything new in the landing folder, then build and check the metrics of the run's months.",
    executor_def=dg.in_process_executor,
    tags={WAREHOUSE_TAG: str(warehouse_path())},
)
