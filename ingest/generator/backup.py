"""backup family: daily backup jobs per system, monthly restore tests, quarterly DR tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.schemas import BACKUP_JOBS

from ._base import (
    DAY, HOUR, MINUTE, NA, Calendar, Landing, from_epoch, iso_naive, lognormal_seconds, rng_for,
    scaled, set_cells, text_series, ts_series,
)
from .population import Assets


def restore_gap_month(cal: Calendar) -> int | None:
    """Index of the month left without any restore test (the middle one)."""
    return cal.months // 2 if cal.months >= 2 else None


def _status(rng: np.random.Generator, m: int, shares: tuple[float, float, float]) -> np.ndarray:
    u = rng.random(m)
    ok, failed, _ = shares
    return np.where(u < ok, "succeeded", np.where(u < ok + failed, "failed", "partial")).astype(object)


def write_backup_jobs(landing: Landing, cal: Calendar, seed: int, scale: float, assets: Assets,
                      quirks: bool, notes: list[str]) -> None:
    rng = rng_for(seed, "backup")
    env = assets.environment
    n_sys = min(assets.n, scaled(40, scale, minimum=4))
    weight = np.select([env == "production", env == "staging", env == "development"], [3.0, 1.5, 1.0], 1.0)
    systems = np.sort(rng.choice(assets.n, n_sys, replace=False, p=weight / weight.sum()))
    sys_offset = rng.integers(0, 4 * 60, n_sys) * MINUTE
    unencrypted = rng.random(n_sys) < 0.08
    unencrypted[rng.integers(0, n_sys)] = True

    # --- daily backups: a (day, system) grid
    day0 = cal.start
    n_days = int((cal.end - day0) // DAY) + 1
    days = day0 + np.arange(n_days, dtype=np.int64) * DAY
    started = days[:, None] + HOUR + sys_offset[None, :] + rng.integers(0, 10 * MINUTE, (n_days, n_sys))
    d_idx, s_idx = np.nonzero(started <= cal.end)
    st = started[d_idx, s_idx]
    m = len(st)
    status = _status(rng, m, (0.955, 0.025, 0.02))
    dur = lognormal_seconds(rng, 40 * MINUTE, 0.6, m)
    dur = np.where(status == "failed", dur // 3 + MINUTE, dur)
    done = st + dur
    running = done > cal.end
    # a couple of jobs hung long ago and still report running
    stuck = rng.choice(np.flatnonzero(~running), min(2, int((~running).sum())), replace=False)
    running[stuck] = True
    status[running] = "running"
    completed = np.where(running, NA, done)
    enc = np.where(unencrypted[s_idx], "false", "true").astype(object)
    enc[(rng.random(m) < 0.03) & ~unencrypted[s_idx]] = None
    day_label = pl.Series([f"{from_epoch(t):%Y%m%d}" for t in days])
    sys_ids = assets.asset_id.gather(systems)
    backups = pl.DataFrame({
        "started": st,
        "completed": completed,
        "job_id": pl.select(pl.concat_str(pl.lit("BK-"), day_label.gather(d_idx), pl.lit("-"),
                                          pl.Series(s_idx + 1).cast(pl.String).str.zfill(5))).to_series(),
        "system_id": sys_ids.gather(s_idx),
        "job_type": text_series(["backup"] * m),
        "started_at": ts_series(st),
        "completed_at": ts_series(completed),
        "status": text_series(status),
        "encrypted": text_series(enc),
        "asset_environment": text_series(env[systems[s_idx]]),
    })

    # --- monthly restore tests on a few systems (one month deliberately without any)
    gap = restore_gap_month(cal)
    tests = []
    k = scaled(3, scale, minimum=2)
    for mi in range(cal.months):
        if mi == gap:
            continue
        ms = cal.month_starts[mi]
        sel = rng.choice(n_sys, min(k, n_sys), replace=False)
        t = ms + rng.integers(14, 20, len(sel)) * DAY + 10 * HOUR + rng.integers(0, 120, len(sel)) * MINUTE
        status_t = _status(rng, len(sel), (0.85, 0.10, 0.05))
        done_t = t + rng.integers(HOUR, 3 * HOUR, len(sel))
        label = cal.month_label(mi).replace("-", "")
        ids = [f"RT-{label}-{j + 1:04d}" for j in range(len(sel))]
        tests.append(("restore_test", ids, sel, t, done_t, status_t))
    # --- quarterly DR tests
    prod_sys = np.flatnonzero(env[systems] == "production")
    if len(prod_sys) == 0:
        prod_sys = np.arange(n_sys)
    for y, q, qs in cal.quarters():
        t0 = max(qs, cal.start) + 40 * DAY + 8 * HOUR
        n_dr = scaled(2, scale, minimum=1)
        sel = prod_sys[rng.integers(0, len(prod_sys), n_dr)]
        t = t0 + np.arange(n_dr) * 2 * HOUR
        status_t = _status(rng, n_dr, (0.8, 0.1, 0.1))
        done_t = t + rng.integers(4 * HOUR, 10 * HOUR, n_dr)
        ids = [f"DR-{y}Q{q}-{j + 1:02d}" for j in range(n_dr)]
        tests.append(("dr_test", ids, sel, t, done_t, status_t))
    frames = [backups]
    for job_type, ids, sel, t, done_t, status_t in tests:
        keep = t <= cal.end
        if not keep.any():
            continue
        sel, t, done_t, status_t = sel[keep], t[keep], done_t[keep], status_t[keep]
        ids = [i for i, kk in zip(ids, keep) if kk]
        run = done_t > cal.end
        status_t = np.where(run, "running", status_t)
        frames.append(pl.DataFrame({
            "started": t,
            "completed": np.where(run, NA, done_t),
            "job_id": text_series(ids),
            "system_id": sys_ids.gather(sel),
            "job_type": pl.Series([job_type] * len(t), dtype=pl.String),
            "started_at": ts_series(t),
            "completed_at": ts_series(np.where(run, NA, done_t)),
            "status": text_series(status_t),
            "encrypted": pl.Series(np.where(unencrypted[sel], "false", "true")),
            "asset_environment": text_series(env[systems[sel]]),
        }))
    jobs = pl.concat(frames).sort(["started", "job_id"])

    if quirks:
        finished = jobs.filter(
            (pl.col("job_type") == "backup") & pl.col("status").is_in(["failed", "succeeded"]))
        if finished.height >= 6:
            failed = finished.filter(pl.col("status") == "failed")
            bad = (failed if failed.height else finished).row(0, named=True)["job_id"]
            jobs = set_cells(jobs, "job_id", bad, completed_at="not-a-date")
            notes.append(f"quirk: backup job {bad}: completed_at is 'not-a-date'")
            ok = finished.filter(pl.col("status") == "succeeded")
            runner = ok.row(ok.height // 3, named=True)
            jobs = set_cells(jobs, "job_id", runner["job_id"], status="running")
            notes.append(f"quirk: backup job {runner['job_id']}: status running but completed_at set")
            for r in (ok.height // 2, ok.height // 2 + 1):
                row = ok.row(r, named=True)
                naive = {"started_at": iso_naive(row["started"])}
                if row["completed"] >= 0:
                    naive["completed_at"] = iso_naive(row["completed"])
                jobs = set_cells(jobs, "job_id", row["job_id"], **naive)
                notes.append(f"quirk: backup job {row['job_id']}: timestamps without a UTC offset")

    jobs = jobs.with_columns(month=pl.Series(cal.month_index(jobs["started"].to_numpy())))
    for (mi,), part in jobs.partition_by("month", as_dict=True, maintain_order=True).items():
        landing.write(BACKUP_JOBS, f"backup_jobs_{cal.month_label(mi)}.csv", part)
    if gap is not None:
        notes.append(f"backup: no restore test at all in {cal.month_label(gap)}")
