"""A run leaves nothing in the checkout, and its dbt files are bounded (orchestration/dbt_runs.py).

Two `secops run`s of a landing folder holding only the incident export of
tests/orchestration/landing, with SECOPS_DBT_RUNS_KEEP=3: each run invokes dbt twice
(foundation, metrics), so 4 invocation folders are written and at most 3 remain.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration import dbt_runs
from orchestration.cli import main
from orchestration.settings import REPO_ROOT

FIXTURE_LANDING = Path(__file__).parent / "landing"
# Written by Python and pytest themselves, not by a run.
NOT_OF_A_RUN = {".venv", ".git", ".pytest_cache", "__pycache__"}


def checkout_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the checkout (but NOT_OF_A_RUN) with its size and modification time."""
    files: dict[str, tuple[int, int]] = {}
    for folder, names, filenames in os.walk(root):
        names[:] = [n for n in names if n not in NOT_OF_A_RUN and not n.endswith(".egg-info")]
        for name in filenames:
            path = Path(folder, name)
            stat = path.stat()
            files[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, restore_environment):
    from orchestration.definitions import defs

    defs()  # a stale manifest is parsed when definitions load, before the first snapshot
    base = tmp_path_factory.mktemp("run_files")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    (landing / "incident").mkdir(parents=True)
    shutil.copy(FIXTURE_LANDING / "incident" / "incidents_2026-09.csv", landing / "incident")
    os.environ["SECOPS_DBT_RUNS_KEEP"] = "3"
    os.environ.pop("SECOPS_DBT_RUNS", None)
    before = checkout_files(REPO_ROOT)
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    codes = (main([*args, "--as-of", "2026-10-15T00:00:00Z"]), main([*args, "--as-of", "2026-10-16T00:00:00Z"]))
    return {"codes": codes, "before": before, "after": checkout_files(REPO_ROOT), "base": base}


def test_both_runs_succeed(two_runs):
    assert two_runs["codes"] == (0, 0)


def test_nothing_of_a_run_lands_in_the_checkout(two_runs):
    before, after = two_runs["before"], two_runs["after"]
    # no file added anywhere in the checkout (sources edited meanwhile are not a run's doing)...
    assert sorted(set(after) - set(before)) == []
    # ...and dbt_project (its target folder included) exactly as before: same files, sizes, times
    assert {n: v for n, v in after.items() if n.startswith("dbt_project/")} == {
        n: v for n, v in before.items() if n.startswith("dbt_project/")
    }
    target = REPO_ROOT / "dbt_project" / "target"
    assert [p.name for p in target.iterdir() if p.is_dir()] == []  # no per-invocation folder there


def test_the_runs_dbt_folders_sit_beside_the_warehouse_newest_three_kept(two_runs):
    folder = two_runs["base"] / "dbt_runs"
    kept = dbt_runs.run_folders(folder)
    # 2 runs x 2 dbt builds = 4 written; SECOPS_DBT_RUNS_KEEP=3 -> 3 remain, the second run's
    # two builds among them
    assert len(kept) == 3
    assert sorted(p.name.split("-")[0] for p in kept[:2]) == ["secops_dbt_foundation", "secops_dbt_metrics"]
    for path in kept:
        assert (path / "run_results.json").is_file() and (path / "dbt.log").is_file()
    # everything of a run beside the warehouse: the DuckDB file, its writer lock, run logs, data
    # docs, reports, dbt runs and the BI snapshot
    assert {p.name for p in two_runs["base"].iterdir()} <= {
        "landing", "warehouse.duckdb", "warehouse.duckdb.lock", "logs", "data_docs", "reports", "dbt_runs", "bi",
    }


def test_prune_keeps_the_newest(tmp_path):
    for number in range(5):
        folder = tmp_path / f"build-{number}"
        folder.mkdir()
        os.utime(folder, ns=(number * 10**9, number * 10**9))  # build-4 newest
    removed = dbt_runs.prune(tmp_path, 2)
    assert sorted(p.name for p in removed) == ["build-0", "build-1", "build-2"]
    assert [p.name for p in dbt_runs.run_folders(tmp_path)] == ["build-4", "build-3"]
