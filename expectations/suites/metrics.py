"""One suite per metrics.* table: what BI tools read must hold its own definition.

Rates are fractions in [0, 1], DPMO is in [0, 1e6], numerators never exceed their
denominators, statuses and enumerations are the documented words, keys are unique,
every row stores its as_of and, where the table is keyed by a period, whether that
period is complete at as_of; `pending` only in a period in progress (METRICS.md
"Conventions"). A failure here is a defect of the pipeline, not of a source: every
expectation is ERROR.
"""

from __future__ import annotations

from expectations.spec import Suite, expect
from expectations.suites._common import in_set, ordered, required, unique

# A target's status (METRICS.md "Conventions"); pending exists only in a period in progress.
STATUSES = ["met", "breached", "pending", "no_data"]
# The error budget is never pending: an overspent budget has already been spent.
BUDGET_STATUSES = ["met", "breached", "no_data"]
GEOGRAPHIES = ["ALL", "AMER", "EMEA", "APAC", "UNKNOWN"]
# METRICS.md "Six Sigma" and "Finding classes" (configuration_and_code), plus 'all'
PROCESSES = [
    "patch_management", "configuration_and_code", "mfa_enforcement", "certificate_management", "backup",
    "restore_testing", "access_review", "deprovisioning", "training", "incident_detection", "all",
]
FINDING_CLASSES = ["vulnerability", "misconfiguration", "secret", "code"]


def _rate(gx, column):
    return expect(gx.expectations.ExpectColumnValuesToBeBetween, "validity", "error", column=column, min_value=0, max_value=1)


def _not_negative(gx, column):
    return expect(gx.expectations.ExpectColumnValuesToBeBetween, "validity", "error", column=column, min_value=0)


def _at_most(gx, part, whole):
    return ordered(gx, whole, part, severity="error")


def _in_set(gx, column, values):
    return in_set(gx, column, values, severity="error")


def _key(gx, *columns):
    return unique(gx, *columns, severity="error")


def _present(gx, *columns):
    return required(gx, *columns, severity="error")


def _status_in_its_period(gx, statuses):
    """The status is one of `statuses`, and pending only where period_complete is false."""
    pairs = [(status, complete) for status in statuses for complete in (True, False)
             if not (status == "pending" and complete)]
    return expect(gx.expectations.ExpectColumnPairValuesToBeInSet, "validity", "error",
                  column_A="status", column_B="period_complete", value_pairs_set=pairs)


def _security_slo(gx, ctx):
    return [
        *_present(gx, "month", "slo_id", "status", "period_complete", "as_of"),
        _key(gx, "month", "slo_id"),
        _in_set(gx, "status", STATUSES),
        _status_in_its_period(gx, STATUSES),
        _at_most(gx, "numerator", "denominator"),
        _not_negative(gx, "numerator"),
    ]


def _incident_response(gx, ctx):
    return [
        *_present(gx, "month", "severity", "geography", "incidents", "period_complete", "as_of"),
        _key(gx, "month", "severity", "geography"),
        _in_set(gx, "geography", GEOGRAPHIES),
        *[_not_negative(gx, c) for c in ("mttd_hours", "mttr_hours", "mttd_p90_hours", "mttr_p90_hours")],
        _at_most(gx, "resolved_incidents", "incidents"),
        _at_most(gx, "change_induced_incidents", "incidents"),
    ]


def _training(period):
    def build(gx, ctx):
        return [
            *_present(gx, period, "geography", "period_complete", "as_of"),
            _key(gx, period, "geography"),
            _in_set(gx, "geography", GEOGRAPHIES),
            *[_rate(gx, c) for c in ("completion_rate", "click_rate", "report_rate")],
            _at_most(gx, "completed_on_time", "assignments_due"),
            _at_most(gx, "phishing_clicked", "phishing_delivered"),
            _at_most(gx, "phishing_reported", "phishing_delivered"),
        ]
    return build


def _dpmo(gx, ctx):
    return [
        *_present(gx, "month", "process", "period_complete", "as_of"),
        _key(gx, "month", "process"),
        _in_set(gx, "process", PROCESSES),
        expect(gx.expectations.ExpectColumnValuesToBeBetween, "validity", "error", column="dpmo", min_value=0, max_value=1_000_000),
        _at_most(gx, "defects", "opportunities"),
    ]


def _error_budget(gx, ctx):
    return [
        *_present(gx, "month", "dimension", "status", "period_complete", "as_of"),
        _key(gx, "month", "dimension"),
        _in_set(gx, "status", BUDGET_STATUSES),
        _in_set(gx, "dimension", ["availability", "security_incident", "vulnerability_debt", "compliance_drift"]),
        _not_negative(gx, "consumed"),
        _rate(gx, "elapsed_fraction"),
    ]


def _control_chart(gx, ctx):
    return [
        *_present(gx, "month", "process", "chart", "period_complete", "as_of"),
        _key(gx, "month", "process", "chart"),
        _in_set(gx, "process", [*PROCESSES, "mttd"]),
        _in_set(gx, "chart", ["p", "XmR"]),
        _not_negative(gx, "lcl"),
        _at_most(gx, "lcl", "ucl"),
    ]


def _pareto(gx, ctx):
    return [
        *_present(gx, "month", "dimension", "category", "period_complete", "as_of"),
        _key(gx, "month", "dimension", "category"),
        _in_set(gx, "dimension", ["process", "root_cause"]),
        _rate(gx, "share"),
        _rate(gx, "cumulative_share"),
        _at_most(gx, "share", "cumulative_share"),
    ]


def _acknowledgement(gx, ctx):
    return [
        *_present(gx, "month", "geography", "period_complete", "as_of"),
        _key(gx, "month", "geography"),
        _in_set(gx, "geography", GEOGRAPHIES),
        _rate(gx, "ack_rate"),
        _at_most(gx, "acknowledged_within_15m", "incidents"),
    ]


def _scorecard(gx, ctx):
    return [
        *_present(gx, "metric", "period", "period_start", "status", "period_complete", "as_of"),
        _key(gx, "metric", "period", "period_start"),
        _in_set(gx, "period", ["month", "week", "quarter"]),
        _in_set(gx, "status", STATUSES),
        _status_in_its_period(gx, STATUSES),
    ]


def _data_quality(gx, ctx):
    return [
        *_present(gx, "month", "family", "entity", "status", "period_complete", "as_of"),
        _key(gx, "month", "family", "entity"),
        *[_rate(gx, c) for c in ("completeness", "validity", "uniqueness", "timeliness", "consistency")],
    ]


def _remediation(gx, ctx):
    return [
        *_present(gx, "finding_instance_id", "scanner", "asset_id", "first_seen_at", "state", "finding_class", "as_of"),
        _key(gx, "finding_instance_id"),
        _in_set(gx, "finding_class", FINDING_CLASSES),
        _in_set(gx, "state", ["open", "open_past_due", "fixed_in_window", "fixed_late"]),
        _in_set(gx, "severity", ["critical", "high", "medium", "low", "info"]),
        _in_set(gx, "exploited_source", ["scanner", "kev"]),
        _at_most(gx, "first_seen_at", "fixed_at"),
        _not_negative(gx, "hours_past_due"),
    ]


def _ageing(gx, ctx):
    return [
        *_present(gx, "severity", "age_bucket", "open_instances", "as_of"),
        _key(gx, "severity", "age_bucket"),
        _in_set(gx, "age_bucket", ["ALL", "0-30", "30-90", "90-180", "180+"]),
        _at_most(gx, "open_past_due", "open_instances"),
        _at_most(gx, "open_exploited", "open_instances"),
    ]


def _action_items(gx, ctx):
    return [
        *_present(gx, "category", "subject", "as_of"),
        _in_set(gx, "category", [
            "finding_past_due", "privileged_without_mfa", "expired_certificate", "training_overdue",
            "deprovisioning_late", "backup_failed", "restore_test_missing", "review_overdue",
        ]),
    ]


def _table(table, build, dimensions, description):
    return Suite(
        name=f"metrics.{table}",
        asset_key=("metrics", table),
        relation=f"metrics.{table}",
        query=f"select * from metrics.{table}",
        build=build,
        dimensions=dimensions,
        description=description,
    )


_CVU = ("completeness", "validity", "uniqueness")

SUITES = [
    _table("security_slo_monthly", _security_slo, _CVU, "One row per month and SLO; status word, pending only in the month in progress; numerator <= denominator."),
    _table("incident_response_monthly", _incident_response, _CVU, "Durations not negative; resolved and change-induced <= incidents."),
    _table("training_monthly", _training("month"), _CVU, "Rates in [0, 1]; completed, clicked, reported <= their populations."),
    _table("training_quarterly", _training("quarter"), _CVU, "As training_monthly, per quarter."),
    _table("dpmo_monthly", _dpmo, _CVU, "Process words; DPMO in [0, 1e6]; defects <= opportunities."),
    _table("error_budget_monthly", _error_budget, _CVU, "Dimensions and statuses; consumption not negative; elapsed fraction in [0, 1]."),
    _table("control_chart_monthly", _control_chart, _CVU, "One point per month, process and chart; lcl >= 0 and <= ucl."),
    _table("defect_pareto_monthly", _pareto, _CVU, "Shares in [0, 1]; cumulative share >= share."),
    _table("incident_acknowledgement_monthly", _acknowledgement, _CVU, "Acknowledgement rate in [0, 1]; on-time <= incidents."),
    _table("opex_scorecard", _scorecard, _CVU, "One row per metric and period; period and status words, pending only in the period in progress."),
    _table("data_quality_monthly", _data_quality, _CVU, "Scores in [0, 1]; one row per month, family and entity."),
    _table("vulnerability_remediation", _remediation, _CVU, "One row per finding instance; state, severity, class and source words; fixed after first seen."),
    _table("vulnerability_ageing", _ageing, _CVU, "Open instances by severity and age bucket; past due and exploited <= open."),
    _table("action_items", _action_items, ("completeness", "validity"), "Category words; every item names its subject."),
]
