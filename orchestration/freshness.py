"""How late a raw entity may be, and what a raw table looks like, for the Dagster UI.

The window is the one the Great Expectations timeliness check uses: the family's cadence
in owners.yaml, in hours with its grace (expectations/config.yaml `cadence_hours`), and
the same time column (expectations/suites/*: `timeliness(..., fresh=True)`). An entity
whose family has no cadence hours (incidents: event-driven) or whose suite does not
judge its newest record (reference catalogues, access reviews) has no window.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from expectations.config import load_config
from ingest.schemas import DUCKDB_TYPES, LINEAGE_COLUMNS, Entity

# The column whose newest value says how current an entity is: the column the raw suite's
# freshness expectation (ExpectColumnMaxToBeBetween) reads. tests/orchestration/test_freshness.py
# proves the two agree.
FRESHNESS_COLUMNS: dict[tuple[str, str], str] = {
    ("scanner", "findings"): "scanned_at",
    ("scanner", "certificates"): "observed_at",
    ("iam", "identities"): "snapshot_at",
    ("training", "assignments"): "assigned_at",
    ("training", "phishing_results"): "sent_at",
    ("backup", "backup_jobs"): "started_at",
}

_LINEAGE_DESCRIPTIONS = {
    "_extra": "columns the export had beyond the canonical ones (JSON)",
    "_source_file": "path of the export file under the landing folder",
    "_source_sha256": "SHA-256 of the export file",
    "_format": "detected export format",
    "_source_row": "1-based record number in the file",
    "_loaded_at": "when the row was loaded",
    "_naive_timestamps": "timestamp fields read without an offset (in SECOPS_DEFAULT_TZ)",
    "_withdrawn": "the file was taken back with `secops withdraw`",
}


def freshness_column(entity: Entity) -> str | None:
    return FRESHNESS_COLUMNS.get(entity.asset_key)


def freshness_window(entity: Entity) -> timedelta | None:
    """How old the entity's newest record may be before its family is late; None: never late."""
    if freshness_column(entity) is None:
        return None
    return load_config().freshness_window(entity.family)


def freshness_policy(entity: Entity) -> dg.FreshnessPolicy | None:
    window = freshness_window(entity)
    return None if window is None else dg.FreshnessPolicy.time_window(fail_window=window)


def table_schema(entity: Entity) -> dg.TableSchema:
    """raw.<table> as created by ingest (ingest/schemas.py): canonical columns, then lineage."""
    columns = [
        dg.TableColumn(
            name=column.name,
            type=DUCKDB_TYPES[column.type],
            description="required: a row without it goes to ingest.rejected_rows" if column.required else None,
            constraints=dg.TableColumnConstraints(nullable=not column.required),
        )
        for column in entity.columns
    ]
    columns += [
        dg.TableColumn(name=name, type=sql_type, description=_LINEAGE_DESCRIPTIONS.get(name))
        for name, sql_type in LINEAGE_COLUMNS
    ]
    return dg.TableSchema(columns=columns)
