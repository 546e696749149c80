"""The loader's side of the ExportFormat contract, exercised with the real vendor formats.

Vendor formats may leave optional canonical columns out and report rows they could
not map; the loader must type what is there and keep those refusals. The files are
PagerDuty REST API v2 `GET /incidents` responses (ingest/formats/incident/
pagerduty_incidents_json.py) and a ticket CSV read through a column mapping
(mapped_incident_csv.py), each detected by the registry as in any run.
"""

from __future__ import annotations

import json

import pytest

from ingest.formats.base import ExportError
from ingest.formats.incident.pagerduty_incidents_json import PagerDutyIncidentsJson
from ingest.load import _checked_frames, ingest_landing


def _incident(number: int, **fields) -> dict:
    """An incident object in the shape of PagerDuty's API reference (trimmed to what is read)."""
    incident = {
        "id": f"Q{number:06d}", "type": "incident", "incident_number": number,
        "title": "Disk full on db-1", "status": "resolved",
        "created_at": "2024-03-01T10:00:00Z", "resolved_at": "2024-03-01T12:00:00Z",
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "Database"},
        "urgency": "high", "priority": {"id": "PPRI2", "type": "priority_reference", "summary": "P2"},
    }
    incident.update(fields)
    return incident


def _response(*incidents: dict) -> str:
    return json.dumps({"incidents": list(incidents), "limit": 25, "offset": 0, "more": False, "total": None})


def test_absent_optional_columns_load_as_null(con, landing, drop, run_at):
    drop("incident", "pagerduty.json", _response(_incident(1)))

    report = ingest_landing(con, landing, now=run_at)

    assert report.files[0].format == "pagerduty_incidents_json"
    # occurred_at, geography, change_id, root_cause_category: PagerDuty has no such fields
    assert con.sql(
        "SELECT incident_id, category, severity, CAST(detected_at AS VARCHAR), occurred_at, geography, "
        "change_id, root_cause_category, _extra->>'incident_number' FROM raw.incidents"
    ).fetchall() == [
        # category: no security rule matches "Database"/"Disk full": the default, availability
        ("Q000001", "availability", "P2", "2024-03-01 10:00:00+00", None, None, None, None, "1")
    ]


def test_rows_refused_by_the_format_are_kept_and_counted(con, landing, drop, run_at):
    # incident 2 has no priority and an urgency the rules do not map
    drop("incident", "pagerduty.json", _response(_incident(1), _incident(2, priority=None, urgency="whenever")))

    report = ingest_landing(con, landing, now=run_at)

    assert (report.files[0].rows_loaded, report.files[0].rows_rejected) == ({"incidents": 1}, 1)
    assert con.sql(
        "SELECT file, entity, source_row, field, value, reason FROM ingest.rejected_rows"
    ).fetchall() == [(
        "incident/pagerduty.json", "incidents", 2, "severity", "whenever",
        "no severity mapping for PagerDuty urgency 'whenever' (rules incident.pagerduty_urgency_severity)",
    )]
    assert con.sql("SELECT incident_id FROM raw.incidents").fetchall() == [("Q000001",)]


def test_a_mapping_without_a_required_field_fails_the_file(con, landing, drop, run_at):
    drop("incident", "tickets.csv", "key,kind,opened\nSEC-1,security,2024-03-01T10:00:00Z\n")
    drop("incident", "tickets.mapping.yaml",
         "name: no_severity\ncolumns:\n  incident_id: key\n  category: kind\n  detected_at: opened\n")

    report = ingest_landing(con, landing, now=run_at)

    assert report.failed[0].error == (
        "incident/tickets.csv: mapping no_severity gives no column nor default for required field severity"
    )
    assert con.sql("SELECT count(*) FROM raw.incidents").fetchall() == [(0,)]


def test_frame_without_a_required_column_is_refused_by_the_loader(landing, drop):
    # No real format hands over a frame without a required column (each checks its own
    # mapping first, as above); the loader's check is run on the real PagerDuty output
    # with its severity column taken away.
    path = drop("incident", "pagerduty.json", _response(_incident(1)))
    parsed = PagerDutyIncidentsJson().parse(path, "incident")
    assert "severity" in parsed.entities["incidents"].columns
    parsed.entities["incidents"] = parsed.entities["incidents"].drop("severity")

    with pytest.raises(ExportError) as refused:
        _checked_frames(parsed, "incident", path)
    assert str(refused.value) == f"{path}: no severity column for incidents (required; format pagerduty_incidents_json)"


def test_text_from_a_format_is_trimmed_and_blank_is_null(con, landing, drop, run_at):
    drop("incident", "pagerduty.json", _response(_incident(
        1, title="\tDisk full on db-1 \r\n", service={"type": "service_reference", "summary": " \t "},
    )))

    ingest_landing(con, landing, now=run_at)

    assert con.sql("SELECT incident_id, title, service FROM raw.incidents").fetchall() == [
        ("Q000001", "Disk full on db-1", None)
    ]
