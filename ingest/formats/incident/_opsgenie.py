"""Reading Opsgenie list responses (`{"data": [...], "took", "requestId", "paging"?}`), shared
by the alerts (v2) and incidents (v1) formats. Structure: Opsgenie REST API docs (Alert API
"List alerts", Incident API "List incidents"); the real incidents list in demisto/content
`Packs/OpsGenie/Integrations/OpsGenieV3/test_data/get_incidents_without_next.json` (MIT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ingest.formats._structure import first_record
from ingest.formats.base import ExportError
from ingest.formats.iam._json_records import load_json, record_list

# Keys only an alert / only an incident carries (Opsgenie API docs).
ALERT_KEYS = frozenset({"acknowledged", "isSeen", "alias", "count", "lastOccurredAt", "integration", "snoozed"})
INCIDENT_KEYS = frozenset({"impactStartDate", "impactedServices", "impactEndDate", "extraProperties"})
ISO_MS = "%Y-%m-%dT%H:%M:%S%.3fZ"


def list_kind(document: Any) -> str | None:
    """'alerts', 'incidents' or 'empty' for an Opsgenie list response, else None."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        return None
    if not ("requestId" in document and "took" in document):
        return None
    first = first_record(document["data"])
    if first is None:
        return "empty" if not document["data"] else None
    if not {"id", "createdAt", "priority", "status"} <= set(first):
        return None
    keys = set(first)
    if keys & ALERT_KEYS and not keys & INCIDENT_KEYS:
        return "alerts"
    if keys & INCIDENT_KEYS and not keys & ALERT_KEYS:
        return "incidents"
    return None


def records(path: Path, kind: str) -> list[dict[str, Any]]:
    document = load_json(path)
    found = list_kind(document)
    if found not in (kind, "empty"):
        raise ExportError(f"{path}: not an Opsgenie {kind} list response (data[] of {kind})")
    return record_list(document["data"], path, "data")


def plus_ms(start: str, milliseconds: str) -> pl.Expr:
    """ISO text of the instant `start` (ISO text column) plus a duration in ms (numeric text column)."""
    begin = pl.col(start).str.to_datetime("%+", time_zone="UTC", strict=False)
    offset = pl.col(milliseconds).cast(pl.Float64, strict=False).round(0).cast(pl.Int64)
    return (begin + pl.duration(milliseconds=offset)).dt.strftime(ISO_MS)


def tags(value: Any) -> str | None:
    if isinstance(value, list):
        return ",".join(str(t) for t in value) or None
    return None
