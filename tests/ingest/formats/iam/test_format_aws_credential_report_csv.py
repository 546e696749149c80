"""AWS IAM credential report: real reports (shared samples) and own fixtures per quirk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.iam.aws_credential_report_csv import AwsCredentialReportCsv
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "aws_credential_report_csv"
SAMPLES = SHARED_SAMPLES / "iam" / "aws-credential-report-csv"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples absent")


def parse(path: Path, *, rules: dict | None = None, landing: Path | None = None) -> dict[str, dict]:
    context = ParseContext(landing=landing, rules=load_rules() if rules is None else rules)
    frame = AwsCredentialReportCsv().parse(path, "iam", context).entities["identities"]
    return {row["user_id"]: {**row, "_extra": json.loads(row["_extra"])} for row in frame.to_dicts()}


@needs_samples
def test_real_report_with_offsets_root_without_mfa():
    rows = parse(SAMPLES / "awstestbench_credential_report_2023-01.csv")
    assert len(rows) == 5
    root = rows["<root_account>"]
    assert (root["status"], root["mfa_enabled"], root["is_privileged"]) == ("active", "false", "true")
    assert root["_extra"]["arn"] == "arn:aws:iam::278368863034:root"
    # cloudgoat has no password but an active access key: it can authenticate
    assert rows["cloudgoat"]["status"] == "active"
    assert rows["jake"]["mfa_enabled"] == "false"
    # newest past event: jake's access key used 2023-01-03T10:27:00+00:00
    assert {r["snapshot_at"] for r in rows.values()} == {"2023-01-03T10:27:00+00:00"}
    assert root["_extra"]["snapshot_at_source"] == "newest_timestamp"


@needs_samples
def test_real_report_with_z_times_root_with_mfa():
    rows = parse(SAMPLES / "cfech_credential_report_2025-01.csv")
    assert set(rows) == {"<root_account>", "Ad", "Regular"}
    assert rows["<root_account>"]["mfa_enabled"] == "true"
    assert rows["Ad"]["status"] == "active" and rows["Ad"]["mfa_enabled"] == "false"
    assert rows["Ad"]["is_privileged"] == "false"  # 'Ad' is not an admin pattern match
    assert {r["snapshot_at"] for r in rows.values()} == {"2025-01-29T16:46:14Z"}


def test_status_privilege_and_sentinels():
    rows = parse(FIXTURES / "sentinels_and_flags.csv")
    assert rows["svc-admin"]["status"] == "suspended"      # no password, no active key
    assert rows["svc-admin"]["is_privileged"] == "true"    # '(?i)admin' on the user name
    assert rows["bob"]["status"] == "active"               # only access key 2 is active
    assert rows["alice@example.com"]["email"] == "alice@example.com"
    assert rows["bob"]["email"] is None
    assert rows["alice@example.com"]["mfa_enabled"] == "true"
    # the report's own words stay in _extra; password_next_rotation (future) is no snapshot time
    assert rows["bob"]["_extra"]["password_last_used"] == "no_information"
    assert {r["snapshot_at"] for r in rows.values()} == {"2024-05-03T12:15:00Z"}
    assert rows["bob"]["_extra"]["privileged_source"] == "name_pattern"


def test_no_patterns_leave_privilege_blank():
    rules = {**load_rules(), "iam": {}}
    rows = parse(FIXTURES / "sentinels_and_flags.csv", rules=rules)
    assert {r["is_privileged"] for r in rows.values()} == {None}


def test_generation_time_from_the_cli_envelope():
    rows = parse(FIXTURES / "cli_envelope.json")
    assert {r["snapshot_at"] for r in rows.values()} == {"2024-05-04T06:00:00+00:00"}
    assert rows["svc-admin"]["_extra"]["snapshot_at_source"] == "generated_time"
    assert rows["svc-admin"]["status"] == "suspended"


def test_file_time_when_the_report_has_no_timestamp(tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes((FIXTURES / "no_timestamps.csv").read_bytes())
    os.utime(path, (1714550400, 1714550400))  # 2024-05-01T08:00:00Z
    rows = parse(path)
    assert rows["carol"]["snapshot_at"] == "2024-05-01T08:00:00Z"
    assert rows["carol"]["_extra"]["snapshot_at_source"] == "file_mtime"
    assert rows["carol"]["status"] == "active"  # signing certificate 1 is active


def test_country_from_the_user_directory(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "user_directory.csv").write_text(
        "user_id,email,country\nBOB,,de\n,alice@example.com,US\n", encoding="utf-8"
    )
    rows = parse(FIXTURES / "sentinels_and_flags.csv", landing=tmp_path)
    assert rows["bob"]["country"] == "DE"                      # by user id, any case
    assert rows["alice@example.com"]["country"] == "US"        # by e-mail
    assert rows["svc-admin"]["country"] is None
    assert rows["bob"]["_extra"]["country_source"] == "user_directory"


def test_unreadable_report_names_the_file(tmp_path):
    path = tmp_path / "broken.csv"
    header = (FIXTURES / "sentinels_and_flags.csv").read_text().splitlines()[0]
    path.write_text(header + '\nbob,"arn:aws:iam::1:user/bob\n', encoding="utf-8")
    with pytest.raises(ExportError, match="broken.csv"):
        parse(path)
