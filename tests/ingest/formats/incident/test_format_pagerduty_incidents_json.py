"""PagerDuty incidents: the real (sanitised) REST v2 list and own fixtures per rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.incident.pagerduty_incidents_json import PagerDutyIncidentsJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "pagerduty_incidents_json"
SAMPLE = SHARED_SAMPLES / "incident" / "pagerduty-incidents-json" / "demisto_pagerduty_incidents_list.json"


def parse(path: Path, incident_rules: dict | None = None):
    rules = load_rules()
    if incident_rules is not None:
        rules = {**rules, "incident": {**rules.get("incident", {}), **incident_rules}}
    return PagerDutyIncidentsJson().parse(path, "incident", ParseContext(rules=rules))


def incidents(path: Path, incident_rules: dict | None = None) -> dict[str, dict]:
    rows = parse(path, incident_rules).entities["incidents"].to_dicts()
    return {r["incident_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared samples absent")
def test_real_list_with_empty_ids_is_refused_incident_by_incident():
    # The sample was sanitised: every id is ''. The API always returns one, so each
    # incident is refused with its reason rather than keyed by its number.
    parsed = parse(SAMPLE)
    assert parsed.entities["incidents"].height == 0
    assert parsed.rejected.to_dicts() == [
        {"entity": "incidents", "source_row": 1, "field": "incident_id", "value": "",
         "reason": "PagerDuty incident (incident_number 1578) has a blank id: the API always returns one; "
                   "a sanitised export is not keyed by its number"},
        {"entity": "incidents", "source_row": 2, "field": "incident_id", "value": "",
         "reason": "PagerDuty incident (incident_number 1579) has a blank id: the API always returns one; "
                   "a sanitised export is not keyed by its number"},
    ]


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared samples absent")
def test_real_list_with_the_ids_the_api_returns(tmp_path):
    # The same response with the incident ids filled in as the API writes them.
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for incident in document["incidents"]:
        incident["id"] = f"Q{incident['incident_number']}"
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    rows = incidents(path)
    assert set(rows) == {"Q1578", "Q1579"}
    first = rows["Q1578"]
    assert (first["detected_at"], first["resolved_at"]) == ("2023-11-19T05:51:15Z", "2023-11-19T05:51:28Z")
    assert (first["occurred_at"], first["acknowledged_at"]) == (None, None)
    assert (first["severity"], first["_extra"]["severity_source"]) == ("P2", "urgency")   # urgency high
    assert (first["category"], first["_extra"]["category_rule"]) == ("availability", "default")
    assert (first["service"], first["title"], first["geography"]) == ("API Service", "this is a test", None)
    assert first["_extra"]["incident_number"] == 1578 and first["_extra"]["pagerduty_id"] == "Q1578"
    assert first["_extra"]["first_trigger_at"] == "2023-11-19T05:51:14Z"


def test_priority_acknowledgements_and_category_rules():
    rows = incidents(FIXTURES / "priority_acks_categories.json")
    security = rows["Q1SEC"]
    assert (security["severity"], security["category"]) == ("P1", "security")
    assert security["_extra"]["category_rule"].startswith("service~")
    assert security["acknowledged_at"] == "2024-04-10T08:05:00Z"          # the earliest acknowledgement
    assert security["_extra"]["upstream_event_time"] == "2024-04-10T07:58:00Z"
    assert security["occurred_at"] is None
    acked = rows["Q2ACK"]
    assert (acked["severity"], acked["category"]) == ("P4", "availability")  # urgency low
    assert acked["acknowledged_at"] == "2024-04-11T09:07:00Z"
    assert acked["_extra"]["acknowledged_source"] == "last_status_change_at"
    logged = rows["Q3LOG"]
    assert logged["acknowledged_at"] == "2024-04-12T09:10:00Z"
    assert logged["resolved_at"] == "2024-04-12T10:00:00Z"                 # resolved: last status change


def test_unmapped_urgency_is_refused_with_its_reason():
    parsed = parse(FIXTURES / "priority_acks_categories.json")
    assert "Q4ODD" not in parsed.entities["incidents"]["incident_id"].to_list()
    refused = parsed.rejected.to_dicts()
    assert len(refused) == 1
    assert (refused[0]["source_row"], refused[0]["field"], refused[0]["value"]) == (4, "severity", "suppressed")
    assert "pagerduty_urgency_severity" in refused[0]["reason"]


def test_geography_rule_and_single_incident_response():
    rules = {"pagerduty_geography_rules": [{"field": "teams", "pattern": "(?i)emea", "geography": "EMEA"},
                                           {"field": "service", "pattern": r"\bUS$", "geography": "AMER"}]}
    rows = incidents(FIXTURES / "priority_acks_categories.json", rules)
    assert [rows[k]["geography"] for k in ("Q1SEC", "Q3LOG", "Q2ACK")] == ["EMEA", "AMER", None]
    one = incidents(FIXTURES / "single_incident.json")
    assert (one["Q9ONE"]["severity"], one["Q9ONE"]["category"]) == ("P4", "security")   # P5 -> P4; 'phishing' title


def test_incident_with_a_blank_id_is_refused_not_keyed_by_its_number(tmp_path):
    path = tmp_path / "pd.json"
    path.write_text(json.dumps({"incidents": [
        {"id": "Q7", "incident_number": 7, "title": "x", "urgency": "high", "created_at": "2024-04-01T00:00:00Z"},
        {"id": " ", "incident_number": 8, "title": "y", "urgency": "high", "created_at": "2024-04-01T00:00:00Z"},
        {"incident_number": None, "title": "z", "urgency": "low"},
    ], "limit": 3, "more": False}))
    parsed = parse(path)
    assert parsed.entities["incidents"]["incident_id"].to_list() == ["Q7"]
    assert [(r["source_row"], r["field"], r["value"], r["reason"]) for r in parsed.rejected.to_dicts()] == [
        (2, "incident_id", " ", "PagerDuty incident (incident_number 8) has a blank id: the API always returns one; "
                                "a sanitised export is not keyed by its number"),
        (3, "incident_id", None, "PagerDuty incident (incident_number None) has a blank id: the API always returns "
                                 "one; a sanitised export is not keyed by its number"),
    ]
