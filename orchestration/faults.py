"""Environment faults said in one line: the wrapper around every `secops` command.

A fault of the machine rather than of the data (a read-only folder, a full disk,
a missing landing folder, a corrupt warehouse file, an interrupt) ends the
command with one `problem:` line naming the path and the cause, and the exit
code below (README, "Exit codes"). No traceback reaches the terminal: an
unexpected error's traceback is written to a fault log beside the warehouse
(or in the temporary folder when that cannot be written), whose name the
problem line gives.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import threading
import traceback
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

EXIT_OK = 0
EXIT_FAILED = 1             # a file failed, a step failed or a blocking check failed
EXIT_USAGE = 2              # a bad argument or setting (unknown zone, month range, family)
EXIT_NOT_WRITABLE = 3       # a folder or file cannot be written (read-only, permission)
EXIT_DISK_FULL = 4          # no space left on the device
EXIT_CORRUPT_WAREHOUSE = 5  # the warehouse file is not a readable DuckDB database
EXIT_MISSING = 6            # the landing folder (or another input location) does not exist
EXIT_ENVIRONMENT = 7        # another operating-system fault (I/O error, too many open files...)
EXIT_INTERNAL = 70          # a bug: the traceback is in the fault log
EXIT_INTERRUPTED = 130      # Ctrl-C or SIGTERM: the file being loaded was rolled back


class EnvironmentFault(Exception):
    """A fault of the machine, already worded for the user, with its exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}
_DUCKDB_CORRUPT_WORDS = ("not a valid duckdb database", "corrupt", "checksum", "failed to read database header")


def classify_message(text: str) -> int | None:
    """The exit code an error message means, when it is an environment fault."""
    lowered = text.lower()
    if "no space left on device" in lowered or "disk is full" in lowered:
        return EXIT_DISK_FULL
    if "read-only file system" in lowered or "permission denied" in lowered:
        return EXIT_NOT_WRITABLE
    if any(word in lowered for word in _DUCKDB_CORRUPT_WORDS):
        return EXIT_CORRUPT_WAREHOUSE
    return None


def describe(error: BaseException) -> tuple[str, int] | None:
    """(problem line, exit code) for an environment fault; None for anything else."""
    if isinstance(error, EnvironmentFault):
        return str(error), error.exit_code
    if isinstance(error, OSError) and error.errno is not None:
        # Without a file name (a write into an open file), the command was writing beside the
        # warehouse: its file, the run log, the data docs or the reports.
        where = error.filename or _warehouse_folder()
        cause = error.strerror or str(error)
        if error.errno == errno.ENOSPC:
            return f"{where}: disk full ({cause}); free space and run again", EXIT_DISK_FULL
        if error.errno in _NOT_WRITABLE:
            return f"{where}: cannot be written ({cause})", EXIT_NOT_WRITABLE
        if error.errno == errno.ENOENT:
            return f"{where}: does not exist", EXIT_MISSING
        return f"{where}: {cause}", EXIT_ENVIRONMENT
    if isinstance(error, duckdb.Error):
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        code = classify_message(message)
        if code is not None:
            return f"warehouse: {message}", code
    return None


def _warehouse_folder() -> str:
    from orchestration.settings import warehouse_path

    return f"{warehouse_path().parent} (the warehouse folder)"


def fault_log_path(command: str) -> Path:
    """A fault log name unique per process: <warehouse folder>/logs, else the temporary folder."""
    from orchestration.settings import warehouse_path

    name = f"secops-{command}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{unique_run_token()}.log"
    for folder in (warehouse_path().parent / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.touch()
            return path
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / name


def unique_run_token() -> str:
    """pid and a random part: two runs started in the same second never share a log name."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _sigterm_as_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def guarded(command: str, handler: Callable[[], int]) -> int:
    """Run a command; say any fault in one `problem:` line and return its exit code."""
    if threading.current_thread() is threading.main_thread():
        # SIGTERM stops a run as Ctrl-C does: each file loads in one transaction, so the
        # file being loaded is rolled back and every file before it stays loaded.
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        return handler()
    except KeyboardInterrupt:
        print("problem: interrupted: the file being loaded was rolled back, files loaded before "
              "it are kept; run again to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RecursionError as error:
        return _internal(command, error, "input nested too deeply to read")
    except Exception as error:  # noqa: BLE001 - the one place every fault is turned into a line
        known = describe(error)
        if known is None:
            return _internal(command, error, f"{type(error).__name__}: {error}")
        line, code = known
        print(f"problem: {line}", file=sys.stderr)
        return code


def _internal(command: str, error: BaseException, summary: str) -> int:
    log = fault_log_path(command)
    try:
        log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
        where = f" (details in {log})"
    except OSError:
        where = ""
    first = summary.strip().splitlines()[0] if summary.strip() else type(error).__name__
    print(f"problem: unexpected error: {first}{where}", file=sys.stderr)
    return EXIT_INTERNAL
