"""Where things are, from the environment, with defaults that work in a checkout.

SECOPS_LANDING     landing folder, one sub-folder per family   (default var/landing)
SECOPS_WAREHOUSE   DuckDB file                                 (default var/warehouse.duckdb)
SECOPS_DEFAULT_TZ  zone for timestamps written without offset  (default UTC)
SECOPS_MEMORY_LIMIT  DuckDB memory_limit for ingest and dbt    (default 2GB)
SECOPS_QUIET_SECONDS  a landing file unchanged this long is read (default 10; ingest/landing.py)
SECOPS_EARLIEST_TIMESTAMP  earlier timestamps are refused      (default 2000-01-01; ingest/casting.py)
SECOPS_DATA_DOCS   HTML page of the latest validations         (default data_docs/ beside the warehouse)
SECOPS_REPORTS     monthly reports, one folder per month       (default reports/ beside the warehouse)
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
