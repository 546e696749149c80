"""Resources: the dbt CLI on the project in this repository."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import secops_dbt_project

# The dbt installed beside this interpreter, so runs work without the venv on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=secops_dbt_project, dbt_executable=DBT_EXECUTABLE)}
    )
