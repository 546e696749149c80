"""Opsgenie incidents (Incident API v1 `GET /v1/incidents`: `{"totalCount", "data": [...], "paging",
"took", "requestId"}`).

Structure: Opsgenie Incident API docs ("List incidents": id, tinyId, message, description,
status open/resolved/closed, tags, createdAt, updatedAt, priority P1-P5, ownerTeam, responders,
impactedServices, impactStartDate, impactEndDate, extraProperties); real sample demisto/content
`Packs/OpsGenie/Integrations/OpsGenieV3/test_data/get_incidents_without_next.json` (MIT).

COUNTING RULE: one incident object = one incident row, merged by incident_id downstream.

Fields:
- incident_id = `id`; `tinyId` -> `_extra`. title = `message`.
- service = the first of `impactedServices` (Opsgenie service ids; all in `_extra.impacted_services`).
- severity = `priority` through `opsgenie_priority_severity` (P5 -> P4); unmapped: refused.
- occurred_at = `impactStartDate` (Opsgenie's start of impact); detected_at = `createdAt`.
- acknowledged_at: blank (an Opsgenie incident has no acknowledgement; its alerts do).
- resolved_at = `impactEndDate` when the status is resolved or closed, else `updatedAt` for a
  resolved or closed incident without it (`_extra.resolved_source`); blank while open.
- category / geography: the Opsgenie rules of the alerts format, on message, tags,
  description, ownerTeam and services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import _structure, vendor_values
from ingest.formats.base import REJECTED_SCHEMA, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import as_text, build_frame, leftovers
from ingest.formats.incident import _opsgenie as og
from ingest.formats.incident._vendor_incidents import classify, lookup, refused
from ingest.rules import ParseContext

COLUMNS = (
    "incident_id", "title", "category", "severity", "service", "geography",
    "occurred_at", "detected_at", "resolved_at",
)
MAPPED = ("id", "message", "priority", "createdAt", "impactStartDate", "impactEndDate", "links")
ENDED = ("resolved", "closed")


class OpsgenieIncidentsJson(ExportFormat):
    name: ClassVar[str] = "opsgenie_incidents_json"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        return og.list_kind(_structure.json_document(path, head)) == "incidents"

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        rules = context.rules.get(family, {}) or {}
        rows, refusals = [], []
        for number, incident in enumerate(og.records(path, "incidents"), start=1):
            row, reason = _row(number, incident, rules)
            (refusals if reason else rows).append(reason or row)
        frame = build_frame(rows, COLUMNS).with_columns(
            vendor_values.timestamp(pl.col(c)).alias(c) for c in ("occurred_at", "detected_at", "resolved_at")
        ).with_columns(pl.lit(None, dtype=pl.String).alias("acknowledged_at"))
        notes = [f"{len(refusals)} incident(s) refused: no severity mapping"] if refusals else []
        return ParsedExport(
            format_name=self.name, entities={"incidents": frame},
            rejected=pl.DataFrame(refusals, schema=REJECTED_SCHEMA), notes=notes,
        )


def _row(number: int, incident: dict[str, Any], rules: dict[str, Any]) -> tuple[dict, dict | None]:
    priority = incident.get("priority")
    severity = lookup(rules.get("opsgenie_priority_severity"), priority)
    if severity is None:
        return {}, refused(number, "severity", priority,
                           f"no severity mapping for Opsgenie priority {priority!r} "
                           "(rules incident.opsgenie_priority_severity)")
    services = [as_text(s) for s in incident.get("impactedServices") or [] if s]
    status = str(incident.get("status") or "").strip().lower()
    if status in ENDED and incident.get("impactEndDate"):
        resolved_at, resolved_source = incident["impactEndDate"], "impactEndDate"
    elif status in ENDED:
        resolved_at, resolved_source = incident.get("updatedAt"), "updatedAt"
    else:
        resolved_at = resolved_source = None
    fields = {
        "message": as_text(incident.get("message")), "tags": og.tags(incident.get("tags")),
        "description": as_text(incident.get("description")), "owner": as_text(incident.get("ownerTeam")),
        "services": ",".join(services) or None,
    }
    classes = classify(rules, "opsgenie", fields)
    extra = leftovers(incident, MAPPED)
    extra.update({
        "priority": priority, "impacted_services": services or None, "impact_end": incident.get("impactEndDate"),
        "resolved_source": resolved_source,
        "category_rule": classes["category_rule"], "geography_rule": classes["geography_rule"],
    })
    for empty in ("impactedServices", "responders", "actions", "extraProperties", "tags", "description", "ownerTeam"):
        if extra.get(empty) in ([], {}, ""):
            extra.pop(empty)
    return {
        SOURCE_ROW: number, "incident_id": incident.get("id"), "title": incident.get("message"),
        "category": classes["category"], "severity": severity, "service": services[0] if services else None,
        "geography": classes["geography"], "occurred_at": incident.get("impactStartDate"),
        "detected_at": incident.get("createdAt"), "resolved_at": resolved_at, EXTRA: extra,
    }, None
