"""The monthly report, rendered from a hand-filled warehouse (report_fixture.py) for September 2026.

The numbers the HTML shows are checked against the rows put in the tables, the charts
against their files, and the Dagster asset against its metadata.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import dagster as dg
import pytest
from report_html import ReportRows
from report_fixture import (
    ACTION_ITEMS,
    AS_OF,
    EARLIER_AS_OF,
    PARTITION_KEY,
    REPORT_MONTH,
    build_fixture_warehouse,
)

from ingest.warehouse import open_warehouse
from publish.report import REPORT_TABLES, metadata_markdown, render_monthly_report
from publish.report.formatting import dpmo, percent

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("report") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def rendered(warehouse):
    reports = warehouse.parent / "reports"
    result = render_monthly_report(warehouse, reports, REPORT_MONTH, generated_at=AS_OF)
    html = result.html_path.read_text(encoding="utf-8")
    parsed = ReportRows()
    parsed.feed(html)
    return result, html, parsed


def test_report_is_written_under_the_month_folder(rendered, warehouse):
    result, _, _ = rendered
    assert result.html_path == warehouse.parent / "reports" / "2026-09" / "report.html"
    assert result.missing_tables == []


def test_slos_show_actual_numerator_and_status(rendered):
    _, _, parsed = rendered
    slo = lambda key: parsed.rows[("slos", key)]  # noqa: E731
    # cells: SLO, what, target, actual, numerator / denominator, status
    assert slo("critical_patch_24h")[2:] == ["\u2265 100.0 %", "55.4 %", "36 / 65", "\u2716 breached"]
    assert slo("privileged_mfa")[3:] == ["100.0 %", "20 / 20", "\u2714 met"]
    # a count, not a rate
    assert slo("expired_certs_production")[2:] == ["\u2264 0", "2", "2 / 40", "\u2716 breached"]
    assert slo("backup_restore_test")[3:] == ["n/a", "n/a", "\u2013 no data"]
    assert slo("p1_detection_1h")[2:4] == ["\u2265 95.0 %", "100.0 %"]
    assert len([k for k in parsed.rows if k[0] == "slos"]) == 5  # August's row is not shown


def test_scorecard_shows_the_months_weeks_and_quarter(rendered):
    _, _, parsed = rendered
    row = lambda key: parsed.rows[("scorecard", key)]  # noqa: E731
    # cells: metric, period, starting, target, actual, status
    assert row("slo_compliance/month/2026-09-01")[3:] == ["\u2265 100.0 %", "50.0 %", "\u2716 breached"]
    assert row("mttd_hours/month/2026-09-01")[3:] == ["< 1.00 h", "3.50 h", "\u2716 breached"]
    assert row("mttd_hours/week/2026-09-07")[4:] == ["0.75 h", "\u2714 met"]
    assert row("dpmo/month/2026-09-01")[3:5] == ["< 3.4", "25,296"]
    assert row("change_induced_incidents/month/2026-09-01")[3:5] == ["\u2264 0", "1"]
    assert row("training_completion/quarter/2026-07-01")[4:] == ["90.0 %", "\u2716 breached"]
    assert row("runbook_currency/month/2026-09-01")[4:] == ["n/a", "\u2013 no data"]
    assert row("mttd_hours/week/2026-08-31")[4] == "1.50 h"  # its Thursday is in September
    weeks = sorted(k[1] for k in parsed.rows if k[0] == "scorecard" and "/week/" in k[1])
    assert weeks == ["mttd_hours/week/2026-08-31", "mttd_hours/week/2026-09-07"]
    assert not any(k[1].endswith("2026-08-01") for k in parsed.rows if k[0] == "scorecard")


def test_dpmo_with_thousands_separators_and_sigma(rendered):
    _, _, parsed = rendered
    # cells: process, units, opportunities, defects, dpmo, sigma
    assert parsed.rows[("six-sigma", "patch_management")] == ["patch_management", "65", "65", "29", "446,154",
                                                              "1.63 \u03c3"]
    assert parsed.rows[("six-sigma", "backup")][2:] == ["200", "3", "15,000", "3.67 \u03c3"]
    assert parsed.rows[("six-sigma", "training")][4:] == ["0.0", "n/a"]
    assert parsed.rows[("six-sigma", "all")][4] == dpmo(1e6 * 32 / 1265) == "25,296"


def test_p_chart_flags_its_special_cause_months(rendered):
    result, html, parsed = rendered
    flags = parsed.flags["patch_management"]
    assert list(flags) == ["2026-03", "2026-09"]
    assert "16.0 %" in flags["2026-03"] and "rule 1" in flags["2026-03"]
    assert "44.6 %" in flags["2026-09"] and "rules 1, 2" in flags["2026-09"]
    # the chart's history ends with the report month: 2026-10 (flagged) is not shown
    assert 'data-month="2026-10"' not in html
    alt = next(img["alt"] for img in parsed.images if "patch_management" in img["alt"])
    assert alt == "p-chart of patch_management over 14 months, 2 special-cause point(s)"
    assert "all" not in parsed.flags  # a process without special cause lists none
    assert parsed.flags["mttd"] == {"2026-09": "special cause 2026-09: 3.50 h, limits 0.24 h \u2013 1.66 h (rule 1)"}
    assert sorted(result.special_causes) == ["mttd 2026-09", "patch_management 2026-09"]
    assert result.counts["special_causes"] == 2


def test_incidents_training_pareto_and_error_budget(rendered):
    _, _, parsed = rendered
    # incidents: severity, incidents, mttd, median, p90, mttr, median, p90, resolved, change-induced
    assert parsed.rows[("incidents", "ALL")] == ["ALL", "4", "1.00 h", "1.00 h", "1.35 h", "2.67 h", "2.00 h",
                                                 "3.60 h", "3", "1"]
    assert ("incidents", "P1") in parsed.rows
    # training: geography, due, on time, completion, delivered, clicked, click rate, reported, report rate
    assert parsed.rows[("training", "AMER")][3] == "95.0 %"
    assert parsed.rows[("training", "EMEA")][6] == "6.2 %" == percent(0.0625)
    assert parsed.rows[("training", "APAC")][6] == "n/a"  # nothing delivered: no rate
    assert parsed.rows[("training", "UNKNOWN")][3] == "n/a"
    assert [k[1] for k in parsed.rows if k[0] == "training"] == ["AMER", "EMEA", "APAC", "UNKNOWN", "ALL"]
    # pareto: rank, category, defects, share, cumulative, vital few
    assert parsed.rows[("pareto", "process/patch_management")] == ["1", "patch_management", "29", "90.6 %",
                                                                    "90.6 %", "yes"]
    assert parsed.rows[("pareto", "root_cause/software")][3:] == ["33.3 %", "83.3 %", "yes"]
    assert parsed.rows[("pareto", "root_cause/unknown")][5] == "no"
    # error budget: dimension, objective, allowed, consumed, remaining, used, status, elapsed, burn, projected
    assert parsed.rows[("error-budget", "security_incident")][:7] == [
        "security_incident", "99.9 %", "43.2 min", "90.0 min", "-46.8 min", "208.3 %", "\u2716 breached"]
    assert parsed.rows[("error-budget", "vulnerability_debt")][2:7] == ["2.00 %", "1.00 %", "1.00 %", "50.0 %",
                                                                        "\u2714 met"]
    assert parsed.rows[("error-budget", "compliance_drift")][6] == "\u2013 no data"


def test_action_items_come_last_and_are_escaped(rendered):
    _, html, parsed = rendered
    sections = re.findall(r'<section id="([^"]+)"', html)
    assert sections[-1] == "action-items"
    items = [k for k in parsed.rows if k[0] == "action-items"]
    assert len(items) == len(ACTION_ITEMS) == 3
    row = parsed.rows[("action-items", "finding_past_due/asset-7 CVE-2026-0001")]
    assert row[2:5] == ["team:platform", "2026-09-03 00:00 UTC", "2026-09-04 00:00 UTC"]
    assert row[5] == "critical, exploited; <script>alert('x')</script> & more"  # shown as text ...
    assert "<script>alert" not in html  # ... never as markup
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert len(parsed.scripts) == 1  # the onload counter only


def test_the_header_names_the_evaluation_time_of_the_rows_shown(rendered):
    result, _, parsed = rendered
    # Every row the report shows was computed at AS_OF; the per-geography incident rows,
    # computed at EARLIER_AS_OF (2026-09-02 03:00), are not read, so that time is not named.
    assert parsed.texts["report-meta"] == (
        "Month 2026-09 (calendar month, UTC). Evaluated at 2026-10-15 00:00 UTC. "
        "Generated 2026-10-15 00:00 UTC from warehouse.duckdb."
    )
    assert result.as_of_values == [AS_OF]
    assert EARLIER_AS_OF.strftime("%Y-%m-%d %H:%M") not in parsed.texts["report-meta"]
    # September had ended at 2026-10-15: no month-in-progress notice, no pending chip counted
    assert "month-in-progress" not in parsed.texts
    assert result.month_complete is True
    assert result.counts["slos_pending"] == 0


def test_charts_are_valid_pngs_beside_the_report_and_embedded(rendered):
    result, html, parsed = rendered
    names = sorted(p.name for p in result.chart_paths)
    assert names == sorted([
        "xmr_mttd.png", "p_chart_01_patch_management.png", "p_chart_02_all.png", "pareto_process.png",
        "pareto_root_cause.png", "training_by_geography.png", "error_budget.png",
    ])
    assert sorted(p.name for p in result.directory.glob("*.png")) == names
    for path in result.chart_paths:
        png = path.read_bytes()
        assert png.startswith(PNG_SIGNATURE)
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
        assert image.format == "PNG" and image.size[0] > 300
    # embedded: every chart is a data URI of exactly the file beside the report
    assert len(parsed.images) == len(names) == result.counts["charts"] == int(parsed.body["data-charts-expected"])
    embedded = {img["src"] for img in parsed.images}
    for path in result.chart_paths:
        assert "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() in embedded
    # self-contained: nothing but data: URIs, and a policy that forbids anything else
    assert not re.search(r'(?:src|href)="(?!data:|#)', html)
    assert "default-src 'none'" in html


def test_a_rerender_replaces_the_month_folder(rendered, warehouse):
    result, _, _ = rendered
    stale = result.directory / "p_chart_99_gone.png"
    stale.write_bytes(b"old")
    again = render_monthly_report(warehouse, warehouse.parent / "reports", "2026-09-01", generated_at=AS_OF)
    assert again.html_path.read_text(encoding="utf-8") == result.html_path.read_text(encoding="utf-8")
    assert not stale.exists()
    assert [p.name for p in again.directory.parent.iterdir()] == ["2026-09"]  # no staging folder left


def test_missing_tables_are_named_not_fatal(tmp_path):
    warehouse = tmp_path / "partial.duckdb"
    with open_warehouse(warehouse) as con:
        con.execute("CREATE SCHEMA metrics")
        con.execute("CREATE TABLE metrics.security_slo_monthly (month DATE, slo_id VARCHAR, description VARCHAR, "
                    "target DOUBLE, comparator VARCHAR, actual DOUBLE, numerator BIGINT, denominator BIGINT, "
                    "status VARCHAR, period_complete BOOLEAN, as_of TIMESTAMPTZ)")
        con.execute("INSERT INTO metrics.security_slo_monthly VALUES ('2026-09-01', 'privileged_mfa', 'x', 1.0, "
                    "'>=', 0.5, 1, 2, 'breached', true, ?)", [AS_OF])
    result = render_monthly_report(warehouse, tmp_path / "out", "2026-09", generated_at=AS_OF)
    assert result.missing_tables == [t for t in REPORT_TABLES if t != "security_slo_monthly"]
    html = result.html_path.read_text(encoding="utf-8")
    assert "metrics.control_chart_monthly is not in the warehouse" in html
    assert result.charts == [] and result.counts["slos_breached"] == 1
    # a month without any row: rendered when asked for, skipped in a run over many months
    assert render_monthly_report(warehouse, tmp_path / "out", "2026-08", skip_if_empty=True) is None
    assert not (tmp_path / "out" / "2026-08").exists()


def test_metadata_markdown_embeds_every_chart(rendered):
    result, _, _ = rendered
    markdown = metadata_markdown(result)
    images = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert len(images) == len(result.charts)
    assert all(base64.b64decode(image).startswith(PNG_SIGNATURE) for image in images)


def test_the_dagster_asset_renders_its_partition(warehouse, tmp_path, monkeypatch):
    from orchestration.defs.report_assets import monthly_report

    reports = tmp_path / "reports"
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SECOPS_REPORTS", str(reports))
    result = monthly_report(dg.build_asset_context(partition_key=PARTITION_KEY))
    metadata = result.metadata
    assert metadata["month"] == "2026-09"
    assert metadata["path"] == dg.MetadataValue.path(str(reports / "2026-09" / "report.html"))
    assert (reports / "2026-09" / "report.html").is_file()
    assert metadata["charts"] == 7
    assert (metadata["slos_met"], metadata["slos_breached"], metadata["slos_no_data"]) == (2, 2, 1)
    # September had ended at the rows' as_of (2026-10-15): final, nothing pending
    assert metadata["slos_pending"] == 0 and metadata["month_in_progress"] is False
    assert metadata["action_items"] == 3 and metadata["special_causes"] == 2
    preview = metadata["preview"]
    assert isinstance(preview, dg.MarkdownMetadataValue)
    assert preview.value.count("](data:image/png;base64,") == 7


def test_the_asset_definition(warehouse):
    from orchestration.defs.report_assets import monthly_report
    from orchestration.owners import pipeline_owners
    from orchestration.partitions import monthly_partitions

    spec = next(iter(monthly_report.specs))
    assert spec.key == dg.AssetKey(["report", "monthly_report"])
    assert spec.group_name == "report"
    assert list(spec.owners) == pipeline_owners()
    assert set(spec.kinds) == {"html", "matplotlib"}
    assert spec.partitions_def == monthly_partitions
    assert {dep.asset_key for dep in spec.deps} == {dg.AssetKey(["metrics", t]) for t in REPORT_TABLES}


def test_a_run_over_several_months_renders_those_with_rows(warehouse, tmp_path, monkeypatch):
    from orchestration.defs.report_assets import monthly_report

    reports = tmp_path / "reports"
    monkeypatch.setenv("SECOPS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SECOPS_REPORTS", str(reports))
    job = dg.define_asset_job("report_only", selection=[monthly_report.key])
    result = dg.Definitions(assets=[monthly_report], jobs=[job]).resolve_job_def("report_only").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2024-06-01",
              "dagster/asset_partition_range_end": "2024-08-01"},
    )
    assert result.success
    # no metric row in 2024: nothing rendered, and that is said
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["months_rendered"].value == [] and metadata["months_without_data"].value == 3
    assert not reports.exists() or not any(reports.iterdir())

    result = dg.Definitions(assets=[monthly_report], jobs=[job]).resolve_job_def("report_only").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2026-08-01",
              "dagster/asset_partition_range_end": "2026-10-01"},
    )
    assert result.success
    events = result.get_asset_materialization_events()
    assert sorted(e.materialization.partition for e in events) == ["2026-08-01", "2026-09-01", "2026-10-01"]
    metadata = events[0].materialization.metadata
    assert metadata["months_rendered"].value == ["2026-08", "2026-09", "2026-10"]
    assert "data:image" not in metadata["preview"].value  # charts only for a one-month run
    assert sorted(p.name for p in reports.iterdir()) == ["2026-08", "2026-09", "2026-10"]
