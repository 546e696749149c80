"""training family: monthly training assignments and a monthly phishing simulation."""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.schemas import ASSIGNMENTS, PHISHING_RESULTS

from ._base import (
    DAY, HOUR, MINUTE, NA, Calendar, Landing, choose_categories, iso_naive, lognormal_seconds,
    padded_ids, rng_for, set_cells, text_series, ts_series,
)
from .population import People

COURSES = (
    "Security Awareness Essentials", "Phishing Defense", "Data Handling and Classification",
    "Password and MFA Hygiene", "Incident Reporting", "Secure Remote Work",
)
ELECTIVE = "Secure Coding Elective"


def _user_refs(rng: np.random.Generator, people: People, idx: np.ndarray, email_share: float) -> pl.Series:
    """user_id of each person, or for some rows the person's e-mail in another case."""
    by_email = rng.random(len(idx)) < email_share
    variant = people.email_variant(rng, idx)
    own_id = people.user_id.gather(idx)
    return pl.select(pl.when(pl.Series(by_email)).then(variant).otherwise(own_id)).to_series()


def _row_country(rng: np.random.Generator, people: People, idx: np.ndarray, share: float) -> pl.Series:
    own = rng.random(len(idx)) < share
    c = np.where(own, people.country[idx], None)
    return text_series(c)


def write_assignments(landing: Landing, cal: Calendar, seed: int, people: People,
                      quirks: bool, notes: list[str]) -> None:
    rng = rng_for(seed, "assignments")
    naive_left = 3 if quirks else 0
    bad_country_left = 2 if quirks else 0
    for mi in range(cal.months):
        ms = cal.month_starts[mi]
        assigned0 = ms + DAY + 8 * HOUR
        if assigned0 > cal.end:
            continue
        days = cal.month_days(mi)
        due = ms + (min(24, days - 3)) * DAY + 17 * HOUR  # the 25th (or earlier) 17:00 UTC
        emp = people.employed_at(assigned0)
        req = np.flatnonzero(emp)
        opt = np.flatnonzero(emp & (rng.random(people.n) < 0.10))
        idx = np.concatenate([req, opt])
        m = len(idx)
        required = np.concatenate([rng.random(len(req)) < 0.92, np.zeros(len(opt), dtype=bool)])
        course = np.where(np.arange(m) < len(req), COURSES[mi % len(COURSES)], ELECTIVE).astype(object)
        assigned = assigned0 + rng.integers(0, 90 * MINUTE, m)
        outcome = choose_categories(rng, m, {"on_time": 0.82, "late": 0.10, "never": 0.08},
                                    minimum={"late": 1, "never": 1})
        window = due - assigned
        completed = np.where(
            outcome == "on_time", assigned + (rng.random(m) * window).astype(np.int64),
            np.where(outcome == "late", due + rng.integers(HOUR, 20 * DAY, m), NA),
        )
        term = people.terminated[idx]
        completed = np.where((completed > cal.end) | ((term >= 0) & (completed > term)), NA, completed)
        label = cal.month_label(mi).replace("-", "")
        aid = padded_ids(f"TA-{label}-", m, 6)
        frame = pl.DataFrame({
            "assignment_id": aid,
            "user_id": _user_refs(rng, people, idx, 0.2),
            "course": text_series(course),
            "required": pl.Series(np.where(required, "true", "false")),
            "assigned_at": ts_series(assigned),
            "due_at": ts_series(np.full(m, due, dtype=np.int64)),
            "completed_at": ts_series(completed),
            "country": _row_country(rng, people, idx, 0.6),
        })
        if naive_left and mi >= min(1, cal.months - 1):
            for j in np.flatnonzero(completed >= 0)[:naive_left]:
                frame = set_cells(frame, "assignment_id", aid[int(j)],
                                  completed_at=iso_naive(int(completed[j])))
                notes.append(f"quirk: assignment {aid[int(j)]}: completed_at without a UTC offset")
                naive_left -= 1
        if bad_country_left and mi >= min(2, cal.months - 1):
            for j in range(5, 5 + min(bad_country_left, m - 5)):
                frame = set_cells(frame, "assignment_id", aid[j], country="XX")
                notes.append(f"quirk: assignment {aid[j]}: country 'XX' maps to no geography")
                bad_country_left -= 1
        landing.write(ASSIGNMENTS, f"assignments_{cal.month_label(mi)}.csv", frame)


def write_phishing(landing: Landing, cal: Calendar, seed: int, people: People, notes: list[str]) -> None:
    rng = rng_for(seed, "phishing")
    for mi in range(cal.months):
        ms = cal.month_starts[mi]
        send0 = ms + 9 * DAY + 13 * HOUR
        if send0 > cal.end:
            continue
        emp = people.employed_at(send0)
        idx = np.flatnonzero(emp & (rng.random(people.n) < 0.97))
        again = idx[rng.random(len(idx)) < 0.01]  # a resend: one person, two e-mails
        sent = send0 + rng.integers(0, 2 * HOUR, len(idx))
        sent_again = send0 + DAY + rng.integers(0, 2 * HOUR, len(again))
        idx = np.concatenate([idx, again])
        sent = np.concatenate([sent, sent_again])
        order = np.lexsort((idx, sent))
        idx, sent = idx[order], sent[order]
        keep = sent <= cal.end
        idx, sent = idx[keep], sent[keep]
        m = len(idx)
        if m == 0:
            continue
        d = rng.random(m)
        delivered = np.where(d < 0.96, "true", "false").astype(object)
        delivered[d > 0.99] = None
        is_delivered = delivered == "true"
        clicked = is_delivered & (rng.random(m) < 0.05)
        reported = is_delivered & (rng.random(m) < np.where(clicked, 0.10, 0.21))
        clicked_at = np.where(clicked, sent + lognormal_seconds(rng, 40 * MINUTE, 1.0, m), NA)
        reported_at = np.where(reported, sent + lognormal_seconds(rng, 50 * MINUTE, 1.0, m), NA)
        reported_at = np.where(clicked & reported, np.maximum(reported_at, clicked_at + MINUTE), reported_at)
        clicked_at = np.where(clicked_at > cal.end, NA, clicked_at)
        reported_at = np.where(reported_at > cal.end, NA, reported_at)
        label = cal.month_label(mi)
        frame = pl.DataFrame({
            "campaign_id": text_series([f"PH-{label}"] * m),
            "user_id": _user_refs(rng, people, idx, 0.3),
            "sent_at": ts_series(sent),
            "delivered": text_series(delivered),
            "clicked_at": ts_series(clicked_at),
            "reported_at": ts_series(reported_at),
            "country": _row_country(rng, people, idx, 0.5),
        })
        landing.write(PHISHING_RESULTS, f"phishing_{label}.csv", frame)
