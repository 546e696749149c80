"""scanner family: weekly vulnerability scans of two scanners, weekly certificate observations.

Findings are modelled as instances (scanner, asset, catalogue entry, first scan, fix delay)
and exploded to one row per scan they are open in, all with numpy/polars vector ops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest.schemas import CERTIFICATES, FINDINGS

from ._base import (
    DAY, HOUR, MINUTE, NA, WEEK, Landing, from_epoch, lognormal_seconds, padded_ids, rng_for, scaled,
    as_enum, text_series, ts_series,
)
from .population import Assets

PACKAGES = (
    "openssl", "libssl3", "openssh-server", "glibc", "curl", "libcurl4", "log4j-core",
    "jackson-databind", "spring-core", "nginx", "apache2", "tomcat9", "python3", "requests",
    "urllib3", "django", "nodejs", "lodash", "express", "sudo", "bash", "zlib1g", "libxml2",
    "postgresql-15", "mysql-server", "redis", "linux-image-generic", "systemd", "git", "tar",
    "busybox", "libpng16", "libwebp7", "imagemagick", "samba", "bind9", "containerd", "runc",
    "docker-ce", "kubelet",
)
WEAKNESSES = (
    "remote code execution", "privilege escalation", "denial of service",
    "information disclosure", "heap buffer overflow", "use-after-free", "SQL injection",
    "cross-site scripting", "path traversal", "authentication bypass",
    "improper input validation, remote code execution",
    'improper handling of the "Host" header',
    "integer overflow in parser", "server-side request forgery",
)
CONFIG_TITLES = (
    "TLS 1.0 protocol enabled", "Weak SSH key exchange algorithms", "SMB signing not required",
    "Self-signed certificate in chain", "Default credentials on management interface",
    "HTTP TRACE method enabled", "Outdated antivirus definitions", "Host-based firewall disabled",
)
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEV_SHARES = (0.06, 0.22, 0.38, 0.22, 0.12)
CVSS_RANGES = ((9.0, 10.0), (7.0, 8.9), (4.0, 6.9), (0.1, 3.9), (0.0, 0.0))
EXPLOITED_SHARE = (0.30, 0.12, 0.03, 0.01, 0.0)
# median fix delay (s), lognormal sigma, share never fixed in the period — per severity
FIX_MODEL = (
    None,  # critical: mixture, below
    (4 * DAY, 0.9, 0.10),
    (25 * DAY, 0.8, 0.15),
    (50 * DAY, 0.9, 0.25),
    (90 * DAY, 1.0, 0.50),
)


@dataclass(frozen=True)
class Scanner:
    name: str
    weekday: int
    hour: int
    fix_report: float          # share of fixes the scanner reports with fixed_at
    coverage: dict              # environment -> share of assets it scans
    vendor_words: bool


SCANNERS = (
    Scanner("qualys", 0, 2, 0.9, {"production": 0.95, "staging": 0.95, "development": 0.9, None: 0.8}, False),
    Scanner("nessus", 3, 20, 0.75, {"production": 0.9, "staging": 0.7, "development": 0.3, None: 0.5}, True),
)
SCAN_SPAN = 5 * HOUR  # a weekly scan visits its assets over five hours


def _catalogue(seed: int, n: int = 2000) -> pl.DataFrame:
    """The vulnerability catalogue both scanners draw from (independent of scale)."""
    rng = rng_for(seed, "catalogue")
    sev = rng.choice(5, n, p=SEV_SHARES)
    is_cfg = rng.random(n) < 0.08
    sev = np.where(is_cfg & (sev < 2), 2, sev)
    lo = np.array([r[0] for r in CVSS_RANGES])[sev]
    hi = np.array([r[1] for r in CVSS_RANGES])[sev]
    cvss = np.round(lo + rng.random(n) * (hi - lo), 1)
    years = rng.choice(np.arange(2014, 2026), n, p=np.linspace(1, 4, 12) / np.linspace(1, 4, 12).sum())
    nums = rng.choice(np.arange(1000, 60000), n, replace=False)
    cve = pl.select(pl.concat_str(pl.lit("CVE-"), pl.Series(years).cast(pl.String), pl.lit("-"),
                                  pl.Series(nums).cast(pl.String))).to_series()
    # about 8 % of entries are the same CVE in another package
    dup = rng.random(n) < 0.08
    dup[0] = False
    src = np.where(dup, rng.integers(0, np.maximum(np.arange(n), 1)), np.arange(n))
    cve = cve.gather(src)
    cfg_ids = padded_ids("CFG-", n, 5)
    vuln_id = pl.select(pl.when(pl.Series(is_cfg)).then(cfg_ids).otherwise(cve)).to_series()

    pkg_idx = rng.integers(0, len(PACKAGES), n)
    pkg = pl.Series(PACKAGES).gather(pkg_idx)
    no_pkg = is_cfg | (rng.random(n) < 0.05)
    package = pl.select(pl.when(pl.Series(no_pkg)).then(None).otherwise(pkg)).to_series()
    weak = pl.Series(WEAKNESSES).gather(rng.integers(0, len(WEAKNESSES), n))
    cfg_title = pl.Series(CONFIG_TITLES).gather(rng.integers(0, len(CONFIG_TITLES), n))
    title = pl.select(
        pl.when(pl.Series(is_cfg)).then(cfg_title)
        .otherwise(pl.concat_str(pkg, pl.lit(": "), weak, pl.lit(" ("), vuln_id, pl.lit(")")))
    ).to_series()

    exploited = rng.random(n) < np.array(EXPLOITED_SHARE)[sev]
    expl_text = np.where(exploited, "true", "false").astype(object)
    expl_text[rng.random(n) < 0.05] = None

    sev_name = np.array(SEVERITIES, dtype=object)[sev]
    cvss_text = pl.Series(cvss).round(1).cast(pl.String).to_numpy().astype(object)
    no_cvss = (sev == 4) & (rng.random(n) < 0.3)
    cvss_text[no_cvss] = None
    # A few entries come with CVSS only (blank severity), two with neither (-> info).
    blank_sev = (rng.random(n) < 0.04) & ~no_cvss
    both_blank = np.flatnonzero(no_cvss)[:2]
    base = sev_name.copy()
    base[blank_sev] = None
    base[both_blank] = None
    # Scanner 0 writes some severities capitalised; scanner 1 uses vendor words for some.
    s0 = base.copy()
    cap = (rng.random(n) < 0.15) & (base != None)  # noqa: E711
    s0[cap] = np.char.capitalize(base[cap].astype(str)).astype(object)
    s1 = base.copy()
    vendor = (rng.random(n) < 0.35) & (base != None)  # noqa: E711
    s1[vendor & (sev == 1)] = "Important"
    s1[vendor & (sev == 2)] = "moderate"
    s1[vendor & (sev == 4)] = "informational"
    cat = pl.DataFrame({
        "sev_code": sev, "vulnerability_id": vuln_id, "title": title,
        "severity_0": text_series(s0), "severity_1": text_series(s1),
        "cvss_score": text_series(cvss_text),
        "exploited_in_wild": text_series(expl_text), "package": package,
        "exploited": exploited,
    })
    # the finding key is (vulnerability_id, package): keep one entry per key
    return cat.unique(["vulnerability_id", "package"], keep="first", maintain_order=True)


def _fix_delays(rng: np.random.Generator, sev: np.ndarray, exploited: np.ndarray) -> np.ndarray:
    """Seconds from first sighting to fix; -1 = not fixed within any horizon."""
    n = len(sev)
    out = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    crit = sev == 0
    quick = lognormal_seconds(rng, 7 * HOUR, 0.75, n)
    slow = lognormal_seconds(rng, 4 * DAY, 0.6, n)
    out[crit] = np.where(u[crit] < 0.80, quick[crit], np.where(u[crit] < 0.94, slow[crit], -1))
    for code in range(1, 5):
        m = sev == code
        med, sigma, never = FIX_MODEL[code]
        d = lognormal_seconds(rng, med, sigma, m.sum())
        out[m] = np.where(u[m] < never, -1, d)
    fast = exploited & (out > 0) & ~crit
    out[fast] = np.maximum(HOUR, out[fast] // 3)
    return out


def _scanner_rows(rng: np.random.Generator, sc: Scanner, times: np.ndarray, assets: Assets,
                  cat: pl.DataFrame) -> tuple[np.ndarray, ...]:
    """Every row of one scanner as arrays ordered by (scan, asset, key):
    week index, asset index, catalogue index (-1 = clean-scan row), fixed_at (NA = blank),
    plus the per-asset offset of scanned_at inside a scan run."""
    W, n = len(times), assets.n
    env = assets.environment
    cov = np.select([env == "production", env == "staging", env == "development"],
                    [sc.coverage["production"], sc.coverage["staging"], sc.coverage["development"]],
                    sc.coverage[None])
    scanned = rng.random(n) < cov
    # first scan of each asset: the first scan at or after onboarding
    first_w = np.searchsorted(times, assets.onboarded, side="left")
    scanned &= first_w < W
    a_idx = np.flatnonzero(scanned)
    env_factor = np.select([env == "production", env == "staging", env == "development"],
                           [0.8, 1.0, 1.5], 1.0)
    rate = assets.hygiene * env_factor
    # per-asset offset inside the scan run
    offset = (rng.random(n) * SCAN_SPAN).astype(np.int64) // MINUTE * MINUTE

    # a backlog found by the first scan of each asset, then new findings every week
    n0 = rng.poisson(6.0 * rate[a_idx])
    weeks_left = np.maximum(W - 1 - first_w[a_idx], 0)
    n1 = rng.poisson(0.7 * rate[a_idx] * weeks_left)
    inst_a = np.concatenate([np.repeat(a_idx, n0), np.repeat(a_idx, n1)])
    w_new = (first_w[np.repeat(a_idx, n1)] + 1
             + (rng.random(n1.sum()) * np.repeat(weeks_left, n1)).astype(np.int64))
    inst_w = np.concatenate([first_w[np.repeat(a_idx, n0)], w_new])
    n_cat = cat.height
    sev_all = cat["sev_code"].to_numpy()
    expl_all = cat["exploited"].to_numpy()
    inst_v = rng.integers(0, n_cat, len(inst_a))

    def delays_for(v):
        return _fix_delays(rng, sev_all[v], expl_all[v])

    inst_d = delays_for(inst_v)
    # re-open: a fixed instance of the same key re-appears some weeks after its fix
    n_present = np.where(inst_d < 0, W - inst_w, np.minimum(W - inst_w, (inst_d - 1) // WEEK + 1))
    fixed_w = inst_w + n_present
    can_reopen = (inst_d > 0) & (fixed_w + 2 < W) & (rng.random(len(inst_a)) < 0.04)
    r = np.flatnonzero(can_reopen)
    if len(r):
        rw = fixed_w[r] + 2 + (rng.random(len(r)) * (W - fixed_w[r] - 2)).astype(np.int64)
        rd = delays_for(inst_v[r])
        inst_a = np.concatenate([inst_a, inst_a[r]])
        inst_v = np.concatenate([inst_v, inst_v[r]])
        inst_w = np.concatenate([inst_w, rw])
        inst_d = np.concatenate([inst_d, rd])
        n_present = np.where(inst_d < 0, W - inst_w, np.minimum(W - inst_w, (inst_d - 1) // WEEK + 1))
        fixed_w = inst_w + n_present

    # the next scan reports the fix with its time (for most fixes): one more row per instance
    rep_fix = (inst_d > 0) & (fixed_w < W) & (rng.random(len(inst_a)) < sc.fix_report)
    n_rows = n_present + rep_fix
    fix_time = np.where(rep_fix, times[inst_w] + offset[inst_a] + inst_d, NA)

    # clean rows: scanned assets with no finding row in a scan (coverage by difference arrays)
    diff = np.bincount(inst_w * n + inst_a, minlength=(W + 1) * n)
    diff -= np.bincount((inst_w + n_rows) * n + inst_a, minlength=(W + 1) * n)
    covered = diff.reshape(W + 1, n).cumsum(axis=0)[:W] > 0
    in_scan = scanned[None, :] & (np.arange(W)[:, None] >= first_w[None, :])
    c_week, c_asset = np.nonzero(in_scan & ~covered)
    k = len(c_week)
    inst_a = np.concatenate([inst_a, c_asset])
    inst_v = np.concatenate([inst_v, np.full(k, -1)])
    inst_w = np.concatenate([inst_w, c_week])
    n_present = np.concatenate([n_present, np.ones(k, dtype=n_present.dtype)])
    n_rows = np.concatenate([n_rows, np.ones(k, dtype=n_rows.dtype)])
    fix_time = np.concatenate([fix_time, np.full(k, NA)])

    # order instances by (asset, key, first week), explode, then a stable (radix) sort by week
    # gives rows ordered by (week, asset, key) without sorting the rows themselves
    ikey = inst_a.astype(np.int64) * (n_cat + 1) + (inst_v + 1)
    io = np.argsort(ikey * (W + 1) + inst_w, kind="stable")
    inst_a, inst_v, inst_w, n_present, n_rows, fix_time, ikey = (
        x[io] for x in (inst_a, inst_v, inst_w, n_present, n_rows, fix_time, ikey))
    total = int(n_rows.sum())
    rep = np.repeat(np.arange(len(inst_a)), n_rows)
    j = np.arange(total) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    week = inst_w[rep] + j
    is_fix = j == n_present[rep]
    order = np.argsort(week.astype(np.int16 if W < 32_000 else np.int32), kind="stable")
    week, rep, is_fix = week[order], rep[order], is_fix[order]
    # one row per (scan, asset, key): an open row wins over a fix report of the same key
    rkey = ikey[rep]
    new_group = np.ones(total, dtype=bool)
    new_group[1:] = (rkey[1:] != rkey[:-1]) | (week[1:] != week[:-1])
    group = np.cumsum(new_group) - 1
    has_open = np.bincount(group, weights=~is_fix) > 0
    cand = ~is_fix | ~has_open[group]
    cidx = np.flatnonzero(cand)
    first = np.ones(len(cidx), dtype=bool)
    first[1:] = group[cidx[1:]] != group[cidx[:-1]]
    keep = cidx[first]
    rep, week, is_fix = rep[keep], week[keep], is_fix[keep]
    fixed = np.where(is_fix, fix_time[rep], NA)
    return week, inst_a[rep], inst_v[rep], fixed, offset


def write_findings(landing: Landing, cal, seed: int, assets: Assets, notes: list[str]) -> None:
    cat = _catalogue(seed)
    # null row at index 0 so that vuln -1 (clean scan) gathers blanks
    cat_null = pl.concat([cat.clear(1), cat])
    for si, sc in enumerate(SCANNERS):
        rng = rng_for(seed, f"findings/{sc.name}")
        times = cal.weekly(sc.weekday, sc.hour, slack=SCAN_SPAN)
        if len(times) == 0:
            continue
        week, asset, vuln, fixed, offset = _scanner_rows(rng, sc, times, assets, cat)
        n = assets.n
        scan_ids = as_enum(pl.Series([f"{sc.name}-{from_epoch(t):%Y%m%d}-{si + 1}{k + 1:03d}"
                                      for k, t in enumerate(times)]))
        c = {col: as_enum(cat_null[col]) for col in
             ("vulnerability_id", "title", "severity_0", "severity_1", "cvss_score",
              "exploited_in_wild", "package")}
        sev_col = f"severity_{1 if sc.vendor_words else 0}"
        env_s = as_enum(text_series(assets.environment))
        asset_s = as_enum(assets.asset_id)
        name_s = as_enum(pl.Series([sc.name]))
        minutes = np.arange(0, SCAN_SPAN + MINUTE, MINUTE)
        bounds = np.searchsorted(week, np.arange(len(times) + 1))
        for k in range(len(times)):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if hi == lo:
                continue
            a, vi, fx = asset[lo:hi], vuln[lo:hi] + 1, fixed[lo:hi]
            m = hi - lo
            has_fix = np.flatnonzero(fx >= 0)
            fixed_at = pl.Series("fixed_at", [None], dtype=pl.String).gather(np.zeros(m, dtype=np.int64))
            if len(has_fix):
                fixed_at = fixed_at.scatter(has_fix, ts_series(fx[has_fix]))
            frame = pl.DataFrame({
                "scan_id": scan_ids.gather(np.full(m, k)),
                "scanned_at": as_enum(ts_series(times[k] + minutes)).gather(offset[a] // MINUTE),
                "scanner": name_s.gather(np.zeros(m, dtype=np.int64)),
                "asset_id": asset_s.gather(a),
                "asset_environment": env_s.gather(a),
                "vulnerability_id": c["vulnerability_id"].gather(vi),
                "title": c["title"].gather(vi),
                "severity": c[sev_col].gather(vi),
                "cvss_score": c["cvss_score"].gather(vi),
                "exploited_in_wild": c["exploited_in_wild"].gather(vi),
                "package": c["package"].gather(vi),
                "fixed_at": fixed_at,
            }).with_columns(
                # a CVE or advisory is a vulnerability; a clean-scan row has no class
                pl.when(pl.col("vulnerability_id").is_not_null()).then(pl.lit("vulnerability"))
                .otherwise(pl.lit(None, dtype=pl.String)).alias("finding_class")
            )
            landing.write(FINDINGS, f"findings_{sc.name}_{from_epoch(times[k]):%Y-%m-%d}.csv", frame)


def write_certificates(landing: Landing, cal, seed: int, scale: float, assets: Assets,
                       notes: list[str]) -> None:
    rng = rng_for(seed, "certificates")
    obs = cal.weekly(1, 3)  # Tuesdays 03:00 UTC
    W = len(obs)
    if W == 0:
        return
    n = scaled(150, scale, minimum=6)
    env = assets.environment
    prod = np.flatnonzero(env == "production")
    other = np.flatnonzero(env != "production")
    from_prod = rng.random(n) < 0.6
    slot_asset = np.where(from_prod, prod[rng.integers(0, len(prod), n)],
                          other[rng.integers(0, max(len(other), 1), n)] if len(other) else prod[0])
    slot_asset[0] = prod[0]
    slot_prod = env[slot_asset] == "production"
    validity = np.where(rng.random(n) < 0.6, 90 * DAY, 397 * DAY).astype(np.int64)
    svc = pl.Series(("api", "www", "login", "pay", "vpn", "mail", "grafana", "jenkins", "s3-proxy",
                     "ldap")).gather(rng.integers(0, 10, n))
    subject = pl.select(pl.concat_str(pl.lit("CN="), svc, pl.lit("-"),
                                      pl.int_range(1, n + 1, eager=False).cast(pl.String),
                                      pl.lit(".example.com"))).to_series()

    horizon = cal.end - cal.start + 60 * DAY
    K = int(horizon // (60 * DAY)) + 3
    not_after = np.zeros((n, K), dtype=np.int64)
    renew = np.zeros((n, K), dtype=np.int64)  # when cert k is replaced by cert k+1
    not_after[:, 0] = cal.start + (rng.random(n) * validity).astype(np.int64)
    issued = np.zeros((n, K), dtype=np.int64)
    issued[:, 0] = not_after[:, 0] - validity
    miss = rng.random((n, K)) < 0.025
    # guarantee one production expiry episode in the middle of the period
    mid = obs[W // 2]
    not_after[0, 0] = mid - 3 * DAY
    issued[0, 0] = not_after[0, 0] - validity[0]
    miss[0, 0] = True
    for k in range(K):
        lead = rng.integers(5 * DAY, 30 * DAY, n)
        late = rng.integers(2 * DAY, 14 * DAY, n)
        renew[:, k] = np.where(miss[:, k], not_after[:, k] + late, not_after[:, k] - lead)
        if k == 0:
            renew[0, 0] = mid + 4 * DAY
        if k + 1 < K:
            issued[:, k + 1] = renew[:, k] - rng.integers(HOUR, 2 * DAY, n)
            not_after[:, k + 1] = issued[:, k + 1] + validity
    # certificate shown at each observation: number of renewals at or before it
    current = (renew[None, :, :] <= obs[:, None, None]).sum(axis=2)  # (W, n)
    current = np.minimum(current, K - 1)
    seen = rng.random((W, n)) > 0.02
    seen[:, 0] = True
    ow, os_ = np.nonzero(seen)
    ck = current[ow, os_]
    serial_src = rng.integers(0, 256, (n * K, 8))
    hexbyte = pl.Series([f"{b:02X}" for b in range(256)])
    serial = pl.select(pl.concat_str([hexbyte.gather(serial_src[:, j]) for j in range(8)])).to_series()
    flat = os_ * K + ck
    a = slot_asset[os_]
    frame = pl.DataFrame({
        "week": ow,
        "observed_at": ts_series(obs[ow]),
        "asset_id": assets.asset_id.gather(a),
        "asset_environment": text_series(env).gather(a),
        "subject": subject.gather(os_),
        "serial": serial.gather(flat),
        "not_before": ts_series(issued.ravel()[flat]),
        "not_after": ts_series(not_after.ravel()[flat]),
    })
    for (k,), part in frame.partition_by("week", as_dict=True, maintain_order=True).items():
        landing.write(CERTIFICATES, f"certificates_{from_epoch(obs[k]):%Y-%m-%d}.csv", part)
    expired = (not_after.ravel()[flat] < obs[ow]) & slot_prod[os_]
    weeks_expired = len(np.unique(ow[expired]))
    notes.append(f"certificates: production certificates expired in {weeks_expired} of {W} "
                 "weekly observations")
