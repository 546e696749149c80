"""Identity snapshots, deprovisioning, access reviews and certificate snapshots (the iam and
certificate intermediate models), on a small fixture of their own.

The fixture is separate from dbt_fixture_rows.py because the incident tests pin the iam and
scanner coverage of that fixture (one identity row, iam covering January only). It is built
once per session: raw tables from ingest.warehouse.ensure_schema, then one `dbt build` of the
iam and certificate intermediate models and everything upstream, with a fixed as_of and its
target and logs in tmp.

as_of = 2024-05-15 12:00 UTC. Identity snapshots (P = privileged, M = MFA enabled):

| directory       | snapshot_at      | files | accounts                                                      |
|-----------------|------------------|-------|---------------------------------------------------------------|
| canonical_csv   | 03-01 00:00      | a, b  | alice P M (US, blank geo), bob P (US, geo EMEA), carol P M,   |
|                 |                  |       | dave (terminated 03-18 00:00), frank                          |
| canonical_csv   | 03-20 00:00      | 1     | alice P M (moved: JP, blank geo), bob P, carol P M, erin P    |
|                 |                  |       | (XK), frank (terminated 03-25 00:00); dave missing            |
| canonical_csv   | 05-20 00:00      | 1     | after as_of: ignored (frank missing there)                    |
| okta_users_json | 03-01 00:00      | 1     | o1 P M, o2 P M, o3 P M                                        |
| okta_users_json | 03-10 00:00      | 1     | o1 P M, o2 P, o3 P M suspended (terminated 03-09 10:00,       |
|                 |                  |       | disabled_at given 03-10 10:00)                                |

Certificates: 03-01 00:00 (c1 production valid, c2 production not_after = 03-01 00:00,
c3 staging expired, c4 blank environment expired); 03-15 00:00 (c1, c2 now expired, c3);
05-20 (after as_of). Access reviews: r-on-time decided at due_at, r-late, r-open, r-future.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import build_warehouse, query_runner

pytestmark = pytest.mark.slow

AS_OF = "2024-05-15T12:00:00Z"
UTC = timezone.utc
MARCH = date(2024, 3, 1)


def ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


CANONICAL, OKTA = "canonical_csv", "okta_users_json"


def identity(snapshot_at, user_id, source_file, *, fmt=CANONICAL, status="active", privileged=False,
             mfa=False, country=None, geography=None, terminated=None, disabled=None):
    return {
        "snapshot_at": ts(snapshot_at), "user_id": user_id, "email": f"{user_id.upper()}@Example.com",
        "status": status, "is_privileged": privileged, "mfa_enabled": mfa, "country": country,
        "geography": geography, "terminated_at": ts(terminated), "disabled_at": ts(disabled),
        "_source_file": source_file, "_format": fmt,
    }


C0301A, C0301B = "iam/canonical_2024-03-01_a.csv", "iam/canonical_2024-03-01_b.csv"
C0320, C0520 = "iam/canonical_2024-03-20.csv", "iam/canonical_2024-05-20.csv"
O0301, O0310 = "iam/okta_2024-03-01.json", "iam/okta_2024-03-10.json"

IDENTITIES = [
    # canonical_csv 03-01 00:00, split over two files: one snapshot
    identity("2024-03-01 00:00", "alice", C0301A, privileged=True, mfa=True, country="us"),
    identity("2024-03-01 00:00", "bob", C0301A, privileged=True, country="US", geography="emea"),
    identity("2024-03-01 00:00", "dave", C0301A, terminated="2024-03-18 00:00"),
    identity("2024-03-01 00:00", "carol", C0301B, privileged=True, mfa=True, country="DE"),
    identity("2024-03-01 00:00", "frank", C0301B, country="FR"),
    # canonical_csv 03-20 00:00: alice moved to Japan, dave gone, erin new
    identity("2024-03-20 00:00", "alice", C0320, privileged=True, mfa=True, country="JP"),
    identity("2024-03-20 00:00", "bob", C0320, privileged=True, country="US", geography="EMEA"),
    identity("2024-03-20 00:00", "carol", C0320, privileged=True, mfa=True, country="DE"),
    identity("2024-03-20 00:00", "erin", C0320, privileged=True, country="XK"),
    identity("2024-03-20 00:00", "frank", C0320, country="FR", terminated="2024-03-25 00:00"),
    # after as_of: frank missing would derive a disablement if this were read
    identity("2024-05-20 00:00", "alice", C0520, privileged=True, mfa=True, country="JP"),
    # okta_users_json 03-01 00:00 and 03-10 00:00
    identity("2024-03-01 00:00", "o1", O0301, fmt=OKTA, privileged=True, mfa=True, country="GB"),
    identity("2024-03-01 00:00", "o2", O0301, fmt=OKTA, privileged=True, mfa=True, country="GB"),
    identity("2024-03-01 00:00", "o3", O0301, fmt=OKTA, privileged=True, mfa=True, country="GB"),
    identity("2024-03-10 00:00", "o1", O0310, fmt=OKTA, privileged=True, mfa=True, country="GB"),
    identity("2024-03-10 00:00", "o2", O0310, fmt=OKTA, privileged=True, mfa=False, country="GB"),
    identity("2024-03-10 00:00", "o3", O0310, fmt=OKTA, status="Suspended", privileged=True, mfa=True,
             country="GB", terminated="2024-03-09 10:00", disabled="2024-03-10 10:00"),
]


def certificate(observed_at, asset_id, environment, not_after, source_file):
    return {
        "observed_at": ts(observed_at), "asset_id": asset_id, "asset_environment": environment,
        "subject": f"CN={asset_id}", "serial": asset_id.upper(), "not_before": ts("2023-01-01 00:00"),
        "not_after": ts(not_after), "_source_file": source_file, "_format": "canonical_csv",
    }


CERTIFICATES = [
    certificate("2024-03-01 00:00", "c1", "production", "2025-01-01 00:00", "scanner/certs_03-01.csv"),
    certificate("2024-03-01 00:00", "c2", "Production", "2024-03-01 00:00", "scanner/certs_03-01.csv"),
    certificate("2024-03-01 00:00", "c3", "staging", "2024-02-01 00:00", "scanner/certs_03-01.csv"),
    certificate("2024-03-01 00:00", "c4", None, "2024-02-01 00:00", "scanner/certs_03-01.csv"),
    certificate("2024-03-15 00:00", "c1", "production", "2025-01-01 00:00", "scanner/certs_03-15.csv"),
    certificate("2024-03-15 00:00", "c2", "production", "2024-03-01 00:00", "scanner/certs_03-15.csv"),
    certificate("2024-03-15 00:00", "c3", "staging", "2024-02-01 00:00", "scanner/certs_03-15.csv"),
    certificate("2024-05-20 00:00", "c2", "production", "2024-03-01 00:00", "scanner/certs_05-20.csv"),
]


def review(item_id, due_at, decided_at):
    return {"review_id": "q1", "item_id": item_id, "user_id": "bob", "reviewer_id": "m1",
            "due_at": ts(due_at), "decided_at": ts(decided_at), "decision": "approve" if decided_at else None,
            "_source_file": "iam/reviews.csv", "_format": "canonical_csv"}


ACCESS_REVIEWS = [
    review("r-on-time", "2024-03-31 00:00", "2024-03-31 00:00"),
    review("r-late", "2024-03-31 00:00", "2024-04-02 00:00"),
    review("r-open", "2024-04-30 00:00", None),
    review("r-future", "2024-05-31 00:00", "2024-05-10 00:00"),
]

RAW_ROWS = {"identities": IDENTITIES, "certificates": CERTIFICATES, "access_reviews": ACCESS_REVIEWS}


@pytest.fixture(scope="session")
def iam_query(tmp_path_factory):
    """Its own small warehouse: these snapshots would change the months other fixtures pin."""
    warehouse = build_warehouse(
        tmp_path_factory.mktemp("dbt_identities"), RAW_ROWS, AS_OF,
        select=["+path:models/intermediate/iam", "+path:models/intermediate/certificates"],
    )
    return query_runner(warehouse)


@pytest.fixture(scope="module")
def directory_snapshots(iam_query):
    rows = iam_query("SELECT * FROM intermediate.int_identity_directory_snapshots")
    return {(r["directory"], r["snapshot_at"]): r for r in rows}


@pytest.fixture(scope="module")
def accounts(iam_query):
    rows = iam_query("SELECT * FROM intermediate.int_identity_accounts")
    return {(r["directory"], r["user_id"]): r for r in rows}


# ---- identity snapshots ----

def test_snapshots_are_per_directory_and_instant(directory_snapshots):
    # the 05-20 snapshot is after as_of; two files at canonical 03-01 are one snapshot
    assert sorted(directory_snapshots) == [
        (CANONICAL, ts("2024-03-01 00:00")), (CANONICAL, ts("2024-03-20 00:00")),
        (OKTA, ts("2024-03-01 00:00")), (OKTA, ts("2024-03-10 00:00")),
    ]
    c0301 = directory_snapshots[(CANONICAL, ts("2024-03-01 00:00"))]
    # alice, bob, dave from file a + carol, frank from file b = 5; the okta rows at the same
    # instant are another directory's snapshot
    assert c0301["identities"] == 5
    assert c0301["_source_files"] == [C0301A, C0301B]


def test_worst_privileged_mfa_snapshot_of_march(directory_snapshots):
    ratios = {k: (r["privileged_active_with_mfa"], r["privileged_active"], r["privileged_mfa_ratio"])
              for k, r in directory_snapshots.items()}
    # canonical 03-01: alice M, bob -, carol M -> 2 / 3
    assert ratios[(CANONICAL, ts("2024-03-01 00:00"))] == (2, 3, pytest.approx(2 / 3))
    # canonical 03-20: alice M, bob -, carol M, erin - -> 2 / 4 = 0.5
    assert ratios[(CANONICAL, ts("2024-03-20 00:00"))] == (2, 4, pytest.approx(0.5))
    # okta 03-01: o1 M, o2 M, o3 M -> 3 / 3 = 1.0
    assert ratios[(OKTA, ts("2024-03-01 00:00"))] == (3, 3, pytest.approx(1.0))
    # okta 03-10: o1 M, o2 - (o3 suspended: not active) -> 1 / 2 = 0.5
    assert ratios[(OKTA, ts("2024-03-10 00:00"))] == (1, 2, pytest.approx(0.5))
    # worst: min(2/3, 0.5, 1.0, 0.5) = 0.5, tied between okta 03-10 and canonical 03-20:
    # the earliest (okta 03-10) is the month's worst -> numerator 1, denominator 2
    (worst,) = [r for r in directory_snapshots.values()
                if r["snapshot_month"] == MARCH and r["privileged_mfa_worst_rank"] == 1]
    assert (worst["directory"], worst["snapshot_at"]) == (OKTA, ts("2024-03-10 00:00"))
    assert (worst["privileged_active_with_mfa"], worst["privileged_active"]) == (1, 2)
    # pooling the directories at the same instant would hide it: 03-01 (2 + 3) / (3 + 3) = 5/6
    # mfa_enforcement units in March: 3 + 4 + 3 + 2 = 12 privileged active; defects 1 + 2 + 0 + 1 = 4
    march = [r for r in directory_snapshots.values() if r["snapshot_month"] == MARCH]
    assert sum(r["privileged_active"] for r in march) == 12
    assert sum(r["privileged_active_without_mfa"] for r in march) == 4


def test_relocation_changes_geography(iam_query):
    rows = iam_query("SELECT user_id, snapshot_at, country, geography, geography_source "
                     "FROM intermediate.int_identity_snapshots WHERE directory = 'canonical_csv' "
                     "AND user_id IN ('alice', 'bob', 'erin') ORDER BY user_id, snapshot_at")
    assert [(r["user_id"], r["snapshot_at"], r["country"], r["geography"], r["geography_source"])
            for r in rows] == [
        # alice: blank geography -> her country's: US -> AMER, then JP -> APAC after the move
        ("alice", ts("2024-03-01 00:00"), "US", "AMER", "country"),
        ("alice", ts("2024-03-20 00:00"), "JP", "APAC", "country"),
        # bob: an explicit geography wins over the country (emea, any case)
        ("bob", ts("2024-03-01 00:00"), "US", "EMEA", "given"),
        ("bob", ts("2024-03-20 00:00"), "US", "EMEA", "given"),
        # erin: XK is not an assigned ISO code in the seed and no geography -> UNKNOWN
        ("erin", ts("2024-03-20 00:00"), "XK", "UNKNOWN", None),
    ]


def test_snapshot_rows_store_as_of_and_email_lower(iam_query):
    rows = iam_query("SELECT DISTINCT as_of FROM intermediate.int_identity_snapshots")
    assert rows == [{"as_of": datetime(2024, 5, 15, 12, 0, tzinfo=UTC)}]
    (o3,) = iam_query("SELECT status, is_active, email_lower FROM intermediate.int_identity_snapshots "
                      "WHERE user_id = 'o3' AND snapshot_at = '2024-03-10 00:00:00+00'")
    assert o3 == {"status": "suspended", "is_active": False, "email_lower": "o3@example.com"}


# ---- deprovisioning ----

def test_missing_from_a_later_full_snapshot_is_disabled_there(accounts):
    dave = accounts[(CANONICAL, "dave")]
    # terminated 03-18 00:00; the first canonical snapshot at or after it is 03-20 00:00 and
    # dave is not in it -> disabled_at derived = 03-20 00:00
    assert dave["terminated_at"] == ts("2024-03-18 00:00")
    assert (dave["disabled_at"], dave["disabled_source"]) == (ts("2024-03-20 00:00"), "derived")
    # due 03-19 00:00 <= as_of; 03-20 00:00 > 03-19 00:00 -> late, 48 h after termination
    assert dave["deprovisioning_due_at"] == ts("2024-03-19 00:00")
    assert (dave["is_due"], dave["deprovisioned_on_time"], dave["deprovisioning_state"]) == (True, False, "late")
    assert dave["hours_to_disable"] == pytest.approx(48.0)
    assert dave["terminated_month"] == MARCH


def test_disabled_exactly_24h_after_termination_is_on_time(accounts):
    o3 = accounts[(OKTA, "o3")]
    # given 03-10 10:00 = terminated 03-09 10:00 + 24 h: equality is on time; the given value
    # wins although the 03-10 snapshot (suspended) would derive 03-10 00:00
    assert o3["disabled_at"] - o3["terminated_at"] == timedelta(hours=24)
    assert (o3["disabled_source"], o3["disabled_at_derived"]) == ("given", ts("2024-03-10 00:00"))
    assert (o3["deprovisioned_on_time"], o3["deprovisioning_state"]) == (True, "on_time")
    assert o3["hours_to_disable"] == pytest.approx(24.0)


def test_no_snapshot_after_termination_is_never_disabled(accounts):
    frank = accounts[(CANONICAL, "frank")]
    # terminated 03-25 00:00 (due 03-26 00:00 <= as_of); no canonical snapshot at or after it
    # up to as_of (the 05-20 one, which lacks frank, is after as_of) -> never disabled
    assert (frank["disabled_at"], frank["disabled_source"]) == (None, None)
    assert (frank["is_due"], frank["deprovisioning_state"], frank["is_deprovisioning_defect"]) == (
        True, "never_disabled", True)
    # the deprovisioning DPMO in March: dave (late), o3 (on time), frank (never) -> 3 units, 2 defects
    march = [a for a in accounts.values() if a["terminated_month"] == MARCH and a["is_due"]]
    assert sorted(a["user_id"] for a in march) == ["dave", "frank", "o3"]
    assert sum(a["is_deprovisioning_defect"] for a in march) == 2
    assert accounts[(CANONICAL, "alice")]["deprovisioning_state"] == "not_terminated"


# ---- access reviews ----

def test_access_review_items_judged(iam_query):
    items = {r["item_id"]: r for r in iam_query("SELECT * FROM intermediate.int_access_review_items_judged")}
    judged = {k: (r["due_month"], r["is_due"], r["decided_on_time"], r["is_defect"]) for k, r in items.items()}
    assert judged == {
        "r-on-time": (MARCH, True, True, False),            # decided_at = due_at: on time
        "r-late": (MARCH, True, False, True),               # decided 2 days after due_at
        "r-open": (date(2024, 4, 1), True, False, True),    # undecided, due 04-30 <= as_of
        "r-future": (date(2024, 5, 1), False, True, False),  # due 05-31 > as_of: not judged
    }


# ---- certificates ----

def test_certificate_expiry_and_production(iam_query):
    rows = iam_query("SELECT asset_id, observed_at, is_production, is_expired "
                     "FROM intermediate.int_certificate_snapshots ORDER BY observed_at, asset_id")
    assert [(r["asset_id"], r["observed_at"], r["is_production"], r["is_expired"]) for r in rows] == [
        ("c1", ts("2024-03-01 00:00"), True, False),
        # not_after = observed_at (03-01 00:00): not yet expired; 'Production' in any case counts
        ("c2", ts("2024-03-01 00:00"), True, False),
        # expired STAGING certificate: expired, but not production
        ("c3", ts("2024-03-01 00:00"), False, True),
        # blank environment: not production
        ("c4", ts("2024-03-01 00:00"), False, True),
        ("c1", ts("2024-03-15 00:00"), True, False),
        ("c2", ts("2024-03-15 00:00"), True, True),   # not_after 03-01 < observed 03-15
        ("c3", ts("2024-03-15 00:00"), False, True),
        # the 05-20 observation is after as_of
    ]


def test_certificate_snapshot_counts(iam_query):
    counts = {r["observed_at"]: r for r in iam_query("SELECT * FROM intermediate.int_certificate_snapshot_counts")}
    assert set(counts) == {ts("2024-03-01 00:00"), ts("2024-03-15 00:00")}
    first, second = counts[ts("2024-03-01 00:00")], counts[ts("2024-03-15 00:00")]
    # 03-01: 4 certificates; production c1, c2 = 2; expired production 0 (c2 at equality,
    # c3 staging and c4 blank are expired but not production)
    assert (first["certificates"], first["production_certificates"], first["expired_production_certificates"]) == (4, 2, 0)
    assert first["expired_certificates"] == 2  # c3, c4
    # 03-15: production c1, c2 = 2; expired production: c2 = 1
    assert (second["certificates"], second["production_certificates"], second["expired_production_certificates"]) == (3, 2, 1)
    # March's worst: max(0, 1) = 1 at 03-15 -> numerator 1, denominator 2
    assert (second["expired_production_worst_rank"], first["expired_production_worst_rank"]) == (1, 2)
    assert second["snapshot_month"] == MARCH
