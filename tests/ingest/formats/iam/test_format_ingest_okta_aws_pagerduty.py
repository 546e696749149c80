"""Vendor exports through the loader: an Okta export, an AWS credential report and a PagerDuty
list land in raw.identities (one directory per format) and raw.incidents, typed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.load import ingest_landing
from tests.conftest import SHARED_SAMPLES

FORMATS_TESTS = Path(__file__).resolve().parents[1]
OKTA = FORMATS_TESTS / "iam" / "samples" / "okta_users_json" / "lifecycle_states.json"
AWS = FORMATS_TESTS / "iam" / "samples" / "aws_credential_report_csv" / "sentinels_and_flags.csv"
PAGERDUTY = FORMATS_TESTS / "incident" / "samples" / "pagerduty_incidents_json" / "priority_acks_categories.json"
JIRA = FORMATS_TESTS / "incident" / "samples" / "mapped_incident_csv" / "jira_security"


def _place(landing: Path, family: str, source: Path, name: str | None = None) -> None:
    target = landing / family / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


def test_fixtures_land_in_raw_tables(con, landing, run_at):
    _place(landing, "iam", OKTA, "okta/users_2024-05-02.json")
    _place(landing, "iam", AWS, "credential_report.csv")
    _place(landing, "incident", PAGERDUTY, "pagerduty.json")
    _place(landing, "incident", JIRA.with_suffix(".csv"))
    _place(landing, "incident", JIRA.with_suffix(".mapping.yaml"))
    (landing / "reference").mkdir()
    (landing / "reference" / "user_directory.csv").write_text("user_id,email,country\nbob,,DE\n", encoding="utf-8")

    report = ingest_landing(con, landing, now=run_at)

    outcome = {f.file: (f.status, f.format) for f in report.files}
    assert outcome == {
        "iam/credential_report.csv": ("loaded", "aws_credential_report_csv"),
        "iam/okta/users_2024-05-02.json": ("loaded", "okta_users_json"),
        "incident/jira_security.csv": ("loaded", "mapped_incident_csv"),
        "incident/pagerduty.json": ("loaded", "pagerduty_incidents_json"),
    }
    assert con.sql(
        "SELECT _format, count(*) FROM raw.identities GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("aws_credential_report_csv", 4), ("okta_users_json", 6)]
    assert con.sql(
        "SELECT status, is_privileged, mfa_enabled, country,"
        " strftime(snapshot_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), _extra->>'arn'"
        " FROM raw.identities WHERE user_id = 'bob'"
    ).fetchall() == [("active", False, False, "DE", "2024-05-03 12:15", "arn:aws:iam::111122223333:user/bob")]
    assert con.sql(
        "SELECT status, strftime(disabled_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M')"
        " FROM raw.identities WHERE user_id = '00u4susp'"
    ).fetchall() == [("suspended", "2024-04-20 17:30")]
    assert con.sql(
        "SELECT incident_id, category, severity, strftime(acknowledged_at AT TIME ZONE 'UTC', '%H:%M'), _format"
        " FROM raw.incidents WHERE _format = 'pagerduty_incidents_json' ORDER BY _source_row"
    ).fetchall() == [
        ("Q1SEC", "security", "P1", "08:05", "pagerduty_incidents_json"),
        ("Q2ACK", "availability", "P4", "09:07", "pagerduty_incidents_json"),
        ("Q3LOG", "availability", "P2", "09:10", "pagerduty_incidents_json"),
    ]
    # the incident PagerDuty's urgency map cannot place, and the Jira row without a category
    assert con.sql("SELECT file, source_row, field FROM ingest.rejected_rows ORDER BY file").fetchall() == [
        ("incident/jira_security.csv", 3, "category"),
        ("incident/pagerduty.json", 4, "severity"),
    ]
    assert con.sql("SELECT count(*) FROM raw.incidents WHERE _format = 'mapped_incident_csv'").fetchall() == [(3,)]
    # the Berlin gap time SEC-15 was left naive and read in the default zone: counted
    assert con.sql("SELECT sum(_naive_timestamps) FROM raw.incidents").fetchall() == [(1,)]


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="shared samples absent")
def test_real_samples_land_in_raw_tables(con, landing, run_at):
    _place(landing, "iam", SHARED_SAMPLES / "iam" / "okta-users-json" / "okta_list_users_oktapreview_extracted.json")
    _place(landing, "iam", SHARED_SAMPLES / "iam" / "aws-credential-report-csv" / "cfech_credential_report_2025-01.csv")
    _place(landing, "incident",
           SHARED_SAMPLES / "incident" / "pagerduty-incidents-json" / "demisto_pagerduty_incidents_list.json")

    report = ingest_landing(con, landing, now=run_at)

    assert {f.status for f in report.files} == {"loaded"}
    # the sanitised PagerDuty sample has blank ids: both incidents refused, nothing else
    assert {f.file: f.rows_rejected for f in report.files} == {
        "iam/okta_list_users_oktapreview_extracted.json": 0, "iam/cfech_credential_report_2025-01.csv": 0,
        "incident/demisto_pagerduty_incidents_list.json": 2,
    }
    assert con.sql(
        "SELECT _format, user_id, status, mfa_enabled FROM raw.identities ORDER BY _format, _source_row"
    ).fetchall() == [
        ("aws_credential_report_csv", "<root_account>", "active", True),
        ("aws_credential_report_csv", "Ad", "active", False),
        ("aws_credential_report_csv", "Regular", "active", False),
        ("okta_users_json", "00uhsdyrs5ykcC5qt1d6", "suspended", None),
        ("okta_users_json", "00uf2pcomAapD5h0m1d6", "active", None),
    ]
    assert con.sql("SELECT count(*) FROM raw.incidents").fetchall() == [(0,)]
    assert con.sql("SELECT file, source_row, field FROM ingest.rejected_rows ORDER BY source_row").fetchall() == [
        ("incident/demisto_pagerduty_incidents_list.json", 1, "incident_id"),
        ("incident/demisto_pagerduty_incidents_list.json", 2, "incident_id"),
    ]
