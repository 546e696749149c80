"""Training family: assignments and phishing simulations (SOURCES.md "training")."""

from __future__ import annotations

from expectations.spec import Suite, expect
from expectations.suites._common import ordered, required, timeliness, unique

# Whether the person is found among the identities (METRICS.md "People": user_id, else
# e-mail, case-insensitively) comes from the same model the metrics take geography from.
_ASSIGNMENTS = """
select assignments.*, people.person_in_directory, people.geography as resolved_geography
from intermediate.int_assignments_merged as assignments
left join intermediate.int_training_people_geography as people
    on people.event_type = 'assignment' and people.event_id = assignments.assignment_id
where assignments.assigned_at is null or assignments.assigned_at <= getvariable('secops_as_of')
"""


def _people_rules(gx, ctx) -> list:
    return [
        expect(
            gx.expectations.ExpectColumnValuesToBeInSet,
            "consistency",
            # such people are kept (geography UNKNOWN) and counted, not excluded: WARN
            severity="warn",
            column="person_in_directory",
            value_set=[True],
            mostly=ctx.config.thresholds["people_in_directory"],
        ),
        expect(
            gx.expectations.ExpectColumnValuesToBeInSet,
            "completeness",
            # kept under UNKNOWN and counted, never dropped (SOURCES.md "Geography"): WARN
            severity="warn",
            column="resolved_geography",
            value_set=["AMER", "EMEA", "APAC"],
            mostly=ctx.config.thresholds["geography_resolved"],
        ),
    ]


def _assignments(gx, ctx):
    return [
        *required(gx, "assignment_id", "user_id", "due_at"),
        ordered(gx, "completed_at", "assigned_at"),
        unique(gx, "assignment_id"),
        *_people_rules(gx, ctx),
        *timeliness(gx, ctx, "training", "assigned_at"),
    ]


def _phishing(gx, ctx):
    return [
        *required(gx, "campaign_id", "user_id", "sent_at"),
        ordered(gx, "clicked_at", "sent_at"),
        ordered(gx, "reported_at", "sent_at"),
        *_people_rules(gx, ctx),
        *timeliness(gx, ctx, "training", "sent_at"),
    ]


# A phishing row's key is the one int_phishing_emails_sent gives it (its export and record).
_PHISHING = """
select results.*, people.person_in_directory, people.geography as resolved_geography
from staging.stg_training__phishing_results as results
left join intermediate.int_phishing_emails_sent as sent
    on sent._source_sha256 = results._source_sha256 and sent._source_row = results._source_row
left join intermediate.int_training_people_geography as people
    on people.event_type = 'phishing' and people.event_id = sent.phishing_email_id
where results.sent_at is null or results.sent_at <= getvariable('secops_as_of')
"""

SUITES = [
    Suite(
        name="training.assignments",
        asset_key=("training", "assignments"),
        relation="intermediate.int_assignments_merged",
        query=_ASSIGNMENTS,
        build=_assignments,
        also_reads=("intermediate.int_training_people_geography",),
        dimensions=("completeness", "validity", "uniqueness", "timeliness", "consistency"),
        description="Training assignments, merged by assignment_id: required fields, completed_at >= assigned_at, people found among identities with a geography, timeliness.",
    ),
    Suite(
        name="training.phishing_results",
        asset_key=("training", "phishing_results"),
        relation="staging.stg_training__phishing_results",
        query=_PHISHING,
        build=_phishing,
        also_reads=("intermediate.int_phishing_emails_sent", "intermediate.int_training_people_geography"),
        dimensions=("completeness", "validity", "timeliness", "consistency"),
        description="Phishing simulation e-mails: required fields, clicks and reports after sending, people found among identities with a geography, timeliness.",
    ),
]
