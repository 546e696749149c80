"""SLO-breach notifications: the run's breached security SLOs and error budgets of closed months,
told to their owners (owners.yaml `slo_notifications`) once, with a link to the month's report.

The work is in publish/slo_notifications.py; this only wires it after the metric tables and
the report of the run's months.
"""

import warnings

import dagster as dg

from orchestration.owners import pipeline_owners
from orchestration.partitions import monthly_partitions
from orchestration.settings import reports_dir, warehouse_path


def _slo_notifications(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Breached SLOs and error budgets of the run's closed months, sent once per SLO, month and
    status to the teams owners.yaml names (and the executives, for security SLOs); a breach that
    a recompute turned into another status sends a correction."""
    from publish.slo_notifications import notify_slo_breaches

    keys = context.partition_key_range
    notices = notify_slo_breaches(warehouse_path(), context.run.run_id, reports_dir(), (keys.start, keys.end))
    sent = [n for n in notices if n.status == "sent"]
    for notice in notices:
        context.log.info(f"{notice.told} {notice.key} to {notice.team} by {notice.channel}: {notice.status}")
    return dg.MaterializeResult(
        metadata={
            "messages_sent": len(sent),
            "breaches_told": dg.MetadataValue.json(sorted({n.key for n in sent if n.told == "breached"})),
            "corrections_told": dg.MetadataValue.json(sorted({n.key for n in sent if n.told == "recovered"})),
            "not_sent": dg.MetadataValue.json(sorted({f"{n.key} {n.team} {n.channel}: {n.status}" for n in notices if n.status != "sent"})),
        }
    )


# Like the report (report_assets.py): a backfill tells its months in one run; the beta
# warning of `backfill_policy` on @asset would repeat in every process loading the definitions.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    slo_notifications = dg.asset(
        key=["publish", "slo_notifications"],
        group_name="publish",
        owners=pipeline_owners(),
        kinds={"email", "slack"},
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[
            dg.AssetKey(["metrics", "security_slo_monthly"]),
            dg.AssetKey(["metrics", "error_budget_monthly"]),
            dg.AssetKey(["report", "monthly_report"]),
        ],
    )(_slo_notifications)
