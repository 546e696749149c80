"""The canonical CSV format on its own: detection by header and parsing to text frames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.canonical.csv_export import CanonicalCsv
from ingest.schemas import ENTITIES

SHARED_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"

FORMAT = CanonicalCsv()


def _detect(path: Path) -> bool:
    return FORMAT.detect(path, path.read_bytes()[: registry.HEAD_BYTES])


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.table)
def test_each_entity_is_recognised_by_its_header(entity, drop, canonical_csv):
    path = drop(entity.family, f"{entity.table}.csv", canonical_csv(entity.table))

    assert registry.detect(path, entity.family) is not None
    parsed = FORMAT.parse(path, entity.family)

    assert list(parsed.entities) == [entity.table]


def test_header_names_are_matched_trimmed_and_case_insensitively(drop):
    path = drop(
        "backup",
        "jobs.csv",
        " Job_ID ,SYSTEM_ID,job_type,Started_At,completed_at,status,encrypted,asset_environment\n"
        "j1,db-1,backup,2024-03-01T01:00:00Z,,succeeded,true,production\n",
    )

    frame = FORMAT.parse(path, "backup").entities["backup_jobs"]

    assert frame.row(0, named=True)["job_id"] == "j1"
    assert frame.row(0, named=True)["started_at"] == "2024-03-01T01:00:00Z"


def test_header_of_another_family_is_not_detected(drop, canonical_csv):
    path = drop("backup", "incidents.csv", canonical_csv("incidents"))

    assert not _detect(path)


def test_vendor_like_header_is_left_to_other_formats(drop):
    path = drop(
        "iam",
        "credential_report.csv",
        "user,arn,user_creation_time,password_enabled,mfa_active\n"
        "alice,arn:aws:iam::1:user/alice,2024-01-01T00:00:00+00:00,true,false\n",
    )

    assert not _detect(path)


def test_only_csv_files_are_detected(drop, canonical_csv):
    path = drop("incident", "incidents.txt", canonical_csv("incidents"))

    assert not _detect(path)


def test_utf8_bom_is_tolerated(drop_fixture):
    path = drop_fixture("iam", "identities_with_bom.csv")

    assert _detect(path)
    frame = FORMAT.parse(path, "iam").entities["identities"]
    assert frame.row(0, named=True)["snapshot_at"] == "2024-03-01T00:00:00Z"


def test_quoted_field_spanning_lines_is_one_record(drop_fixture):
    path = drop_fixture("scanner", "findings_multiline_title.csv")

    frame = FORMAT.parse(path, "scanner").entities["findings"]

    assert frame["title"].to_list() == [
        'openssl: buffer overflow\nin "x509" parsing, see advisory',
        "zlib bug",
    ]
    assert frame["_source_row"].to_list() == [1, 2]


def test_values_are_trimmed_and_blank_is_null(drop):
    path = drop(
        "training",
        "phishing.csv",
        "campaign_id,user_id,sent_at,delivered,clicked_at,reported_at,country\n"
        "  c1 , u1,2024-03-01T09:00:00Z,true,   ,,DE \n",
    )

    row = FORMAT.parse(path, "training").entities["phishing_results"].row(0, named=True)

    assert (row["campaign_id"], row["user_id"], row["country"]) == ("c1", "u1", "DE")
    assert row["clicked_at"] is None
    assert row["reported_at"] is None


def test_extra_columns_become_a_json_object(drop):
    path = drop(
        "training",
        "phishing.csv",
        "campaign_id,user_id,sent_at,delivered,clicked_at,reported_at,country,Department,Template\n"
        "c1,u1,2024-03-01T09:00:00Z,true,,,DE,Finance,\n",
    )

    frame = FORMAT.parse(path, "training").entities["phishing_results"]

    assert "department" not in frame.columns
    assert json.loads(frame["_extra"][0]) == {"department": "Finance", "template": None}


def test_extra_is_null_without_extra_columns(drop, canonical_csv):
    path = drop("incident", "incidents.csv", canonical_csv("incidents", {"incident_id": "i1"}))

    frame = FORMAT.parse(path, "incident").entities["incidents"]

    assert frame["_extra"].to_list() == [None]


def test_blank_lines_are_skipped_but_records_keep_their_numbers(drop):
    path = drop(
        "iam",
        "reviews.csv",
        "review_id,item_id,user_id,reviewer_id,due_at,decided_at,decision\n"
        "r1,it1,u1,m1,2024-03-10T00:00:00Z,,\n"
        "\n"
        "r1,it2,u2,m1,2024-03-10T00:00:00Z,,\n",
    )

    frame = FORMAT.parse(path, "iam").entities["access_reviews"]

    assert frame["item_id"].to_list() == ["it1", "it2"]
    assert frame["_source_row"].to_list() == [1, 3]


def test_missing_canonical_columns_fail_naming_file_and_columns(drop_fixture):
    path = drop_fixture("incident", "incidents_missing_columns.csv")

    assert _detect(path)
    with pytest.raises(ExportError) as error:
        FORMAT.parse(path, "incident")

    message = str(error.value)
    assert "incidents_missing_columns.csv" in message
    assert "missing column(s) geography, acknowledged_at, change_id, root_cause_category" in message


def test_record_with_too_many_fields_fails_naming_the_file(drop_fixture):
    path = drop_fixture("scanner", "findings_ragged_record.csv")

    with pytest.raises(ExportError) as error:
        FORMAT.parse(path, "scanner")

    assert "findings_ragged_record.csv" in str(error.value)
    assert "a record has more fields than the header's 12" in str(error.value)


def test_record_with_too_many_fields_is_located_when_the_surplus_has_text(drop):
    path = drop(
        "iam",
        "reviews.csv",
        "review_id,item_id,user_id,reviewer_id,due_at,decided_at,decision\n"
        "r1,it1,u1,m1,2024-03-10T00:00:00Z,,\n"
        "r1,it2,u2,m1,2024-03-10T00:00:00Z,2024-03-09T00:00:00Z,approved,late note\n",
    )

    with pytest.raises(ExportError, match="more fields than the header's 7 at record 2 after the header"):
        FORMAT.parse(path, "iam")


def test_unterminated_quote_fails_naming_file_and_column(drop_fixture):
    path = drop_fixture("scanner", "findings_unterminated_quote.csv")

    with pytest.raises(ExportError) as error:
        FORMAT.parse(path, "scanner")

    assert "findings_unterminated_quote.csv" in str(error.value)
    assert "quote in column 'title' at line 2" in str(error.value)


def test_invalid_utf8_fails_naming_the_line(drop):
    path = drop(
        "backup",
        "jobs.csv",
        b"job_id,system_id,job_type,started_at,completed_at,status,encrypted,asset_environment\n"
        b"j1,db-\xff,backup,2024-03-01T01:00:00Z,,succeeded,true,production\n",
    )

    with pytest.raises(ExportError, match=r"jobs\.csv: unreadable CSV: not valid UTF-8 at line 2"):
        FORMAT.parse(path, "backup")


def test_duplicate_header_names_fail(drop):
    path = drop(
        "backup",
        "jobs.csv",
        "job_id,system_id,job_type,started_at,completed_at,status,encrypted,asset_environment,Status\n",
    )

    with pytest.raises(ExportError, match="duplicate column.*status"):
        FORMAT.parse(path, "backup")


def _vendor_csv_samples() -> list[Path]:
    return sorted(SHARED_SAMPLES.rglob("*.csv")) if SHARED_SAMPLES.is_dir() else []


@pytest.mark.skipif(not _vendor_csv_samples(), reason="shared vendor samples not present")
def test_real_vendor_csv_exports_are_not_claimed_as_canonical():
    claimed = [p.name for p in _vendor_csv_samples() if _detect(p)]

    assert claimed == []


def test_windows_line_endings_are_read(drop):
    path = drop(
        "iam",
        "reviews.csv",
        "review_id,item_id,user_id,reviewer_id,due_at,decided_at,decision\r\n"
        "r1,it1,u1,m1,2024-03-10T00:00:00Z,,approved\r\n",
    )

    row = FORMAT.parse(path, "iam").entities["access_reviews"].row(0, named=True)

    assert (row["item_id"], row["decision"]) == ("it1", "approved")


def test_header_only_file_parses_to_no_rows(drop, canonical_csv):
    path = drop("training", "assignments.csv", canonical_csv("assignments"))

    frame = FORMAT.parse(path, "training").entities["assignments"]

    assert frame.height == 0
    assert set(frame.columns) >= {"assignment_id", "_source_row", "_extra"}


def test_a_semicolon_separated_export_reads_like_a_comma_one(tmp_path):
    from ingest.formats.canonical.csv_export import CanonicalCsv

    folder = tmp_path / "incident"
    folder.mkdir()
    path = folder / "incidents_semicolon.csv"
    path.write_text(
        "incident_id;title;category;severity;service;geography;occurred_at;detected_at;"
        "acknowledged_at;resolved_at;change_id;root_cause_category\n"
        "i1;outage, partial;security;P1;api;EMEA;2026-09-01T10:00:00Z;2026-09-01T10:30:00Z;;;;\n",
        encoding="utf-8",
    )
    frame = CanonicalCsv().parse(path, "incident").entities["incidents"]
    row = frame.row(0, named=True)
    assert (row["incident_id"], row["title"], row["detected_at"]) == (
        "i1", "outage, partial", "2026-09-01T10:30:00Z")
