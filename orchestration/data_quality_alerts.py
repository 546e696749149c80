"""Failed checks of a run, told to the owners of their assets (owners.yaml) by e-mail and webhook."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from publish.alerts import FailedExpectation, check_failure_alert, deliver_alerts
from orchestration.settings import data_docs_dir


def alerts_for_verdicts(run_id: str, verdicts: Iterable) -> list:
    """One alert per failed check (an asset's dimension), naming its failed expectations."""
    page = str(data_docs_dir() / "index.html")
    return [
        check_failure_alert(
            run_id,
            list(verdict.asset_key),
            verdict.dimension,
            severity=verdict.severity,
            failed_expectations=[
                FailedExpectation(
                    expectation=o.expectation,
                    column=o.column or None,
                    unexpected_count=o.unexpected_count,
                    unexpected_percent=o.unexpected_percent,
                    sample_values=o.sample_values,
                    observed_value=o.observed_value or o.error,
                )
                for o in verdict.failed
            ],
            summary=verdict.summary,
            link=page,
        )
        for verdict in verdicts
        if not verdict.passed
    ]


def alert_failed_checks(con: duckdb.DuckDBPyConnection, context, verdicts: Iterable) -> None:
    """Deliver the alerts of the failed verdicts; delivery problems are logged, never raised."""
    alerts = alerts_for_verdicts(context.run.run_id, verdicts)
    if not alerts:
        return
    outcomes = deliver_alerts(con, alerts)
    by_status: dict[str, int] = {}
    for outcome in outcomes:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + 1
    context.log.info(
        f"{len(alerts)} failed checks alerted to their owners: "
        + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    )
