"""iam family: weekly full identity snapshots and quarterly access-review campaigns."""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.schemas import ACCESS_REVIEWS, IDENTITIES

from ._base import (
    DAY, HOUR, NA, Calendar, Landing, choose_categories, from_epoch, iso_offset, padded_ids, rng_for,
    set_cells, text_series, ts_series,
)
from .population import People

BIG = np.iinfo(np.int64).max


def _open_end(t: np.ndarray) -> np.ndarray:
    return np.where(t < 0, BIG, t)


def write_identities(landing: Landing, cal: Calendar, seed: int, people: People, notes: list[str]) -> None:
    snaps = cal.weekly(0, 6)  # Mondays 06:00 UTC
    if len(snaps) == 0:
        return
    p = people
    t = snaps[:, None]
    present = (p.hired <= t) & (t < _open_end(p.removed))
    term_shown = (p.terminated >= 0) & (p.terminated <= t)
    disabled_now = (p.disabled >= 0) & (p.disabled <= t)
    on_leave = (p.leave_start >= 0) & (p.leave_start <= t) & (t < _open_end(p.leave_end))
    lapse = (p.lapse_start >= 0) & (p.lapse_start <= t) & (t < _open_end(p.lapse_end))

    w, i = np.nonzero(present)
    status = np.full(len(w), "active", dtype=object)
    status[on_leave[w, i]] = "suspended"
    dn = disabled_now[w, i]
    status[dn] = p.after_status[i[dn]]
    mfa = p.mfa[i] & ~lapse[w, i]
    mfa_text = np.where(mfa, "true", "false").astype(object)
    mfa_text[p.mfa_blank[i]] = None
    term = np.where(term_shown[w, i], p.terminated[i], NA)
    disabled = np.where(dn & p.disabled_given[i], p.disabled[i], NA)

    frame = pl.DataFrame({
        "week": w,
        "snapshot_at": ts_series(snaps[w]),
        "user_id": p.user_id.gather(i),
        "email": p.email.gather(i),
        "status": text_series(status),
        "is_privileged": pl.Series(np.where(p.privileged[i], "true", "false")),
        "mfa_enabled": text_series(mfa_text),
        "country": text_series(p.country[i]),
        "geography": text_series(p.geography[i]),
        "terminated_at": ts_series(term),
        "disabled_at": ts_series(disabled),
    })
    for (k,), part in frame.partition_by("week", as_dict=True, maintain_order=True).items():
        landing.write(IDENTITIES, f"identities_{from_epoch(snaps[k]):%Y-%m-%d}.csv", part)
    lapsed_snaps = int((lapse & present & p.privileged).any(axis=1).sum())
    notes.append(f"identities: privileged accounts without MFA in {lapsed_snaps} of {len(snaps)} snapshots")


def write_access_reviews(landing: Landing, cal: Calendar, seed: int, people: People,
                         quirks: bool, notes: list[str]) -> None:
    rng = rng_for(seed, "access_reviews")
    p = people
    priv_ids = np.flatnonzero(p.privileged)
    quirk_left = 2 if quirks else 0
    for y, q, qs in cal.quarters():
        launch = max(qs, cal.start) + 7 * DAY + 9 * HOUR
        if launch > cal.end:
            continue
        due = launch + 21 * DAY + 8 * HOUR
        emp = p.employed_at(launch)
        items = np.flatnonzero(emp & (p.privileged | (rng.random(p.n) < 0.15)))
        m = len(items)
        outcome = choose_categories(rng, m, {"on_time": 0.8, "late": 0.1, "never": 0.1},
                                    minimum={"late": 1, "never": 1})
        decided = np.where(
            outcome == "on_time", launch + (rng.random(m) * (due - launch)).astype(np.int64),
            np.where(outcome == "late", due + rng.integers(HOUR, 14 * DAY, m), NA),
        )
        decided = np.where(decided > cal.end, NA, decided)
        decision = np.where(rng.random(m) < 0.85, "approve", "revoke").astype(object)
        decision[decided < 0] = None
        review_id = f"AR-{y}Q{q}"
        item_id = padded_ids(review_id + "-", m, 5)
        frame = pl.DataFrame({
            "review_id": text_series([review_id] * m),
            "item_id": item_id,
            "user_id": p.user_id.gather(items),
            "reviewer_id": p.user_id.gather(priv_ids[rng.integers(0, len(priv_ids), m)]),
            "due_at": ts_series(np.full(m, due, dtype=np.int64)),
            "decided_at": ts_series(decided),
            "decision": text_series(decision),
        })
        if quirk_left:
            for j in np.flatnonzero(decided >= 0)[:quirk_left]:
                iid = item_id[int(j)]
                frame = set_cells(frame, "item_id", iid, decided_at=iso_offset(int(decided[j]), 2))
                notes.append(f"quirk: access review item {iid}: decided_at written with a +02:00 offset")
                quirk_left -= 1
        landing.write(ACCESS_REVIEWS, f"access_reviews_{y}-Q{q}.csv", frame)
