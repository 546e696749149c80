"""The populations every family draws from: people (the workforce) and assets (hosts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ._base import DAY, HOUR, MINUTE, NA, WEEK, Calendar, choose_categories, padded_ids, rng_for, scaled

# ISO 3166-1 alpha-2 country -> (geography, share of the workforce)
COUNTRIES: dict[str, tuple[str, float]] = {
    "US": ("AMER", 0.24), "CA": ("AMER", 0.05), "BR": ("AMER", 0.04), "MX": ("AMER", 0.03),
    "GB": ("EMEA", 0.10), "DE": ("EMEA", 0.08), "FR": ("EMEA", 0.05), "NL": ("EMEA", 0.03),
    "IE": ("EMEA", 0.03), "PL": ("EMEA", 0.03), "ZA": ("EMEA", 0.02), "AE": ("EMEA", 0.02),
    "IN": ("APAC", 0.12), "JP": ("APAC", 0.05), "SG": ("APAC", 0.04), "AU": ("APAC", 0.04),
    "PH": ("APAC", 0.03),
}

FIRST_NAMES = (
    "ana", "ben", "chen", "dara", "elif", "femi", "gita", "hugo", "ines", "jon", "kenji", "lena",
    "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tara", "umar", "vera", "wei",
    "ximena", "yusuf", "zoe", "amara", "bruno", "carla", "dmitri", "emma", "farah", "goran",
    "hana", "ivan", "julia", "kofi", "lucas", "mei", "noah",
)
LAST_NAMES = (
    "silva", "smith", "mueller", "dubois", "tanaka", "kumar", "okafor", "nowak", "jansen",
    "garcia", "kim", "rossi", "cohen", "nguyen", "walsh", "singh", "lopez", "ito", "berg",
    "costa", "haddad", "ivanova", "murphy", "osei", "park", "reyes", "sato", "khan", "meyer",
    "novak", "patel", "santos", "weber", "yamada", "zhou", "brown", "fischer", "martin", "ali",
    "dias",
)


@dataclass(frozen=True)
class People:
    n: int
    user_id: pl.Series            # u000001 ...
    email: pl.Series              # lower case
    country: np.ndarray           # object, None = blank
    geography: np.ndarray         # object: explicit geography column, None = blank
    hired: np.ndarray             # int64 epoch; 0 = before the period
    terminated: np.ndarray        # int64, NA = employed
    disabled: np.ndarray          # int64, NA = never disabled
    disabled_given: np.ndarray    # bool: the directory fills disabled_at
    after_status: np.ndarray      # object: status once disabled (deprovisioned / suspended)
    removed: np.ndarray           # int64, NA = never removed from the directory
    privileged: np.ndarray        # bool
    mfa: np.ndarray               # bool (baseline)
    mfa_blank: np.ndarray         # bool
    lapse_start: np.ndarray       # int64 window without MFA (privileged), NA = none
    lapse_end: np.ndarray
    leave_start: np.ndarray       # int64 window suspended (leave), NA = none
    leave_end: np.ndarray

    def employed_at(self, t: np.ndarray | int) -> np.ndarray:
        """(len(t), n) mask, or (n,) for a scalar: hired and not yet terminated at t."""
        t = np.asarray(t, dtype=np.int64)
        tt = t[..., None]
        term = np.where(self.terminated < 0, np.iinfo(np.int64).max, self.terminated)
        return (self.hired <= tt) & (tt < term)

    def email_variant(self, rng: np.random.Generator, idx: np.ndarray) -> pl.Series:
        """The e-mail of each person in idx, in a random non-lower case (upper or Title)."""
        em = self.email.gather(idx)
        upper = rng.random(len(idx)) < 0.5
        return pl.select(
            pl.when(pl.Series(upper)).then(em.str.to_uppercase()).otherwise(
                pl.concat_str(
                    em.str.slice(0, 1).str.to_uppercase(),
                    em.str.slice(1).str.replace(r"@e", "@E"),
                )
            )
        ).to_series()


def make_people(cal: Calendar, seed: int, scale: float) -> People:
    rng = rng_for(seed, "people")
    n = scaled(300, scale, minimum=12)
    user_id = padded_ids("u", n, 6)
    first = pl.Series(FIRST_NAMES).gather(rng.integers(0, len(FIRST_NAMES), n))
    last = pl.Series(LAST_NAMES).gather(rng.integers(0, len(LAST_NAMES), n))
    email = pl.select(
        pl.concat_str(first, pl.lit("."), last, pl.int_range(1, n + 1, eager=False).cast(pl.String),
                      pl.lit("@example.com"))
    ).to_series()

    codes = np.array(list(COUNTRIES), dtype=object)
    shares = np.array([COUNTRIES[c][1] for c in codes])
    pick = rng.choice(len(codes), n, p=shares / shares.sum())
    country = codes[pick]
    geo_of = np.array([COUNTRIES[c][0] for c in codes], dtype=object)[pick]
    kind = choose_categories(
        rng, n, {"country": 0.72, "both": 0.235, "geo_only": 0.03, "neither": 0.015},
        minimum={"geo_only": 2, "neither": 2},
    )
    geography = np.where((kind == "both") | (kind == "geo_only"), geo_of, None)
    country = np.where((kind == "geo_only") | (kind == "neither"), None, country)

    start, end = cal.start, cal.end
    span = max(end - start, DAY)
    hired = np.zeros(n, dtype=np.int64)
    late_hire = rng.random(n) < 0.06
    hired[late_hire] = start + (rng.random(late_hire.sum()) * span * 0.9).astype(np.int64)

    # Terminations: ~1.2 % of the workforce per month, spread over the period.
    n_term = min(n // 3, max(3, int(round(n * 0.012 * cal.months))))
    eligible = np.flatnonzero(~late_hire)
    term_idx = np.sort(rng.choice(eligible, n_term, replace=False))
    terminated = np.full(n, NA, dtype=np.int64)
    terminated[term_idx] = start + HOUR + (rng.random(n_term) * (span - 3 * HOUR)).astype(np.int64)
    outcome = choose_categories(rng, n_term, {"on_time": 0.78, "late": 0.14, "never": 0.08},
                                minimum={"late": 1, "never": 1})
    delay = np.where(
        outcome == "on_time", rng.integers(15 * MINUTE, 23 * HOUR + 50 * MINUTE, n_term),
        np.where(outcome == "late", rng.integers(26 * HOUR, 12 * DAY, n_term), 0),
    )
    disabled = np.full(n, NA, dtype=np.int64)
    disabled[term_idx] = np.where(outcome == "never", NA, terminated[term_idx] + delay)
    disabled_given = rng.random(n) < 0.75
    after_status = np.where(rng.random(n) < 0.75, "deprovisioned", "suspended").astype(object)
    removed = np.full(n, NA, dtype=np.int64)
    gone = (disabled >= 0) & (rng.random(n) < 0.4)
    removed[gone] = disabled[gone] + rng.integers(21 * DAY, 60 * DAY, gone.sum())

    privileged = np.zeros(n, dtype=bool)
    n_priv = max(3, int(round(n * 0.10)))
    privileged[rng.choice(n, n_priv, replace=False)] = True
    mfa_draw = rng.random(n)
    mfa = privileged | (mfa_draw < 0.85)
    mfa_blank = ~privileged & (mfa_draw > 0.98)

    # A few privileged people lose MFA for a while (device reset, break-glass...).
    lapse_start = np.full(n, NA, dtype=np.int64)
    lapse_end = np.full(n, NA, dtype=np.int64)
    stay = np.flatnonzero(privileged & (terminated < 0) & ~late_hire)
    k = min(len(stay), max(2, int(round(n_priv * 0.07))))
    lapsed = rng.choice(stay, k, replace=False)
    lapse_start[lapsed] = start + (rng.random(k) * max(span - WEEK, DAY)).astype(np.int64)
    lapse_end[lapsed] = lapse_start[lapsed] + rng.integers(3 * DAY, 15 * DAY, k)

    leave_start = np.full(n, NA, dtype=np.int64)
    leave_end = np.full(n, NA, dtype=np.int64)
    pool = np.flatnonzero(terminated < 0)
    k = min(len(pool), max(1, int(round(n * 0.01))))
    on_leave = rng.choice(pool, k, replace=False)
    leave_start[on_leave] = start + (rng.random(k) * span).astype(np.int64)
    leave_end[on_leave] = leave_start[on_leave] + rng.integers(WEEK, 4 * WEEK, k)

    return People(
        n=n, user_id=user_id, email=email, country=country, geography=geography,
        hired=hired, terminated=terminated, disabled=disabled, disabled_given=disabled_given,
        after_status=after_status, removed=removed, privileged=privileged, mfa=mfa,
        mfa_blank=mfa_blank, lapse_start=lapse_start, lapse_end=lapse_end,
        leave_start=leave_start, leave_end=leave_end,
    )


ROLES = ("web", "app", "db", "k8s", "batch", "vpn", "mail", "ci", "cache", "lb")
ENV_CODES = {"production": "prd", "staging": "stg", "development": "dev", None: "srv"}


@dataclass(frozen=True)
class Assets:
    n: int
    asset_id: pl.Series
    environment: np.ndarray    # object: production / staging / development / None
    onboarded: np.ndarray      # int64: first moment it can be scanned (0 = before the period)
    hygiene: np.ndarray        # float: finding-rate multiplier (some hosts stay clean)


def make_assets(cal: Calendar, seed: int, scale: float) -> Assets:
    rng = rng_for(seed, "assets")
    n = scaled(400, scale, minimum=10)
    env = choose_categories(
        rng, n, {"production": 0.45, "staging": 0.2, "development": 0.3, None: 0.05},
        minimum={"production": 2, "staging": 1, "development": 1, None: 1},
    )
    role = pl.Series(ROLES).gather(rng.integers(0, len(ROLES), n))
    code = pl.Series([ENV_CODES[e] for e in (None, "production", "staging", "development")])
    env_idx = np.select([env == "production", env == "staging", env == "development"], [1, 2, 3], 0)
    width = max(5, len(str(n)))
    asset_id = pl.select(
        pl.concat_str(role, pl.lit("-"), code.gather(env_idx), pl.lit("-"),
                      pl.int_range(1, n + 1, eager=False).cast(pl.String).str.zfill(width))
    ).to_series()
    onboarded = np.zeros(n, dtype=np.int64)
    late = rng.random(n) < 0.08
    span = max(cal.end - cal.start, DAY)
    onboarded[late] = cal.start + (rng.random(late.sum()) * span * 0.8).astype(np.int64)
    hygiene = rng.gamma(0.8, 1 / 0.8, n)
    return Assets(n=n, asset_id=asset_id, environment=env, onboarded=onboarded, hygiene=hygiene)
