"""Dagster orchestration of secops-metrics: definitions, assets, checks, the `secops` CLI."""
