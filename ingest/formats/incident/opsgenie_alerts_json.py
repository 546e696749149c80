"""Opsgenie alerts (Alert API v2 `GET /v2/alerts`: `{"data": [...], "paging", "took", "requestId"}`).

Structure: Opsgenie Alert API docs ("List alerts": id, tinyId, alias, message, status open/closed,
acknowledged, isSeen, tags, snoozed, count, lastOccurredAt, createdAt, updatedAt, source, owner,
priority P1-P5, responders, integration, report {ackTime, closeTime, acknowledgedBy, closedBy});
`report.ackTime` and `report.closeTime` are the milliseconds from `createdAt` to the
acknowledgement and the close (durations, not instants). Samples: own, after that structure.

COUNTING RULE: one alert = one incident row, merged by incident_id downstream (an alert
re-listed in a later export updates it). De-duplicated repeats of one alert (`count` > 1) are
one alert: `count` goes to `_extra`. Every alert is kept (Opsgenie alerts are the pages the
team answered; filter the export, or the category rules, for noise).

Fields:
- incident_id = `id`; `tinyId`, `alias` -> `_extra`. title = `message`.
- service = `entity`, else `integration.name` (`_extra.service_source`).
- severity = `priority` through the rule `opsgenie_priority_severity` (P5 -> P4); an alert whose
  priority has no entry is refused with its reason.
- detected_at = `createdAt`. occurred_at: blank (an alert's creation is its detection; the
  monitored event's time is not in the alert).
- acknowledged_at = createdAt + `report.ackTime` ms when `acknowledged` is true and the report
  has it; else blank (`_extra.acknowledged_source`).
- resolved_at = createdAt + `report.closeTime` ms when `status` is closed; a closed alert
  without it takes `updatedAt` (`_extra.resolved_source` = "updatedAt").
- category (rules `opsgenie_category_rules` on message, tags, source, entity, owner,
  integration, description; else `opsgenie_default_category`), geography
  (`opsgenie_geography_rules`, else blank); `_extra` names the rule.
- change_id, root_cause_category: blank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import _structure, vendor_values
from ingest.formats.base import REJECTED_SCHEMA, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import add_to_extra, as_text, build_frame, dig, leftovers
from ingest.formats.incident import _opsgenie as og
from ingest.formats.incident._vendor_incidents import classify, lookup, refused
from ingest.rules import ParseContext

COLUMNS = (
    "incident_id", "title", "category", "severity", "service", "geography", "detected_at",
    "_created", "_ack_ms", "_close_ms", "_acknowledged", "_status", "_updated",
)
MAPPED = ("id", "message", "priority", "createdAt", "report", "entity", "links")


class OpsgenieAlertsJson(ExportFormat):
    name: ClassVar[str] = "opsgenie_alerts_json"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        # An empty list is claimed here (the incidents format declines it): it loads nothing.
        return og.list_kind(_structure.json_document(path, head)) in ("alerts", "empty")

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        rules = context.rules.get(family, {}) or {}
        rows, refusals = [], []
        for number, alert in enumerate(og.records(path, "alerts"), start=1):
            row, reason = _row(number, alert, rules)
            (refusals if reason else rows).append(reason or row)
        frame = build_frame(rows, COLUMNS)
        acknowledged = vendor_values.boolean_text(pl.col("_acknowledged")) == "true"
        closed = pl.col("_status").str.to_lowercase() == "closed"
        frame = frame.with_columns(
            pl.when(acknowledged & pl.col("_ack_ms").is_not_null())
            .then(og.plus_ms("_created", "_ack_ms")).alias("acknowledged_at"),
            pl.when(closed & pl.col("_close_ms").is_not_null()).then(og.plus_ms("_created", "_close_ms"))
            .when(closed).then(pl.col("_updated")).alias("resolved_at"),
            pl.when(acknowledged & pl.col("_ack_ms").is_not_null()).then(pl.lit("report.ackTime"))
            .alias("_acknowledged_source"),
            pl.when(closed & pl.col("_close_ms").is_not_null()).then(pl.lit("report.closeTime"))
            .when(closed).then(pl.lit("updatedAt")).alias("_resolved_source"),
            pl.lit(None, dtype=pl.String).alias("occurred_at"),
        ).with_columns(
            vendor_values.timestamp(pl.col(c)).alias(c) for c in ("detected_at", "acknowledged_at", "resolved_at")
        ).drop("_created", "_ack_ms", "_close_ms", "_acknowledged", "_status", "_updated")
        frame = add_to_extra(frame, ["_acknowledged_source", "_resolved_source"])
        notes = [f"{len(refusals)} alert(s) refused: no severity mapping"] if refusals else []
        return ParsedExport(
            format_name=self.name, entities={"incidents": frame},
            rejected=pl.DataFrame(refusals, schema=REJECTED_SCHEMA), notes=notes,
        )


def _row(number: int, alert: dict[str, Any], rules: dict[str, Any]) -> tuple[dict, dict | None]:
    priority = alert.get("priority")
    severity = lookup(rules.get("opsgenie_priority_severity"), priority)
    if severity is None:
        return {}, refused(number, "severity", priority,
                           f"no severity mapping for Opsgenie priority {priority!r} "
                           "(rules incident.opsgenie_priority_severity)")
    entity = as_text(alert.get("entity"))
    integration = dig(alert, "integration", "name")
    service, service_source = (entity, "entity") if entity and entity.strip() else (
        (integration, "integration.name") if integration else (None, None))
    fields = {
        "message": as_text(alert.get("message")), "tags": og.tags(alert.get("tags")),
        "source": as_text(alert.get("source")), "entity": entity, "owner": as_text(alert.get("owner")),
        "integration": integration, "description": as_text(alert.get("description")),
    }
    classes = classify(rules, "opsgenie", fields)
    extra = leftovers(alert, MAPPED)
    extra.update({
        "priority": priority, "service_source": service_source,
        "ack_time_ms": dig(alert, "report", "ackTime"), "close_time_ms": dig(alert, "report", "closeTime"),
        "acknowledged_by": dig(alert, "report", "acknowledgedBy"), "closed_by": dig(alert, "report", "closedBy"),
        "category_rule": classes["category_rule"], "geography_rule": classes["geography_rule"],
    })
    return {
        SOURCE_ROW: number, "incident_id": alert.get("id"), "title": alert.get("message"),
        "category": classes["category"], "severity": severity, "service": service,
        "geography": classes["geography"], "detected_at": alert.get("createdAt"),
        "_created": alert.get("createdAt"), "_ack_ms": dig(alert, "report", "ackTime"),
        "_close_ms": dig(alert, "report", "closeTime"), "_acknowledged": alert.get("acknowledged"),
        "_status": alert.get("status"), "_updated": alert.get("updatedAt"), EXTRA: extra,
    }, None
