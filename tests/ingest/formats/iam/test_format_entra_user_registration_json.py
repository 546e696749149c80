"""Entra userRegistrationDetails: the Graph docs example and an own fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.iam.entra_user_registration_json import EntraUserRegistrationJson
from ingest.rules import ParseContext
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "entra_user_registration_json"
SAMPLES = SHARED_SAMPLES / "iam" / "entra-userregistrationdetails-json"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples absent")


def parse(path: Path) -> dict[str, dict]:
    frame = EntraUserRegistrationJson().parse(path, "iam", ParseContext()).entities["identities"]
    return {row["user_id"]: {**row, "_extra": json.loads(row["_extra"])} for row in frame.to_dicts()}


@needs_samples
def test_real_graph_example():
    rows = parse(SAMPLES / "graph_list_userRegistrationDetails_v1_docs_example.json")
    assert set(rows) == {"AlexW@Contoso.com", "AllanD@Contoso.com", "BiancaP@Contoso.com"}
    alex, allan = rows["AlexW@Contoso.com"], rows["AllanD@Contoso.com"]
    assert (alex["mfa_enabled"], alex["is_privileged"], alex["status"]) == ("true", "false", "active")
    assert allan["mfa_enabled"] == "false"
    assert allan["_extra"]["userType"] == "guest"
    assert alex["email"] == "AlexW@Contoso.com"
    assert {r["snapshot_at"] for r in rows.values()} == {"2023-03-13T19:15:41.6195833Z"}
    assert alex["_extra"]["status_source"] == "listed_in_report"


def test_newest_update_is_the_snapshot_and_account_enabled_is_honoured():
    rows = parse(FIXTURES / "account_enabled_and_admins.json")
    assert {r["snapshot_at"] for r in rows.values()} == {"2024-05-03T04:05:06.7654321Z"}
    assert rows["Grace@Contoso.com"]["is_privileged"] == "true"
    assert rows["Grace@Contoso.com"]["mfa_enabled"] == "false"
    assert rows["Hank@Contoso.com"]["status"] == "suspended"
    assert rows["Hank@Contoso.com"]["_extra"]["status_source"] == "accountEnabled"
    assert rows["Ivy@Contoso.com"]["status"] == "active"


def test_value_must_be_a_list(tmp_path):
    path = tmp_path / "entra.json"
    path.write_text('{"@odata.context": "x#reports/authenticationMethods/userRegistrationDetails", "value": {}}')
    with pytest.raises(ExportError, match="entra.json: value is not a list"):
        parse(path)
