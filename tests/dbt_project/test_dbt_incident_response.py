"""metrics.incident_response_monthly and the layers under it, on the fixture of dbt_fixture_rows.py.

Hand-computed values; the arithmetic is beside each assertion. Durations in hours.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

pytestmark = pytest.mark.slow

MARCH, APRIL, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)


@pytest.fixture(scope="module")
def monthly(query):
    rows = query("SELECT * FROM metrics.incident_response_monthly")
    return {(r["month"], r["severity"], r["geography"]): r for r in rows}


def test_march_all_all_mttd_and_mttr(monthly):
    row = monthly[(MARCH, "ALL", "ALL")]
    # population: INC-1, INC-2, INC-3, INC-4, INC-5, INC-9 (INC-6/7 excluded, INC-8 availability)
    assert row["incidents"] == 6
    # MTTD over those with occurred_at (INC-4 has none): INC-1 1, INC-2 2, INC-3 4, INC-5 3, INC-9 2
    # mean = (1 + 2 + 4 + 3 + 2) / 5 = 12 / 5 = 2.4
    assert row["mttd_hours"] == pytest.approx(2.4)
    # sorted [1, 2, 2, 3, 4]: median = 2
    assert row["mttd_median_hours"] == pytest.approx(2.0)
    # p90: position 0.9 * (5 - 1) = 3.6 -> 3 + 0.6 * (4 - 3) = 3.6
    assert row["mttd_p90_hours"] == pytest.approx(3.6)
    # MTTR over those resolved by as_of: INC-1 01:00->03:00 = 2, INC-2 12:00->18:00 = 6,
    # INC-3 03-10 04:00 -> 03-11 00:00 = 20, INC-4 00:00->10:00 = 10 (INC-5 open, INC-9 after as_of)
    # mean = (2 + 6 + 20 + 10) / 4 = 38 / 4 = 9.5
    assert row["mttr_hours"] == pytest.approx(9.5)
    # sorted [2, 6, 10, 20]: median = (6 + 10) / 2 = 8
    assert row["mttr_median_hours"] == pytest.approx(8.0)
    # p90: position 0.9 * (4 - 1) = 2.7 -> 10 + 0.7 * (20 - 10) = 17
    assert row["mttr_p90_hours"] == pytest.approx(17.0)
    assert row["resolved_incidents"] == 4  # INC-1, INC-2, INC-3, INC-4


def test_change_induced_count(monthly):
    # INC-1 (CHG-1, P1 EMEA) and INC-5 (CHG-2, P2 EMEA)
    assert monthly[(MARCH, "ALL", "ALL")]["change_induced_incidents"] == 2
    assert monthly[(MARCH, "ALL", "EMEA")]["change_induced_incidents"] == 2  # both EMEA
    assert monthly[(MARCH, "P1", "EMEA")]["change_induced_incidents"] == 1  # INC-1
    assert monthly[(MARCH, "P1", "APAC")]["change_induced_incidents"] == 0  # INC-3


def test_detected_before_occurred_is_excluded(query, monthly):
    excluded = {r["incident_id"]: r["exclusion_reason"]
                for r in query("SELECT * FROM intermediate.int_incidents_excluded")}
    assert excluded == {"INC-6": "detected_before_occurred", "INC-7": "resolved_before_detected"}
    valid = {r["incident_id"] for r in query("SELECT incident_id FROM intermediate.int_incidents_valid")}
    assert not valid & {"INC-6", "INC-7"}
    # INC-6 would be P1 AMER and INC-7 P2 AMER: P1 has only INC-1 (EMEA) and INC-3 (APAC)
    assert (MARCH, "P1", "AMER") not in monthly
    assert monthly[(MARCH, "ALL", "AMER")]["incidents"] == 1  # INC-2 only
    # P1: INC-1 1 h, INC-3 4 h -> MTTD (1 + 4) / 2 = 2.5; MTTR (2 + 20) / 2 = 11
    assert monthly[(MARCH, "P1", "ALL")]["incidents"] == 2
    assert monthly[(MARCH, "P1", "ALL")]["mttd_hours"] == pytest.approx(2.5)
    assert monthly[(MARCH, "P1", "ALL")]["mttr_hours"] == pytest.approx(11.0)


def test_blank_occurred_at_counts_in_incidents_not_in_mttd(monthly):
    # INC-4: P3, blank geography -> UNKNOWN, blank occurred_at, resolved 10 h after detection
    row = monthly[(MARCH, "P3", "UNKNOWN")]
    assert row["incidents"] == 1
    assert row["mttd_hours"] is None and row["mttd_median_hours"] is None
    assert row["mttd_p90_hours"] is None
    assert row["mttr_hours"] == pytest.approx(10.0)  # 00:00 -> 10:00
    assert monthly[(MARCH, "ALL", "UNKNOWN")]["incidents"] == 1


def test_resolved_after_as_of_not_in_mttr(monthly):
    # INC-9: P4 APAC (given as p4 / apac), detected 2 h after occurrence, resolved 2024-06-01 > as_of
    row = monthly[(MARCH, "P4", "APAC")]
    assert row["incidents"] == 1
    assert row["mttd_hours"] == pytest.approx(2.0)  # 03-27 22:00 -> 03-28 00:00
    assert row["resolved_incidents"] == 0
    assert row["mttr_hours"] is None
    # APAC: INC-3 (resolved, 20 h) and INC-9 (not yet): MTTR = 20 / 1 = 20
    assert monthly[(MARCH, "ALL", "APAC")]["resolved_incidents"] == 1
    assert monthly[(MARCH, "ALL", "APAC")]["mttr_hours"] == pytest.approx(20.0)


def test_detected_after_as_of_is_absent(monthly):
    # INC-10 detected 2024-05-20 > as_of 2024-05-15 12:00: May has no incident
    may = monthly[(MAY, "ALL", "ALL")]
    assert may["incidents"] == 0
    assert [k for k in monthly if k[0] == MAY] == [(MAY, "ALL", "ALL")]


def test_empty_month_has_all_all_row(monthly):
    # April: only an availability incident (INC-11) and a withdrawn export's INC-12
    april = monthly[(APRIL, "ALL", "ALL")]
    assert april["incidents"] == 0
    assert april["resolved_incidents"] == 0
    assert april["change_induced_incidents"] == 0
    for column in ("mttd_hours", "mttd_median_hours", "mttd_p90_hours",
                   "mttr_hours", "mttr_median_hours", "mttr_p90_hours"):
        assert april[column] is None
    assert [k for k in monthly if k[0] == APRIL] == [(APRIL, "ALL", "ALL")]


def test_march_rows_are_all_rows_plus_non_empty_combinations(monthly):
    march = {(s, g) for (m, s, g) in monthly if m == MARCH}
    # 1 ALL/ALL + 4 severities x ALL + 4 geographies x ALL + 6 non-empty combinations = 15
    assert march == {
        ("ALL", "ALL"),
        ("P1", "ALL"), ("P2", "ALL"), ("P3", "ALL"), ("P4", "ALL"),
        ("ALL", "AMER"), ("ALL", "EMEA"), ("ALL", "APAC"), ("ALL", "UNKNOWN"),
        ("P1", "EMEA"), ("P1", "APAC"), ("P2", "AMER"), ("P2", "EMEA"),
        ("P3", "UNKNOWN"), ("P4", "APAC"),
    }


def test_month_spine_bounds(query, monthly):
    spine = [r["month"] for r in query("SELECT month FROM intermediate.int_month_spine ORDER BY month")]
    # earliest evidence: the identity snapshot 2023-12-31 23:30-05:00 = 2024-01-01 04:30 UTC
    # (January; the withdrawn 2023-10 backup job is ignored); last: the month of as_of (May);
    # the June snapshot and July scan are after as_of
    assert spine == [date(2024, 1, 1), date(2024, 2, 1), MARCH, APRIL, MAY]
    assert sorted({k[0] for k in monthly}) == spine
    assert sum(1 for k in monthly if k[1:] == ("ALL", "ALL")) == 5


def test_family_coverage(query):
    covered = {(r["family"], r["month"]) for r in
               query("SELECT family, month FROM intermediate.int_family_coverage_months")}
    assert covered == {
        ("iam", date(2024, 1, 1)),
        ("scanner", date(2024, 2, 1)),      # scan 02-10
        ("scanner", MARCH),                 # certificate observed 03-01
        ("training", date(2024, 2, 1)),     # phishing sent 02-20
        ("training", APRIL),                # assignment due 04-30
        ("backup", MARCH),                  # job started 03-03
        # incident: from the month of the earliest occurred_at (INC-1, 03-01) through as_of
        ("incident", MARCH), ("incident", APRIL), ("incident", MAY),
    }


def test_incident_in_two_exports_is_merged_field_by_field(query, monthly):
    (inc2,) = query("SELECT * FROM intermediate.int_incidents_merged WHERE incident_id = 'INC-2'")
    # export_a.csv's newest timestamp (06-01, INC-9) is later than export_b.csv's (03-11, INC-3),
    # so where both are set export_a wins even though its name sorts first: P2, not p4
    assert inc2["severity"] == "P2"
    # export_a is blank for geography and occurred_at: export_b's values are kept
    assert inc2["geography"] == "AMER"
    assert inc2["occurred_at"] == datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
    # only export_a has the resolution
    assert inc2["resolved_at"] == datetime(2024, 3, 5, 18, 0, tzinfo=timezone.utc)
    # the withdrawn export (P3, APAC, 07-01) is not used
    assert inc2["_source_files"] == ["incident/export_a.csv", "incident/export_b.csv"]
    assert inc2["_source_records"] == 2
    # P2 AMER row = INC-2 alone: MTTD 10:00 -> 12:00 = 2, MTTR 12:00 -> 18:00 = 6
    row = monthly[(MARCH, "P2", "AMER")]
    assert (row["incidents"], row["mttd_hours"], row["mttr_hours"]) == (1, pytest.approx(2.0), pytest.approx(6.0))
    assert (MARCH, "P4", "AMER") not in monthly


def test_every_row_stores_as_of_and_durations_are_double(query):
    as_of = query("SELECT DISTINCT as_of FROM metrics.incident_response_monthly")
    assert as_of == [{"as_of": datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)}]
    types = {r["column_name"]: r["data_type"] for r in query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'metrics' AND table_name = 'incident_response_monthly'")}
    assert list(types) == [
        "month", "severity", "geography", "incidents", "mttd_hours", "mttd_median_hours",
        "mttd_p90_hours", "mttr_hours", "mttr_median_hours", "mttr_p90_hours",
        "resolved_incidents", "change_induced_incidents", "period_complete", "as_of",
    ]
    assert types["month"] == "DATE"
    assert {types[c] for c in types if c.endswith("_hours")} == {"DOUBLE"}
    assert types["as_of"] == "TIMESTAMP WITH TIME ZONE"


def test_staging_normalises_and_drops_withdrawn(query):
    incidents = query("SELECT incident_id, category, severity, geography FROM staging.stg_incident__incidents "
                      "WHERE incident_id = 'INC-9'")
    assert incidents == [{"incident_id": "INC-9", "category": "security", "severity": "P4", "geography": "APAC"}]
    ids = {r["incident_id"] for r in query("SELECT incident_id FROM staging.stg_incident__incidents")}
    assert "INC-12" not in ids  # withdrawn export
    findings = {r["vulnerability_id"]: r["severity"] for r in query(
        "SELECT vulnerability_id, severity FROM staging.stg_scanner__findings")}
    # 'Moderate' -> medium; blank severity with CVSS 9.8 -> critical; blank with blank CVSS -> info
    assert findings == {"CVE-2024-0001": "medium", "CVE-2024-0002": "critical", None: "info"}
    (identity,) = query("SELECT status, mfa_enabled, geography, country FROM staging.stg_iam__identities "
                        "WHERE snapshot_at < '2024-02-01'")
    assert identity == {"status": "active", "mfa_enabled": False, "geography": "UNKNOWN", "country": "DE"}
    (job,) = query("SELECT job_type, status, encrypted FROM staging.stg_backup__jobs")
    assert job == {"job_type": "backup", "status": "succeeded", "encrypted": None}
    (phish,) = query("SELECT delivered FROM staging.stg_training__phishing_results")
    assert phish == {"delivered": False}


def test_country_geography_seed(query):
    counts = {r["geography"]: r["n"] for r in query(
        "SELECT geography, count(*) AS n FROM reference.country_geography GROUP BY 1")}
    assert sum(counts.values()) == 249 and set(counts) == {"AMER", "EMEA", "APAC"}
    geo = {r["country_code"]: r["geography"] for r in query("SELECT * FROM reference.country_geography")}
    assert (geo["NA"], geo["US"], geo["BR"], geo["DE"], geo["AE"], geo["IR"], geo["KZ"], geo["IN"],
            geo["JP"], geo["AU"], geo["AQ"]) == (
        "EMEA", "AMER", "AMER", "EMEA", "EMEA", "EMEA", "EMEA", "APAC", "APAC", "APAC", "APAC")
