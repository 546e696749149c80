"""Okta users JSON: the real list and single-user responses, and own fixtures per lifecycle state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.iam.okta_users_json import OktaUsersJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "okta_users_json"
SAMPLES = SHARED_SAMPLES / "iam" / "okta-users-json"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples absent")


def parse(path: Path, *, rules: dict | None = None, landing: Path | None = None) -> dict[str, dict]:
    context = ParseContext(landing=landing, rules=load_rules() if rules is None else rules)
    frame = OktaUsersJson().parse(path, "iam", context).entities["identities"]
    return {row["user_id"]: {**row, "_extra": json.loads(row["_extra"])} for row in frame.to_dicts()}


@needs_samples
def test_real_single_user_object():
    rows = parse(SAMPLES / "okta_get_user_dev_org.json")
    user = rows["00u1deo3bwREiofU15"]
    assert (user["email"], user["status"], user["mfa_enabled"]) == ("njclabs.demo@gmail.com", "active", None)
    assert user["_extra"]["okta_status"] == "ACTIVE"
    assert user["_extra"]["snapshot_at_source"] == "file_mtime"
    assert "_links" not in user["_extra"]


@needs_samples
def test_real_list_staged_and_provisioned():
    rows = parse(SAMPLES / "okta_list_users_oktapreview_extracted.json")
    assert rows["00uhsdyrs5ykcC5qt1d6"]["status"] == "suspended"    # STAGED
    assert rows["00uf2pcomAapD5h0m1d6"]["status"] == "active"       # PROVISIONED
    assert rows["00uf2pcomAapD5h0m1d6"]["email"] == "DevUserTest@gmail.com"


def test_lifecycle_states_country_and_disabled_time(tmp_path):
    path = tmp_path / "users.json"
    path.write_bytes((FIXTURES / "lifecycle_states.json").read_bytes())
    os.utime(path, (1714636800, 1714636800))  # 2024-05-02T08:00:00Z
    rows = parse(path)
    assert {k: r["status"] for k, r in rows.items()} == {
        "00u1active": "active", "00u2staged": "suspended", "00u3prov": "active",
        "00u4susp": "suspended", "00u5deprov": "deprovisioned", "00u6locked": "active",
    }
    assert rows["00u1active"]["country"] == "PT"
    assert rows["00u4susp"]["disabled_at"] == "2024-04-20T17:30:00.000Z"
    assert rows["00u6locked"]["disabled_at"] is None
    assert rows["00u5deprov"]["email"] is None                 # login is not an e-mail
    assert rows["00u4susp"]["is_privileged"] == "true"         # 'admin' in the login
    assert {r["snapshot_at"] for r in rows.values()} == {"2024-05-02T08:00:00Z"}


def test_mfa_from_the_enforced_directories_rule():
    rules = {**load_rules(), "iam": {"mfa_enforced_directories": ["okta_users_json"]}}
    rows = parse(FIXTURES / "lifecycle_states.json", rules=rules)
    assert {r["mfa_enabled"] for r in rows.values()} == {"true"}
    assert rows["00u1active"]["_extra"]["mfa_source"] == "mfa_enforced_directories"


def test_directory_country_does_not_override_the_export(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "user_directory.csv").write_text(
        "user_id,email,country\n,ana.silva@example.com,ES\n,BEN.NG@example.com,SG\n", encoding="utf-8"
    )
    rows = parse(FIXTURES / "lifecycle_states.json", landing=tmp_path)
    assert rows["00u1active"]["country"] == "PT"
    assert rows["00u1active"]["_extra"]["country_source"] == "export"
    assert rows["00u2staged"]["country"] == "SG"


def test_empty_list_is_an_empty_snapshot():
    frame = OktaUsersJson().parse(FIXTURES / "empty_list.json", "iam", ParseContext()).entities["identities"]
    assert frame.height == 0


def test_invalid_json_names_file_and_place(tmp_path):
    path = tmp_path / "users.json"
    path.write_text('[{"id": "00u1", "status": "ACTIVE", "profile": {"login": "a"}},\n {"id": ]', encoding="utf-8")
    with pytest.raises(ExportError, match=r"users.json: unreadable JSON at line 2"):
        parse(path)


def test_a_record_that_is_no_user_names_the_record(tmp_path):
    path = tmp_path / "users.json"
    path.write_text('[{"id": "00u1", "status": "ACTIVE", "profile": {"login": "a"}}, "oops"]', encoding="utf-8")
    with pytest.raises(ExportError, match="record 2"):
        parse(path)
