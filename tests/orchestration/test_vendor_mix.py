"""A landing zone of vendor exports only, through `secops run`, checked against hand-computed metrics.

tests/orchestration/vendor_landing (as_of 2026-10-15):
  scanner  Trivy web-prod-1 at 09-01 00:00 with critical CVE-2026-1111; Trivy web-prod-1 at 09-01
           20:00 with no vulnerabilities (a clean rescan); Grype db-prod-1 at 09-02 00:00 with
           critical CVE-2026-2222 listed in knownExploited, never rescanned; AWS Inspector2
           list-findings: i-app-prod-1 with critical CVE-2026-3333 (ACTIVE), last observed 09-05
           00:00 (= the snapshot's scanned_at), never rescanned
  iam      Entra userRegistrationDetails: Ada admin with MFA, Bob admin without, Cy not admin;
           snapshot = the newest lastUpdatedDateTime, 09-10 00:00. Okta users pulled by Airbyte
           (RECORD messages, a LOG and a STATE skipped): admin.dana (privileged by the login
           pattern, no MFA: the users API carries none) and eli; snapshot = the latest
           emitted_at, 09-20 00:00:01
  backup   AWS Backup jobs: bj-ok (completed, encrypted), bj-failed (failed, encrypted),
           bj-plain (completed, IsEncrypted false); AWS restore jobs rj-1 completed, rj-2 failed
  incident Jira CSV with its column mapping (times in Europe/Berlin, UTC+2 in September):
           SEC-1 Highest -> P1, impact 12:00, created 12:30, resolved 15:30 local
           SEC-2 High -> P2, impact 08:00, created 11:00, resolved 13:00 local
           Opsgenie incidents list: 101 P1 tagged security, impact start 09-15 10:00Z, created
           10:20Z, resolved (impactEndDate) 12:00Z
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main

VENDOR_LANDING = Path(__file__).parent / "vendor_landing"


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory, restore_environment):
    base = tmp_path_factory.mktemp("vendor_mix")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(VENDOR_LANDING, landing)
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse),
                 "--as-of", "2026-10-15T00:00:00Z"])
    return code, warehouse


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.sql(sql).fetchall()


def test_vendor_exports_load_with_their_formats(vendor_run):
    code, warehouse = vendor_run
    assert code == 0
    formats = dict(_rows(warehouse, "SELECT file, format FROM ingest.file_manifest WHERE status = 'loaded'"))
    assert formats == {
        "backup/aws_backup_jobs_2026-09.json": "aws_backup_jobs_json",
        "backup/aws_restore_jobs_2026-09.json": "aws_restore_jobs_json",
        "iam/entra_registration_2026-09-10.json": "entra_user_registration_json",
        "iam/airbyte_okta_users_2026-09-20.jsonl": "okta_users_jsonl",
        "incident/jira_security_2026-09.csv": "mapped_incident_csv",
        "incident/opsgenie_incidents_2026-09.json": "opsgenie_incidents_json",
        "scanner/grype_db-prod-1.json": "grype_json",
        "scanner/inspector2_app-prod-1.json": "aws_inspector2_json",
        "scanner/trivy_web-prod-1_evening.json": "trivy_json",
        "scanner/trivy_web-prod-1_morning.json": "trivy_json",
    }


def test_security_slos_from_vendor_exports(vendor_run):
    _, warehouse = vendor_run
    slos = {row[0]: row[1:] for row in _rows(
        warehouse,
        "SELECT slo_id, actual, numerator, denominator, status FROM metrics.security_slo_monthly "
        "WHERE month = DATE '2026-09-01'",
    )}
    # CVE-2026-1111 due 09-02 00:00, closed by the clean rescan at 09-01 20:00: met;
    # CVE-2026-2222 due 09-03 00:00 (exploited: emergency maintenance, 24 h), still open;
    # CVE-2026-3333 (Inspector2) first seen 09-05 00:00, due 09-06 00:00, still open: 1 / 3
    assert slos["critical_patch_24h"] == (pytest.approx(1 / 3), 1, 3, "breached")
    # the worst snapshot of the month: Entra 09-10 has Ada and Bob admins, Ada with MFA (1 / 2);
    # Okta 09-20 has admin.dana privileged without MFA (0 / 1): the minimum is Okta's 0 / 1
    assert slos["privileged_mfa"] == (0.0, 0, 1, "breached")
    # no certificate export, but the scanner family covers September: met with no actual
    assert slos["expired_certs_production"] == (None, 0, 0, "met")
    # restore jobs are the restore tests: rj-1 completed, rj-2 failed: 1 / 2
    assert slos["backup_restore_test"] == (0.5, 1, 2, "breached")
    # SEC-1 (P1) detected 30 min after impact, Opsgenie 101 (P1) 20 min after: 2 / 2
    assert slos["p1_detection_1h"] == (1.0, 2, 2, "met")


def test_incident_response_from_a_mapped_jira_export(vendor_run):
    _, warehouse = vendor_run
    (row,) = _rows(
        warehouse,
        "SELECT incidents, mttd_hours, mttd_median_hours, mttd_p90_hours, mttr_hours, "
        "mttr_median_hours, mttr_p90_hours FROM metrics.incident_response_monthly "
        "WHERE month = DATE '2026-09-01' AND severity = 'ALL' AND geography = 'ALL'",
    )
    # MTTD: SEC-1 0.5 h, SEC-2 3.0 h, OG-101 1/3 h (10:00 -> 10:20)
    #   mean (0.5 + 3.0 + 1/3) / 3 = 23/18; median 0.5; p90 at rank 0.9 * 2 = 1.8 of
    #   [1/3, 0.5, 3.0]: 0.5 + 0.8 * 2.5 = 2.5
    # MTTR (detected -> resolved): SEC-1 3.0 h, SEC-2 2.0 h, OG-101 5/3 h (10:20 -> 12:00)
    #   mean (3 + 2 + 5/3) / 3 = 20/9; median 2.0; p90 of [5/3, 2, 3]: 2.0 + 0.8 * 1.0 = 2.8
    assert row == (3, pytest.approx(23 / 18), pytest.approx(0.5), pytest.approx(2.5),
                   pytest.approx(20 / 9), pytest.approx(2.0), pytest.approx(2.8))


def test_backup_dpmo_from_aws_backup(vendor_run):
    _, warehouse = vendor_run
    dpmo = {row[0]: row[1:] for row in _rows(
        warehouse,
        "SELECT process, units, opportunities, defects FROM metrics.dpmo_monthly "
        "WHERE month = DATE '2026-09-01' AND process IN ('backup', 'restore_testing')",
    )}
    # 3 backups x 2 opportunities; bj-failed fails status, bj-plain fails encryption
    assert dpmo["backup"] == (3, 6, 2)
    # rj-1 succeeded, rj-2 failed
    assert dpmo["restore_testing"] == (2, 2, 1)
