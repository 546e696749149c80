"""End to end through the `secops run` CLI, which executes the Dagster job in-process.

The fixture landing folder (tests/orchestration/landing) has small exports of every
entity; the expected values below are computed by hand from them, at as_of 2026-10-15.
Security incidents detected in September 2026:

  i1 P1 AMER  detected 0.5 h after occurrence, resolved 2.0 h after detection
  i2 P2 EMEA  detected 1.5 h after occurrence, resolved 4.0 h after detection, change CHG-7
  i3 P3 AMER  detected 1.0 h after occurrence, still open
  i5 P1 EMEA  detected exactly 1.0 h after occurrence (on time), resolved 2.0 h after detection
  i4 is an availability incident: not in the security population.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main

AS_OF = "2026-10-15T00:00:00Z"
NEXT_DAY = "2026-10-16T00:00:00Z"
FIXTURE_LANDING = Path(__file__).parent / "landing"

MONTHLY_COLUMNS = (
    "month, severity, geography, incidents, mttd_hours, mttd_median_hours, mttd_p90_hours, "
    "mttr_hours, mttr_median_hours, mttr_p90_hours, resolved_incidents, change_induced_incidents"
)


def _incident_response(warehouse: Path) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.sql(
            f"SELECT {MONTHLY_COLUMNS} FROM metrics.incident_response_monthly ORDER BY ALL"
        ).fetchall()


def _september_all(rows: list[tuple]) -> tuple:
    return next(r for r in rows if str(r[0]) == "2026-09-01" and r[1] == "ALL" and r[2] == "ALL")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, restore_environment):
    base = tmp_path_factory.mktemp("pipeline")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(FIXTURE_LANDING, landing)
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF])
    return code, landing, warehouse, _incident_response(warehouse)


def test_run_exits_zero_and_builds_incident_response(first_run):
    code, _, _, rows = first_run
    assert code == 0
    september = _september_all(rows)
    # MTTD over i1, i2, i3, i5: (0.5 + 1.5 + 1.0 + 1.0) / 4 = 1.0; median of [0.5, 1, 1, 1.5] = 1.0;
    # p90 (continuous): position 0.9 * (4 - 1) = 2.7 -> 1.0 + 0.7 * (1.5 - 1.0) = 1.35
    assert september[3] == 4
    assert september[4] == pytest.approx(1.0)
    assert september[5] == pytest.approx(1.0)
    assert september[6] == pytest.approx(1.35)
    # MTTR over the resolved i1, i2, i5: (2 + 4 + 2) / 3 = 2.6667; median of [2, 2, 4] = 2.0;
    # p90: position 0.9 * 2 = 1.8 -> 2 + 0.8 * (4 - 2) = 3.6
    assert september[7] == pytest.approx(8 / 3)
    assert september[8] == pytest.approx(2.0)
    assert september[9] == pytest.approx(3.6)
    assert september[10] == 3  # resolved
    assert september[11] == 1  # i2 carries change CHG-7


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.sql(sql).fetchall()


def _slos(warehouse: Path, month: str) -> dict[str, tuple]:
    rows = _query(
        warehouse,
        "SELECT slo_id, actual, numerator, denominator, status FROM metrics.security_slo_monthly "
        f"WHERE month = DATE '{month}'",
    )
    return {row[0]: row[1:] for row in rows}


def test_security_slos_of_september(first_run):
    _, _, warehouse, _ = first_run
    slos = _slos(warehouse, "2026-09-01")
    # Critical instances due in September (24 h after first seen):
    #   CVE-0001 #1 first 09-07 10:00, due 09-08 10:00, gone from scan s2 at exactly 09-08 10:00: met
    #   CVE-0003 (blank severity, CVSS 9.1 -> critical) first 09-10 00:00+02:00 = 09-09 22:00 UTC,
    #            due 09-10 22:00, never rescanned: open past due
    #   CVE-0001 #2 reappears at s4 09-20 10:00 (a new instance), due 09-21 10:00, closed by the
    #            clean scan s5 at 09-22 10:00: late. grype's clean scan g1 closes nothing of trivy's.
    # -> 1 / 3
    assert slos["critical_patch_24h"] == (pytest.approx(1 / 3), 1, 3, "breached")
    # Snapshot 09-01: u1 privileged with MFA, 1/1; snapshot 09-15: u1 yes, u3 no, 1/2 -> worst 0.5
    assert slos["privileged_mfa"] == (0.5, 1, 2, "breached")
    # Snapshot 09-14: production web-1 (valid), api-1 (expired 09-10), web-2 (not_after = observed_at:
    # not yet expired); staging stg-1 expired but not production -> 1 expired of 3
    assert slos["expired_certs_production"] == (1.0, 1, 3, "breached")
    # Restore test j2 succeeded -> 1/1
    assert slos["backup_restore_test"] == (1.0, 1, 1, "met")
    # P1 security: i1 0.5 h and i5 exactly 1 h (on time) -> 2/2
    assert slos["p1_detection_1h"] == (1.0, 2, 2, "met")


def test_security_slos_of_october_no_data_and_no_evidence(first_run):
    _, _, warehouse, _ = first_run
    slos = _slos(warehouse, "2026-10-01")
    # No scan, certificate or identity snapshot in October: no_data
    assert slos["critical_patch_24h"][3] == "no_data"
    assert slos["privileged_mfa"][3] == "no_data"
    assert slos["expired_certs_production"][3] == "no_data"
    # Backup j5 in October but no restore test yet, and October is in progress at as_of
    # 2026-10-15: pending (it may still come); once October has ended it is breached
    assert slos["backup_restore_test"] == (None, 0, 0, "pending")
    # Incidents cover every month from the first through as_of; no P1 in October: met, NULL actual
    assert slos["p1_detection_1h"] == (None, 0, 0, "met")


def test_dpmo_of_september(first_run):
    _, _, warehouse, _ = first_run
    rows = _query(
        warehouse,
        "SELECT process, units, opportunities, defects FROM metrics.dpmo_monthly "
        "WHERE month = DATE '2026-09-01'",
    )
    dpmo = {process: (units, opportunities, defects) for process, units, opportunities, defects in rows}
    assert dpmo["patch_management"] == (3, 3, 2)        # the three criticals above, two missed
    assert dpmo["mfa_enforcement"] == (3, 3, 1)         # 1 (09-01) + 2 (09-15) privileged; u3 no MFA
    assert dpmo["certificate_management"] == (4, 4, 1)  # 1 (09-07) + 3 (09-14) production; api-1
    assert dpmo["backup"] == (3, 6, 2)                  # j1 ok; j3 failed; j4 encryption unknown
    assert dpmo["restore_testing"] == (1, 1, 0)         # j2 succeeded
    assert dpmo["access_review"] == (2, 2, 1)           # r1 decided at due_at (on time); r2 undecided
    assert dpmo["deprovisioning"] == (2, 2, 1)          # u5 disabled exactly 24 h after; u2 5 days late
    assert dpmo["training"] == (2, 2, 1)                # a1 on time; a2 never completed; a3 optional
    assert dpmo["incident_detection"] == (2, 2, 0)      # i1, i5 within 1 h
    # all: opportunities 3+3+4+6+1+2+2+2+2 = 25, defects 2+1+1+2+0+1+1+1+0 = 9
    # dpmo = 1e6 * 9 / 25 = 360,000; sigma = Φ⁻¹(1 - 0.36) + 1.5 = 0.35846 + 1.5 = 1.85846
    (all_row,) = _query(
        warehouse,
        "SELECT opportunities, defects, dpmo, sigma_level FROM metrics.dpmo_monthly "
        "WHERE month = DATE '2026-09-01' AND process = 'all'",
    )
    assert all_row[:3] == (25, 9, pytest.approx(360_000))
    assert all_row[3] == pytest.approx(1.85846, abs=1e-4)


def test_every_metric_row_stores_the_run_as_of(first_run):
    _, _, warehouse, _ = first_run
    tables = [row[0] for row in _query(
        warehouse, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'metrics'"
    )]
    assert {"incident_response_monthly", "security_slo_monthly", "dpmo_monthly", "training_monthly",
            "training_quarterly", "error_budget_monthly"} <= set(tables)
    for table in tables:
        as_of_values = _query(warehouse, f"SELECT DISTINCT CAST(as_of AS VARCHAR) FROM metrics.{table}")
        assert as_of_values == [("2026-10-15 00:00:00+00",)], table


def test_months_run_from_first_covered_month_to_as_of(first_run):
    _, _, _, rows = first_run
    # Every family first covers September 2026; as_of is in October: two months of ALL/ALL rows.
    months = sorted({str(r[0]) for r in rows if r[1] == "ALL" and r[2] == "ALL"})
    assert months == ["2026-09-01", "2026-10-01"]
    october = next(r for r in rows if str(r[0]) == "2026-10-01" and r[1] == "ALL" and r[2] == "ALL")
    assert october[3] == 0 and october[4] is None  # no incident detected in October


def test_same_files_again_change_nothing_and_a_broken_file_is_named(first_run, tmp_path, capsys):
    # Its own copy of the first run's landing folder and warehouse: the module's shared
    # ones stay as the first run left them, whatever order the tests run in.
    _, shared_landing, shared_warehouse, rows_before = first_run
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(shared_landing, landing)
    shutil.copy2(shared_warehouse, warehouse)
    wal = shared_warehouse.with_name(shared_warehouse.name + ".wal")
    if wal.exists():  # not after a clean close; copied with the file if ever there
        shutil.copy2(wal, warehouse.with_name(warehouse.name + ".wal"))
    # The same bytes under new names, plus one file that cannot be read.
    for path in sorted(landing.rglob("*.csv")):
        shutil.copy(path, path.with_name(f"copy_of_{path.name}"))
    broken = landing / "backup" / "broken_export.csv"
    broken.write_text("job_id,system_id\n\"unterminated,quote\n", encoding="utf-8")

    # a day later, so a table rebuilt in this run shows it in its as_of
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", NEXT_DAY])

    assert code == 1
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("problem:")]
    assert problems and all("broken_export.csv" in line for line in problems)
    assert _incident_response(warehouse) == rows_before
    with open_warehouse(warehouse, read_only=True) as con:
        statuses = dict(
            con.sql("SELECT status, count(*) FROM ingest.file_manifest GROUP BY status").fetchall()
        )
    assert statuses == {"loaded": 12, "duplicate": 12, "failed": 1}  # 12 fixture files, 12 copies
    # The broken file blocks the backup family only: the tables reading backup jobs keep the
    # first run's rows and as_of, the others are rebuilt at the new as_of.
    kept = {
        table: str(_query(warehouse, f"SELECT max(as_of) FROM metrics.{table}")[0][0])
        for table in ("security_slo_monthly", "dpmo_monthly", "incident_response_monthly", "training_monthly")
    }
    assert kept["security_slo_monthly"].startswith("2026-10-15 00:00:00")
    assert kept["dpmo_monthly"].startswith("2026-10-15 00:00:00")
    assert kept["incident_response_monthly"].startswith("2026-10-16 00:00:00")
    assert kept["training_monthly"].startswith("2026-10-16 00:00:00")
