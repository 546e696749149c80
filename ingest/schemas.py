"""Canonical entities: the interchange contract of SOURCES.md as data.

Every export format, canonical CSV or vendor, ends up as rows of one of these
entities. The raw table of an entity is `raw.<table>`; its dbt source is
`source('<family>', '<table>')`, and its Dagster asset key is `[family, table]`,
so lineage joins without glue.

Column names here are the only identifiers ever placed in SQL by the loader:
nothing read from a file (header, value, file name) is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "timestamp", "double", "boolean"]

DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    required: bool = False
    # An optional canonical column (SOURCES.md "(optional: ...)") may be absent from a
    # canonical CSV; absent, it is blank for every row.
    optional: bool = False


@dataclass(frozen=True)
class Entity:
    family: str
    table: str
    columns: tuple[Column, ...]
    description: str
    # Event entities carry a natural key and are merged across exports
    # (METRICS.md, "Duplicate files"); snapshot entities never are.
    natural_key: str | None = None
    # The column(s) whose month says the family covers that month.
    coverage_columns: tuple[str, ...] = field(default_factory=tuple)
    # SOURCES.md gives the entity a canonical CSV section. Entities without one
    # (exploitation intelligence, which only comes in its vendor formats) are taken
    # from a canonical CSV only when its header has every canonical column, so the
    # canonical format never claims a vendor file (ingest/formats/canonical/csv_export.py).
    canonical_section: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def mandatory_columns(self) -> tuple[str, ...]:
        """The columns a canonical CSV of this entity must have (all but the optional ones)."""
        return tuple(c.name for c in self.columns if not c.optional)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type == "timestamp")

    @property
    def asset_key(self) -> tuple[str, str]:
        return (self.family, self.table)


def _cols(
    spec: str, types: dict[str, ColumnType], required: set[str], optional: set[str] = frozenset()
) -> tuple[Column, ...]:
    names = [n.strip() for n in spec.split(",")]
    unknown = (set(types) | required | set(optional)) - set(names)
    if unknown:
        raise ValueError(f"schema typo: {sorted(unknown)}")
    return tuple(Column(n, types.get(n, "text"), n in required, n in optional) for n in names)


FINDINGS = Entity(
    family="scanner",
    table="findings",
    description="Vulnerability findings; one scan_id of one asset is a full snapshot of that asset.",
    columns=_cols(
        "scan_id, scanned_at, scanner, asset_id, asset_environment, vulnerability_id, title, "
        "severity, cvss_score, exploited_in_wild, package, fixed_at, finding_class",
        {"scanned_at": "timestamp", "cvss_score": "double", "exploited_in_wild": "boolean",
         "fixed_at": "timestamp"},
        {"scan_id", "scanned_at", "scanner", "asset_id"},
        optional={"finding_class"},
    ),
    coverage_columns=("scanned_at",),
)

CERTIFICATES = Entity(
    family="scanner",
    table="certificates",
    description="Certificate observations; one observed_at is a snapshot of the certificates seen then.",
    columns=_cols(
        "observed_at, asset_id, asset_environment, subject, serial, not_before, not_after",
        {"observed_at": "timestamp", "not_before": "timestamp", "not_after": "timestamp"},
        {"observed_at", "asset_id", "not_after"},
    ),
    coverage_columns=("observed_at",),
)

IDENTITIES = Entity(
    family="iam",
    table="identities",
    description="Identity directory snapshots; one snapshot_at is a full snapshot of its directory.",
    columns=_cols(
        "snapshot_at, user_id, email, status, is_privileged, mfa_enabled, country, geography, "
        "terminated_at, disabled_at",
        {"snapshot_at": "timestamp", "is_privileged": "boolean", "mfa_enabled": "boolean",
         "terminated_at": "timestamp", "disabled_at": "timestamp"},
        {"snapshot_at", "user_id"},
    ),
    coverage_columns=("snapshot_at",),
)

ACCESS_REVIEWS = Entity(
    family="iam",
    table="access_reviews",
    description="Access-review items, merged across exports by item_id.",
    columns=_cols(
        "review_id, item_id, user_id, reviewer_id, due_at, decided_at, decision",
        {"due_at": "timestamp", "decided_at": "timestamp"},
        {"item_id"},
    ),
    natural_key="item_id",
)

ASSIGNMENTS = Entity(
    family="training",
    table="assignments",
    description="Security-training assignments, merged across exports by assignment_id.",
    columns=_cols(
        "assignment_id, user_id, course, required, assigned_at, due_at, completed_at, country",
        {"required": "boolean", "assigned_at": "timestamp", "due_at": "timestamp",
         "completed_at": "timestamp"},
        {"assignment_id", "user_id"},
    ),
    natural_key="assignment_id",
    coverage_columns=("due_at",),
)

PHISHING_RESULTS = Entity(
    family="training",
    table="phishing_results",
    description="Phishing-simulation e-mails, one row per e-mail sent (never merged).",
    columns=_cols(
        "campaign_id, user_id, sent_at, delivered, clicked_at, reported_at, country",
        {"sent_at": "timestamp", "delivered": "boolean", "clicked_at": "timestamp",
         "reported_at": "timestamp"},
        {"campaign_id", "user_id", "sent_at"},
    ),
    coverage_columns=("sent_at",),
)

BACKUP_JOBS = Entity(
    family="backup",
    table="backup_jobs",
    description="Backup jobs, restore tests and DR tests, merged across exports by job_id.",
    columns=_cols(
        "job_id, system_id, job_type, started_at, completed_at, status, encrypted, asset_environment",
        {"started_at": "timestamp", "completed_at": "timestamp", "encrypted": "boolean"},
        {"job_id", "job_type", "started_at"},
    ),
    natural_key="job_id",
    coverage_columns=("started_at",),
)

INCIDENTS = Entity(
    family="incident",
    table="incidents",
    description="Security, availability and other incidents, merged across exports by incident_id.",
    columns=_cols(
        "incident_id, title, category, severity, service, geography, occurred_at, detected_at, "
        "acknowledged_at, resolved_at, change_id, root_cause_category",
        {"occurred_at": "timestamp", "detected_at": "timestamp", "acknowledged_at": "timestamp",
         "resolved_at": "timestamp"},
        {"incident_id", "category", "severity"},
    ),
    natural_key="incident_id",
    coverage_columns=("occurred_at",),
)

KEV_CATALOG = Entity(
    family="scanner",
    table="kev_catalog",
    description=(
        "Known-exploited catalogue entries (CISA KEV CSV/JSON), one row per entry of each "
        "catalogue file; versions are unioned in dbt, an entry's earliest date_added counting."
    ),
    columns=_cols(
        "cve_id, vendor_project, product, vulnerability_name, date_added, due_date, "
        "known_ransomware_campaign_use, catalog_version, date_released",
        {"date_added": "timestamp", "date_released": "timestamp"},
        {"cve_id", "date_added"},
    ),
    # enrichment, not evidence: a catalogue does not make the scanner family cover a month
    coverage_columns=(),
    canonical_section=False,
)

EPSS_SCORES = Entity(
    family="scanner",
    table="epss_scores",
    description=(
        "FIRST EPSS scores, one row per CVE of each daily score file; kept as their own "
        "columns, they never make a finding exploited."
    ),
    columns=_cols(
        "cve, epss, percentile, model_version, score_date",
        {"epss": "double", "percentile": "double", "score_date": "timestamp"},
        {"cve"},
    ),
    coverage_columns=(),
    canonical_section=False,
)

ENTITIES: tuple[Entity, ...] = (
    FINDINGS, CERTIFICATES, IDENTITIES, ACCESS_REVIEWS,
    ASSIGNMENTS, PHISHING_RESULTS, BACKUP_JOBS, INCIDENTS,
    KEV_CATALOG, EPSS_SCORES,
)
ENTITIES_BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES}
# The entities with a canonical CSV section in SOURCES.md (what `secops generate` writes).
CANONICAL_ENTITIES: tuple[Entity, ...] = tuple(e for e in ENTITIES if e.canonical_section)
FAMILIES: tuple[str, ...] = ("scanner", "iam", "training", "backup", "incident")

# Lineage columns every raw table carries after the canonical ones.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_extra", "JSON"),                # columns the export had beyond the canonical ones
    ("_source_file", "VARCHAR"),       # path relative to the landing folder
    ("_source_sha256", "VARCHAR"),
    ("_format", "VARCHAR"),            # detected export format; an identity directory is one format
    ("_source_row", "BIGINT"),         # 1-based record number after the header
    ("_loaded_at", "TIMESTAMPTZ"),
    ("_naive_timestamps", "INTEGER"),  # timestamp fields read without an offset
    ("_withdrawn", "BOOLEAN"),         # the file was taken back with `secops withdraw`
)


def entities_of(family: str) -> tuple[Entity, ...]:
    return tuple(e for e in ENTITIES if e.family == family)
