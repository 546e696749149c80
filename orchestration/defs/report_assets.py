"""The monthly report: one month's metrics as a self-contained HTML page with PNG charts.

Rendered by publish.report into `<reports>/<YYYY-MM>/report.html` (SECOPS_REPORTS,
default reports/ beside the warehouse file), read-only from the metric tables it depends
on. The charts also appear in the materialisation's metadata, so the Dagster UI shows
them without opening the file.
"""

import warnings

import dagster as dg

from orchestration.owners import pipeline_owners
from orchestration.partitions import monthly_partitions
from publish.report import REPORT_TABLES, metadata_markdown, render_monthly_report
from publish.report.data import parse_month
from publish.report.formatting import month_label
from orchestration.settings import reports_dir, warehouse_path


def _monthly_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The month's report for people: scorecard, the five security SLOs with status, a p-chart
    per process and the MTTD XmR chart with their limits and special causes, the Pareto of
    defects, training completion and phishing click rate by geography, the error budget and,
    last, the open action items. One HTML file with the charts embedded, PNGs beside it.

    A run over several months renders each month that has metric rows (months without
    any are skipped); the metadata describes the last month rendered, and carries the
    charts only when the run rendered one month (Dagster records a range's metadata once
    per partition, and the charts are the bulk of it).
    """
    warehouse, folder = warehouse_path(), reports_dir()
    months = [parse_month(key) for key in context.partition_keys]
    several = len(months) > 1
    rendered, skipped = [], []
    for month in months:
        result = render_monthly_report(warehouse, folder, month, skip_if_empty=several)
        if result is None:
            skipped.append(month_label(month))
            continue
        rendered.append(result)
        context.log.info(
            f"report {result.month_label}: {result.html_path} ({result.counts['charts']} charts"
            + (f"; not in the warehouse: {', '.join(result.missing_tables)}" if result.missing_tables else "")
            + ")"
        )
    if skipped:
        context.log.info(f"no metric rows, no report: {len(skipped)} month(s) from {skipped[0]} to {skipped[-1]}")

    metadata: dict = {
        "reports_folder": dg.MetadataValue.path(str(folder)),
        "months_rendered": dg.MetadataValue.json([r.month_label for r in rendered]),
        "months_without_data": len(skipped),
    }
    if rendered:
        last = rendered[-1]
        metadata.update(
            {
                "path": dg.MetadataValue.path(str(last.html_path)),
                "month": last.month_label,
                **last.counts,
                "charts_files": dg.MetadataValue.json([p.name for p in last.chart_paths]),
                "missing_tables": dg.MetadataValue.json(last.missing_tables),
                "special_causes_this_month": dg.MetadataValue.json(last.special_causes),
                "as_of": dg.MetadataValue.json([v.isoformat() for v in last.as_of_values]),
                # False once the month had ended at its rows' as_of (METRICS.md period_complete)
                "month_in_progress": last.month_complete is False,
            }
        )
    if len(rendered) == 1:
        metadata["preview"] = dg.MetadataValue.md(metadata_markdown(rendered[0]))
    elif rendered:
        metadata["preview"] = dg.MetadataValue.md(
            f"{len(rendered)} monthly reports rendered, {rendered[0].month_label} to {rendered[-1].month_label}, "
            f"under `{folder}`; materialise one month to see its charts here."
        )
    return dg.MaterializeResult(metadata=metadata)


# A backfill renders its months in one run, like the metric tables it reads (dbt_assets.py).
# `backfill_policy` on @asset is marked beta in Dagster 1.13; the warning would repeat in every
# process that loads the definitions.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    monthly_report = dg.asset(
        key=["report", "monthly_report"],
        group_name="report",
        owners=pipeline_owners(),
        kinds={"html", "matplotlib"},
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(["metrics", table]) for table in REPORT_TABLES],
    )(_monthly_report)
