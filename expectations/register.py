"""The register of measurement definitions, queryable as data_quality.measurement_definitions.

One row per metric and source entity: the operational definition (measurement_definitions.yaml,
naming METRICS.md), the source, its family's collection cadence and owners (owners.yaml).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from expectations.config import load_config
from orchestration.owners import owners_for

REGISTER_FILE = Path(__file__).with_name("measurement_definitions.yaml")


def register_rows(path: Path = REGISTER_FILE) -> list[tuple]:
    cadences = load_config().family_cadences
    rows = []
    for entry in yaml.safe_load(path.read_text()):
        for source in entry["sources"]:
            family, entity = source.split("/")
            rows.append((
                entry["metric"], f"metrics.{entry['table']}", entry["definition"].strip(), source,
                cadences.get(family), ", ".join(owners_for(family, entity)),
            ))
    return rows


def write_register(con: duckdb.DuckDBPyConnection) -> int:
    rows = register_rows()
    con.execute("CREATE SCHEMA IF NOT EXISTS data_quality")
    con.execute(
        """
        CREATE OR REPLACE TABLE data_quality.measurement_definitions (
            metric VARCHAR, metric_table VARCHAR, operational_definition VARCHAR,
            source_entity VARCHAR, cadence VARCHAR, owner VARCHAR
        )
        """
    )
    con.executemany("INSERT INTO data_quality.measurement_definitions VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
