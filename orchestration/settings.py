"""Where things are, from the environment, with defaults that work in a checkout.

SECOPS_LANDING     landing folder, one sub-folder per family   (default var/landing)
SECOPS_WAREHOUSE   DuckDB file                                 (default var/warehouse.duckdb)
SECOPS_DEFAULT_TZ  zone for timestamps written without offset  (default UTC)
SECOPS_MEMORY_LIMIT  DuckDB memory_limit for ingest and dbt    (default 2GB)
SECOPS_QUIET_SECONDS  a landing file unchanged this long is read (default 10; ingest/landing.py)
SECOPS_EARLIEST_TIMESTAMP  earlier timestamps are refused      (default 2000-01-01; ingest/casting.py)
SECOPS_DATA_DOCS   HTML page of the latest validations         (default data_docs/ beside the warehouse)
SECOPS_REPORTS     monthly reports, one folder per month       (default reports/ beside the warehouse)
SECOPS_BI_FILE     the BI snapshot (publish/bi_snapshot.py)    (default bi/<warehouse file name> beside it)
SECOPS_BI_STORAGE_VERSION  the snapshot's DuckDB storage format (default the oldest that holds its types)
SECOPS_LOCK_WAIT_SECONDS   how long a run waits for another writer (default 600; orchestration/writer_lock.py)
SECOPS_DBT_RUNS    dbt's target and log folders of the runs     (default dbt_runs/ beside the warehouse)
SECOPS_DBT_RUNS_KEEP  how many of them are kept, newest first  (default 4)
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
OWNERS_FILE = REPO_ROOT / "owners.yaml"


def _path(env_name: str, default: Path) -> Path:
    value = os.environ.get(env_name)
    return Path(value).expanduser().resolve() if value else default


def landing_dir() -> Path:
    return _path("SECOPS_LANDING", REPO_ROOT / "var" / "landing")


def warehouse_path() -> Path:
    return _path("SECOPS_WAREHOUSE", REPO_ROOT / "var" / "warehouse.duckdb")


def default_timezone() -> str:
    return os.environ.get("SECOPS_DEFAULT_TZ", "UTC")


def data_docs_dir() -> Path:
    return _path("SECOPS_DATA_DOCS", warehouse_path().parent / "data_docs")


def reports_dir() -> Path:
    return _path("SECOPS_REPORTS", warehouse_path().parent / "reports")


DEFAULT_DBT_RUNS_KEEP = 4  # the last two runs: each runs two dbt builds (foundation, metrics)


def dbt_runs_dir() -> Path:
    return _path("SECOPS_DBT_RUNS", warehouse_path().parent / "dbt_runs")


def dbt_runs_keep() -> int:
    text = os.environ.get("SECOPS_DBT_RUNS_KEEP", "").strip()
    if not text:
        return DEFAULT_DBT_RUNS_KEEP
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"SECOPS_DBT_RUNS_KEEP must be a whole number >= 1, not {text!r}")
    return int(text)
