"""DuckDB allows one writer per file, so every run executes its steps in one process, one at a time."""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=dg.in_process_executor)
