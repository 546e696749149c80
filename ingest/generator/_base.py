"""Shared machinery of the generator: calendar, random streams, vector helpers, CSV writer.

Times are handled as int64 epoch seconds (UTC) in numpy arrays; a missing time is
any negative value (`NA`). Nothing here loops per row.
"""

from __future__ import annotations

import calendar as _cal
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

from ingest.schemas import Entity

UTC = timezone.utc
MINUTE = 60
HOUR = 3600
DAY = 86_400
WEEK = 7 * DAY
NA = -1  # missing time (every real time is > 0)

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def from_epoch(t: int) -> datetime:
    return datetime.fromtimestamp(int(t), UTC)


def iso(t: int) -> str:
    return from_epoch(t).strftime(TS_FORMAT)


def iso_offset(t: int, hours: int) -> str:
    """The instant `t` written in a fixed offset, e.g. +02:00 (same instant)."""
    return from_epoch(t).astimezone(timezone(timedelta(hours=hours))).isoformat()


def iso_naive(t: int) -> str:
    """The instant `t` as UTC wall-clock time without an offset."""
    return from_epoch(t).strftime(NAIVE_FORMAT)


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


@dataclass(frozen=True)
class Calendar:
    """The covered period: `months` calendar months ending with the month of `end`."""

    end: int  # epoch seconds; nothing is timestamped after it
    month_starts: tuple[int, ...]  # months + 1 boundaries; the last is after end's month

    @classmethod
    def build(cls, end: datetime, months: int) -> "Calendar":
        if months < 1:
            raise ValueError("months must be >= 1")
        y0, m0 = add_months(end.year, end.month, -(months - 1))
        starts = []
        for i in range(months + 1):
            y, m = add_months(y0, m0, i)
            starts.append(epoch(datetime(y, m, 1, tzinfo=UTC)))
        return cls(end=epoch(end), month_starts=tuple(starts))

    @property
    def start(self) -> int:
        return self.month_starts[0]

    @property
    def months(self) -> int:
        return len(self.month_starts) - 1

    def month_label(self, i: int) -> str:
        return from_epoch(self.month_starts[i]).strftime("%Y-%m")

    def month_days(self, i: int) -> int:
        d = from_epoch(self.month_starts[i])
        return _cal.monthrange(d.year, d.month)[1]

    def month_index(self, t: np.ndarray) -> np.ndarray:
        """Index of the month each time falls in (-1 before, months after)."""
        return np.searchsorted(np.asarray(self.month_starts), t, side="right") - 1

    def weekly(self, weekday: int, hour: int, minute: int = 0, *, slack: int = 0) -> np.ndarray:
        """Times of a weekly schedule (weekday 0 = Monday) in [start, end - slack]."""
        first = from_epoch(self.start)
        delta = (weekday - first.weekday()) % 7
        t0 = epoch(datetime(first.year, first.month, first.day, hour, minute, tzinfo=UTC)) + delta * DAY
        if t0 < self.start:
            t0 += WEEK
        last = self.end - slack
        if t0 > last:
            return np.zeros(0, dtype=np.int64)
        return np.arange(t0, last + 1, WEEK, dtype=np.int64)

    def quarters(self) -> list[tuple[int, int, int]]:
        """(year, quarter, start epoch) of every calendar quarter touching the period."""
        out = []
        first = from_epoch(self.start)
        y, q = first.year, (first.month - 1) // 3 + 1
        while True:
            qs = epoch(datetime(y, 3 * q - 2, 1, tzinfo=UTC))
            if qs > self.end:
                break
            out.append((y, q, qs))
            y, q = (y + 1, 1) if q == 4 else (y, q + 1)
        return out


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream per (seed, purpose)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())]))


def scaled(base: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(base * scale)))


def choose_categories(rng: np.random.Generator, n: int, shares: dict[str, float],
                      minimum: dict[str, int] | None = None) -> np.ndarray:
    """Assign a category to each of n items with the given shares, guaranteeing a
    minimum count for some categories (when n allows), in random positions."""
    names = list(shares)
    p = np.array([shares[k] for k in names], dtype=float)
    p = p / p.sum()
    counts = np.floor(p * n).astype(int)
    rest = n - counts.sum()
    if rest > 0:
        counts[np.argsort(-(p * n - counts), kind="stable")[:rest]] += 1
    mins = minimum or {}
    for k, lo in mins.items():
        i = names.index(k)
        while counts[i] < min(lo, n):
            donors = [j for j in range(len(names)) if j != i and counts[j] > mins.get(names[j], 0)]
            if not donors:
                break
            j = max(donors, key=lambda d: counts[d])
            counts[j] -= 1
            counts[i] += 1
    labels = np.repeat(np.arange(len(names)), counts)
    rng.shuffle(labels)
    return np.asarray(names, dtype=object)[labels]


def lognormal_seconds(rng: np.random.Generator, median_s: float, sigma: float, size) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(median_s), sigma, size)).astype(np.int64)


def ts_series(t: np.ndarray, name: str = "") -> pl.Series:
    """Epoch seconds -> ISO 8601 `...Z` strings; negative values become null."""
    s = pl.Series(name, np.asarray(t, dtype=np.int64))
    return pl.select(
        pl.when(s >= 0).then(pl.from_epoch(s, time_unit="s").dt.strftime(TS_FORMAT)).alias(name)
    ).to_series()


def as_enum(s: pl.Series) -> pl.Series:
    """The same values as an Enum: gathering and writing then move u32 codes, not bytes."""
    return s.cast(pl.Enum(s.drop_nulls().unique(maintain_order=True).to_list()))


def text_series(values: np.ndarray, name: str = "") -> pl.Series:
    """Object/str array with None for blank -> String series."""
    return pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.String)


def padded_ids(prefix: str, n: int, width: int = 5) -> pl.Series:
    """prefix + 1..n zero-padded to `width` digits (wider when n needs it)."""
    digits = pl.int_range(1, n + 1, eager=False).cast(pl.String).str.zfill(max(width, len(str(n))))
    return pl.select(pl.concat_str(pl.lit(prefix), digits)).to_series()


def set_cells(df: pl.DataFrame, key: str, key_value: str, **values: str | None) -> pl.DataFrame:
    """Overwrite fields of the row(s) whose `key` equals `key_value` (a handful of quirks)."""
    hit = pl.col(key) == key_value
    return df.with_columns([
        pl.when(hit).then(pl.lit(v, dtype=pl.String)).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    ])


@dataclass
class Landing:
    """Writes canonical CSVs atomically under <out>/<family>/ and keeps the tally."""

    out: Path
    files: list[str] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)

    def write(self, entity: Entity, name: str, df: pl.DataFrame) -> None:
        cols = entity.column_names
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{entity.table} frame lacks {missing}")
        schema = df.collect_schema()
        frame = df.select([
            pl.col(c) if isinstance(schema[c], (pl.String, pl.Enum)) else pl.col(c).cast(pl.String)
            for c in cols
        ])
        folder = self.out / entity.family
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        tmp = folder / f".{name}.tmp-{os.getpid()}"
        frame.write_csv(tmp, null_value="", line_terminator="\n", quote_style="necessary")
        os.replace(tmp, path)
        self.files.append(f"{entity.family}/{name}")
        self.rows[entity.table] += frame.height
