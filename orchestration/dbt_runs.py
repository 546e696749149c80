"""Where a run's dbt invocations write their target and log files, and how many are kept.

dagster-dbt gives every `dbt build` its own target folder (manifest, run_results,
compiled SQL, dbt.log: about 15 MB for this project), by default inside
dbt_project/target, where they pile up run after run. Here each invocation writes to
`<dbt runs folder>/<op>-<run id>-<n>` (orchestration.settings.dbt_runs_dir: beside
the warehouse unless SECOPS_DBT_RUNS says otherwise), and before a new one starts the
older folders are removed so that, with it, at most `dbt_runs_keep()` remain (newest
kept: the last runs stay readable for debugging). Nothing of a run lands in the
repository checkout.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from orchestration.settings import dbt_runs_dir, dbt_runs_keep


def run_folders(folder: Path) -> list[Path]:
    """The invocation folders under `folder`, newest first."""
    if not folder.is_dir():
        return []
    entries = [path for path in folder.iterdir() if path.is_dir()]
    return sorted(entries, key=lambda path: (path.stat().st_mtime_ns, path.name), reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` invocation folders; return the removed ones."""
    removed = run_folders(folder)[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def new_target_path(op_name: str, run_id: str) -> Path:
    """A fresh target folder for one dbt invocation, after making room for it."""
    folder = dbt_runs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder, dbt_runs_keep() - 1)
    return folder / f"{op_name}-{run_id[:8]}-{uuid.uuid4().hex[:8]}"
