"""The monthly report on a warehouse that `dbt build` made from a small landing zone.

The landing zone is the pipeline test's (tests/orchestration/landing; its values are
derived there). It is ingested and built with as_of 2026-10-02 03:00 UTC, the moment
of the schedule's run: September has ended, October is in progress. The fast report
tests (test_report.py) use a hand-filled warehouse (report_fixture.py); the first
test here proves its tables have the columns and types dbt builds, so the two cannot
drift apart. The metric checks that guard the report's status words run here too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from report_fixture import build_fixture_warehouse
from report_html import parse_report

from ingest.load import ingest_landing
from ingest.warehouse import open_warehouse
from orchestration.run_summary import print_headline
from publish.report import REPORT_TABLES, render_monthly_report

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
FIXTURE_LANDING = Path(__file__).parent / "landing"
# the 2nd of the month at 03:00 UTC: when the schedule judges the month before
AS_OF = datetime(2026, 10, 2, 3, 0, tzinfo=timezone.utc)

_COLUMNS = """
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'metrics' ORDER BY table_name, ordinal_position
"""


def _schema(warehouse: Path) -> dict[str, list[tuple[str, str]]]:
    with open_warehouse(warehouse, read_only=True) as con:
        rows = con.execute(_COLUMNS).fetchall()
    schema: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        schema.setdefault(table, []).append((column, data_type))
    return schema


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report_dbt")
    warehouse = base / "warehouse.duckdb"
    with open_warehouse(warehouse) as con:
        ingest_landing(con, FIXTURE_LANDING, now=AS_OF)
    # dbt in its own process, as the pipeline runs it: in-process, dbt-duckdb keeps the file open
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build",
         "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(base / "target"), "--log-path", str(base / "logs"),
         "--vars", json.dumps({"as_of": AS_OF.isoformat()}),
         # the unit tests check definitions on their own rows, not this warehouse
         "--exclude-resource-type", "unit_test"],
        env={**os.environ, "SECOPS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )
    if result.returncode != 0:
        pytest.fail("dbt build failed:\n" + result.stdout[-6000:] + result.stderr[-3000:])
    return warehouse


@pytest.fixture(scope="module")
def reports(built_warehouse):
    folder = built_warehouse.parent / "reports"
    rendered = {}
    for month in ("2026-09", "2026-10"):
        result = render_monthly_report(built_warehouse, folder, month, generated_at=AS_OF)
        rendered[month] = (result, parse_report(result.html_path.read_text(encoding="utf-8")))
    return rendered


def test_the_hand_filled_fixture_has_the_schema_dbt_builds(built_warehouse, tmp_path):
    built = _schema(built_warehouse)
    fixture = _schema(build_fixture_warehouse(tmp_path / "fixture.duckdb"))
    assert set(REPORT_TABLES) <= set(built)
    for table in REPORT_TABLES:
        assert fixture.get(table) == built[table], table


def test_september_has_ended_and_shows_the_pipelines_values(reports):
    result, parsed = reports["2026-09"]
    slo = lambda key: parsed.rows[("slos", key)]  # noqa: E731
    # cells: SLO, what, target, actual, numerator / denominator, status (test_pipeline.py derives
    # the values from the exports): criticals 1 of 3 in their window; the worst identity snapshot
    # 1 of 2 privileged with MFA; 1 of 3 production certificates expired; restore test j2
    # succeeded; both P1s detected within 1 h.
    assert slo("critical_patch_24h")[2:] == ["\u2265 100.0 %", "33.3 %", "1 / 3", "\u2716 breached"]
    assert slo("privileged_mfa")[3:] == ["50.0 %", "1 / 2", "\u2716 breached"]
    assert slo("expired_certs_production")[2:] == ["\u2264 0", "1", "1 / 3", "\u2716 breached"]
    assert slo("backup_restore_test")[3:] == ["100.0 %", "1 / 1", "\u2714 met"]
    assert slo("p1_detection_1h")[3:] == ["100.0 %", "2 / 2", "\u2714 met"]
    # SLO compliance: 2 met / 5 met or breached = 40 %
    assert parsed.rows[("scorecard", "slo_compliance/month/2026-09-01")][1:] == [
        "month", "2026-09-01", "\u2265 100.0 %", "40.0 %", "\u2716 breached"]
    # Q3 ended at 2026-10-01 00:00, before as_of: complete; no DR test ever -> no data
    assert parsed.rows[("scorecard", "dr_test_success/quarter/2026-07-01")][1:] == [
        "quarter", "2026-07-01", "\u2265 100.0 %", "n/a", "\u2013 no data"]
    # DPMO all: 9 defects of 25 opportunities = 360,000 (test_pipeline.py)
    assert parsed.rows[("six-sigma", "all")][2:5] == ["25", "9", "360,000"]
    assert "month-in-progress" not in parsed.texts
    assert result.month_complete is True
    assert parsed.texts["report-meta"].startswith("Month 2026-09 (calendar month, UTC). Evaluated at 2026-10-02 03:00 UTC.")


def test_october_is_in_progress_and_its_missing_restore_test_is_pending(reports):
    result, parsed = reports["2026-10"]
    # backup j5 on 10-02 01:00 covers October; no restore test yet and October has 29 days to
    # go: pending, not breached (before this change a run on the 2nd said breached)
    assert parsed.rows[("slos", "backup_restore_test")][3:] == ["n/a", "0 / 0", "\u2026 pending"]
    # no scan, certificate or identity snapshot in October: no data; incidents cover every
    # month through as_of, no P1 in October: met with no actual
    assert parsed.rows[("slos", "critical_patch_24h")][5] == "\u2013 no data"
    assert parsed.rows[("slos", "p1_detection_1h")][3:] == ["n/a", "0 / 0", "\u2714 met"]
    assert parsed.texts["month-in-progress"].startswith(
        "Month in progress: 2026-10 had not ended when these rows were evaluated")
    assert result.month_complete is False
    assert result.counts["slos_pending"] == 1 and result.counts["slos_breached"] == 0
    # scorecard: p1_detection met is the only SLO judged (the pending one is left out) -> 1/1
    assert parsed.rows[("scorecard", "slo_compliance/month/2026-10-01")][1:] == [
        "month (in progress)", "2026-10-01", "\u2265 100.0 %", "100.0 %", "\u2714 met"]
    # the ISO week of Mon 09-28 (its Thursday is 10-01) holds as_of; so does Q4
    assert parsed.rows[("scorecard", "mttd_hours/week/2026-09-28")][1] == "week (in progress)"
    assert parsed.rows[("scorecard", "dr_test_success/quarter/2026-10-01")][1:] == [
        "quarter (in progress)", "2026-10-01", "\u2265 100.0 %", "n/a", "\u2013 no data"]


def test_the_headline_of_a_run_on_the_2nd_says_pending(built_warehouse, capsys):
    print_headline(built_warehouse, AS_OF)
    lines = capsys.readouterr().out.splitlines()
    september = lines.index("2026-09, as_of 2026-10-02T03:00:00+00:00:")
    october = lines.index(
        "2026-10 (month in progress; pending = no evidence yet, it may still arrive), as_of 2026-10-02T03:00:00+00:00:")
    assert september < october
    restore = [line.split() for line in lines if line.strip().startswith("SLO backup_restore_test")]
    # September: j2 succeeded, 1/1; October: nothing yet, 0/0
    assert restore == [
        ["SLO", "backup_restore_test", "met", "100.0%", "(1/1;", "target", ">=", "1)"],
        ["SLO", "backup_restore_test", "pending", "n/a", "(0/0;", "target", ">=", "1)"],
    ]


def test_the_metric_checks_pass_and_refuse_pending_in_a_complete_month(built_warehouse, tmp_path):
    import shutil

    from expectations.adapter import run_suites
    from expectations.suites import METRIC_SUITES

    suites = [s for s in METRIC_SUITES if s.name in ("metrics.security_slo_monthly", "metrics.opex_scorecard")]

    def failures(warehouse: Path) -> list[tuple[str, str]]:
        with open_warehouse(warehouse, read_only=True) as con:
            outcomes = run_suites(con, suites, AS_OF)
        return sorted((o.suite, o.expectation) for o in outcomes if not o.success)

    assert failures(built_warehouse) == []
    # September has ended: a pending row there is a defect of the pipeline
    broken = shutil.copy(built_warehouse, tmp_path / "broken.duckdb")
    with open_warehouse(broken) as con:
        con.execute("UPDATE metrics.security_slo_monthly SET status = 'pending' "
                    "WHERE month = DATE '2026-09-01' AND slo_id = 'backup_restore_test'")
    assert failures(broken) == [("metrics.security_slo_monthly", "expect_column_pair_values_to_be_in_set")]
