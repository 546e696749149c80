"""Incident family: incident records merged by incident_id (SOURCES.md "incident")."""

from __future__ import annotations

from expectations.spec import Suite, as_of_query, expect
from expectations.suites._common import in_set, ordered, required, timeliness, unique


def _incidents(gx, ctx):
    return [
        *required(gx, "incident_id", "category", "severity"),
        # Blank occurred_at / detected_at put an incident outside MTTD and the P1 SLO
        # (METRICS.md "Edge rules"): counted here.
        *[
            expect(
                gx.expectations.ExpectColumnValuesToNotBeNull,
                "completeness",
                column=column,
                mostly=ctx.config.thresholds["incident_times_present"],
            )
            for column in ("occurred_at", "detected_at")
        ],
        in_set(gx, "category", ["security", "availability", "other"]),
        in_set(gx, "severity", ["P1", "P2", "P3", "P4"]),
        in_set(gx, "root_cause_category", ["people", "process", "technology", "environment"]),
        # The exclusions of METRICS.md: detected before it occurred, resolved before detected.
        ordered(gx, "detected_at", "occurred_at"),
        ordered(gx, "resolved_at", "detected_at"),
        ordered(gx, "acknowledged_at", "detected_at"),
        unique(gx, "incident_id"),
        # Quiet months are normal for incidents: no freshness check (owners.yaml cadence).
        *timeliness(gx, ctx, "incident", "detected_at"),
    ]


SUITES = [
    Suite(
        name="incident.incidents",
        asset_key=("incident", "incidents"),
        relation="intermediate.int_incidents_merged",
        query=as_of_query(
            "intermediate.int_incidents_merged", "detected_at",
            "* replace (lower(trim(category)) as category, upper(trim(severity)) as severity,"
            " lower(trim(root_cause_category)) as root_cause_category)",
        ),
        build=_incidents,
        dimensions=("completeness", "validity", "uniqueness", "timeliness"),
        description="Incidents, merged by incident_id: required fields, occurrence and detection times present, category/severity/root-cause words, detected >= occurred, resolved and acknowledged >= detected, timeliness.",
    ),
]
