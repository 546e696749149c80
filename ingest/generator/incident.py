"""incident family: security, availability and other incidents, exported monthly."""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.schemas import INCIDENTS

from ._base import (
    HOUR, MINUTE, NA, Calendar, Landing, choose_categories, iso, iso_offset, lognormal_seconds,
    padded_ids, rng_for, set_cells, text_series, ts_series,
)

SERVICES = ("payments-api", "auth", "web-frontend", "data-pipeline", "vpn", "email", "hr-portal",
            "search", "mobile-api", "billing")
PHRASES = {
    "security": ("suspicious login activity", "malware detected on endpoint",
                 "credential phishing compromise", "data exfiltration attempt",
                 "privilege misuse", "exposed secret in repository"),
    "availability": ("elevated error rate", "service outage", "latency degradation",
                     "database failover", "certificate expiry outage"),
    "other": ("misconfigured alerting", "vendor notification", "capacity warning"),
}
CATEGORIES = ("security", "availability", "other")
SEVERITIES = ("P1", "P2", "P3", "P4")


def _pick(rng, values, p, m):
    p = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), m, p=p / p.sum())]


def write_incidents(landing: Landing, cal: Calendar, seed: int, scale: float, quirks: bool,
                    notes: list[str]) -> None:
    rng = rng_for(seed, "incidents")
    occurred = []
    for mi in range(cal.months):
        ms, me = cal.month_starts[mi], min(cal.month_starts[mi + 1], cal.end)
        if me <= ms:
            continue
        frac = (me - ms) / (cal.month_starts[mi + 1] - ms)
        k = rng.poisson(25 * scale * frac)
        occurred.append(ms + (rng.random(k) * (me - ms)).astype(np.int64))
    occ = np.sort(np.concatenate(occurred)) if occurred else np.zeros(0, dtype=np.int64)
    m = len(occ)
    if m == 0:
        return
    cat = _pick(rng, CATEGORIES, (0.45, 0.40, 0.15), m)
    sev = _pick(rng, SEVERITIES, (0.10, 0.17, 0.365, 0.365), m)
    geo = _pick(rng, ("AMER", "EMEA", "APAC", None), (0.38, 0.34, 0.22, 0.06), m)
    service = _pick(rng, SERVICES, np.ones(len(SERVICES)), m)
    phrase = np.empty(m, dtype=object)
    for c, options in PHRASES.items():
        hit = cat == c
        phrase[hit] = np.asarray(options, dtype=object)[rng.integers(0, len(options), hit.sum())]

    # P1: four in five detected within minutes, the rest after hours (stratified, not left to luck)
    p1 = np.flatnonzero(sev == "P1")
    slow_p1 = np.zeros(m, dtype=bool)
    slow_p1[p1] = choose_categories(rng, len(p1), {"fast": 0.8, "slow": 0.2}, minimum={"slow": 1}) == "slow"
    detect = np.select(
        [(sev == "P1") & ~slow_p1, sev == "P1", sev == "P2"],
        [lognormal_seconds(rng, 15 * MINUTE, 0.7, m), lognormal_seconds(rng, 3 * HOUR, 0.6, m),
         lognormal_seconds(rng, 40 * MINUTE, 1.0, m)],
        lognormal_seconds(rng, 3 * HOUR, 1.2, m),
    )
    ack = lognormal_seconds(rng, 5 * MINUTE, 0.8, m)
    medians = {"P1": 2 * HOUR, "P2": 4 * HOUR, "P3": 12 * HOUR, "P4": 36 * HOUR}
    resolve = np.zeros(m, dtype=np.int64)
    for s, med in medians.items():
        hit = sev == s
        resolve[hit] = lognormal_seconds(rng, med, 0.7, hit.sum())
    det = occ + detect
    keep = det <= cal.end
    occ, det, ack, resolve = occ[keep], det[keep], ack[keep], resolve[keep]
    cat, sev, geo, service, phrase = cat[keep], sev[keep], geo[keep], service[keep], phrase[keep]
    m = len(occ)
    ack_at = det + ack
    res_at = det + ack + resolve
    res_at[-min(2, m):] = NA  # the latest incidents are still open
    ack_at = np.where(ack_at > cal.end, NA, ack_at)
    res_at = np.where(res_at > cal.end, NA, res_at)

    has_change = rng.random(m) < 0.15
    change_id = np.full(m, None, dtype=object)
    change_id[has_change] = np.char.add("CHG-", rng.integers(10000, 99999, m)[has_change].astype(str))
    root = _pick(rng, ("people", "process", "technology", "environment", None),
                 (0.2, 0.25, 0.35, 0.1, 0.1), m)
    incident_id = padded_ids("INC-", m, 6)
    frame = pl.DataFrame({
        "occ": occ,
        "month": cal.month_index(occ),
        "incident_id": incident_id,
        "title": pl.select(pl.concat_str(text_series(service), pl.lit(": "),
                                         text_series(phrase))).to_series(),
        "category": text_series(cat),
        "severity": text_series(sev),
        "service": text_series(service),
        "geography": text_series(geo),
        "occurred_at": ts_series(occ),
        "detected_at": ts_series(det),
        "acknowledged_at": ts_series(ack_at),
        "resolved_at": ts_series(res_at),
        "change_id": text_series(change_id),
        "root_cause_category": text_series(root),
    })

    extra = None  # the re-exported incident (later file)
    if quirks and m >= 8:
        used: set[int] = set()
        month = cal.month_index(occ)
        # 1. detection before occurrence (a clock-skewed security incident)
        target = min(1, cal.months - 1)
        cand = [j for j in np.flatnonzero((cat == "security") & (month == target))] or [m // 2]
        j = int(cand[0])
        used.add(j)
        iid = incident_id[j]
        frame = set_cells(frame, "incident_id", iid, detected_at=iso(int(occ[j]) - 30 * MINUTE))
        notes.append(f"quirk: incident {iid}: detected_at 30 min before occurred_at")
        # 2. timestamps written in +02:00 (same instants)
        for j in [x for x in range(1, m, max(1, m // 4)) if x not in used][:3]:
            used.add(j)
            iid = incident_id[j]
            vals = {"occurred_at": iso_offset(int(occ[j]), 2), "detected_at": iso_offset(int(det[j]), 2)}
            if ack_at[j] >= 0:
                vals["acknowledged_at"] = iso_offset(int(ack_at[j]), 2)
            frame = set_cells(frame, "incident_id", iid, **vals)
            notes.append(f"quirk: incident {iid}: timestamps written with a +02:00 offset")
        # 3. exported twice: open in its month's file, resolved in the next month's file
        if cal.months >= 2:
            mm = cal.months - 2
            boundary = cal.month_starts[mm + 1]
            if boundary + 2 * HOUR <= cal.end:
                cand = [int(x) for x in np.flatnonzero((month == mm) & (ack_at >= 0) & (ack_at < boundary))
                        if int(x) not in used]
                if cand:
                    j = cand[-1]
                    iid = incident_id[j]
                    resolved = max(int(res_at[j]), boundary + 2 * HOUR)
                    resolved = min(resolved, cal.end)
                    frame = set_cells(frame, "incident_id", iid, resolved_at=iso(resolved))
                    extra = frame.filter(pl.col("incident_id") == iid).with_columns(
                        month=pl.lit(mm + 1, dtype=frame["month"].dtype))
                    frame = set_cells(frame, "incident_id", iid, resolved_at=None, root_cause_category=None)
                    notes.append(f"quirk: incident {iid}: exported in {cal.month_label(mm)} while open and "
                                 f"again in {cal.month_label(mm + 1)} with resolved_at set")
    if extra is not None:
        frame = pl.concat([frame, extra]).sort(["month", "occ"], maintain_order=True)
    for (mi,), part in frame.partition_by("month", as_dict=True, maintain_order=True).items():
        landing.write(INCIDENTS, f"incidents_{cal.month_label(mi)}.csv", part)
