"""Resources: the dbt CLI on the project in this repository."""

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import secops_dbt_project

# The dbt installed beside this interpreter, so runs work without the venv on PATH.
REAL_DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# dagster-dbt starts dbt with a plain Popen: this launcher makes it die with the run that started
# it, even one killed with SIGKILL (orchestration/bin/die-with-parent).
DBT_EXECUTABLE = str(Path(__file__).resolve().parent.parent / "bin" / "dbt")
os.environ.setdefault("SECOPS_DBT_EXECUTABLE", REAL_DBT_EXECUTABLE)
os.environ.setdefault("SECOPS_PYTHON", sys.executable)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=secops_dbt_project, dbt_executable=DBT_EXECUTABLE)}
    )
