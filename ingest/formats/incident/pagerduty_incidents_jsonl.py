"""PagerDuty incidents as extract-load tools write them: Airbyte messages and dlt JSON lines.

The envelope is read by `ingest.formats._el_records` (shapes and their public sources there);
each incident is mapped by the PagerDuty module (`pagerduty_incidents_json.incidents_frame`),
so every rule of `pagerduty_incidents_json` holds unchanged (id or `PD-<number>`, severity by
priority then urgency, category and geography rules, acknowledgement sources). Airbyte's
source-pagerduty `incidents` stream emits the REST v2 incident objects as they are
(airbytehq/airbyte `airbyte-integrations/connectors/source-pagerduty`, MIT). dlt writes
nested objects flattened (`service__summary`, `priority__summary`) and unflattens cleanly
(PagerDuty's names are already snake_case); its lists (`acknowledgements`, `teams`,
`assignments`) sit in child tables and are absent, so acknowledged_at falls back to
`last_status_change_at` for an incident that is still acknowledged.

COUNTING RULE: one incident record (a RECORD message of a PagerDuty-incident stream, or one
dlt line) = one incident row, merged by incident_id downstream (an incremental sync that
re-emits an updated incident updates it); `_source_row` is the line number. Messages without a
record (STATE, LOG, TRACE, ...) are skipped and counted; records of streams that hold no
incidents (`services`, `log_entries`, ...) are skipped and counted; a file none of whose
streams holds incidents is refused naming its streams. A stream holds incidents when its first
record has an `incident_number`, or an `id` with `type` "incident".
`_extra` adds `stream`, and `emitted_at` (Airbyte) or `dlt_load_id`/`dlt_id` (dlt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _el_records as el
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.incident.pagerduty_incidents_json import incidents_frame
from ingest.rules import ParseContext

WANTED = "PagerDuty incidents"


def is_pagerduty_incident(record: dict[str, Any]) -> bool:
    return "incident_number" in record or ("id" in record and record.get("type") == "incident")


class PagerDutyIncidentsJsonl(ExportFormat):
    name: ClassVar[str] = "pagerduty_incidents_jsonl"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        # Any Airbyte or dlt file dropped in incident: parse names the streams when none holds incidents.
        return el.sniff(head) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        source = el.read(path)
        streams, notes = el.select(source, path, is_pagerduty_incident, WANTED)
        incidents, numbers, extras = [], [], []
        for stream in streams:
            incidents += [el.unflatten(r, source.tool) for r in stream.records]
            numbers += stream.lines
            extras += stream.envelope
        frame, rejected, mapping_notes = incidents_frame(
            incidents, numbers, path, context.rules.get(family, {}) or {}, extras
        )
        skipped = source.skipped_note()
        notes = ([skipped] if skipped else []) + notes + mapping_notes
        return ParsedExport(
            format_name=self.name, entities={"incidents": frame}, rejected=rejected, notes=notes
        )
