"""The user-directory completion shared by the vendor formats (ingest/formats/people.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingest.formats.base import ExportError
from ingest.formats.people import complete_country
from ingest.rules import ParseContext

ROWS = pl.DataFrame({
    "user_id": ["U1", "u2", "carol@example.com", "nobody", None],
    "email": [None, "bob@example.com", None, None, "dan@example.com"],
    "country": [None, None, None, None, "FR"],
})


def _landing(tmp_path: Path, directory: str) -> ParseContext:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "people.csv").write_text(directory, encoding="utf-8")
    return ParseContext(landing=tmp_path, rules={"iam": {"user_directory_csv": "reference/people.csv"}})


def test_matched_by_user_id_else_email_first_line_wins(tmp_path):
    context = _landing(tmp_path, (
        "user_id,email,country,department\n"
        " u1 ,,gb,eng\n"
        "u1,,US,dup\n"
        ",BOB@example.com,jp,\n"
        "x9,carol@example.com,BR,\n"
        ",dan@example.com,ES,\n"
    ))
    completed = complete_country(ROWS, context, "iam")
    assert completed["country"].to_list() == ["GB", "JP", "BR", None, "FR"]
    assert completed["_country_source"].to_list() == ["user_directory", "user_directory", "user_directory", None, "export"]
    assert completed.columns == [*ROWS.columns, "_country_source"]


def test_missing_directory_is_noted_not_fatal(tmp_path):
    notes: list[str] = []
    context = ParseContext(landing=tmp_path, rules={"iam": {"user_directory_csv": "reference/absent.csv"}})
    completed = complete_country(ROWS, context, "iam", notes=notes)
    assert completed["country"].to_list() == [None, None, None, None, "FR"]
    assert notes == ["user directory reference/absent.csv not found: country left as exported"]


def test_directory_without_country_column_is_refused(tmp_path):
    context = _landing(tmp_path, "user_id,email\nu1,a@example.com\n")
    with pytest.raises(ExportError, match="people.csv: user directory must have a country column"):
        complete_country(ROWS, context, "iam")
