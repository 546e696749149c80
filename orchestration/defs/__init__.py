"""Everything Dagster loads: one module per kind of definition."""
