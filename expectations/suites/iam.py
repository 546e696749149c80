"""IAM family: identity snapshots per directory and access review items (SOURCES.md "iam")."""

from __future__ import annotations

from expectations.spec import Suite, as_of_query, expect
from expectations.suites._common import in_set, required, timeliness, unique

# The directory of an identity is its export format (METRICS.md: snapshots are
# complete for their own directory only), so a user_id is unique per directory snapshot.
_IDENTITIES = """
select identities.* replace (lower(trim(identities.status)) as status),
       people.geography as resolved_geography
from staging.stg_iam__identities as identities
left join intermediate.int_identity_snapshots as people
    on people.directory = identities._format
    and people.snapshot_at = identities.snapshot_at
    and people.user_id = identities.user_id
where identities.snapshot_at is null or identities.snapshot_at <= getvariable('secops_as_of')
"""


def _identities(gx, ctx):
    return [
        *required(gx, "snapshot_at", "user_id"),
        expect(
            gx.expectations.ExpectColumnValuesToBeInSet,
            "completeness",
            # kept under UNKNOWN and counted, never dropped (SOURCES.md "Geography"): WARN
            severity="warn",
            column="resolved_geography",
            value_set=["AMER", "EMEA", "APAC"],
            mostly=ctx.config.thresholds["geography_resolved"],
        ),
        in_set(gx, "status", ["active", "suspended", "deprovisioned"]),
        unique(gx, "_format", "snapshot_at", "user_id"),
        *timeliness(gx, ctx, "iam", "snapshot_at"),
    ]


def _access_review_items(gx, ctx):
    return [
        *required(gx, "item_id", "due_at"),
        unique(gx, "item_id"),
        *timeliness(gx, ctx, "iam", "due_at", fresh=False),
    ]


SUITES = [
    Suite(
        name="iam.identities",
        asset_key=("iam", "identities"),
        relation="staging.stg_iam__identities",
        query=_IDENTITIES,
        build=_identities,
        also_reads=("intermediate.int_identity_snapshots",),
        dimensions=("completeness", "validity", "uniqueness", "timeliness"),
        description="Identity snapshots: required fields, geography resolved for most people, status words, one row per user per directory snapshot, timeliness.",
    ),
    Suite(
        name="iam.access_reviews",
        asset_key=("iam", "access_reviews"),
        relation="intermediate.int_access_review_items_merged",
        query=as_of_query("intermediate.int_access_review_items_merged", "due_at"),
        build=_access_review_items,
        dimensions=("completeness", "uniqueness", "timeliness"),
        description="Access review items, merged by item_id: required fields, one record per item, no timestamp after its load.",
    ),
]
