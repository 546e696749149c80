"""One writer per warehouse: an advisory lock file beside it, holding the writer's pid.

DuckDB allows one writing process per file and fails the second at once. The
pipeline's own writers (a `secops run`, the schedule's or a UI launch's run worker)
instead take `<warehouse>.lock` with `flock` before writing and wait for it up to
SECOPS_LOCK_WAIT_SECONDS (default 600); a writer that waited in vain gets one line
naming the warehouse and the holder's pid. The kernel drops the lock when the holder
exits, so a killed run never leaves a stale lock (the file stays, its pid is only
information). Within one process the lock is re-entrant: the CLI takes it around the
whole run and the run's own resource (orchestration/defs/publish.py) finds it held.

Something outside the pipeline that holds the warehouse file itself open (a BI
tool, a DuckDB shell) is not ours to wait for: DuckDB refuses with a lock IO error,
and `outside_holder_problem` says so in one line that points at the BI snapshot.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_WAIT_ENV = "SECOPS_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2


class WarehouseBusy(RuntimeError):
    """Another pipeline writer held the warehouse for longer than we may wait."""


def lock_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse).expanduser().resolve()
    return warehouse.with_name(warehouse.name + ".lock")


def lock_wait_seconds() -> float:
    value = os.environ.get(LOCK_WAIT_ENV)
    if not value:
        return DEFAULT_LOCK_WAIT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{LOCK_WAIT_ENV}={value!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{LOCK_WAIT_ENV}={value!r} is negative")
    return seconds


# lock file path -> [file descriptor, depth] of the locks this process holds
_held: dict[Path, list[int]] = {}
_held_guard = threading.Lock()


def _holder_pid(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return text.split()[0] if text else "unknown"


@contextmanager
def warehouse_writer_lock(warehouse: str | Path, wait_seconds: float | None = None) -> Iterator[Path]:
    """Hold the warehouse's writer lock for the block, waiting for another writer to finish."""
    path = lock_path(warehouse)
    with _held_guard:
        if path in _held:
            _held[path][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _held_guard:
                _held[path][1] -= 1
        return

    wait = lock_wait_seconds() if wait_seconds is None else wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse {Path(warehouse).expanduser().resolve()} is being written by another "
                        f"pipeline run (pid {_holder_pid(fd)}); waited {wait:g} s "
                        f"({LOCK_WAIT_ENV} sets how long)"
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        with _held_guard:
            _held[path] = [fd, 1]
        try:
            yield path
        finally:
            with _held_guard:
                del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_DUCKDB_LOCK_ERROR = re.compile(r"Could not set lock on file|Conflicting lock is held", re.IGNORECASE)
_DUCKDB_HOLDER_PID = re.compile(r"\(PID (\d+)\)")


def is_outside_lock_error(message: str) -> bool:
    """DuckDB's IO error for a file another process holds open."""
    return bool(_DUCKDB_LOCK_ERROR.search(message))


def outside_holder_problem(warehouse: str | Path, message: str, snapshot: str | Path) -> str:
    """One line for a warehouse held open outside the pipeline, pointing readers at the snapshot."""
    pid = _DUCKDB_HOLDER_PID.search(message)
    holder = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"the warehouse {Path(warehouse).expanduser().resolve()} is held open by {holder} outside "
        f"the pipeline (DuckDB allows one writer or many readers per file); close it and point BI "
        f"tools at the BI snapshot {snapshot} instead"
    )
