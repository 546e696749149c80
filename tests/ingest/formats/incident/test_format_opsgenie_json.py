"""Opsgenie alerts (v2 list) and incidents (v1 list): the real incidents list and own fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.incident.opsgenie_alerts_json import OpsgenieAlertsJson
from ingest.formats.incident.opsgenie_incidents_json import OpsgenieIncidentsJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

SAMPLES = Path(__file__).resolve().parent / "samples"
ALERTS = SAMPLES / "opsgenie_alerts_json" / "acked_closed_and_open.json"
INCIDENTS = SAMPLES / "opsgenie_incidents_json" / "resolved_and_open.json"
REAL = SHARED_SAMPLES / "incident" / "opsgenie-json" / "opsgenie_v1_incidents_list.json"


def parse(fmt, path: Path, rules: dict | None = None):
    loaded = load_rules()
    if rules:
        loaded = {**loaded, "incident": {**loaded["incident"], **rules}}
    return fmt.parse(path, "incident", ParseContext(rules=loaded))


def rows(parsed) -> dict[str, dict]:
    return {r["incident_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in parsed.entities["incidents"].to_dicts()}


def test_alert_times_are_created_plus_report_durations():
    alerts = rows(parse(OpsgenieAlertsJson(), ALERTS))
    guard = alerts["70413a06-38d6-4c85-92b8-5ebc900d42e2"]
    # createdAt 10:00:00.000 + ackTime 90 000 ms = 10:01:30; + closeTime 5 400 500 ms = 11:30:00.500
    assert (guard["detected_at"], guard["acknowledged_at"], guard["resolved_at"]) == (
        "2024-05-02T10:00:00.000Z", "2024-05-02T10:01:30.000Z", "2024-05-02T11:30:00.500Z")
    assert (guard["severity"], guard["category"], guard["service"]) == ("P1", "security", "bastion-prod")
    assert guard["_extra"]["category_rule"].startswith("source~")          # GuardDuty as source
    assert (guard["_extra"]["count"], guard["_extra"]["tinyId"], guard["occurred_at"]) == (3, "1791", None)
    open_acked = alerts["c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03"]
    assert (open_acked["acknowledged_at"], open_acked["resolved_at"]) == ("2024-05-03T08:02:00.000Z", None)
    assert (open_acked["service"], open_acked["_extra"]["service_source"]) == ("Datadog", "integration.name")
    assert open_acked["category"] == "availability"
    closed_no_report = alerts["5f2a6f10-1b43-4e0c-9c7a-0d9e0e7b7a11"]
    assert (closed_no_report["severity"], closed_no_report["acknowledged_at"]) == ("P4", None)    # P5 -> P4
    assert (closed_no_report["resolved_at"], closed_no_report["_extra"]["resolved_source"]) == (
        "2024-05-04T01:45:00.000Z", "updatedAt")


def test_alert_with_unmapped_priority_is_refused():
    parsed = parse(OpsgenieAlertsJson(), ALERTS)
    assert parsed.entities["incidents"].height == 3
    assert [(r["source_row"], r["field"], r["value"]) for r in parsed.rejected.to_dicts()] == [(4, "severity", "P9")]


def test_geography_rule_on_tags():
    rules = {"opsgenie_geography_rules": [{"field": "tags", "pattern": r"(?i)\bprod\b", "geography": "EMEA"}]}
    alerts = rows(parse(OpsgenieAlertsJson(), ALERTS, rules))
    assert [a["geography"] for a in alerts.values()] == ["EMEA", None, None]


def test_incidents_impact_window():
    incidents = rows(parse(OpsgenieIncidentsJson(), INCIDENTS))
    phish = incidents["11111111-aaaa-4bbb-8ccc-000000000001"]
    assert (phish["occurred_at"], phish["detected_at"], phish["resolved_at"]) == (
        "2024-06-01T08:40:00.000Z", "2024-06-01T09:15:00.000Z", "2024-06-01T12:30:00.000Z")
    assert (phish["severity"], phish["category"], phish["service"]) == ("P2", "security", "9f3a-mail")
    assert phish["_extra"]["impacted_services"] == ["9f3a-mail", "77ab-sso"]
    closed = incidents["11111111-aaaa-4bbb-8ccc-000000000002"]            # closed, no impactEndDate
    assert (closed["resolved_at"], closed["_extra"]["resolved_source"]) == ("2024-06-02T11:10:00.000Z", "updatedAt")
    assert incidents["11111111-aaaa-4bbb-8ccc-000000000003"]["resolved_at"] is None      # open
    assert {i["acknowledged_at"] for i in incidents.values()} == {None}


@pytest.mark.skipif(not REAL.is_file(), reason="shared samples absent")
def test_real_incidents_list():
    assert registry.detect(REAL, "incident").name == "opsgenie_incidents_json"
    incidents = rows(parse(OpsgenieIncidentsJson(), REAL))
    one = incidents["2a1c07ea-b9bd-4922-afcc-edf406b46904"]
    assert (one["title"], one["severity"], one["category"], one["resolved_at"]) == ("test", "P3", "availability", None)
    assert (one["occurred_at"], one["detected_at"]) == ("2021-11-21T19:32:02.148Z", "2021-11-21T19:32:02.148Z")


def test_detection_by_record_keys_and_refusal_of_the_other_list(tmp_path):
    assert registry.detect(ALERTS, "incident").name == "opsgenie_alerts_json"
    assert registry.detect(INCIDENTS, "incident").name == "opsgenie_incidents_json"
    assert registry.detect(SAMPLES / "opsgenie_alerts_json" / "no_alerts.json", "incident").name == "opsgenie_alerts_json"
    reordered = tmp_path / "alerts.json"                                   # keys in another order, one line
    document = json.loads(ALERTS.read_text())
    reordered.write_text(json.dumps({"data": document["data"], "requestId": "x", "took": 0.1}))
    assert registry.detect(reordered, "incident").name == "opsgenie_alerts_json"
    with pytest.raises(ExportError, match="not an Opsgenie alerts list"):
        OpsgenieAlertsJson().parse(INCIDENTS, "incident", ParseContext(rules=load_rules()))
