"""The registry picks exactly one format for every iam, training, backup and incident sample
and fixture; exports no format supports are refused as unrecognised, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from tests.conftest import SHARED_SAMPLES

FORMATS_TESTS = Path(__file__).resolve().parents[1]
FAMILIES = ("iam", "training", "backup", "incident")

# Real samples (shared/samples/README.md) -> the format that must claim them (None: unsupported).
SAMPLE_FORMATS = {
    "iam/aws-credential-report-csv/awstestbench_credential_report_2023-01.csv": "aws_credential_report_csv",
    "iam/aws-credential-report-csv/cfech_credential_report_2025-01.csv": "aws_credential_report_csv",
    "iam/entra-userregistrationdetails-json/graph_list_userRegistrationDetails_v1_docs_example.json":
        "entra_user_registration_json",
    "iam/okta-users-json/okta_get_user_dev_org.json": "okta_users_json",
    "iam/okta-users-json/okta_list_users_oktapreview_extracted.json": "okta_users_json",
    "training/gophish-json/gophish_api_campaign_full.json": "gophish_json",
    "training/gophish-json/gophish_api_campaign_results.json": "gophish_json",
    "training/knowbe4-json/knowbe4_pst_failed_recipients.json": "knowbe4_phishing_json",
    "training/knowbe4-json/knowbe4_user_events_api.json": None,          # User Event API, not enrollments
    "backup/aws-backup-jobs-json/awscli_list_backup_jobs_example1.json": "aws_backup_jobs_json",
    "backup/restic-snapshots-json/restic_doc_snapshots_json.json": "restic_snapshots_json",
    "incident/pagerduty-incidents-json/demisto_pagerduty_incidents_list.json": "pagerduty_incidents_json",
    "incident/opsgenie-json/opsgenie_v1_incidents_list.json": "opsgenie_incidents_json",
    "incident/servicenow-incident-json/snow_table_api_incident_INC0000060_extracted.json": "servicenow_incident_json",
}


def _detected(path: Path, family: str) -> str | None:
    try:
        return registry.detect(path, family).name
    except ExportError as error:
        assert "ambiguous" not in str(error), str(error)
        assert "not a recognised" in str(error), str(error)
        return None


def _sample_files() -> list[Path]:
    if not SHARED_SAMPLES.is_dir():
        return []
    return sorted(p for family in FAMILIES for p in (SHARED_SAMPLES / family).rglob("*") if p.is_file())


def _fixtures() -> list[Path]:
    found = []
    for family in FAMILIES:
        for path in sorted((FORMATS_TESTS / family / "samples").rglob("*")):
            if path.is_file() and not path.name.endswith(".mapping.yaml") and not path.name.startswith("reference_"):
                found.append(path)
    return found


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="shared samples absent")
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.relative_to(SHARED_SAMPLES).as_posix())
def test_each_real_sample_has_at_most_one_format(path: Path):
    relative = path.relative_to(SHARED_SAMPLES).as_posix()
    detected = _detected(path, relative.split("/")[0])
    if relative in SAMPLE_FORMATS:
        assert detected == SAMPLE_FORMATS[relative]


def test_fixtures_exist():
    assert len(_fixtures()) >= 15


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.relative_to(FORMATS_TESTS).as_posix())
def test_each_fixture_is_claimed_by_its_format_only(path: Path):
    family, _samples, format_folder = path.relative_to(FORMATS_TESTS).parts[:3]
    assert _detected(path, family) == format_folder   # samples/<format>/[<case>/...]<file>
