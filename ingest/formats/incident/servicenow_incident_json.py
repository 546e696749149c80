"""ServiceNow incidents (Table API `GET /api/now/table/incident`: `{"result": [...]}`; one record by
sys_id: `{"result": {...}}`), raw values (the default), display values
(`sysparm_display_value=true`) or both (`=all`: each field `{display_value, value}`).

Structure: ServiceNow Table API docs; real sample syndicalt/sn-scripts `apis/DummyRecords.js`
(incident INC0000060 of a developer instance; no licence stated, read, not copied): every value
a string, numeric codes as strings (`priority` "3", `state` "7"), times `YYYY-MM-DD HH:MM:SS`,
reference fields as `{link, value}` (a sys_id), empty strings for nulls.

COUNTING RULE: one incident record = one incident row, merged by incident_id (`number`)
downstream. Records in state 8 (Canceled) are skipped and counted in the notes (a cancelled
ticket was not an incident). A record without `number` is refused.

Fields (a field's raw value is used, its display value where noted; a reference field gives
its display value when the export has one, else its sys_id):
- incident_id = `number`; `sys_id` -> `_extra`. title = `short_description`.
- service = `business_service` (display), else `cmdb_ci` (display).
- severity = `priority` (raw "1".."5", or the leading number of a display value "1 - Critical")
  through `servicenow_priority_severity` (1-4 -> P1-P4, 5 Planning -> P4); unmapped: refused.
  ServiceNow's own `severity` field (1-3) goes to `_extra`.
- category: the first of `servicenow_category_rules` matching its field (category, subcategory,
  short_description, assignment_group, business_service, cmdb_ci, location, company), else
  `servicenow_default_category`; geography: `servicenow_geography_rules` (same fields), else
  blank. `_extra` names the rule.
- detected_at = `opened_at`; resolved_at = `resolved_at`, else `closed_at` for a record in state
  6 Resolved or 7 Closed (`_extra.resolved_source`).
- occurred_at, acknowledged_at: the baseline table has neither: the instance fields named by the
  rules `servicenow_occurred_at_field` / `servicenow_acknowledged_at_field` (e.g. a custom
  `u_impact_start`), else blank.
- Times `YYYY-MM-DD HH:MM:SS`: raw values (the Table API default, and the `value` of an `=all`
  object) are UTC; a record exported with display values only (its state or priority is a word:
  "Closed", "3 - Moderate") holds times in the exporting user's zone, read in the rule
  `servicenow_time_zone` (default UTC). Written as ISO 8601 UTC; other forms (a user date
  format) pass to the loader as written. `_extra.values` / `_extra.time_zone` say which.
- change_id = `caused_by` (the change that caused it; display value e.g. CHG0030001 when present,
  else its sys_id). root_cause_category: blank.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import _structure, vendor_values
from ingest.formats.base import REJECTED_SCHEMA, ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import as_text, build_frame, load_json
from ingest.formats.incident._vendor_incidents import classify, lookup, refused
from ingest.rules import ParseContext

LOCAL = "_display_times"
COLUMNS = (
    "incident_id", "title", "category", "severity", "service", "geography", "change_id",
    "occurred_at", "detected_at", "acknowledged_at", "resolved_at", LOCAL,
)
TIMES = ("occurred_at", "detected_at", "acknowledged_at", "resolved_at")
RULE_FIELDS = (
    "category", "subcategory", "short_description", "assignment_group", "business_service", "cmdb_ci",
    "location", "company",
)
# Numeric incident states and their display words (baseline).
STATES = {"1": "new", "2": "in progress", "3": "on hold", "6": "resolved", "7": "closed", "8": "canceled"}
ENDED = ("resolved", "closed")
KEPT = (
    "sys_id", "state", "incident_state", "impact", "urgency", "severity", "priority", "category", "subcategory",
    "assignment_group", "assigned_to", "location", "company", "close_code", "closed_at", "sys_created_on",
    "sys_updated_on", "contact_type", "reopen_count",
)


def _looks_like_incident(record: dict[str, Any]) -> bool:
    kind = raw(record.get("sys_class_name"))
    if kind is not None:
        return kind.strip().lower() == "incident"
    return "number" in record and ("incident_state" in record or "caller_id" in record)


def raw(value: Any) -> str | None:
    """The raw value of a field: `value` of a reference or `=all` object, else the text itself."""
    if isinstance(value, dict):
        value = value.get("value", value.get("display_value"))
    text = as_text(value)
    return text if text is not None and text.strip() != "" else None


def shown(value: Any) -> str | None:
    """The display value of a field when the export has one, else its raw value."""
    if isinstance(value, dict) and value.get("display_value") not in (None, ""):
        return as_text(value["display_value"])
    return raw(value)


class ServiceNowIncidentJson(ExportFormat):
    name: ClassVar[str] = "servicenow_incident_json"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        document = _structure.json_document(path, head)
        if not isinstance(document, dict) or set(document) - {"result"}:
            return False
        result = document.get("result")
        if isinstance(result, dict):
            return _looks_like_incident(result)
        if isinstance(result, list):
            first = _structure.first_record(result)
            return first is not None and _looks_like_incident(first) or result == []
        return False

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        rules = context.rules.get(family, {}) or {}
        document = load_json(path)
        result = document.get("result") if isinstance(document, dict) else None
        records = [result] if isinstance(result, dict) else result
        if not isinstance(records, list):
            raise ExportError(f"{path}: not a ServiceNow Table API response (no result list)")
        rows, refusals, cancelled = [], [], 0
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise ExportError(f"{path}: record {number} of result is not a JSON object")
            state = _state(record)
            if state == "canceled":
                cancelled += 1
                continue
            row, reason = _row(number, record, state, rules)
            (refusals if reason else rows).append(reason or row)
        frame = build_frame(rows, COLUMNS)
        zone = str(rules.get("servicenow_time_zone") or "UTC")
        frame = frame.with_columns(
            pl.when(pl.col(LOCAL) == "true").then(_instance_time(pl.col(c), zone))
            .otherwise(_instance_time(pl.col(c), "UTC")).alias(c)
            for c in TIMES
        ).drop(LOCAL)
        notes = []
        if cancelled:
            notes.append(f"{cancelled} record(s) in state Canceled skipped (not incidents)")
        if refusals:
            notes.append(f"{len(refusals)} incident(s) refused (see the rejected rows)")
        return ParsedExport(
            format_name=self.name, entities={"incidents": frame},
            rejected=pl.DataFrame(refusals, schema=REJECTED_SCHEMA), notes=notes,
        )


def _state(record: dict[str, Any]) -> str | None:
    value = raw(record.get("state")) or raw(record.get("incident_state"))
    if value is None:
        return None
    return STATES.get(value.strip(), value.strip().lower())


def _display_record(record: dict[str, Any]) -> bool:
    """True when the record was exported with display values only (`sysparm_display_value=true`):
    its state or priority is a word ("Closed", "3 - Moderate") rather than a code."""
    codes = [record.get("state"), record.get("priority")]
    return any(isinstance(v, str) and v.strip() and not v.strip().isdigit() for v in codes)


def _time(record: dict[str, Any], name: Any) -> tuple[str | None, bool]:
    """(text, is local time) of a time field: the raw `value` of an `=all` object is UTC; a plain
    string is local when the record holds display values, else UTC (raw values)."""
    if not name:
        return None, False
    value = record.get(name)
    if isinstance(value, dict):
        return raw(value), False
    return raw(value), _display_record(record)


def _row(number: int, record: dict[str, Any], state: str | None, rules: dict[str, Any]) -> tuple[dict, dict | None]:
    incident_id = raw(record.get("number"))
    if incident_id is None:
        return {}, refused(number, "incident_id", None, "the record has no number")
    priority = raw(record.get("priority"))
    code = re.match(r"\s*(\d+)", priority).group(1) if priority and re.match(r"\s*(\d+)", priority) else priority
    severity = lookup(rules.get("servicenow_priority_severity"), code)
    if severity is None:
        reason = (f"no severity mapping for ServiceNow priority {priority!r} "
                  "(rules incident.servicenow_priority_severity)") if priority else "the record has no priority"
        return {}, refused(number, "severity", shown(record.get("priority")), reason)
    fields = {name: shown(record.get(name)) for name in RULE_FIELDS}
    classes = classify(rules, "servicenow", fields)
    occurred_field = rules.get("servicenow_occurred_at_field")
    acknowledged_field = rules.get("servicenow_acknowledged_at_field")
    (resolved_at, local), resolved_source = _time(record, "resolved_at"), "resolved_at"
    if resolved_at is None and state in ENDED:
        (resolved_at, local), resolved_source = _time(record, "closed_at"), "closed_at"
    if resolved_at is None:
        resolved_source = None
    times = {
        "occurred_at": _time(record, occurred_field), "detected_at": _time(record, "opened_at"),
        "acknowledged_at": _time(record, acknowledged_field), "resolved_at": (resolved_at, local),
    }
    display = _display_record(record) or any(isinstance(record.get(n), dict) and "display_value" in record[n]
                                             for n in ("state", "priority", "number"))
    extra: dict[str, Any] = {name: shown(record.get(name)) for name in KEPT}
    extra.update({
        "state_name": state, "resolved_source": resolved_source,
        "values": "display" if display else "raw",
        "time_zone": "servicenow_time_zone" if _display_record(record) else "UTC (raw values)",
        "occurred_at_field": occurred_field if occurred_field and raw(record.get(occurred_field)) else None,
        "acknowledged_at_field": acknowledged_field if acknowledged_field and raw(record.get(acknowledged_field)) else None,
        "category_rule": classes["category_rule"], "geography_rule": classes["geography_rule"],
    })
    return {
        SOURCE_ROW: number, "incident_id": incident_id, "title": shown(record.get("short_description")),
        "category": classes["category"], "severity": severity,
        "service": shown(record.get("business_service")) or shown(record.get("cmdb_ci")),
        "geography": classes["geography"], "change_id": shown(record.get("caused_by")),
        **{name: text for name, (text, _) in times.items()},
        LOCAL: "true" if any(is_local for _, is_local in times.values()) else "false", EXTRA: extra,
    }, None


def _instance_time(expr: pl.Expr, zone: str) -> pl.Expr:
    """`YYYY-MM-DD HH:MM:SS` in the instance zone as ISO 8601 UTC; other text through the vendor cleaner."""
    text = vendor_values.text(expr)
    local = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
    utc = local.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return pl.when(local.is_not_null()).then(utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")).otherwise(
        vendor_values.timestamp(text)
    )
