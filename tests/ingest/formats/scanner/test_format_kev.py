"""CISA KEV catalogue, CSV and JSON editions (ingest/formats/scanner/kev_csv.py, kev_json.py).

The real catalogues (the full 2025-01-24 CSV, 1252 entries, and the first 300 entries
of the 2025-08-25 JSON) come from the shared samples and are skipped when absent; the
hand-made files under samples/kev-csv/ and samples/kev-json/ always run. The union of
catalogue versions (earliest dateAdded) is dbt's (int_kev_catalog, tests/dbt_project/
test_dbt_kev.py); here the loaded rows it unions are checked.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.canonical.csv_export import CanonicalCsv
from ingest.formats.scanner.kev_csv import KevCsv
from ingest.formats.scanner.kev_json import KevJson
from ingest.load import ingest_landing

HERE = Path(__file__).resolve().parent
CSV_FIXTURE = HERE / "samples" / "kev-csv" / "kev_first_edition_columns.csv"
JSON_FIXTURE = HERE / "samples" / "kev-json" / "kev_2024.04.15_two_entries.json"


def _shared_samples() -> Path:
    # tests/conftest.py's SHARED_SAMPLES, read by path: every conftest module is named
    # `conftest`, so importing it by name may give another folder's.
    spec = importlib.util.spec_from_file_location("_tests_root_conftest", HERE.parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHARED_SAMPLES


KEV_CSV = _shared_samples() / "scanner" / "kev-csv" / "kev_2025-01-24.csv"
KEV_JSON = _shared_samples() / "scanner" / "kev-json" / "kev_2025-08-25_first300.json"
needs_samples = pytest.mark.skipif(
    not (KEV_CSV.is_file() and KEV_JSON.is_file()), reason="shared KEV samples not present")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _copy(source: Path, landing: Path) -> None:
    target = landing / "scanner" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _entry(con, cve_id: str, fmt: str) -> dict:
    cursor = con.execute(
        "SELECT * FROM raw.kev_catalog WHERE cve_id = ? AND _format = ?", [cve_id, fmt])
    names = [d[0] for d in cursor.description]
    (row,) = cursor.fetchall()
    entry = dict(zip(names, row))
    entry["_extra"] = json.loads(entry["_extra"])
    return entry


@needs_samples
def test_real_catalogues_are_detected_and_not_claimed_as_canonical():
    for path, name in ((KEV_CSV, "cisa_kev_csv"), (KEV_JSON, "cisa_kev_json")):
        assert registry.detect(path, "scanner").name == name
    assert not CanonicalCsv().detect(KEV_CSV, KEV_CSV.read_bytes()[: registry.HEAD_BYTES])


@needs_samples
def test_real_csv_catalogue(con, landing, run_at):
    _copy(KEV_CSV, landing)

    report = ingest_landing(con, landing, now=run_at)

    assert (report.files[0].rows_loaded, report.files[0].rows_rejected) == ({"kev_catalog": 1252}, 0)
    # the newest entry of the 2025-01-24 edition: SonicWall SMA1000, listed that day
    entry = _entry(con, "CVE-2025-23006", "cisa_kev_csv")
    assert (entry["vendor_project"], entry["product"]) == ("SonicWall", "SMA1000 Appliances")
    # dateAdded 2025-01-24 = 00:00 UTC of that date, not a naive timestamp
    assert entry["date_added"] == utc(2025, 1, 24)
    assert entry["_naive_timestamps"] == 0
    assert (entry["due_date"], entry["known_ransomware_campaign_use"]) == ("2025-02-14", "Unknown")
    # the CSV edition has no version or release time
    assert (entry["catalog_version"], entry["date_released"]) == (None, None)
    assert entry["_extra"]["cwes"] == "CWE-502"
    assert entry["_extra"]["required_action"].startswith("Apply mitigations per vendor instructions")
    # the catalogue's first listings, 2021-11-03; 245 entries known in ransomware campaigns
    assert con.execute("SELECT min(date_added), count(*) FILTER (WHERE known_ransomware_campaign_use = 'Known') "
                       "FROM raw.kev_catalog").fetchone() == (utc(2021, 11, 3), 245)


@needs_samples
def test_real_json_catalogue(con, landing, run_at):
    _copy(KEV_JSON, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    assert (result.format, result.rows_loaded) == ("cisa_kev_json", {"kev_catalog": 300})
    # the header counts the full catalogue (1404); the excerpt holds 300 entries
    assert result.notes == ["kev_2025-08-25_first300.json: the catalogue header counts 1404 entries, "
                            "the file holds 300 (an excerpt); the entries present are loaded"]
    entry = _entry(con, "CVE-2025-48384", "cisa_kev_json")
    assert (entry["vendor_project"], entry["vulnerability_name"]) == ("Git", "Git Link Following Vulnerability")
    assert entry["date_added"] == utc(2025, 8, 25)
    assert entry["catalog_version"] == "2025.08.25"
    # dateReleased "2025-08-25T17:04:19.9796Z": four fractional digits
    assert entry["date_released"] == datetime(2025, 8, 25, 17, 4, 19, 979600, tzinfo=timezone.utc)
    assert entry["_extra"]["cwes"] == '["CWE-59", "CWE-436"]'
    assert entry["_source_row"] == 1


@needs_samples
def test_both_real_versions_load_side_by_side_for_the_union(con, landing, run_at):
    _copy(KEV_CSV, landing)
    _copy(KEV_JSON, landing)

    ingest_landing(con, landing, now=run_at)

    # 148 CVEs are in both versions, with the same dateAdded; 152 newer ones only in the
    # JSON: the union of the two is 1252 + 152 = 1404 CVEs, the full catalogue's count
    assert con.execute("""
        SELECT count(DISTINCT cve_id),
               count(*) FILTER (WHERE n = 2),
               count(*) FILTER (WHERE n = 2 AND first_added <> last_added)
        FROM (SELECT cve_id, count(*) n, min(date_added) first_added, max(date_added) last_added
              FROM raw.kev_catalog GROUP BY cve_id)
    """).fetchone() == (1404, 148, 0)
    # CVE-2007-0671 is an old CVE listed only after the CSV edition: in the JSON only
    assert con.execute("SELECT _format, date_added FROM raw.kev_catalog WHERE cve_id = 'CVE-2007-0671'"
                       ).fetchall() == [("cisa_kev_json", utc(2025, 8, 12))]


def test_oldest_csv_columns_and_a_bad_date(con, landing, run_at):
    _copy(CSV_FIXTURE, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("cisa_kev_csv", {"kev_catalog": 2}, 1)
    assert con.execute("SELECT source_row, field, value, reason FROM ingest.rejected_rows").fetchall() == [
        (3, "date_added", "soon", "not an ISO 8601 timestamp")]
    # "cve-2021-21017 " is trimmed and upper-cased; the missing columns are blank
    entry = _entry(con, "CVE-2021-21017", "cisa_kev_csv")
    assert (entry["date_added"], entry["known_ransomware_campaign_use"]) == (utc(2021, 11, 3), None)
    assert set(entry["_extra"]) == {"short_description", "required_action"}


def test_json_header_fields_go_to_every_entry():
    parsed = KevJson().parse(JSON_FIXTURE, "scanner")

    frame = parsed.entities["kev_catalog"]
    assert frame.select("cve_id", "date_added", "catalog_version", "date_released").rows() == [
        ("CVE-2024-3400", "2024-04-12T00:00:00Z", "2024.04.15", "2024-04-15T16:00:03.1234Z"),
        ("CVE-2021-27104", "2021-11-03T00:00:00Z", "2024.04.15", "2024-04-15T16:00:03.1234Z"),
    ]
    extras = [json.loads(e) for e in frame["_extra"]]
    # JSON escapes "\/" read as "/"; arrays as JSON text; an empty notes string is blank
    assert extras[0]["notes"] == "https://security.paloaltonetworks.com/CVE-2024-3400"
    assert (extras[0]["cwes"], extras[1]["cwes"], extras[1]["notes"]) == ('["CWE-77", "CWE-20"]', "[]", None)
    assert parsed.notes == []  # count 2 = entries


def test_kev_detection_is_by_content():
    assert KevCsv().detect(CSV_FIXTURE, CSV_FIXTURE.read_bytes())
    assert not KevJson().detect(CSV_FIXTURE, CSV_FIXTURE.read_bytes())
    assert KevJson().detect(JSON_FIXTURE, JSON_FIXTURE.read_bytes())
    assert registry.detect(CSV_FIXTURE, "scanner").name == "cisa_kev_csv"
