"""PagerDuty incidents (REST API v2 `GET /incidents`: `{"incidents": [...], "limit", "offset",
"more", ...}`; also `GET /incidents/{id}`: `{"incident": {...}}`).

COUNTING RULE: one incident object = one incident row, merged across exports by
incident_id downstream.

Fields:
- incident_id = `id`. PagerDuty's REST API v2 reference (developer.pagerduty.com, API
  Reference, Incidents: "List incidents" and "Get an incident") returns every incident
  object with its `id`, a read-only string, beside `incident_number` ("the number of the
  incident; unique across your account"). An incident whose `id` is blank or absent
  (a sanitised or hand-edited export) is refused (ingest.rejected_rows: field
  incident_id, with its incident_number in the reason), never keyed by its number: the
  same incident exported with and without its id would otherwise get two keys and be
  counted twice. `id` and `incident_number` go to `_extra`.
- title = `title`; service = `service.summary`.
- detected_at = `created_at` (when PagerDuty opened the incident).
- occurred_at: blank. PagerDuty records no start of impact; the PD-CEF timestamp of
  the first trigger (`first_trigger_log_entry.channel.cef_details.creation_time`, "when
  the upstream system detected / created the event") is a detection time, kept in
  `_extra.upstream_event_time`. Incidents without occurred_at are outside MTTD and the
  error-budget unions (METRICS.md) and counted by the data-quality checks.
- acknowledged_at = the earliest `acknowledgements[].at`, else the earliest
  `acknowledge_log_entry` in `log_entries[]` (when the export includes them), else
  `last_status_change_at` when the status is `acknowledged`; `_extra.acknowledged_source`.
  PagerDuty clears `acknowledgements` when an incident is resolved, so a resolved incident
  exported without its log entries has no acknowledgement time.
- resolved_at = `resolved_at`, else `last_status_change_at` when the status is `resolved`.
- severity (rules `pagerduty_priority_severity`, `pagerduty_urgency_severity`): the
  incident priority (`priority.summary`/`name`, e.g. P1..P5) through the priority map
  when the incident has one, else the `urgency` (high/low) through the urgency map.
  An incident whose value has no entry is refused (ingest.rejected_rows says why).
  `_extra.severity_source`.
- category (rules `pagerduty_category_rules`, then `pagerduty_default_category`): the
  first rule whose regex matches its field (service, title, escalation_policy, teams,
  urgency, priority), else the default; `_extra.category_rule` names the rule.
- geography (rule `pagerduty_geography_rules`, same shape): blank unless a rule matches.
- change_id, root_cause_category: blank (not in the incident object).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import polars as pl

from ingest.formats import _el_records as el_records
from ingest.formats import vendor_values
from ingest.formats.base import REJECTED_SCHEMA, ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.incident._vendor_incidents import lookup
from ingest.formats.iam._json_records import (
    as_text, build_frame, dig, first_matching_rule, has_key, head_text, json_kind, leftovers, load_json,
    record_list,
)
from ingest.rules import ParseContext

COLUMNS = (
    "incident_id", "title", "category", "severity", "service", "geography",
    "detected_at", "acknowledged_at", "resolved_at",
)
MAPPED = (
    "id", "incident_number", "title", "service", "created_at", "acknowledgements", "resolved_at",
    "urgency", "priority", "first_trigger_log_entry", "log_entries",
)


class PagerDutyIncidentsJson(ExportFormat):
    name: ClassVar[str] = "pagerduty_incidents_json"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        if el_records.sniff(head) is not None:
            return False  # Airbyte or dlt JSON lines: the *_jsonl format reads the envelope
        if json_kind(head) != "object":
            return False
        text = head_text(head)
        if has_key(text, "incidents"):
            return has_key(text, "incident_number") or (has_key(text, "more") and has_key(text, "limit"))
        return has_key(text, "incident") and has_key(text, "incident_number")

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        rules = context.rules.get(family, {}) or {}
        document = load_json(path)
        if isinstance(document, dict) and "incidents" in document:
            incidents = record_list(document["incidents"], path, "incidents")
        elif isinstance(document, dict) and isinstance(document.get("incident"), dict):
            incidents = [document["incident"]]
        else:
            raise ExportError(f"{path}: not a PagerDuty incidents response (no incidents list)")

        frame, rejected, notes = incidents_frame(
            incidents, range(1, len(incidents) + 1), path, rules
        )
        return ParsedExport(
            format_name=self.name, entities={"incidents": frame}, rejected=rejected, notes=notes
        )


def incidents_frame(
    incidents: Sequence[dict[str, Any]],
    numbers: Iterable[int],
    path: Path,
    rules: dict[str, Any],
    extras: Sequence[dict[str, Any]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(incidents frame, refused rows, notes) of PagerDuty incident objects (shared by every
    reader of PagerDuty incidents); `numbers` are their `_source_row`s, `extras` (one dict per
    incident) join each row's `_extra`."""
    rows: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    extras = list(extras) if extras is not None else None
    for index, (number, incident) in enumerate(zip(numbers, incidents)):
        row, reason = _row(number, incident, rules, path)
        if reason is not None:
            refused.append(reason)
        else:
            if extras is not None:
                row[EXTRA].update(extras[index])
            rows.append(row)
    frame = build_frame(rows, COLUMNS)
    frame = frame.with_columns(
        vendor_values.timestamp(pl.col(c)).alias(c) for c in ("detected_at", "acknowledged_at", "resolved_at")
    ).with_columns(pl.lit(None, dtype=pl.String).alias("occurred_at"))
    rejected = pl.DataFrame(refused, schema=REJECTED_SCHEMA)
    notes = [f"{len(refused)} incident(s) refused: blank id or no severity mapping"] if refused else []
    return frame, rejected, notes


def _row(
    number: int, incident: dict[str, Any], rules: dict[str, Any], path: Path
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    own_id = as_text(incident.get("id"))
    incident_number = incident.get("incident_number")
    if not (own_id and own_id.strip()):
        return {}, {
            "entity": "incidents", "source_row": number, "field": "incident_id", "value": own_id,
            "reason": f"PagerDuty incident (incident_number {as_text(incident_number)}) has a blank id: "
                      "the API always returns one; a sanitised export is not keyed by its number",
        }
    incident_id = own_id.strip()
    status = str(incident.get("status") or "").strip().lower()
    service = dig(incident, "service", "summary")
    priority = dig(incident, "priority", "summary") or dig(incident, "priority", "name")
    urgency = incident.get("urgency")
    teams = ",".join(str(t.get("summary")) for t in incident.get("teams") or [] if isinstance(t, dict))
    fields = {
        "service": service,
        "title": incident.get("title"),
        "escalation_policy": dig(incident, "escalation_policy", "summary"),
        "teams": teams or None,
        "urgency": urgency,
        "priority": priority,
    }

    if priority:
        severity = lookup(rules.get("pagerduty_priority_severity"), priority)
        severity_source, severity_value = "priority", priority
    else:
        severity = lookup(rules.get("pagerduty_urgency_severity"), urgency)
        severity_source, severity_value = "urgency", urgency
    if severity is None:
        return {}, {
            "entity": "incidents", "source_row": number, "field": "severity",
            "value": as_text(severity_value),
            "reason": f"no severity mapping for PagerDuty {severity_source} {severity_value!r} "
                      f"(rules incident.pagerduty_{severity_source}_severity)",
        }

    category, category_rule = first_matching_rule(rules.get("pagerduty_category_rules"), fields, "category")
    if category is None and rules.get("pagerduty_default_category"):
        category, category_rule = str(rules["pagerduty_default_category"]), "default"
    geography, geography_rule = first_matching_rule(rules.get("pagerduty_geography_rules"), fields, "geography")

    acknowledged_at, acknowledged_source = _acknowledged(incident, status)
    resolved_at = incident.get("resolved_at")
    if not resolved_at and status == "resolved":
        resolved_at = incident.get("last_status_change_at")
    extra = leftovers(incident, MAPPED)
    extra.update({
        "pagerduty_id": own_id,
        "incident_number": incident_number,
        "urgency": urgency,
        "priority": priority,
        "upstream_event_time": dig(incident, "first_trigger_log_entry", "channel", "cef_details", "creation_time"),
        "first_trigger_at": dig(incident, "first_trigger_log_entry", "created_at"),
        "severity_source": severity_source,
        "category_rule": category_rule,
        "geography_rule": geography_rule,
        "acknowledged_source": acknowledged_source,
    })
    for noisy in ("last_status_change_by", "escalation_policy", "assignments", "teams"):
        value = extra.get(noisy)
        if isinstance(value, dict):
            extra[noisy] = value.get("summary")
        elif isinstance(value, list):
            extra[noisy] = [v.get("summary") if isinstance(v, dict) else v for v in value]
    return {
        SOURCE_ROW: number,
        "incident_id": incident_id,
        "title": incident.get("title"),
        "category": category,
        "severity": severity,
        "service": service,
        "geography": geography,
        "detected_at": incident.get("created_at"),
        "acknowledged_at": acknowledged_at,
        "resolved_at": resolved_at,
        EXTRA: extra,
    }, None



def _acknowledged(incident: dict[str, Any], status: str) -> tuple[Any, str | None]:
    times = [a.get("at") for a in incident.get("acknowledgements") or [] if isinstance(a, dict) and a.get("at")]
    if times:
        return _earliest(times), "acknowledgements"
    entries = [
        e.get("created_at") for e in incident.get("log_entries") or []
        if isinstance(e, dict) and str(e.get("type", "")).startswith("acknowledge_log_entry") and e.get("created_at")
    ]
    if entries:
        return _earliest(entries), "log_entries"
    if status == "acknowledged" and incident.get("last_status_change_at"):
        return incident["last_status_change_at"], "last_status_change_at"
    return None, None


def _earliest(texts: list[str]) -> str:
    parsed = pl.Series(texts, dtype=pl.String).str.to_datetime("%+", time_zone="UTC", strict=False)
    return texts[int(parsed.arg_min())] if parsed.is_not_null().any() else texts[0]
