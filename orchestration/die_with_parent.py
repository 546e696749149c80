"""`secops-dbt`: the dbt that Dagster starts, dying with the process that started it.

dagster-dbt starts dbt with a plain subprocess.Popen (no preexec hook), so when
`secops run` is killed (even with SIGKILL) its dbt child would keep running and
keep the warehouse file open. This console script (installed beside the
interpreter by `pip install`, so no PATH or environment is needed) asks Linux to
send it SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG, which survives
exec), then becomes the dbt installed beside the same interpreter. Elsewhere than
Linux it simply becomes dbt. `SECOPS_DBT_EXECUTABLE` names another program (the
reliability tests run `sleep` through it); nothing sets it by default.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def real_dbt() -> str:
    """The dbt beside this interpreter (the venv's), unless SECOPS_DBT_EXECUTABLE names another."""
    return os.environ.get("SECOPS_DBT_EXECUTABLE") or str(Path(sys.executable).parent / "dbt")


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(1)
    program = real_dbt()
    os.execvp(program, [program, *sys.argv[1:]])


if __name__ == "__main__":
    main()
