"""Resources: the dbt CLI on the project in this repository."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import secops_dbt_project

# dagster-dbt starts dbt with a plain Popen: `secops-dbt`, installed beside this interpreter,
# becomes the venv's dbt and dies with the run that started it, even one killed with SIGKILL
# (orchestration/die_with_parent.py). Beside the interpreter, so runs need no PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "secops-dbt")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=secops_dbt_project, dbt_executable=DBT_EXECUTABLE)}
    )
