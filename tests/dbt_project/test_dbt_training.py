"""metrics.training_monthly / training_quarterly and the training intermediate models, on a
small fixture of their own.

The fixture is separate from dbt_fixture_rows.py because the incident tests pin the training
and iam coverage of that fixture (phishing in February, an assignment in April, one identity
snapshot in January), which a relocation between snapshots would change. It is built once
per session with conftest.build_warehouse: raw tables from ingest.warehouse.ensure_schema,
then one `dbt build` of the training marts and everything upstream, with a fixed as_of and
its target and logs in tmp. A few checks also read the shared warehouse (dbt_fixture_rows).

as_of = 2024-05-15 12:00 UTC. Identity snapshots (canonical_csv; geography resolved):

| snapshot_at  | alice     | bob          | carol (e-mail Carol.Smith@Example.com) | dave       | erin       |
|--------------|-----------|--------------|----------------------------------------|------------|------------|
| 01-15 00:00  | US: AMER  | EMEA (given) | JP: APAC                               | DE: EMEA   | -          |
| 03-01 00:00  | US: AMER  | EMEA         | JP: APAC                               | US: AMER   | -          |
| 04-20 00:00  | US: AMER  | EMEA         | JP: APAC                               | US: AMER   | apac: APAC |
| 06-01 00:00  | after as_of: ignored (frank EMEA)                                                          |

Required assignments (assigned 01-20 unless said; * = in the population):

| id  | user_id                 | country | due          | completed    | geography (source)        | on time |
|-----|-------------------------|---------|--------------|--------------|---------------------------|---------|
| A1* | alice                   |         | 02-10 00:00  | 02-10 00:00  | AMER (snapshot_before)    | yes (=) |
| A2* | CAROL.SMITH@example.com |         | 02-20 00:00  | 02-21 00:00  | APAC (e-mail match)       | no      |
| A3* | dave                    |         | 02-25 00:00  | 02-01 00:00  | EMEA (before the move)    | yes     |
| A4  | bob, required blank     |         | 02-15        | -            | not required              |         |
| A5  | bob, required false     |         | 02-15        | -            | not required              |         |
| A6* | dave                    |         | 03-10 00:00  | -            | AMER (after the move)     | no      |
| A7* | bob                     | XX      | 03-15 00:00  | 03-14 00:00  | EMEA (XX falls through)   | yes     |
| A8* | bob                     | jp      | 03-20 00:00  | 03-25 00:00  | APAC (row_country)        | no      |
| A9* | erin                    |         | 03-31 00:00  | 03-30 00:00  | APAC (snapshot_after)     | yes     |
| A10*| frank                   |         | 03-05 00:00  | -            | UNKNOWN (not in directory)| no      |
| A11 | alice, assigned 03-10   |         | 03-20 00:00  | 03-01 00:00  | excluded: completed before assigned |
| A12*| alice                   |         | 05-15 12:00 (= as_of) | -   | AMER                      | no      |
| A13 | alice                   |         | 05-15 12:00:01 (> as_of) | 05-01 | not due yet           |         |

Phishing e-mails (D = delivered, C = clicked, R = reported; * = delivered and counted):

| id   | user_id         | sent         | D     | C            | R      | geography                 |
|------|-----------------|--------------|-------|--------------|--------|---------------------------|
| P1*  | alice           | 02-05 09:00  | yes   | 02-05 10:00  |        | AMER                      |
| P2*  | bob             | 02-05 09:00  | yes   |              | 02-05  | EMEA                      |
| P3   | carol           | 02-05 09:00  | blank | 02-05 10:00  |        | blank delivered = false   |
| P4*  | Dave            | 02-06 09:00  | yes   |              |        | EMEA (before the move)    |
| P5*  | dave            | 03-01 00:00  | yes   |              |        | AMER (snapshot at = sent) |
| P7*  | alice           | 03-05 09:00  | yes   | 03-06        | 03-06  | AMER                      |
| P8*  | alice           | 03-05 09:00  | yes   | 05-20 (> as_of) |     | AMER, not clicked         |
| P9*  | bob (c2)        | 03-05 09:00  | yes   |              |        | EMEA                      |
| P10* | bob (c2, again) | 03-05 09:00  | yes   |              |        | EMEA (never merged)       |
| P11* | erin            | 04-25 09:00  | yes   | 04-25 10:00  |        | APAC (snapshot_before)    |
| P12  | alice           | 05-15 13:00  | yes   |              |        | sent after as_of          |
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from conftest import build_warehouse, query_runner

pytestmark = pytest.mark.slow

AS_OF = "2024-05-15T12:00:00Z"
UTC = timezone.utc
JAN, FEB, MAR, APR, MAY = (date(2024, m, 1) for m in range(1, 6))
Q1, Q2 = date(2024, 1, 1), date(2024, 4, 1)


def ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def identity(snapshot_at, user_id, email, country=None, geography=None):
    return {
        "snapshot_at": ts(snapshot_at), "user_id": user_id, "email": email, "status": "active",
        "is_privileged": False, "mfa_enabled": False, "country": country, "geography": geography,
        "_source_file": f"iam/users_{snapshot_at[:10]}.csv", "_format": "canonical_csv",
    }


def people(snapshot_at, dave_country, with_erin=False):
    rows = [
        identity(snapshot_at, "alice", "Alice@Example.com", country="US"),
        identity(snapshot_at, "bob", "bob@example.com", geography="EMEA"),
        identity(snapshot_at, "carol", "Carol.Smith@Example.com", country="JP"),
        identity(snapshot_at, "dave", "dave@example.com", country=dave_country),
    ]
    if with_erin:
        rows.append(identity(snapshot_at, "erin", "erin@example.com", geography="apac"))
    return rows


IDENTITIES = [
    *people("2024-01-15 00:00", "DE"),
    *people("2024-03-01 00:00", "US"),  # dave moved to the US
    *people("2024-04-20 00:00", "US", with_erin=True),
    identity("2024-06-01 00:00", "frank", "frank@example.com", geography="EMEA"),  # after as_of
]


def assignment(assignment_id, user_id, due, completed=None, *, required=True, country=None,
               assigned="2024-01-20 00:00"):
    return {
        "assignment_id": assignment_id, "user_id": user_id, "course": "Security awareness",
        "required": required, "assigned_at": ts(assigned), "due_at": ts(due),
        "completed_at": ts(completed), "country": country,
        "_source_file": "training/assignments.csv",
    }


ASSIGNMENTS = [
    assignment("A1", "alice", "2024-02-10 00:00", "2024-02-10 00:00"),
    assignment("A2", "CAROL.SMITH@example.com", "2024-02-20 00:00", "2024-02-21 00:00"),
    assignment("A3", "dave", "2024-02-25 00:00", "2024-02-01 00:00"),
    assignment("A4", "bob", "2024-02-15 00:00", required=None),
    assignment("A5", "bob", "2024-02-15 00:00", required=False),
    assignment("A6", "dave", "2024-03-10 00:00"),
    assignment("A7", "bob", "2024-03-15 00:00", "2024-03-14 00:00", country="XX"),
    assignment("A8", "bob", "2024-03-20 00:00", "2024-03-25 00:00", country="jp"),
    assignment("A9", "erin", "2024-03-31 00:00", "2024-03-30 00:00"),
    assignment("A10", "frank", "2024-03-05 00:00"),
    assignment("A11", "alice", "2024-03-20 00:00", "2024-03-01 00:00", assigned="2024-03-10 00:00"),
    assignment("A12", "alice", "2024-05-15 12:00"),
    assignment("A13", "alice", "2024-05-15 12:00:01", "2024-05-01 00:00", assigned="2024-04-20 00:00"),
]


def email(email_id, user_id, sent, delivered=True, clicked=None, reported=None, campaign="c1"):
    # email_id is only a label for the reader: phishing rows have no key of their own
    return {
        "campaign_id": campaign, "user_id": user_id, "sent_at": ts(sent), "delivered": delivered,
        "clicked_at": ts(clicked), "reported_at": ts(reported), "country": None,
        "_source_file": "training/phishing.csv",
    }


PHISHING = [
    email("P1", "alice", "2024-02-05 09:00", clicked="2024-02-05 10:00"),
    email("P2", "bob", "2024-02-05 09:00", reported="2024-02-05 10:00"),
    email("P3", "carol", "2024-02-05 09:00", delivered=None, clicked="2024-02-05 10:00"),
    email("P4", "Dave", "2024-02-06 09:00"),
    email("P5", "dave", "2024-03-01 00:00"),
    email("P7", "alice", "2024-03-05 09:00", clicked="2024-03-06 00:00", reported="2024-03-06 00:00"),
    email("P8", "alice", "2024-03-05 09:00", clicked="2024-05-20 00:00"),
    email("P9", "bob", "2024-03-05 09:00", campaign="c2"),
    email("P10", "bob", "2024-03-05 09:00", campaign="c2"),
    email("P11", "erin", "2024-04-25 09:00", clicked="2024-04-25 10:00"),
    email("P12", "alice", "2024-05-15 13:00"),
]

RAW_ROWS = {"identities": IDENTITIES, "assignments": ASSIGNMENTS, "phishing_results": PHISHING}


@pytest.fixture(scope="session")
def training_query(tmp_path_factory):
    warehouse = build_warehouse(
        tmp_path_factory.mktemp("dbt_training"), RAW_ROWS, AS_OF,
        select=["+training_quarterly"],
    )
    return query_runner(warehouse)


@pytest.fixture(scope="module")
def monthly(training_query):
    rows = training_query("SELECT * FROM metrics.training_monthly")
    return {(r["month"], r["geography"]): r for r in rows}


@pytest.fixture(scope="module")
def quarterly(training_query):
    rows = training_query("SELECT * FROM metrics.training_quarterly")
    return {(r["quarter"], r["geography"]): r for r in rows}


@pytest.fixture(scope="module")
def assignment_geography(training_query):
    rows = training_query(
        "SELECT * FROM intermediate.int_training_people_geography WHERE event_type = 'assignment'")
    return {r["event_id"]: r for r in rows}


def counts(row):
    return (row["assignments_due"], row["completed_on_time"], row["phishing_delivered"],
            row["phishing_clicked"], row["phishing_reported"])


# ---- geography of a person ----

def test_geography_through_case_insensitive_email_match(assignment_geography):
    # A2's user_id CAROL.SMITH@example.com is no identity's user_id; it equals carol's e-mail
    # Carol.Smith@Example.com case-insensitively -> the 01-15 snapshot (latest <= 02-20): JP -> APAC
    a2 = assignment_geography["A2"]
    assert (a2["geography"], a2["geography_source"]) == ("APAC", "snapshot_before")
    assert (a2["matched_by"], a2["identity_user_id"]) == ("email", "carol")
    assert a2["identity_snapshot_at"] == ts("2024-01-15 00:00")
    assert a2["person_in_directory"] is True


def test_relocation_between_snapshots(training_query, assignment_geography):
    # dave: DE (EMEA) on 01-15, US (AMER) from 03-01. A3 due 02-25 -> 01-15 snapshot -> EMEA;
    # A6 due 03-10 -> 03-01 snapshot -> AMER
    assert assignment_geography["A3"]["geography"] == "EMEA"
    assert assignment_geography["A3"]["identity_snapshot_at"] == ts("2024-01-15 00:00")
    assert assignment_geography["A6"]["geography"] == "AMER"
    assert assignment_geography["A6"]["identity_snapshot_at"] == ts("2024-03-01 00:00")
    # e-mails: P4 (user_id "Dave", 02-06) -> EMEA; P5 sent at 03-01 00:00, the instant of the
    # new snapshot ("at or before" includes it) -> AMER
    emails = training_query(
        "SELECT user_id, event_at, geography, identity_snapshot_at FROM "
        "intermediate.int_training_people_geography WHERE event_type = 'phishing' "
        "AND lower(user_id) = 'dave' ORDER BY event_at")
    assert [(e["user_id"], e["geography"], e["identity_snapshot_at"]) for e in emails] == [
        ("Dave", "EMEA", ts("2024-01-15 00:00")),
        ("dave", "AMER", ts("2024-03-01 00:00")),
    ]


def test_row_country_then_directory_then_unknown(assignment_geography):
    # A7: country XX is not in country_geography -> falls through to bob's directory EMEA
    a7 = assignment_geography["A7"]
    assert (a7["country"], a7["country_geography"]) == ("XX", None)
    assert (a7["geography"], a7["geography_source"]) == ("EMEA", "snapshot_before")
    # A8: country jp (upper-cased JP) maps to APAC and wins over bob's EMEA
    a8 = assignment_geography["A8"]
    assert (a8["geography"], a8["geography_source"], a8["directory_geography"]) == (
        "APAC", "row_country", "EMEA")
    # A9: erin first appears on 04-20, after the due date 03-31 -> the earliest snapshot after
    a9 = assignment_geography["A9"]
    assert (a9["geography"], a9["geography_source"]) == ("APAC", "snapshot_after")
    assert a9["identity_snapshot_at"] == ts("2024-04-20 00:00")
    # A10: frank is only in the 06-01 snapshot, after as_of -> UNKNOWN, not in the directory
    a10 = assignment_geography["A10"]
    assert (a10["geography"], a10["geography_source"], a10["person_in_directory"]) == (
        "UNKNOWN", None, False)


def test_population_of_the_geography_model(assignment_geography):
    # required and due by as_of: A4 (required blank -> false), A5 (false) and A13 (due after
    # as_of) are out; A11 (completed before assigned) is in, for the data-quality checks
    assert set(assignment_geography) == {
        "A1", "A2", "A3", "A6", "A7", "A8", "A9", "A10", "A11", "A12"}


# ---- assignments ----

def test_completion_at_due_at_is_on_time(training_query):
    judged = {r["assignment_id"]: r for r in training_query(
        "SELECT * FROM intermediate.int_training_assignments_due")}
    assert judged["A1"]["completed_on_time"] is True    # completed_at = due_at = 02-10 00:00
    assert judged["A2"]["completed_on_time"] is False   # 02-21 > 02-20
    assert judged["A11"]["exclusion_reason"] == "completed_before_assigned"  # 03-01 < 03-10


def test_due_at_as_of_counts_and_due_after_as_of_does_not(training_query, monthly):
    due = {r["assignment_id"] for r in training_query(
        "SELECT assignment_id FROM intermediate.int_training_assignments_due")}
    assert "A12" in due       # due_at 05-15 12:00 = as_of
    assert "A13" not in due   # due_at 05-15 12:00:01 > as_of (its early completion is not counted)
    # May: A12 only, not completed -> 0 / 1; no e-mail (P12 sent after as_of) -> NULL rates
    may = monthly[(MAY, "ALL")]
    assert counts(may) == (1, 0, 0, 0, 0)
    assert may["completion_rate"] == 0.0
    assert may["click_rate"] is None and may["report_rate"] is None
    assert counts(monthly[(MAY, "AMER")]) == (1, 0, 0, 0, 0)  # A12: alice, AMER


def test_february(monthly):
    # assignments A1 (AMER, on time), A2 (APAC, late), A3 (EMEA, on time) -> 2 / 3
    # e-mails delivered P1 (AMER, clicked), P2 (EMEA, reported), P4 (EMEA); P3 blank delivered
    feb = monthly[(FEB, "ALL")]
    assert counts(feb) == (3, 2, 3, 1, 1)
    assert feb["completion_rate"] == pytest.approx(2 / 3)
    assert feb["click_rate"] == pytest.approx(1 / 3)    # P1 / (P1, P2, P4)
    assert feb["report_rate"] == pytest.approx(1 / 3)   # P2 / (P1, P2, P4)
    assert counts(monthly[(FEB, "AMER")]) == (1, 1, 1, 1, 0)
    emea = monthly[(FEB, "EMEA")]
    assert counts(emea) == (1, 1, 2, 0, 1)
    assert (emea["click_rate"], emea["report_rate"]) == (0.0, 0.5)  # 0 / 2, 1 / 2
    # APAC: A2 only; carol's e-mail P3 was not delivered -> no denominator -> NULL rates
    apac = monthly[(FEB, "APAC")]
    assert counts(apac) == (1, 0, 0, 0, 0)
    assert apac["completion_rate"] == 0.0
    assert apac["click_rate"] is None and apac["report_rate"] is None
    assert (FEB, "UNKNOWN") not in monthly


def test_march_click_and_report_rates(monthly):
    # assignments A6 (AMER late), A7 (EMEA on time), A8 (APAC late), A9 (APAC on time),
    # A10 (UNKNOWN late); A11 excluded -> 2 / 5 = 0.4
    # e-mails P5, P7, P8, P9, P10 delivered; clicked P7 only (P8's click is after as_of) -> 1 / 5;
    # reported P7 -> 1 / 5
    mar = monthly[(MAR, "ALL")]
    assert counts(mar) == (5, 2, 5, 1, 1)
    assert mar["completion_rate"] == pytest.approx(0.4)
    assert mar["click_rate"] == pytest.approx(0.2)
    assert mar["report_rate"] == pytest.approx(0.2)
    # AMER: A6; P5 (dave after the move), P7, P8 -> click 1 / 3, report 1 / 3
    amer = monthly[(MAR, "AMER")]
    assert counts(amer) == (1, 0, 3, 1, 1)
    assert amer["click_rate"] == pytest.approx(1 / 3)
    assert amer["report_rate"] == pytest.approx(1 / 3)
    # EMEA: A7; P9 and P10, two e-mails of one campaign to bob, both counted
    assert counts(monthly[(MAR, "EMEA")]) == (1, 1, 2, 0, 0)
    assert monthly[(MAR, "APAC")]["completion_rate"] == pytest.approx(0.5)  # A9 / (A8, A9)
    assert counts(monthly[(MAR, "UNKNOWN")]) == (1, 0, 0, 0, 0)            # A10


def test_rows_every_spine_month_and_non_empty_geographies(monthly):
    # spine: January (identity snapshot 01-15) through May (as_of)
    assert {k for k in monthly if k[1] == "ALL"} == {(m, "ALL") for m in (JAN, FEB, MAR, APR, MAY)}
    assert counts(monthly[(JAN, "ALL")]) == (0, 0, 0, 0, 0)
    assert monthly[(JAN, "ALL")]["completion_rate"] is None
    assert monthly[(JAN, "ALL")]["click_rate"] is None
    assert sorted(k for k in monthly if k[1] != "ALL") == sorted([
        (FEB, "AMER"), (FEB, "APAC"), (FEB, "EMEA"),
        (MAR, "AMER"), (MAR, "APAC"), (MAR, "EMEA"), (MAR, "UNKNOWN"),
        (APR, "APAC"),  # P11: erin, after her 04-20 snapshot
        (MAY, "AMER"),
    ])
    # April: no assignment due -> NULL completion_rate; P11 clicked -> 1 / 1
    apr = monthly[(APR, "ALL")]
    assert counts(apr) == (0, 0, 1, 1, 0)
    assert apr["completion_rate"] is None
    assert (apr["click_rate"], apr["report_rate"]) == (1.0, 0.0)


# ---- quarterly roll-up ----

def test_quarterly_rates_from_sums(quarterly):
    q1 = quarterly[(Q1, "ALL")]
    # Jan + Feb + Mar: due 0 + 3 + 5 = 8, on time 0 + 2 + 2 = 4 -> 4 / 8 = 0.5
    # (the mean of the monthly rates 2/3 and 0.4 would be 0.533...)
    assert counts(q1) == (8, 4, 8, 2, 2)
    assert q1["completion_rate"] == pytest.approx(0.5)
    # delivered 0 + 3 + 5 = 8, clicked 1 + 1 = 2 -> 0.25 (mean of 1/3 and 0.2 would be 0.267)
    assert q1["click_rate"] == pytest.approx(0.25)
    assert q1["report_rate"] == pytest.approx(0.25)     # (1 + 1) / 8
    # AMER: due A1 + A6 = 2, on time A1 -> 0.5; delivered 1 + 3 = 4, clicked P1 + P7 = 2 -> 0.5,
    # reported P7 -> 0.25
    amer = quarterly[(Q1, "AMER")]
    assert counts(amer) == (2, 1, 4, 2, 1)
    assert (amer["completion_rate"], amer["click_rate"], amer["report_rate"]) == (0.5, 0.5, 0.25)
    # APAC: A2, A8, A9 due, A9 on time -> 1 / 3; no delivered e-mail -> NULL
    apac = quarterly[(Q1, "APAC")]
    assert apac["completion_rate"] == pytest.approx(1 / 3)
    assert apac["click_rate"] is None
    # Q2 (April, May): A12 due, not on time; P11 delivered and clicked
    q2 = quarterly[(Q2, "ALL")]
    assert counts(q2) == (1, 0, 1, 1, 0)
    assert (q2["completion_rate"], q2["click_rate"], q2["report_rate"]) == (0.0, 1.0, 0.0)
    assert sorted(quarterly) == sorted([
        (Q1, "ALL"), (Q1, "AMER"), (Q1, "APAC"), (Q1, "EMEA"), (Q1, "UNKNOWN"),
        (Q2, "ALL"), (Q2, "AMER"), (Q2, "APAC"),
    ])


def test_published_columns(training_query):
    for table, key in (("training_monthly", "month"), ("training_quarterly", "quarter")):
        columns = training_query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'metrics' AND table_name = ? ORDER BY ordinal_position", [table])
        assert [c["column_name"] for c in columns] == [
            key, "geography", "assignments_due", "completed_on_time", "completion_rate",
            "phishing_delivered", "phishing_clicked", "click_rate", "phishing_reported",
            "report_rate", "period_complete", "as_of"]
        types = {c["column_name"]: c["data_type"] for c in columns}
        assert types[key] == "DATE" and types["completion_rate"] == "DOUBLE"
        assert types["as_of"] == "TIMESTAMP WITH TIME ZONE"
    as_of = training_query("SELECT DISTINCT as_of FROM metrics.training_monthly")
    assert as_of == [{"as_of": ts("2024-05-15 12:00")}]


# ---- the shared fixture (dbt_fixture_rows.py) ----

def test_shared_fixture_training_rows(query):
    monthly = {(r["month"], r["geography"]): r for r in query("SELECT * FROM metrics.training_monthly")}
    # every spine month (January .. May) has its ALL row
    assert {k[0] for k in monthly if k[1] == "ALL"} == {JAN, FEB, MAR, APR, MAY}
    # February: c1's e-mail has a blank delivered -> not delivered -> nothing to rate
    assert monthly[(FEB, "ALL")]["phishing_delivered"] == 0
    assert monthly[(FEB, "ALL")]["click_rate"] is None
    # April: as1 (u1, due 04-30, not completed); u1's latest snapshot <= 04-30 is January's
    # (country de -> EMEA; the June snapshot is after as_of) -> EMEA, 0 / 1
    assert counts(monthly[(APR, "EMEA")]) == (1, 0, 0, 0, 0)
    assert monthly[(APR, "EMEA")]["completion_rate"] == 0.0
