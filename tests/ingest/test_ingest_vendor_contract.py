"""The loader's side of the ExportFormat contract, exercised with a stand-in vendor format.

Vendor formats may leave optional canonical columns out and report rows they
could not map; the loader must type what is there and keep those refusals.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import ingest.load
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.load import ingest_landing


class StandInFormat(ExportFormat):
    name = "stand_in"
    families = ("incident",)

    def __init__(self, frame: pl.DataFrame, rejected: pl.DataFrame | None = None):
        self.frame = frame
        self.rejected = rejected

    def detect(self, path: Path, head: bytes) -> bool:
        return True

    def parse(self, path: Path, family: str, context=None) -> ParsedExport:
        parsed = ParsedExport(format_name=self.name, entities={"incidents": self.frame})
        if self.rejected is not None:
            parsed.rejected = self.rejected
        return parsed


@pytest.fixture
def use_format(monkeypatch):
    def install(export_format: ExportFormat) -> None:
        monkeypatch.setattr(ingest.load.registry, "detect", lambda path, family: export_format)

    return install


def test_absent_optional_columns_load_as_null(con, landing, drop, use_format, run_at):
    use_format(StandInFormat(pl.DataFrame({
        "incident_id": ["PD-1"], "category": ["security"], "severity": ["P2"],
        "occurred_at": ["2024-03-01T10:00:00Z"], "_source_row": [1],
    })))
    drop("incident", "pagerduty.json", "{}")

    report = ingest_landing(con, landing, now=run_at)

    assert report.files[0].format == "stand_in"
    assert con.sql("SELECT incident_id, severity, resolved_at, _extra FROM raw.incidents").fetchall() == [
        ("PD-1", "P2", None, None)
    ]


def test_rows_refused_by_the_format_are_kept_and_counted(con, landing, drop, use_format, run_at):
    use_format(StandInFormat(
        pl.DataFrame({"incident_id": ["PD-1"], "category": ["security"], "severity": ["P2"],
                      "_source_row": [1]}),
        rejected=pl.DataFrame({"entity": ["incidents"], "source_row": [2], "field": ["urgency"],
                               "value": ["whenever"], "reason": ["unknown urgency"]}),
    ))
    drop("incident", "pagerduty.json", "{}")

    report = ingest_landing(con, landing, now=run_at)

    assert report.files[0].rows_rejected == 1
    assert con.sql(
        "SELECT file, entity, source_row, field, value, reason FROM ingest.rejected_rows"
    ).fetchall() == [("incident/pagerduty.json", "incidents", 2, "urgency", "whenever", "unknown urgency")]


def test_frame_without_a_required_column_fails_the_file(con, landing, drop, use_format, run_at):
    use_format(StandInFormat(pl.DataFrame({"incident_id": ["PD-1"], "category": ["security"]})))
    drop("incident", "pagerduty.json", "{}")

    report = ingest_landing(con, landing, now=run_at)

    assert report.failed[0].error == (
        "incident/pagerduty.json: no severity column for incidents (required; format stand_in)"
    )
    assert con.sql("SELECT count(*) FROM raw.incidents").fetchall() == [(0,)]


def test_text_from_a_format_is_trimmed_and_blank_is_null(con, landing, drop, use_format, run_at):
    use_format(StandInFormat(pl.DataFrame({
        "incident_id": ["\tPD-1 "], "category": ["security\r\n"], "severity": [" P2"],
        "service": [" \t "], "_source_row": [1],
    })))
    drop("incident", "pagerduty.json", "{}")

    ingest_landing(con, landing, now=run_at)

    assert con.sql("SELECT incident_id, category, severity, service FROM raw.incidents").fetchall() == [
        ("PD-1", "security", "P2", None)
    ]
