"""PagerDuty incidents pulled by Airbyte (protocol messages) and dlt (flattened JSON lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.incident.pagerduty_incidents_jsonl import PagerDutyIncidentsJsonl
from ingest.rules import ParseContext, load_rules

FIXTURES = Path(__file__).resolve().parent / "samples" / "pagerduty_incidents_jsonl"
AIRBYTE = FIXTURES / "airbyte_incidents_and_services.jsonl"
DLT = FIXTURES / "dlt_flattened" / "incidents" / "1712800000.5.f00d.jsonl"


def parse(path: Path):
    return PagerDutyIncidentsJsonl().parse(path, "incident", ParseContext(rules=load_rules()))


def rows(path: Path) -> dict[str, dict]:
    frame = parse(path).entities["incidents"]
    return {r["incident_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in frame.to_dicts()}


def test_airbyte_incidents_map_as_the_rest_list_does():
    incidents = rows(AIRBYTE)
    assert set(incidents) == {"Q1SEC", "Q2ACK"}                           # Q4ODD refused, services skipped
    sec = incidents["Q1SEC"]
    assert (sec["severity"], sec["category"], sec["service"]) == ("P1", "security", "SIEM alerts")
    assert (sec["detected_at"], sec["acknowledged_at"], sec["resolved_at"]) == (
        "2024-04-10T08:00:00Z", "2024-04-10T08:05:00Z", "2024-04-10T09:30:00Z")   # earliest of two acks
    assert (sec["_source_row"], sec["_extra"]["stream"], sec["occurred_at"]) == (2, "incidents", None)
    acked = incidents["Q2ACK"]
    assert (acked["severity"], acked["category"], acked["acknowledged_at"]) == (
        "P4", "availability", "2024-04-11T09:07:00Z")                      # urgency low; last status change


def test_airbyte_skips_are_counted_and_unmapped_severity_refused():
    parsed = parse(AIRBYTE)
    assert "2 message(s) without a record skipped: 1 LOG, 1 STATE" in parsed.notes
    assert "1 record(s) of airbyte stream 'services' skipped: not PagerDuty incidents" in parsed.notes
    refused = parsed.rejected.to_dicts()
    assert [(r["source_row"], r["field"], r["value"]) for r in refused] == [(5, "severity", "suppressed")]


def test_dlt_flattened_incident():
    incident = rows(DLT)["Q7DLT"]
    assert (incident["severity"], incident["service"], incident["category"]) == ("P2", "File shares", "security")
    assert incident["_extra"]["category_rule"].startswith("title~")       # 'Ransomware' in the title
    assert (incident["detected_at"], incident["resolved_at"]) == ("2024-04-13T10:00:00+00:00", "2024-04-13T12:00:00+00:00")
    assert (incident["_extra"]["escalation_policy"], incident["_extra"]["dlt_load_id"]) == ("Infra on-call", "1712800000.5")


def test_detection_and_refusal_of_a_file_without_incidents():
    assert registry.detect(AIRBYTE, "incident").name == "pagerduty_incidents_jsonl"
    assert registry.detect(DLT, "incident").name == "pagerduty_incidents_jsonl"
    with pytest.raises(ExportError, match=r"airbyte stream\(s\) 'services' hold no supported record"):
        parse(FIXTURES / "airbyte_services_only.jsonl")
