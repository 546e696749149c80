"""What the landing-zone sensor sees: which export files are new or changed and have settled, and
which months they touch. Plain functions (no Dagster), so the sensor is a thin wrapper.

A file is *settled* when two ticks saw the same size and modification time and the first of
them is at least the quiet period ago (SECOPS_QUIET_SECONDS, default 10; the variable the
landing rules use): a file still being copied changes size or mtime and waits. The sensor's
cursor remembers, per file (its path under the landing folder), the size, mtime, when that
state was first seen and whether a run was requested for it.

The months a file touches are read the way `secops run` would read them: the file is
loaded into a throwaway in-memory warehouse (the real formats, typing and rejection) and
the months of its entities' coverage columns (ingest/schemas.py) are taken. A file whose
months cannot be told cheaply (bigger than SECOPS_SENSOR_PARSE_MAX_MB, unreadable, or an
entity without coverage columns, like the KEV catalogue, which changes every month's
findings) asks for every month, and so does one reaching back before the last closed month.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

QUIET_SECONDS_ENV = "SECOPS_QUIET_SECONDS"
DEFAULT_QUIET_SECONDS = 10.0
PARSE_MAX_MB_ENV = "SECOPS_SENSOR_PARSE_MAX_MB"
DEFAULT_PARSE_MAX_MB = 64.0


def _number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value >= 0 else default


def quiet_seconds() -> float:
    return _number(QUIET_SECONDS_ENV, DEFAULT_QUIET_SECONDS)


@dataclass(frozen=True)
class FileState:
    size: int
    mtime: float
    stable_since: float          # when this size and mtime were first seen
    requested: bool = False      # a run was requested for this state

    def same_bytes_as(self, other: "FileState") -> bool:
        return (self.size, self.mtime) == (other.size, other.mtime)


def load_cursor(text: str | None) -> dict[str, FileState]:
    if not text:
        return {}
    raw = json.loads(text)
    return {name: FileState(**state) for name, state in raw.get("files", {}).items()}


def dump_cursor(files: dict[str, FileState]) -> str:
    return json.dumps(
        {"files": {name: vars(state) for name, state in sorted(files.items())}}, sort_keys=True
    )


def scan(landing: Path) -> dict[str, tuple[str, Path, int, float]]:
    """name under the landing folder -> (family, path, size, mtime) of every export file there."""
    from ingest.landing import discover, relative_name

    found = {}
    for family, path in discover(landing):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between listing and stat
            continue
        found[relative_name(landing, path)] = (family, path, stat.st_size, stat.st_mtime)
    return found


@dataclass(frozen=True)
class Tick:
    files: dict[str, FileState]          # the next cursor
    settled: list[str]                   # new or changed files, settled, not yet requested
    waiting: list[str]                   # new or changed files still within the quiet period


def observe(previous: dict[str, FileState] | None, seen: dict[str, tuple], now: float, quiet: float) -> Tick:
    """Compare this tick's files with the cursor's.

    With no cursor at all (the sensor's first tick) the files present are the baseline: they
    are marked requested, as the schedule or a manual run covers what was there before.
    """
    first_tick = previous is None
    previous = previous or {}
    files: dict[str, FileState] = {}
    settled, waiting = [], []
    for name, (_family, _path, size, mtime) in sorted(seen.items()):
        state = FileState(size=size, mtime=mtime, stable_since=now, requested=first_tick)
        before = previous.get(name)
        if before is not None and before.same_bytes_as(state):
            state = before
        files[name] = state
        if state.requested:
            continue
        if before is not None and before.same_bytes_as(state) and now - state.stable_since >= quiet:
            settled.append(name)
        else:
            waiting.append(name)
    return Tick(files=files, settled=settled, waiting=waiting)


def mark_requested(files: dict[str, FileState], names: list[str]) -> dict[str, FileState]:
    return {
        name: FileState(s.size, s.mtime, s.stable_since, True) if name in names else s
        for name, s in files.items()
    }


def run_key(files: dict[str, FileState], names: list[str]) -> str:
    """The same files in the same state ask for the same run (Dagster skips a repeated run key)."""
    text = "\n".join(f"{n}\t{files[n].size}\t{files[n].mtime}" for n in sorted(names))
    return "landing-" + hashlib.sha256(text.encode()).hexdigest()[:24]


# --- months ---------------------------------------------------------------------------------


def _month(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def _previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), 12 if month.month == 1 else month.month - 1, 1)


def file_months(family: str, path: Path, default_tz: str = "UTC") -> tuple[date, date] | None:
    """First and last month of the file's records (coverage columns), or None: cannot tell cheaply."""
    import duckdb

    from ingest.load import ingest_one
    from ingest.schemas import ENTITIES_BY_TABLE
    from ingest.warehouse import ensure_schema

    if path.stat().st_size > _number(PARSE_MAX_MB_ENV, DEFAULT_PARSE_MAX_MB) * 1024 * 1024:
        return None
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        ensure_schema(con)
        # read where it lies, under the landing folder's rules (a link leading outside is not read);
        # the sensor has already judged the file settled, so no quiet period here
        landing = next(folder.parent for folder in path.parents if folder.name == family)
        result = ingest_one(
            con, landing, family, path, default_tz=default_tz, now=datetime.now(timezone.utc), quiet_seconds=0
        )
        if result.status != "loaded":
            return None
        report_rows = result.rows_loaded
        firsts, lasts = [], []
        for table, rows in report_rows.items():
            if not rows:
                continue
            columns = ENTITIES_BY_TABLE[table].coverage_columns
            if not columns:
                return None  # enrichment: it changes every month it applies to
            for column in columns:
                low, high = con.execute(f"SELECT min({column}), max({column}) FROM raw.{table}").fetchone()
                if low is not None:
                    firsts.append(_month(low))
                    lasts.append(_month(high))
        return (min(firsts), max(lasts)) if firsts else None
    except Exception:  # whatever stops a cheap read: the run will say what is wrong with the file
        return None
    finally:
        con.close()


@dataclass(frozen=True)
class MonthChoice:
    start: str | None        # partition keys (first days); None: every month
    end: str | None
    reason: str

    @property
    def every_month(self) -> bool:
        return self.start is None


def choose_months(ranges: list[tuple[date, date] | None], now: datetime, first_month: date) -> MonthChoice:
    """From the earliest month touched to the month in progress (later months carry the records
    forward: an open finding, the latest snapshot), or every month when a file cannot be told
    or reaches back before the last closed month."""
    in_progress = _month(now.astimezone(timezone.utc))
    last_closed = _previous_month(in_progress)
    if any(r is None for r in ranges) or not ranges:
        return MonthChoice(None, None, "the months of a file cannot be told cheaply")
    earliest = min(r[0] for r in ranges)
    if earliest < last_closed or earliest < first_month:
        return MonthChoice(None, None, f"a file reaches back to {earliest:%Y-%m}, before the last closed month {last_closed:%Y-%m}")
    start = min(earliest, in_progress)
    return MonthChoice(start.isoformat(), in_progress.isoformat(), f"the files touch {start:%Y-%m} onwards")
