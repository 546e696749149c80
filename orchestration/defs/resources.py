"""Resources: the dbt CLI on the project in this repository."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import secops_dbt_project


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"dbt": DbtCliResource(project_dir=secops_dbt_project)})
