"""OCSF findings: Vulnerability Finding (class_uid 2002), Compliance Finding (2003) and the
Detection Finding (2004) that check-based producers such as Prowler write, as a JSON document
(an array, one object, or `{"findings": [...]}`), JSON lines (one event per line, as
`prowler --output-formats json-ocsf` and other producers stream it) or Parquet (as Amazon
Security Lake stores OCSF: one row per event, nested structs).

Structure: ocsf/ocsf-schema `events/findings/vulnerability_finding.json`,
`compliance_finding.json`, `detection_finding.json`, objects `vulnerability.json`, `cve.json`,
`cvss.json`, `affected_package.json`, `resource_details.json` (Apache-2.0); public samples
DefectDojo/django-DefectDojo `unittests/scans/prowler/*.ocsf.json` and
`unittests/scans/aws_prowler_v3plus/*.ocsf.json` (BSD-3-Clause). Own samples follow the schema.

COUNTING RULE: one row per (event, resource, vulnerability, affected package); an event without
vulnerabilities one row per resource. The file is a snapshot (rules in `_api_findings`):
scan_id the file's hash, scanned_at the latest event `time` (ms since the epoch; Prowler 4
writes seconds, told apart by size) or `time_dt`.
Skipped and counted: status Suppressed or Archived (the `status` word, else status_id 3, 5); a check that passed
(`status_code` PASS, `compliance.status` Pass: an asset with only passed checks gets a
clean-scan row) or awaits manual review (MANUAL); a Detection Finding that is neither a
vulnerability nor a check (a threat detection: an incident signal); events of other classes.
status Resolved (status_id 4) -> fixed_at = `finding_info.modified_time` (else the event time).

Fields:
- scanner: `metadata.product.name` lower-cased (prowler, amazon inspector, ...).
- asset_id: `resources[].uid` (else its name); OCSF 1.0's single `resource` object too.
- finding_class: vulnerabilities -> vulnerability; a compliance result or a failed check ->
  misconfiguration.
- vulnerability_id: `vulnerabilities[].cve.uid` (else the vulnerability's own uid/title);
  a check: `metadata.event_code` (Prowler's check id), else `compliance.control`, else
  `finding_info.title`. package: `affected_packages[].name` (1.1+) or `packages[].name` (1.0).
- severity: the event's `severity` word (else from `severity_id` 1-6: info, low, medium, high,
  critical, critical); a vulnerability's own `severity` wins when present.
- cvss_score: `cve.cvss[]` (an object in OCSF 1.0) `base_score`, newest version first.
- exploited_in_wild: blank (`is_exploit_available` is public exploit code: `_extra`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.iam._json_records import dig
from ingest.formats.scanner import _api_findings as api
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

CLASSES = (2002, 2003, 2004)
SEVERITY_IDS = {1: "info", 2: "low", 3: "medium", 4: "high", 5: "critical", 6: "critical"}
PARQUET_MAGIC = b"PAR1"
SKIP_REASONS = {
    "suppressed": "in status Suppressed", "archived": "in status Archived",
    "passed": "of checks that passed", "manual": "of checks awaiting manual review",
    "detection": "threat detections (Detection Findings without a vulnerability or check)",
    "class": "of other OCSF classes",
}


def _is_event(record: Any) -> bool:
    return isinstance(record, dict) and record.get("class_uid") in CLASSES and (
        "finding_info" in record or "finding" in record or "vulnerabilities" in record)


def _document_events(document: Any) -> list | None:
    if isinstance(document, list) and _is_event(_structure.first_record(document)):
        return document
    if isinstance(document, dict):
        if _is_event(document):
            return [document]
        if isinstance(document.get("findings"), list) and _is_event(_structure.first_record(document["findings"])):
            return document["findings"]
    return None


def _head_lines_are_events(head: bytes) -> bool:
    lines = [line for line in head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines() if line.strip()]
    if len(lines) < 2 and len(head) >= _structure.HEAD_BYTES:
        return False
    checked = 0
    for index, line in enumerate(lines[:50]):
        try:
            value = json.loads(line)
        except ValueError:
            if index == len(lines) - 1 and index > 0:
                break  # the head cut the last line
            return False
        if not _is_event(value):
            return False
        checked += 1
    return checked > 0


def _parquet_columns(path: Path) -> set[str] | None:
    import pyarrow.parquet as pq
    try:
        return set(pq.read_schema(path).names)
    except Exception:  # not readable as Parquet
        return None


def _shape(path: Path, head: bytes) -> str | None:
    if head.startswith(PARQUET_MAGIC):
        columns = _parquet_columns(path)
        ok = columns is not None and "class_uid" in columns and bool(columns & {"finding_info", "vulnerabilities", "compliance"})
        return "parquet" if ok else None
    document = _structure.json_document(path, head)
    if document is not None:
        return "json" if _document_events(document) is not None else None
    return "jsonl" if _head_lines_are_events(head) else None


class OcsfFindings(ExportFormat):
    name: ClassVar[str] = "ocsf_findings"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _shape(path, head) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        data = f.read_bytes(path)
        shape = _shape(path, data[: _structure.HEAD_BYTES])
        events, numbers = _read(path, data, shape)
        rows: list[dict[str, Any]] = []
        skipped = {reason: 0 for reason in SKIP_REASONS}
        passed: dict[str, tuple[int, str | None]] = {}
        for number, event in zip(numbers, events):
            where = f"event {number}"
            event = f.expect_object(event, path, where)
            verdict = _verdict(event)
            if verdict in ("passed",):
                for resource in _resources(event):
                    if _asset(resource):
                        passed.setdefault(_asset(resource), (number, _scanner(event)))
            if verdict is not None:
                skipped[verdict] += 1
                continue
            rows += _rows(number, where, event, path)
        with_rows = {r["asset_id"] for r in rows}
        rows += [{SOURCE_ROW: f.CLEAN_SCAN_ROW, f.RECORD: f"event {number}", "asset_id": asset, "scanner": scanner,
                  "finding_class": "misconfiguration"}
                 for asset, (number, scanner) in passed.items() if asset not in with_rows]
        notes = api.skipped_note({SKIP_REASONS[k]: v for k, v in skipped.items()}, "event(s)")
        times = [_event_time(e) for e in events if isinstance(e, dict)]
        frame = api.frame(rows, path, data, context, scanner=None, scanned_at=_latest(times),
                          scanned_at_source="latest event time", notes=notes)
        if not events:
            notes.append("no OCSF event in the file: nothing loaded")
        notes.insert(0, f"read as OCSF {shape}")
        return ParsedExport(format_name=self.name, entities={f.FINDINGS_TABLE: frame}, notes=notes)


def _read(path: Path, data: bytes, shape: str | None) -> tuple[list, list[int]]:
    if shape == "parquet":
        import pyarrow.parquet as pq
        try:
            events = pq.read_table(path).to_pylist()
        except Exception as error:
            raise ExportError(f"{path}: unreadable Parquet: {str(error).splitlines()[0]}") from error
        return events, list(range(1, len(events) + 1))
    if shape == "json":
        events = _document_events(f.load_json(path, data)) or []
        return events, list(range(1, len(events) + 1))
    if shape == "jsonl":
        events, numbers = [], []
        text = data.decode("utf-8", errors="strict").lstrip("\ufeff")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError as error:
                raise ExportError(f"{path}: line {number} is not a JSON object: {error}") from error
            numbers.append(number)
        return events, numbers
    raise ExportError(f"{path}: not an OCSF findings file (JSON, JSON lines or Parquet of class 2002-2004)")


def _verdict(event: dict) -> str | None:
    """Why an event is skipped, or None when it is a finding row."""
    if event.get("class_uid") not in CLASSES:
        return "class"
    status = _status(event)
    if status in ("suppressed", "archived"):
        return status
    code = str(event.get("status_code") or "").strip().upper()
    compliance = str(dig(event, "compliance", "status") or "").strip().lower()
    if code == "PASS" or compliance == "pass" or dig(event, "compliance", "status_id") == 1:
        return "passed"
    if code == "MANUAL":
        return "manual"
    if event.get("class_uid") == 2004 and not event.get("vulnerabilities") and not code and not event.get("compliance"):
        return "detection"
    return None


STATUS_IDS = {1: "new", 2: "in progress", 3: "suppressed", 4: "resolved", 5: "archived"}


def _status(event: dict) -> str:
    """The finding status: the `status` word when present (Prowler 4 writes status "New" with a
    status_id of its own), else the OCSF `status_id`."""
    word = str(event.get("status") or "").strip().lower()
    return word or STATUS_IDS.get(event.get("status_id"), "")


def _scanner(event: dict) -> str | None:
    name = dig(event, "metadata", "product", "name") or dig(event, "metadata", "product", "vendor_name")
    return str(name).strip().lower() if name else None


def _resources(event: dict) -> list[dict]:
    resources = event.get("resources")
    if isinstance(resources, list):
        return [r for r in resources if isinstance(r, dict)]
    return [event["resource"]] if isinstance(event.get("resource"), dict) else []


def _asset(resource: dict) -> str | None:
    value = resource.get("uid") or resource.get("name")
    return str(value) if value not in (None, "") else None


def _event_time(event: dict) -> datetime | None:
    value = event.get("time")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # OCSF `time` is ms since the epoch; Prowler 4 writes seconds (a value below 1e11 is
        # before 1973 in ms, so it is read as seconds)
        return datetime.fromtimestamp(value / 1000 if value >= 1e11 else value, tz=timezone.utc)
    text = event.get("time_dt")
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    if isinstance(text, str) and text.strip():
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None


def _latest(times: list[datetime | None]) -> str | None:
    present = [t for t in times if t is not None]
    if not present:
        return None
    return max(present).astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cvss(cve: dict) -> tuple[Any, str | None]:
    entries = cve.get("cvss")
    entries = [entries] if isinstance(entries, dict) else [e for e in entries or [] if isinstance(e, dict)]
    entries = [e for e in entries if e.get("base_score") is not None]
    entries.sort(key=lambda e: str(e.get("version") or ""), reverse=True)
    return (entries[0]["base_score"], f"cvss {entries[0].get('version')}") if entries else (None, None)


def _rows(number: int, where: str, event: dict, path: Path) -> list[dict]:
    severity = event.get("severity") or SEVERITY_IDS.get(event.get("severity_id"))
    resolved = _status(event) == "resolved"
    event_time = _event_time(event)
    common = {
        SOURCE_ROW: number, f.RECORD: where, "scanner": _scanner(event),
        "title": dig(event, "finding_info", "title") or dig(event, "finding", "title"),
        "fixed_at": (dig(event, "finding_info", "modified_time_dt") or dig(event, "finding_info", "modified_time")
                     or (_latest([event_time]) if event_time else None)) if resolved else None,
        "class_uid": event.get("class_uid"), "finding_uid": dig(event, "finding_info", "uid"),
        "status": event.get("status"), "status_code": event.get("status_code"),
        "event_time": _latest([event_time]) if event_time else None,
        "account": dig(event, "cloud", "account", "uid"), "region": dig(event, "cloud", "region"),
    }
    entries: list[dict] = []
    for vulnerability in [v for v in event.get("vulnerabilities") or [] if isinstance(v, dict)]:
        cve = vulnerability.get("cve") if isinstance(vulnerability.get("cve"), dict) else {}
        score, source = _cvss(cve)
        packages = vulnerability.get("affected_packages") or vulnerability.get("packages") or [{}]
        for package in [p for p in packages if isinstance(p, dict)] or [{}]:
            entries.append({
                "vulnerability_id": cve.get("uid") or vulnerability.get("uid") or vulnerability.get("title"),
                "severity": vulnerability.get("severity") or severity, "cvss_score": score, "cvss_source": source,
                "package": package.get("name"), "installed_version": package.get("version"),
                "fixed_version": package.get("fixed_in_version"),
                "exploit_available": vulnerability.get("is_exploit_available"),
                "fix_available": vulnerability.get("fix_available") or vulnerability.get("is_fix_available"),
                "finding_class": "vulnerability",
            })
    if not entries:
        check = dig(event, "metadata", "event_code") or dig(event, "compliance", "control") or common["title"]
        entries = [{"vulnerability_id": check, "severity": severity, "finding_class": "misconfiguration",
                    "compliance_status": dig(event, "compliance", "status"),
                    "standards": dig(event, "compliance", "standards")}]
    out = []
    for resource in _resources(event) or [{}]:
        for entry in entries:
            out.append({**common, **entry, "asset_id": _asset(resource), "resource_type": resource.get("type"),
                        "resource_region": resource.get("region")})
    return out
