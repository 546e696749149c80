"""ServiceNow incident Table API JSON: the real record, raw values, display values and `=all`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.incident.servicenow_incident_json import ServiceNowIncidentJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "servicenow_incident_json"
REAL = SHARED_SAMPLES / "incident" / "servicenow-incident-json" / "snow_table_api_incident_INC0000060_extracted.json"


def parse(path: Path, rules: dict | None = None):
    loaded = load_rules()
    if rules:
        loaded = {**loaded, "incident": {**loaded["incident"], **rules}}
    return ServiceNowIncidentJson().parse(path, "incident", ParseContext(rules=loaded))


def rows(parsed) -> dict[str, dict]:
    return {r["incident_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in parsed.entities["incidents"].to_dicts()}


@pytest.mark.skipif(not REAL.is_file(), reason="shared samples absent")
def test_real_record():
    assert registry.detect(REAL, "incident").name == "servicenow_incident_json"
    incident = rows(parse(REAL))["INC0000060"]
    assert (incident["title"], incident["severity"], incident["category"]) == ("Unable to connect to email", "P3", "other")
    assert incident["_extra"]["category_rule"].startswith("category~")    # category 'inquiry'
    assert (incident["detected_at"], incident["resolved_at"]) == ("2016-12-12T15:19:57Z", "2016-12-13T21:43:14Z")
    assert incident["service"] == "27d32778c0a8000b00db970eeaa60f16"       # a reference: its sys_id
    assert (incident["occurred_at"], incident["acknowledged_at"], incident["change_id"]) == (None, None, None)
    assert incident["_extra"]["state_name"] == "closed"


def test_raw_values_rules_cancelled_and_refused():
    parsed = parse(FIXTURES / "raw_values.json", {"servicenow_time_zone": "Europe/Berlin"})
    incidents = rows(parsed)
    assert set(incidents) == {"INC0010001", "INC0010002"}
    ransom = incidents["INC0010001"]
    assert (ransom["severity"], ransom["category"]) == ("P1", "security")
    # raw values are UTC whatever the zone rule says
    assert (ransom["detected_at"], ransom["resolved_at"]) == ("2024-03-04T08:30:00Z", "2024-03-04T14:00:00Z")
    dns = incidents["INC0010002"]                                          # resolved, no resolved_at: closed_at
    assert (dns["severity"], dns["category"], dns["resolved_at"]) == ("P4", "availability", "2024-03-06T12:15:00Z")
    assert (dns["_extra"]["resolved_source"], dns["change_id"]) == ("closed_at", "c0ffee0000000000000000000000c0de")
    assert "1 record(s) in state Canceled skipped (not incidents)" in parsed.notes
    assert [(r["source_row"], r["field"], r["reason"]) for r in parsed.rejected.to_dicts()] == [
        (4, "severity", "the record has no priority")]


def test_display_values_are_read_in_the_configured_zone():
    incident = rows(parse(FIXTURES / "display_values.json", {"servicenow_time_zone": "Europe/Berlin"}))["INC0010006"]
    # 01:30 CET (+01:00) = 00:30Z; 04:10 on the DST day is CEST (+02:00) = 02:10Z
    assert (incident["detected_at"], incident["resolved_at"]) == ("2024-03-31T00:30:00Z", "2024-03-31T02:10:00Z")
    assert (incident["severity"], incident["service"], incident["category"]) == ("P3", "badge-ctrl-01", "availability")
    default_zone = rows(parse(FIXTURES / "display_values.json"))["INC0010006"]
    assert default_zone["detected_at"] == "2024-03-31T01:30:00Z"


def test_display_value_all_uses_raw_times_and_display_references():
    rules = {"servicenow_time_zone": "Europe/Berlin", "servicenow_occurred_at_field": "u_impact_start",
             "servicenow_geography_rules": [{"field": "location", "pattern": "(?i)frankfurt|berlin", "geography": "EMEA"}]}
    incident = rows(parse(FIXTURES / "display_value_all.json", rules))["INC0010005"]
    assert (incident["occurred_at"], incident["detected_at"], incident["resolved_at"]) == (
        "2024-03-31T00:05:00Z", "2024-03-31T00:30:00Z", "2024-03-31T02:10:00Z")
    assert (incident["severity"], incident["change_id"], incident["service"]) == ("P2", "CHG0030042", "Email")
    assert (incident["category"], incident["geography"]) == ("security", "EMEA")   # assignment group 'Security Operations'
    assert incident["_extra"]["values"] == "display"
