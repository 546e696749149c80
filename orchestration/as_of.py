"""The evaluation time of a run (METRICS.md: `as_of`).

A run carries it in the tag `secops/as_of` (ISO 8601, UTC); without the tag
it is the run's start, so a rerun with the same tag reproduces an evaluation.
"""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

AS_OF_TAG = "secops/as_of"


def parse_as_of(text: str) -> datetime:
    """Parse an ISO 8601 instant; one without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"as_of {text!r} is not an ISO 8601 timestamp") from error
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_as_of(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def run_as_of(context: dg.AssetExecutionContext) -> datetime:
    tag = context.run.tags.get(AS_OF_TAG)
    return parse_as_of(tag) if tag else now_utc()
