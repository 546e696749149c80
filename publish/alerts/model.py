"""What an alert says: plain data, no Dagster, no I/O.

An `Alert` is one failing check in one run (or one failed pipeline run). Its owners
are "team:<name>" strings from owners.yaml; each owning team gets it once per channel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

SEVERITIES = ("ERROR", "WARN")
PIPELINE_CHECK = "run_failed"
MAX_SAMPLE_VALUES = 10


def asset_key_string(key: Any) -> str:
    """"scanner/findings" from an AssetKey, a sequence of parts or a string."""
    if isinstance(key, str):
        return key
    path = getattr(key, "path", key)
    return "/".join(str(part) for part in path)


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str                      # e.g. expect_column_values_to_not_be_null
    column: str | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample_values: tuple[Any, ...] = ()   # a few of the unexpected values
    observed_value: Any = None            # for aggregate expectations (row counts, means)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sample_values", tuple(self.sample_values or ())[:MAX_SAMPLE_VALUES])


def _as_expectation(value: FailedExpectation | Mapping[str, Any]) -> FailedExpectation:
    if isinstance(value, FailedExpectation):
        return value
    return FailedExpectation(**dict(value))


@dataclass(frozen=True)
class Alert:
    run_id: str
    asset: str                                   # asset key as a string, "scanner/findings"
    check_name: str
    severity: str                                # ERROR (blocking) or WARN
    owners: tuple[str, ...]                      # "team:<name>" (or e-mail addresses)
    failed_expectations: tuple[FailedExpectation, ...] = ()
    summary: str = ""
    link: str | None = None                      # URL or report path
    failed_steps: tuple[str, ...] = ()           # pipeline failures: the steps that failed
    # A notification that is not a failed check (an SLO breach): its own title, and the
    # facts shown instead of asset/check/severity (label, value).
    title_text: str | None = None
    facts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        severity = str(self.severity).upper()
        if severity == "WARNING":
            severity = "WARN"
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "asset", asset_key_string(self.asset))
        object.__setattr__(self, "owners", tuple(dict.fromkeys(self.owners)))
        object.__setattr__(
            self, "failed_expectations", tuple(_as_expectation(e) for e in self.failed_expectations)
        )
        object.__setattr__(self, "failed_steps", tuple(self.failed_steps))
        object.__setattr__(self, "facts", tuple((str(k), str(v)) for k, v in self.facts))

    @property
    def is_pipeline_failure(self) -> bool:
        return self.check_name == PIPELINE_CHECK and self.asset.startswith("job:")

    def failure_names(self) -> list[str]:
        """What makes two failures "the same": the failed expectations (or failed steps), sorted."""
        names = {e.expectation if not e.column else f"{e.expectation}:{e.column}" for e in self.failed_expectations}
        names |= {f"step:{s}" for s in self.failed_steps}
        return sorted(names)


def fingerprint(alert: Alert, team: str, channel: str) -> str:
    """sha256 of asset, check, the sorted failure names, team and channel."""
    parts = [alert.asset, alert.check_name, *alert.failure_names(), "|", team, channel]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def pipeline_failure_alert(
    run_id: str,
    job_name: str,
    error: str,
    *,
    owners: Sequence[str] | None = None,
    failed_steps: Iterable[str] = (),
    link: str | None = None,
) -> Alert:
    """The alert for a failed pipeline run, to the pipeline's owners (owners.yaml) unless given."""
    if owners is None:
        from orchestration.owners import pipeline_owners

        owners = pipeline_owners()
    return Alert(
        run_id=run_id,
        asset=f"job:{job_name}",
        check_name=PIPELINE_CHECK,
        severity="ERROR",
        owners=tuple(owners),
        summary=str(error or "the run failed"),
        link=link,
        failed_steps=tuple(failed_steps),
    )


def check_failure_alert(
    run_id: str,
    asset_key: Any,
    check_name: str,
    *,
    severity: str = "ERROR",
    failed_expectations: Iterable[FailedExpectation | Mapping[str, Any]] = (),
    summary: str = "",
    owners: Sequence[str] | None = None,
    link: str | None = None,
) -> Alert:
    """The alert for a failing check; owners default to the asset's owners (owners.yaml)."""
    if owners is None:
        from orchestration.owners import owners_for_asset

        owners = owners_for_asset(asset_key_string(asset_key))
    return Alert(
        run_id=run_id,
        asset=asset_key_string(asset_key),
        check_name=check_name,
        severity=severity,
        owners=tuple(owners),
        failed_expectations=tuple(failed_expectations),
        summary=summary,
        link=link,
    )


__all__ = [
    "Alert",
    "FailedExpectation",
    "PIPELINE_CHECK",
    "asset_key_string",
    "check_failure_alert",
    "fingerprint",
    "pipeline_failure_alert",
]
