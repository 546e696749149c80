"""KEV and EPSS through the findings models (int_kev_catalog, int_epss_latest,
int_finding_instances, int_finding_remediation), on hand-made raw rows.

as_of = 2024-05-15 12:00 UTC. Regular window (default): the first Saturday of each month,
02:00-06:00 UTC: 2024-03-02, 04-06, 05-04. Exploited tier: critical/high
emergency_maintenance 24 h, medium/low maintenance_window_7d 7 days (168 h).

Catalogue files (kev_catalog; a date is listed at 00:00 UTC):

| file                          | version    | entries (dateAdded)                                   |
|-------------------------------|------------|-------------------------------------------------------|
| scanner/kev_2024-03-01.csv    | (CSV)      | CVE-2024-1001 03-01                                   |
| scanner/kev_2024-04-15.json   | 2024.04.15 | CVE-2024-1001 03-05 (re-dated), -1002 04-10, -1003 04-12 |
| scanner/kev_2024-05-20.json   | 2024.05.20 | CVE-2024-1004 05-20 (after as_of)                     |
| scanner/kev_withdrawn.csv     | (withdrawn)| CVE-2024-1007 03-01                                   |

EPSS: 2024-05-14 file (v2023.03.01): CVE-2024-1005 0.95/0.999, CVE-2024-1002 0.5/0.98;
2024-05-16 file (after as_of): CVE-2024-1005 0.10.

Findings (trivy; x = key present, c = clean row):

| asset  | key                  | scans                                   |
|--------|----------------------|-----------------------------------------|
| web-1  | CVE-2024-1001 high   | 03-04 10:00 x, 03-05 09:00 c            |
| app-1  | CVE-2024-1002 medium | 04-07 00:00 x (open)                    |
| db-1   | CVE-2024-1003 high   | 04-01 00:00 x, 04-05 00:00 c            |
| api-1  | CVE-2024-1004 medium | 05-01 00:00 x (open)                    |
| lb-1   | cve-2024-1005 low    | 05-01 00:00 x (open; id in lower case)  |
| vpn-1  | CVE-2024-1007 critical | 03-10 00:00 x (open)                  |

A second warehouse ingests the real catalogues and EPSS file from the shared samples
(skipped without them) and checks the union of the two catalogue versions.
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import build_warehouse, query_runner
from dbt_fixture_rows import ts
from ingest.load import ingest_landing
from ingest.warehouse import connect

pytestmark = pytest.mark.slow

AS_OF = "2024-05-15T12:00:00Z"
SELECT = ["+path:models/intermediate/findings"]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def finding(scan_id, scanned_at, asset_id, vulnerability_id=None, severity=None, exploited=None):
    return {
        "scan_id": scan_id, "scanned_at": ts(scanned_at), "scanner": "trivy", "asset_id": asset_id,
        "asset_environment": "production", "vulnerability_id": vulnerability_id, "severity": severity,
        "exploited_in_wild": exploited, "package": "pkg" if vulnerability_id else None,
        "_source_file": f"scanner/findings_{scan_id}.csv", "_format": "canonical_csv",
    }


def kev(source_file, cve_id, date_added, version=None, released=None, withdrawn=False, fmt="cisa_kev_json"):
    return {
        "cve_id": cve_id, "vendor_project": "Vendor", "product": f"Product {version or 'csv'}",
        "vulnerability_name": f"{cve_id} vulnerability", "date_added": ts(date_added),
        "catalog_version": version, "date_released": ts(released), "known_ransomware_campaign_use": "Unknown",
        "_source_file": source_file, "_format": fmt, "_withdrawn": withdrawn,
    }


def epss(source_file, cve, score, percentile, score_date):
    return {"cve": cve, "epss": score, "percentile": percentile, "model_version": "v2023.03.01",
            "score_date": ts(score_date), "_source_file": source_file, "_format": "first_epss_csv"}


FINDINGS = [
    finding("t-web-1", "2024-03-04 10:00", "web-1", "CVE-2024-1001", "high"),
    finding("t-web-2", "2024-03-05 09:00", "web-1"),
    finding("t-app-1", "2024-04-07 00:00", "app-1", "CVE-2024-1002", "medium"),
    finding("t-db-1", "2024-04-01 00:00", "db-1", "CVE-2024-1003", "high", exploited=False),
    finding("t-db-2", "2024-04-05 00:00", "db-1"),
    finding("t-api-1", "2024-05-01 00:00", "api-1", "CVE-2024-1004", "medium"),
    finding("t-lb-1", "2024-05-01 00:00", "lb-1", "cve-2024-1005", "low"),
    finding("t-vpn-1", "2024-03-10 00:00", "vpn-1", "CVE-2024-1007", "critical", exploited=False),
]

CSV_0301 = "scanner/kev_2024-03-01.csv"
JSON_0415 = "scanner/kev_2024-04-15.json"
KEV = [
    kev(CSV_0301, "CVE-2024-1001", "2024-03-01", fmt="cisa_kev_csv"),
    kev(JSON_0415, "CVE-2024-1001", "2024-03-05", "2024.04.15", "2024-04-15 16:00"),
    kev(JSON_0415, "CVE-2024-1002", "2024-04-10", "2024.04.15", "2024-04-15 16:00"),
    kev(JSON_0415, "CVE-2024-1003", "2024-04-12", "2024.04.15", "2024-04-15 16:00"),
    kev("scanner/kev_2024-05-20.json", "CVE-2024-1004", "2024-05-20", "2024.05.20", "2024-05-20 16:00"),
    kev("scanner/kev_withdrawn.csv", "CVE-2024-1007", "2024-03-01", withdrawn=True, fmt="cisa_kev_csv"),
]

EPSS = [
    epss("scanner/epss_2024-05-14.csv", "CVE-2024-1005", 0.95, 0.999, "2024-05-14 00:00"),
    epss("scanner/epss_2024-05-14.csv", "CVE-2024-1002", 0.5, 0.98, "2024-05-14 00:00"),
    epss("scanner/epss_2024-05-16.csv", "CVE-2024-1005", 0.10, 0.7, "2024-05-16 00:00"),
]


@pytest.fixture(scope="module")
def kev_query(tmp_path_factory):
    warehouse = build_warehouse(
        tmp_path_factory.mktemp("dbt_kev"),
        {"findings": FINDINGS, "kev_catalog": KEV, "epss_scores": EPSS},
        AS_OF, select=SELECT,
    )
    return query_runner(warehouse)


@pytest.fixture(scope="module")
def remediation(kev_query):
    return {row["asset_id"]: row for row in kev_query("SELECT * FROM intermediate.int_finding_remediation")}


def test_catalogue_union_keeps_the_earliest_listing(kev_query):
    rows = {r["cve_id"]: r for r in kev_query("SELECT * FROM intermediate.int_kev_catalog")}
    # CVE-2024-1004 (listed 05-20, after as_of) and CVE-2024-1007 (withdrawn file) are absent
    assert sorted(rows) == ["CVE-2024-1001", "CVE-2024-1002", "CVE-2024-1003"]
    listed = rows["CVE-2024-1001"]
    # 03-01 (CSV) and 03-05 (JSON, re-dated): the earliest counts
    assert listed["date_added"] == utc(2024, 3, 1)
    assert (listed["first_source_file"], listed["first_catalog_version"]) == (CSV_0301, None)
    # attributes from the newest file (the JSON, released 04-15)
    assert (listed["latest_catalog_version"], listed["product"]) == ("2024.04.15", "Product 2024.04.15")
    assert (listed["catalogue_rows"], listed["catalogue_files"]) == (2, 2)


def test_listed_before_first_seen_is_exploited_from_the_start(remediation):
    row = remediation["web-1"]
    # listed 03-01 00:00 <= first seen 03-04 10:00: exploited (source kev) although the scanner's
    # flag is blank; high exploited = emergency_maintenance, due 03-04 10:00 + 24 h = 03-05 10:00;
    # the clean rescan 03-05 09:00 fixes it 1 h early. (Had the JSON's re-dated 03-05 counted,
    # it would be a listing while open instead: not exploited, maintenance_window_7d.)
    assert (row["exploited_in_wild"], row["exploited_source"], row["kev_date_added"]) == (
        True, "kev", utc(2024, 3, 1))
    assert (row["decision"], row["due_at"]) == ("emergency_maintenance", utc(2024, 3, 5, 10))
    assert (row["fixed_at"], row["state"], row["escalated_at"]) == (utc(2024, 3, 5, 9), "fixed_in_window", None)


def test_listed_while_open_escalates_the_due_date(remediation):
    row = remediation["app-1"]
    # medium, first seen Sunday 04-07 00:00, not exploited: next_regular_window = the end of the
    # first window starting after it, Saturday 05-04 02:00-06:00 -> own due 05-04 06:00.
    # Listed 04-10 00:00 while open: 04-10 + 7 d = 04-17 00:00, earlier -> due 04-17 00:00
    assert (row["exploited_in_wild"], row["exploited_source"]) == (False, None)
    assert row["decision"] == "next_regular_window"
    assert (row["escalated_at"], row["escalated_decision"], row["escalated_due_at"]) == (
        utc(2024, 4, 10), "maintenance_window_7d", utc(2024, 4, 17))
    assert (row["due_at"], row["due_month"]) == (utc(2024, 4, 17), datetime(2024, 4, 1).date())
    # still open: 04-17 00:00 -> 05-15 12:00 = 28 d 12 h = 684 h past due
    assert (row["state"], row["is_due"], row["met_window"]) == ("open_past_due", True, False)
    assert row["hours_past_due"] == pytest.approx(684.0)
    # its EPSS score rides along
    assert (row["epss_score"], row["epss_percentile"]) == (0.5, 0.98)


def test_listed_after_the_fix_changes_nothing(remediation):
    row = remediation["db-1"]
    # high, not exploited: maintenance_window_7d, due 04-01 + 7 d = 04-08 00:00; fixed by the
    # clean rescan 04-05 00:00; listed 04-12, after the fix: no escalation, the date is kept
    assert (row["exploited_in_wild"], row["kev_date_added"], row["escalated_at"]) == (
        False, utc(2024, 4, 12), None)
    assert (row["decision"], row["due_at"], row["fixed_at"]) == (
        "maintenance_window_7d", utc(2024, 4, 8), utc(2024, 4, 5))
    assert (row["state"], row["hours_past_due"]) == ("fixed_in_window", 0.0)


def test_listing_after_as_of_and_withdrawn_catalogue_do_not_count(remediation):
    later = remediation["api-1"]
    # listed 05-20 > as_of: not yet known. Medium first seen 05-01 00:00: due at the end of the
    # 05-04 window, 06:00; open: 05-04 06:00 -> 05-15 12:00 = 11 d 6 h = 270 h past due
    assert (later["kev_date_added"], later["escalated_at"], later["exploited_in_wild"]) == (None, None, False)
    assert (later["due_at"], later["hours_past_due"]) == (utc(2024, 5, 4, 6), pytest.approx(270.0))
    withdrawn = remediation["vpn-1"]
    # the withdrawn file's 03-01 listing is ignored: critical not exploited, emergency_patch,
    # due 03-10 + 24 h = 03-11 00:00; open: 03-11 -> 05-15 12:00 = 65 d 12 h = 1572 h past due
    assert (withdrawn["exploited_in_wild"], withdrawn["kev_date_added"]) == (False, None)
    assert (withdrawn["decision"], withdrawn["due_at"]) == ("emergency_patch", utc(2024, 3, 11))
    assert withdrawn["hours_past_due"] == pytest.approx(1572.0)


def test_epss_is_the_latest_score_by_as_of_and_never_flags(remediation, kev_query):
    row = remediation["lb-1"]
    # the 05-16 score (0.10) is after as_of: the 05-14 score 0.95 counts, joined on the
    # upper-cased id (the finding says cve-2024-1005)
    assert (row["epss_score"], row["epss_percentile"], row["epss_model_version"], row["epss_score_date"]) == (
        0.95, 0.999, "v2023.03.01", utc(2024, 5, 14))
    # a 0.95 score does not make it exploited: low, next_regular_window, due 05-04 06:00
    assert (row["exploited_in_wild"], row["exploited_source"], row["decision"]) == (
        False, None, "next_regular_window")
    assert row["due_at"] == utc(2024, 5, 4, 6)
    assert kev_query("SELECT count(*) AS n FROM intermediate.int_finding_instances WHERE exploited_in_wild"
                     ) == [{"n": 1}]  # web-1 only


# --- the real catalogues ------------------------------------------------------------------

def _shared_samples() -> Path:
    # tests/conftest.py's SHARED_SAMPLES, read by path: every conftest module is named
    # `conftest`, so importing it by name gives this folder's.
    spec = importlib.util.spec_from_file_location(
        "_tests_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHARED_SAMPLES


SCANNER_SAMPLES = _shared_samples() / "scanner"
REAL_FILES = [
    SCANNER_SAMPLES / "kev-csv" / "kev_2025-01-24.csv",
    SCANNER_SAMPLES / "kev-json" / "kev_2025-08-25_first300.json",
    SCANNER_SAMPLES / "epss-csv" / "epss_2026-09-29_first100.csv",
]
REAL_AS_OF = "2026-10-01T00:00:00Z"


@pytest.fixture(scope="module")
def real_query(tmp_path_factory):
    if not all(p.is_file() for p in REAL_FILES):
        pytest.skip("shared KEV/EPSS samples not present")
    tmp = tmp_path_factory.mktemp("dbt_kev_real")
    landing = tmp / "landing"
    (landing / "scanner").mkdir(parents=True)
    for path in REAL_FILES:
        shutil.copyfile(path, landing / "scanner" / path.name)
    con = connect(tmp / "warehouse.duckdb")
    try:
        report = ingest_landing(con, landing, now=utc(2026, 10, 1))
        assert not report.failed
    finally:
        con.close()
    findings = [
        # Git CVE-2025-48384: only in the 2025.08.25 JSON, listed 2025-08-25
        finding("r-edge-1", "2025-08-20 00:00", "edge-1", "CVE-2025-48384", "high"),
        # SonicWall CVE-2025-23006: in both versions, listed 2025-01-24
        finding("r-web-1", "2025-02-01 00:00", "web-2", "CVE-2025-23006", "critical"),
        # CVE-1999-0001: scored by EPSS, not known-exploited
        finding("r-old-1", "2026-09-01 00:00", "old-1", "CVE-1999-0001", "medium"),
    ]
    return query_runner(build_warehouse(tmp, {"findings": findings}, REAL_AS_OF, select=SELECT))


def test_real_catalogue_versions_union(real_query):
    (counts,) = real_query(
        "SELECT count(*) AS cves, count(*) FILTER (WHERE catalogue_files = 2) AS in_both "
        "FROM intermediate.int_kev_catalog")
    # 1252 CVEs of the 2025-01-24 CSV + 152 newer ones of the JSON excerpt = 1404, the count
    # the 2025.08.25 header gives for the full catalogue; 148 are in both
    assert counts == {"cves": 1404, "in_both": 148}
    (sonicwall,) = real_query("SELECT * FROM intermediate.int_kev_catalog WHERE cve_id = 'CVE-2025-23006'")
    # the same dateAdded in both: the earliest row is the CSV's (file name order); the newest
    # file listing it is the JSON (it has a release time)
    assert sonicwall["date_added"] == utc(2025, 1, 24)
    assert (sonicwall["first_source_file"], sonicwall["latest_catalog_version"]) == (
        "scanner/kev_2025-01-24.csv", "2025.08.25")
    # ransomware use was Unknown in the 2025-01-24 CSV and is Known in the 2025.08.25 JSON: the
    # newest version's word counts
    assert (sonicwall["vendor_project"], sonicwall["known_ransomware_campaign_use"]) == ("SonicWall", "known")


def test_real_catalogue_drives_findings(real_query):
    rows = {r["asset_id"]: r for r in real_query("SELECT * FROM intermediate.int_finding_remediation")}
    # high seen 2025-08-20, own due + 7 d = 08-27; listed 08-25 while open: 08-25 + 24 h = 08-26
    git = rows["edge-1"]
    assert (git["exploited_in_wild"], git["escalated_at"], git["due_at"]) == (
        False, utc(2025, 8, 25), utc(2025, 8, 26))
    # listed 2025-01-24, before first seen 02-01: exploited from the start, emergency_maintenance
    sonicwall = rows["web-2"]
    assert (sonicwall["exploited_source"], sonicwall["decision"], sonicwall["due_at"]) == (
        "kev", "emergency_maintenance", utc(2025, 2, 2))
    # EPSS 2026-09-29 12:00:22 (model v2026.06.15): 0.03351, percentile 0.88255; not exploited
    old = rows["old-1"]
    assert (old["epss_score"], old["epss_percentile"], old["epss_model_version"]) == (
        0.03351, 0.88255, "v2026.06.15")
    assert old["epss_score_date"] == utc(2026, 9, 29, 12, 0, 22)
    assert (old["exploited_in_wild"], old["decision"]) == (False, "next_regular_window")
    (epss,) = real_query("SELECT count(*) AS n FROM intermediate.int_epss_latest")
    assert epss == {"n": 99}
