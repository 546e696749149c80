"""Okta users pulled by Airbyte (protocol messages) and dlt (flattened JSON lines)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.iam.okta_users_json import OktaUsersJson
from ingest.formats.iam.okta_users_jsonl import OktaUsersJsonl
from ingest.rules import ParseContext, load_rules

FIXTURES = Path(__file__).resolve().parent / "samples" / "okta_users_jsonl"
AIRBYTE = FIXTURES / "airbyte_users_and_groups.jsonl"
DLT = FIXTURES / "dlt_flattened" / "users" / "1715000000.123456.a1b2c3.jsonl"


def parse(path: Path):
    return OktaUsersJsonl().parse(path, "iam", ParseContext(rules=load_rules()))


def rows(path: Path) -> dict[str, dict]:
    frame = parse(path).entities["identities"]
    return {r["user_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in frame.to_dicts()}


def test_airbyte_records_map_as_the_users_api_does():
    users = rows(AIRBYTE)
    assert set(users) == {"00u1active", "00u5deprov", "00u2staged"}       # the groups record is not a user
    ana = users["00u1active"]
    assert (ana["email"], ana["status"], ana["country"], ana["is_privileged"]) == (
        "ana.silva@example.com", "active", "PT", "false")
    assert (ana["_source_row"], ana["_extra"]["stream"], ana["_extra"]["emitted_at"]) == (3, "users", 1715000001000)
    eve = users["00u5deprov"]
    assert (eve["status"], eve["disabled_at"], eve["email"]) == ("deprovisioned", "2024-03-31T23:59:59.000Z", None)
    gil = users["00u2staged"]                                              # keys in another order: same mapping
    assert (gil["status"], gil["is_privileged"], gil["_source_row"]) == ("suspended", "true", 5)   # login ~ admin
    # snapshot_at: the latest emitted_at, 1715000002500 ms = 2024-05-06T12:53:20Z + 2.5 s
    assert {u["snapshot_at"] for u in users.values()} == {"2024-05-06T12:53:22.500Z"}
    assert ana["_extra"]["snapshot_at_source"] == "airbyte_emitted_at"


def test_airbyte_messages_without_records_and_other_streams_are_counted():
    notes = parse(AIRBYTE).notes
    assert "3 message(s) without a record skipped: 1 LOG, 1 STATE, 1 TRACE" in notes
    assert "1 record(s) of airbyte stream 'groups' skipped: not Okta users" in notes


def test_the_same_user_gives_the_same_row_as_the_users_api(tmp_path):
    line = json.loads(AIRBYTE.read_text().splitlines()[2])
    api = tmp_path / "users.json"
    api.write_text(json.dumps([line["record"]["data"]]))
    direct = OktaUsersJson().parse(api, "iam", ParseContext(rules=load_rules())).entities["identities"]
    enveloped = parse(AIRBYTE).entities["identities"].filter(user_id="00u1active")
    columns = ["user_id", "email", "status", "country", "disabled_at", "is_privileged", "mfa_enabled"]
    assert direct.select(columns).to_dicts() == enveloped.select(columns).to_dicts()


def test_dlt_flattened_snake_case_records_are_unflattened():
    users = rows(DLT)
    dev = users["00u4susp"]
    # profile__country_code -> profile.countryCode; status_changed -> statusChanged (disabled_at)
    assert (dev["status"], dev["country"], dev["disabled_at"], dev["is_privileged"]) == (
        "suspended", "DE", "2024-04-20T17:30:00+00:00", "true")
    assert (dev["_extra"]["dlt_id"], dev["_extra"]["stream"]) == ("Xk2m9Qw1rT5yUa", "users")
    assert dev["_extra"]["credentials_provider"] == "OKTA" and "_dlt_id" not in dev["_extra"]
    finn = users["00u6locked"]
    assert (finn["status"], finn["disabled_at"], finn["_source_row"]) == ("active", None, 2)   # LOCKED_OUT
    # _dlt_load_id 1715000000.123456 s = 2024-05-06T12:53:20.123456Z
    assert {u["snapshot_at"] for u in users.values()} == {"2024-05-06T12:53:20.123456Z"}
    assert dev["_extra"]["snapshot_at_source"] == "dlt_load_id"


def test_gzipped_dlt_file_is_detected_and_read(tmp_path):
    folder = tmp_path / "users"
    folder.mkdir()
    packed = folder / "1715000000.123456.a1b2c3.jsonl.gz"
    packed.write_bytes(gzip.compress(DLT.read_bytes()))
    assert registry.detect(packed, "iam").name == "okta_users_jsonl"
    assert set(rows(packed)) == {"00u4susp", "00u6locked"}


def test_stream_without_users_is_refused_naming_it():
    assert registry.detect(FIXTURES / "airbyte_groups_only.jsonl", "iam").name == "okta_users_jsonl"
    with pytest.raises(ExportError, match=r"airbyte_groups_only.jsonl: airbyte stream\(s\) 'groups' hold no "
                                          r"supported record \(Okta users\)"):
        parse(FIXTURES / "airbyte_groups_only.jsonl")


def test_broken_line_is_named(tmp_path):
    broken = tmp_path / "sync.jsonl"
    lines = AIRBYTE.read_text().splitlines()
    broken.write_text("\n".join(lines[:3] + ['{"type": "RECORD", "record": '] + lines[3:]) + "\n")
    with pytest.raises(ExportError, match=r"sync.jsonl: line 4 is not a JSON object"):
        parse(broken)


def test_users_api_array_is_not_taken_for_json_lines():
    plain = Path(__file__).resolve().parent / "samples" / "okta_users_json" / "lifecycle_states.json"
    assert registry.detect(plain, "iam").name == "okta_users_json"


def test_airbyte_raw_destination_records():
    path = FIXTURES / "airbyte_raw_destination" / "_airbyte_raw_users.jsonl"
    assert registry.detect(path, "iam").name == "okta_users_jsonl"
    users = rows(path)
    gus = users["00u7raw"]
    assert (gus["status"], gus["disabled_at"], gus["country"]) == ("suspended", "2024-05-01T12:00:00.000Z", "FR")
    # the stream is the file name without `_airbyte_raw_`; old and new raw id/time columns both read
    assert (gus["_extra"]["stream"], gus["_extra"]["airbyte_id"]) == ("users", "6b1e0c3a-7d5f-4b8e-9a2c-1f0e3d4c5b6a")
    # the latest extraction: 1715100005000 ms = 2024-05-07T16:40:05Z
    assert {u["snapshot_at"] for u in users.values()} == {"2024-05-07T16:40:05.000Z"}
