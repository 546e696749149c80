"""metrics.error_budget_monthly and its helpers (models/intermediate/error_budget), on a small
fixture of its own, built once per session with `--select +error_budget_monthly` (so it does
not change the months and coverage the other fixtures pin).

Hand-computed values; the arithmetic is beside each assertion. as_of = 2024-05-15 12:00 UTC,
so May is the month in progress: elapsed_fraction = 14.5 days / 31 days = 348 h / 744 h.
Spine: February (the incident family covers from the month of the earliest incident, A0)
through May.

Incidents (P = severity; "det" = detected_at):

| id | category     | P  | occurred      | det           | resolved          | in the union?                |
|----|--------------|----|---------------|---------------|-------------------|------------------------------|
| A0 | availability | P3 | 02-10 00:00   | 02-10 00:30   | 02-10 02:00       | no: P3 (covers February)     |
| A1 | availability | P1 | 03-10 10:00   | 03-10 10:05   | 03-10 12:00       | yes                          |
| A2 | availability | P2 | 03-10 10:30   | 03-10 10:35   | 03-10 11:00       | yes, nested in A1            |
| A3 | availability | P1 | 03-10 12:00   | 03-10 12:01   | 03-10 12:30       | yes, touching A1             |
| A4 | availability | P3 | 03-10 13:00   | 03-10 13:05   | 03-10 15:00       | no: P3                       |
| A5 | availability | P2 | 03-31 23:40   | 03-31 23:45   | 04-01 00:20       | yes, crosses the month       |
| A6 | availability | P1 | 03-20 00:00   | 03-19 23:00   | 03-20 05:00       | no: detected before occurred |
| A7 | availability | P1 | (blank)       | 04-10 00:00   | 04-10 05:00       | no: blank occurred_at        |
| A8 | availability | P1 | 04-12 00:00   | (blank)       | 04-12 05:00       | no: blank detected_at        |
| S1 | security     | P1 | 05-15 11:30   | 05-15 11:40   | 05-16 (> as_of)   | yes, open at as_of           |
| S2 | security     | P2 | 05-02 00:00   | 05-02 00:05   | 05-02 00:10       | yes                          |
| S3 | security     | P1 | 05-15 13:00   | 05-15 13:05   | (open)            | no: after as_of              |
| S4 | security     | P2 | 03-05 00:00   | 03-05 01:00   | 03-05 00:30       | no: resolved before detected |

Findings (scanner trivy; critical due 24 h after first_seen_at, info has no due_at):

| asset | scans                                      | keys                                                 |
|-------|--------------------------------------------|------------------------------------------------------|
| h1    | 04-01 08:00, 05-10 00:00                   | CVE-A critical (gone 05-10: fixed), CVE-B info, CVE-C high |
| h2    | 04-20 00:00, 05-14 00:00 (fixed_at 05-20)  | CVE-D critical (fix after as_of: still open)         |
| h3    | 04-30 12:00                                | CVE-E critical (due 05-01 12:00)                     |
| h4    | 04-01 08:00, 04-01 12:00 clean             | CVE-F critical (fixed 04-01 12:00)                   |

Compliance snapshots (P = privileged active, M = MFA):

| kind                        | instant       | state                                        |
|-----------------------------|---------------|----------------------------------------------|
| identity canonical_csv      | 03-11 00:00   | u1 P M: compliant (first snapshot of any kind) |
| certificate                 | 03-21 00:00   | k1 production expired: non-compliant         |
| certificate                 | 03-21 04:12   | k1 renewed: compliant                        |
| identity canonical_csv      | 04-11 00:00   | u1 P without M: non-compliant                |
| identity okta_users_json    | 04-16 00:00   | o1 P without M: non-compliant                |
| identity canonical_csv      | 04-21 00:00   | u1 P M: compliant (okta still non-compliant) |
| identity okta_users_json    | 04-26 00:00   | o1 P M: compliant                            |
| identity canonical_csv      | 05-05 00:00   | u1 P M: compliant (iam covers May)           |
| certificate                 | 05-15 06:00   | k2 production expired: non-compliant         |
| identity canonical_csv      | 05-20 00:00   | after as_of: ignored                         |
"""

from __future__ import annotations

from datetime import date

import pytest

from conftest import build_warehouse, query_runner
from dbt_fixture_rows import incident, ts

pytestmark = pytest.mark.slow

AS_OF = "2024-05-15T12:00:00Z"
FEBRUARY, MARCH, APRIL, MAY = date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)
# May in progress: 05-01 00:00 -> 05-15 12:00 = 14.5 days = 348 h of 31 days = 744 h
MAY_ELAPSED = 348 / 744


INCIDENTS = [
    incident("A0", "availability", "P3", "EMEA", "2024-02-10 00:00", "2024-02-10 00:30", "2024-02-10 02:00"),
    incident("A1", "availability", "P1", "EMEA", "2024-03-10 10:00", "2024-03-10 10:05", "2024-03-10 12:00"),
    incident("A2", "Availability", "p2", "EMEA", "2024-03-10 10:30", "2024-03-10 10:35", "2024-03-10 11:00"),
    incident("A3", "availability", "P1", "AMER", "2024-03-10 12:00", "2024-03-10 12:01", "2024-03-10 12:30"),
    incident("A4", "availability", "P3", "AMER", "2024-03-10 13:00", "2024-03-10 13:05", "2024-03-10 15:00"),
    incident("A5", "availability", "P2", "APAC", "2024-03-31 23:40", "2024-03-31 23:45", "2024-04-01 00:20"),
    incident("A6", "availability", "P1", "APAC", "2024-03-20 00:00", "2024-03-19 23:00", "2024-03-20 05:00"),
    incident("A7", "availability", "P1", "APAC", None, "2024-04-10 00:00", "2024-04-10 05:00"),
    incident("A8", "availability", "P1", "APAC", "2024-04-12 00:00", None, "2024-04-12 05:00"),
    incident("S1", "Security", "P1", "EMEA", "2024-05-15 11:30", "2024-05-15 11:40", "2024-05-16 00:00"),
    incident("S2", "security", "P2", "EMEA", "2024-05-02 00:00", "2024-05-02 00:05", "2024-05-02 00:10"),
    incident("S3", "security", "P1", "EMEA", "2024-05-15 13:00", "2024-05-15 13:05"),
    incident("S4", "security", "P2", "EMEA", "2024-03-05 00:00", "2024-03-05 01:00", "2024-03-05 00:30"),
]

SEVERITIES = {"CVE-A": "critical", "CVE-B": None, "CVE-C": "high", "CVE-D": "critical",
              "CVE-E": "critical", "CVE-F": "critical"}


def finding(scan_id, scanned_at, asset_id, vulnerability_id=None, fixed_at=None):
    """One raw finding row; vulnerability_id None is a clean-scan row (blank severity and CVSS: info)."""
    return {
        "scan_id": scan_id, "scanned_at": ts(scanned_at), "scanner": "trivy", "asset_id": asset_id,
        "asset_environment": "production", "vulnerability_id": vulnerability_id,
        "title": vulnerability_id, "severity": SEVERITIES.get(vulnerability_id), "cvss_score": None,
        "exploited_in_wild": None, "package": "pkg", "fixed_at": ts(fixed_at),
        "_source_file": f"scanner/findings_{scan_id}.csv",
    }


FINDINGS = [
    finding("h1-1", "2024-04-01 08:00", "h1", "CVE-A"),
    finding("h1-1", "2024-04-01 08:00", "h1", "CVE-B"),
    finding("h1-1", "2024-04-01 08:00", "h1", "CVE-C"),
    finding("h1-2", "2024-05-10 00:00", "h1", "CVE-B"),
    finding("h1-2", "2024-05-10 00:00", "h1", "CVE-C"),
    finding("h2-1", "2024-04-20 00:00", "h2", "CVE-D"),
    finding("h2-2", "2024-05-14 00:00", "h2", "CVE-D", fixed_at="2024-05-20 00:00"),
    finding("h3-1", "2024-04-30 12:00", "h3", "CVE-E"),
    finding("h4-1", "2024-04-01 08:00", "h4", "CVE-F"),
    finding("h4-2", "2024-04-01 12:00", "h4"),
]


def identity(snapshot_at, user_id, fmt, *, mfa):
    return {
        "snapshot_at": ts(snapshot_at), "user_id": user_id, "email": f"{user_id}@example.com",
        "status": "active", "is_privileged": True, "mfa_enabled": mfa, "country": "DE",
        "geography": None, "terminated_at": None, "disabled_at": None,
        "_source_file": f"iam/{fmt}_{snapshot_at[:10]}", "_format": fmt,
    }


IDENTITIES = [
    identity("2024-03-11 00:00", "u1", "canonical_csv", mfa=True),
    identity("2024-04-11 00:00", "u1", "canonical_csv", mfa=False),
    identity("2024-04-16 00:00", "o1", "okta_users_json", mfa=False),
    identity("2024-04-21 00:00", "u1", "canonical_csv", mfa=True),
    identity("2024-04-26 00:00", "o1", "okta_users_json", mfa=True),
    identity("2024-05-05 00:00", "u1", "canonical_csv", mfa=True),
    identity("2024-05-20 00:00", "u1", "canonical_csv", mfa=False),
]


def certificate(observed_at, asset_id, environment, not_after):
    return {
        "observed_at": ts(observed_at), "asset_id": asset_id, "asset_environment": environment,
        "subject": f"CN={asset_id}", "serial": asset_id.upper(), "not_before": ts("2023-01-01 00:00"),
        "not_after": ts(not_after), "_source_file": f"scanner/certs_{observed_at[:10]}.csv",
    }


CERTIFICATES = [
    certificate("2024-03-21 00:00", "k1", "production", "2024-03-01 00:00"),
    certificate("2024-03-21 04:12", "k1", "production", "2025-03-01 00:00"),
    # an expired staging certificate is not a production one
    certificate("2024-03-21 04:12", "k9", "staging", "2024-03-01 00:00"),
    certificate("2024-05-15 06:00", "k1", "production", "2025-03-01 00:00"),
    certificate("2024-05-15 06:00", "k2", "production", "2024-05-15 00:00"),
]

RAW_ROWS = {"incidents": INCIDENTS, "findings": FINDINGS, "identities": IDENTITIES,
            "certificates": CERTIFICATES}


@pytest.fixture(scope="session")
def budget_query(tmp_path_factory):
    warehouse = build_warehouse(tmp_path_factory.mktemp("dbt_error_budget"), RAW_ROWS, AS_OF,
                                select=["+error_budget_monthly"])
    return query_runner(warehouse)


@pytest.fixture(scope="module")
def budget(budget_query):
    rows = budget_query("SELECT * FROM metrics.error_budget_monthly")
    return {(r["month"], r["dimension"]): r for r in rows}


def test_one_row_per_month_and_dimension(budget, budget_query):
    dimensions = ["availability", "security_incident", "vulnerability_debt", "compliance_drift"]
    assert sorted(budget) == sorted((m, d) for m in (FEBRUARY, MARCH, APRIL, MAY) for d in dimensions)
    (columns,) = budget_query(
        "SELECT list(column_name ORDER BY ordinal_position) AS names FROM information_schema.columns "
        "WHERE table_schema = 'metrics' AND table_name = 'error_budget_monthly'")
    assert columns["names"] == [
        "month", "dimension", "objective", "allowed", "consumed", "remaining", "consumed_fraction",
        "status", "elapsed_fraction", "burn_rate", "projected_consumed_fraction", "period_complete",
        "as_of"]


# ---- availability and security_incident: outage unions ----

def test_nested_and_touching_outages_merge(budget_query):
    rows = budget_query(
        "SELECT dimension, outage_start_at, outage_end_at, outage_minutes, incident_ids "
        "FROM intermediate.int_error_budget_outages ORDER BY dimension, outage_start_at")
    assert [(r["dimension"], r["outage_start_at"], r["outage_end_at"], r["outage_minutes"], r["incident_ids"])
            for r in rows] == [
        # A1 10:00-12:00 contains A2 10:30-11:00; A3 12:00-12:30 touches A1's end:
        # one outage 10:00-12:30 = 150 min (not 120 + 30 + 30 = 180)
        ("availability", ts("2024-03-10 10:00"), ts("2024-03-10 12:30"), 150.0, ["A1", "A2", "A3"]),
        # A5 03-31 23:40 -> 04-01 00:20 = 40 min (split by month below)
        ("availability", ts("2024-03-31 23:40"), ts("2024-04-01 00:20"), 40.0, ["A5"]),
        ("security_incident", ts("2024-05-02 00:00"), ts("2024-05-02 00:10"), 10.0, ["S2"]),
        # S1 is resolved after as_of: not yet resolved, the interval ends at as_of (12:00)
        ("security_incident", ts("2024-05-15 11:30"), ts("2024-05-15 12:00"), 30.0, ["S1"]),
    ]


def test_availability_outage_crossing_a_month_boundary(budget):
    march, april = budget[(MARCH, "availability")], budget[(APRIL, "availability")]
    # March: 150 (A1-A3) + A5's 23:40 -> 04-01 00:00 = 20 -> 170 minutes
    assert march["consumed"] == pytest.approx(170.0)
    # allowed: (1 - 0.999) x 31 x 1440 = 44.64 minutes
    assert march["objective"] == pytest.approx(0.999)
    assert march["allowed"] == pytest.approx(44.64)
    # remaining = 44.64 - 170 = -125.36 (overspent); consumed_fraction = 170 / 44.64 = 3.8082...
    assert march["remaining"] == pytest.approx(-125.36)
    assert march["consumed_fraction"] == pytest.approx(170 / 44.64)
    assert march["status"] == "breached"
    # April: A5's 04-01 00:00 -> 00:20 = 20 minutes (A7 blank occurred_at, A8 blank detected_at
    # are outside the union); allowed (1 - 0.999) x 30 x 1440 = 43.2; 20 / 43.2 = 0.46296
    assert april["consumed"] == pytest.approx(20.0)
    assert april["allowed"] == pytest.approx(43.2)
    assert april["remaining"] == pytest.approx(23.2)
    assert april["consumed_fraction"] == pytest.approx(20 / 43.2)
    assert april["status"] == "met"
    # complete months carry no burn rate
    assert (april["elapsed_fraction"], april["burn_rate"], april["projected_consumed_fraction"]) == (
        None, None, None)


def test_quiet_months_consume_nothing(budget):
    february = budget[(FEBRUARY, "availability")]
    # A0 is P3: the incident family covers February, but nothing is consumed;
    # allowed (1 - 0.999) x 29 x 1440 = 41.76
    assert (february["consumed"], february["consumed_fraction"], february["status"]) == (0.0, 0.0, "met")
    assert february["allowed"] == pytest.approx(41.76)
    # S4 (resolved before detected) is excluded from the union: March security consumes nothing
    assert budget[(MARCH, "security_incident")]["consumed"] == 0.0


def test_security_incident_open_at_as_of_and_month_in_progress_burn_rate(budget):
    may = budget[(MAY, "security_incident")]
    # S2 00:00 -> 00:10 = 10 min; S1 11:30 -> as_of 12:00 = 30 min (resolved 05-16 > as_of);
    # S3 occurs after as_of: not used. 10 + 30 = 40 minutes
    assert may["consumed"] == pytest.approx(40.0)
    # the month in progress keeps its full allowance: (1 - 0.999) x 31 x 1440 = 44.64
    assert may["allowed"] == pytest.approx(44.64)
    # consumed_fraction = 40 / 44.64 = 0.896057...
    assert may["consumed_fraction"] == pytest.approx(40 / 44.64)
    assert may["status"] == "met"
    # elapsed = 348 / 744 = 0.467742; burn_rate = 0.896057 / 0.467742 = 1.915709
    assert may["elapsed_fraction"] == pytest.approx(348 / 744)
    assert may["burn_rate"] == pytest.approx((40 / 44.64) / (348 / 744))
    assert may["burn_rate"] == pytest.approx(1.915709, abs=1e-6)
    # linear projection to the month's end at the current pace: the same 1.9157 (breached by then)
    assert may["projected_consumed_fraction"] == pytest.approx(1.915709, abs=1e-6)
    # the availability budget of May: nothing consumed, burn rate 0
    assert (budget[(MAY, "availability")]["consumed"], budget[(MAY, "availability")]["burn_rate"]) == (0.0, 0.0)


# ---- vulnerability_debt ----

def test_vulnerability_debt_ratio_at_month_end(budget):
    april = budget[(APRIL, "vulnerability_debt")]
    # at 05-01 00:00: open A (critical, due 04-02 08:00: past due), B (info), C (high),
    # D (critical, due 04-21 00:00: past due), E (critical, due 05-01 12:00: not yet);
    # F was fixed 04-01 12:00. 2 / 5 = 0.4
    assert april["objective"] is None
    assert april["allowed"] == pytest.approx(0.02)
    assert april["consumed"] == pytest.approx(0.4)
    # remaining = 0.02 - 0.4 = -0.38; consumed_fraction = 0.4 / 0.02 = 20
    assert april["remaining"] == pytest.approx(-0.38)
    assert april["consumed_fraction"] == pytest.approx(20.0)
    assert april["status"] == "breached"


def test_vulnerability_debt_at_as_of(budget):
    may = budget[(MAY, "vulnerability_debt")]
    # at as_of 05-15 12:00: A fixed 05-10 (absent from h1's rescan); D's fix is reported for
    # 05-20 > as_of: not fixed. Open B, C, D, E; past due D and E (05-01 12:00 < as_of) -> 2 / 4
    assert may["consumed"] == pytest.approx(0.5)
    assert may["consumed_fraction"] == pytest.approx(25.0)
    # burn_rate = 25 / (348 / 744) = 53.448...
    assert may["burn_rate"] == pytest.approx(25 / (348 / 744))


def test_vulnerability_debt_without_open_findings(budget):
    # March: the scanner family covers it (certificate observations) but nothing is open at
    # 04-01 00:00 (the first scan is 04-01 08:00): consumed NULL, status met
    march = budget[(MARCH, "vulnerability_debt")]
    assert (march["consumed"], march["remaining"], march["consumed_fraction"], march["status"]) == (
        None, None, None, "met")
    # February: no scanner export covers it
    february = budget[(FEBRUARY, "vulnerability_debt")]
    assert (february["consumed"], february["status"]) == (None, "no_data")


# ---- compliance_drift ----

def test_compliance_drift_from_the_first_snapshot(budget):
    march = budget[(MARCH, "compliance_drift")]
    # observed from the first snapshot (03-11 00:00) to 04-01 00:00 = 21 days = 504 h;
    # non-compliant 03-21 00:00 -> 04:12 (expired production certificate) = 4.2 h;
    # 4.2 / 504 = 0.008333; consumed_fraction = 0.008333 / 0.01 = 0.8333 -> met
    assert march["objective"] is None
    assert march["allowed"] == pytest.approx(0.01)
    assert march["consumed"] == pytest.approx(4.2 / 504)
    assert march["remaining"] == pytest.approx(0.01 - 4.2 / 504)
    assert march["consumed_fraction"] == pytest.approx(4.2 / 504 / 0.01)
    assert march["status"] == "met"


def test_compliance_drift_takes_any_directory(budget, budget_query):
    april = budget[(APRIL, "compliance_drift")]
    # canonical non-compliant 04-11 -> 04-21 and okta 04-16 -> 04-26: the canonical snapshot of
    # 04-21 does not end okta's state (each directory is complete for itself only), so
    # non-compliant 04-11 00:00 -> 04-26 00:00 = 15 days = 360 h of 30 days = 720 h -> 0.5
    assert april["consumed"] == pytest.approx(0.5)
    assert april["consumed_fraction"] == pytest.approx(50.0)
    assert april["status"] == "breached"
    (row,) = budget_query(
        "SELECT observed_hours, non_compliant_hours FROM intermediate.int_error_budget_compliance_months "
        "WHERE month = DATE '2024-04-01'")
    assert (row["observed_hours"], row["non_compliant_hours"]) == (720.0, 360.0)


def test_compliance_drift_in_progress_clipped_at_as_of(budget):
    may = budget[(MAY, "compliance_drift")]
    # observed 05-01 00:00 -> as_of 05-15 12:00 = 348 h; non-compliant 05-15 06:00 -> 12:00 = 6 h
    # (the 05-20 identity snapshot is after as_of): 6 / 348 = 0.017241; / 0.01 = 1.7241 -> breached
    assert may["consumed"] == pytest.approx(6 / 348)
    assert may["consumed_fraction"] == pytest.approx(6 / 348 / 0.01)
    assert may["status"] == "breached"
    # burn_rate = 1.7241 / (348 / 744) = 3.6861; drift is a share of the observed time,
    # so the month-end projection is the share as it stands: 1.7241
    assert may["burn_rate"] == pytest.approx(6 / 348 / 0.01 / (348 / 744))
    assert may["projected_consumed_fraction"] == pytest.approx(6 / 348 / 0.01)


def test_compliance_drift_without_observation_is_no_data(budget):
    # February: before the first snapshot (no observed time) and no iam export: NULL, no_data
    february = budget[(FEBRUARY, "compliance_drift")]
    assert (february["consumed"], february["consumed_fraction"], february["status"]) == (None, None, "no_data")


def test_rows_store_as_of(budget):
    assert {r["as_of"] for r in budget.values()} == {ts("2024-05-15 12:00")}
