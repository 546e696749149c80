"""metrics.data_quality_monthly on the shared fixture of dbt_fixture_rows.py.

Hand-computed values; the arithmetic is beside each assertion. Every raw row of the fixture is
loaded at conftest.LOADED_AT = 2024-05-15 06:00 UTC (its `_loaded_at`); as_of = 2024-05-15
12:00 UTC. The spine runs from January 2024 (the identity snapshot 2023-12-31 23:30-05:00 =
2024-01-01 04:30 UTC) through May 2024 (the month of as_of).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dbt_fixture_rows import AS_OF

pytestmark = pytest.mark.slow

JAN, FEB, MAR, APR, MAY = (date(2024, m, 1) for m in range(1, 6))
ENTITIES = {
    ("scanner", "findings"), ("scanner", "certificates"), ("iam", "identities"),
    ("iam", "access_reviews"), ("training", "assignments"), ("training", "phishing_results"),
    ("backup", "backup_jobs"), ("incident", "incidents"),
}


@pytest.fixture(scope="module")
def quality(query):
    rows = query("SELECT * FROM metrics.data_quality_monthly")
    return {(r["month"], r["entity"]): r for r in rows}


def test_one_row_per_spine_month_and_entity(query, quality):
    rows = query("SELECT month, family, entity, as_of FROM metrics.data_quality_monthly")
    # 5 months (January .. May) x 8 entities, each (month, entity) once
    assert len(rows) == 5 * 8 == len(quality)
    assert {(r["family"], r["entity"]) for r in rows} == ENTITIES
    assert {r["month"] for r in rows} == {JAN, FEB, MAR, APR, MAY}
    assert {r["as_of"] for r in rows} == {datetime.fromisoformat(AS_OF.replace("Z", "+00:00"))}


def test_march_incidents(quality):
    row = quality[(MAR, "incidents")]
    # placed by occurred_at (else detected_at), detected by as_of: INC-1, -2 (merged from two
    # exports: one record), -3, -4 (blank occurred_at: placed by detected_at 03-15), -5, -6, -7,
    # -8 (availability: every category counts), -9 = 9 records
    assert row["records"] == 9
    assert row["family"] == "incident"
    # occurred_at and detected_at both set: all but INC-4 -> 8 / 9
    assert row["incomplete_records"] == 1
    assert row["completeness"] == pytest.approx(8 / 9)
    # int_incidents_excluded: INC-6 (detected before occurred), INC-7 (resolved before detected)
    # -> 7 / 9
    assert row["invalid_records"] == 2
    assert row["validity"] == pytest.approx(7 / 9)
    # merged by incident_id: one record per key
    assert row["duplicate_records"] == 0
    assert row["uniqueness"] == pytest.approx(1.0)
    # INC-9 resolved 06-01 00:00, after its load (05-15 06:00) -> 8 / 9; the withdrawn export's
    # INC-2 resolution (07-01) is not in the merge
    assert row["future_dated_records"] == 1
    assert row["timeliness"] == pytest.approx(8 / 9)
    assert row["consistency"] is None
    # 7 / 9 = 0.78 < 0.9 (data_quality_fail_score)
    assert row["status"] == "fail"


def test_incidents_in_quiet_and_later_months(quality):
    # April: INC-11 (availability, 04-10 00:00 -> 01:00, resolved 02:00), complete, valid and
    # loaded after its timestamps -> every score 1.0, pass
    april = quality[(APR, "incidents")]
    assert april["records"] == 1
    assert (april["completeness"], april["validity"], april["uniqueness"], april["timeliness"]) == (
        1.0, 1.0, 1.0, 1.0)
    assert april["status"] == "pass"
    # INC-12 (April) is in a withdrawn export; INC-10 occurred 05-19, after as_of: May has no
    # record, nor have January and February (quiet months are covered, but hold no record)
    for month in (JAN, FEB, MAY):
        row = quality[(month, "incidents")]
        assert row["records"] == 0
        assert row["status"] == "no_data"
        assert row["completeness"] is None and row["timeliness"] is None


def test_march_backup_job_without_encryption_is_incomplete(quality):
    row = quality[(MAR, "backup_jobs")]
    # j1 only (the withdrawn j0 is gone); encrypted blank -> incomplete: 0 / 1
    assert row["records"] == 1
    assert row["completeness"] == 0.0
    # job_type "Backup" -> backup and status "SUCCEEDED" -> succeeded are known words;
    # completed 02:00 after started 01:00 -> valid
    assert row["validity"] == 1.0
    assert row["uniqueness"] == 1.0
    assert row["timeliness"] == 1.0
    # 0.0 < 0.9 -> fail
    assert row["status"] == "fail"


def test_january_identities(quality):
    row = quality[(JAN, "identities")]
    # u1 at 2024-01-01 04:30 UTC; the 2024-06-01 snapshot is after as_of and not read
    assert row["records"] == 1
    # geography blank, country "de" -> EMEA: resolved -> complete
    assert row["completeness"] == 1.0
    assert row["validity"] is None  # no operational rule for identities
    assert row["duplicate_records"] == 0
    assert row["uniqueness"] == 1.0
    assert row["timeliness"] == 1.0  # snapshot_at <= load, no terminated_at / disabled_at
    assert row["status"] == "pass"


def test_february_findings(quality):
    row = quality[(FEB, "findings")]
    # scan s1 of 02-10: a1 CVE-2024-0001 and a2 CVE-2024-0002; the clean rescan of 07-01 is
    # after as_of
    assert row["records"] == 2
    # a1: severity "Moderate" (a vendor word), a2: blank severity but CVSS 9.8 -> both complete
    assert row["completeness"] == 1.0
    # CVSS 5.0 and 9.8 within [0, 10]; "Moderate" is known; no flagged instance
    assert row["validity"] == 1.0
    # keys (trivy, s1, a1, ...) and (trivy, s1, a2, ...) differ
    assert row["uniqueness"] == 1.0
    assert row["timeliness"] == 1.0
    assert row["status"] == "pass"


def test_february_phishing(quality):
    row = quality[(FEB, "phishing_results")]
    # c1 -> u1 sent 02-20 09:00
    assert row["records"] == 1
    # delivered blank is already false in staging: completeness not measurable; no key
    assert row["completeness"] is None
    assert row["uniqueness"] is None
    assert row["validity"] == 1.0  # not clicked or reported at all
    # u1 is in the January snapshot (user_id match) -> 1 / 1
    assert row["unmatched_person_records"] == 0
    assert row["consistency"] == 1.0
    assert row["status"] == "pass"


def test_april_assignment_and_march_review_item(quality):
    assignment = quality[(APR, "assignments")]
    # as1: due 04-30, required true, assigned 04-01, not completed, u1 in the directory
    assert assignment["records"] == 1
    assert (assignment["completeness"], assignment["validity"], assignment["uniqueness"],
            assignment["timeliness"], assignment["consistency"]) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert assignment["status"] == "pass"
    item = quality[(MAR, "access_reviews")]
    # i1 due 03-31, undecided: due_at present, nothing after its load
    assert item["records"] == 1
    assert item["completeness"] == 1.0
    assert item["validity"] is None
    assert item["timeliness"] == 1.0
    assert item["status"] == "pass"


def test_march_certificate(quality):
    row = quality[(MAR, "certificates")]
    # a1 observed 03-01: not_after 2025-03-01 and environment production present; not_before
    # 2023-03-01 < not_after; not_after is a validity bound, not compared with the load
    assert row["records"] == 1
    assert (row["completeness"], row["validity"], row["uniqueness"], row["timeliness"]) == (
        1.0, 1.0, 1.0, 1.0)
    assert row["status"] == "pass"


def test_no_data_exactly_without_records(quality):
    for (month, entity), row in quality.items():
        assert (row["status"] == "no_data") == (row["records"] == 0), (month, entity)
    # the 9 (month, entity) pairs with records are the ones above; the other 31 are no_data
    with_records = {key for key, row in quality.items() if row["records"] > 0}
    assert with_records == {
        (JAN, "identities"), (FEB, "findings"), (FEB, "phishing_results"),
        (MAR, "incidents"), (MAR, "backup_jobs"), (MAR, "access_reviews"), (MAR, "certificates"),
        (APR, "incidents"), (APR, "assignments"),
    }
