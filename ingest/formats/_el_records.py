"""API records as extract-load tools write them: Airbyte and dlt JSON lines (SOURCES.md).

A thin reader shared by the formats that unwrap these files; the record mapping stays in
the vendor's own module (Okta users, PagerDuty incidents), so an Okta user read from an
Airbyte sync becomes exactly the row the same user read from `/api/v1/users` becomes.

Shapes read (one JSON value per line; blank lines ignored; a `.gz` file is read through gzip):

- **Airbyte protocol messages** (what a source connector writes on stdout, and what
  `airbyte-ci` / PyAirbyte / the `destination-local-json`-less pipelines keep):
  `{"type": "RECORD", "record": {"stream": "users", "namespace": ..., "data": {...},
  "emitted_at": <ms since epoch>}}`. Every other message type (STATE, LOG, TRACE, CATALOG,
  SPEC, CONNECTION_STATUS, CONTROL) holds no record: skipped and counted per type.
  Structure: airbytehq/airbyte `airbyte-protocol` `airbyte_protocol.yaml` (MIT).
- **Airbyte raw records** as the file destinations write them (`destination-local-json`,
  S3/GCS JSON lines): `{"_airbyte_ab_id" | "_airbyte_raw_id": ..., "_airbyte_emitted_at" |
  "_airbyte_extracted_at": ..., "_airbyte_data": {...}}`; the stream is the file name
  without its `_airbyte_raw_` prefix and extension.
- **dlt JSON lines** (filesystem destination, `<dataset>/<table>/<load_id>.<file_id>.jsonl[.gz]`):
  one normalised record per line with `_dlt_load_id` (the load's start, seconds since the
  epoch as text) and `_dlt_id`. dlt flattens nested objects into `parent__child` columns and
  turns names into snake_case; `unflatten` undoes both for a vendor whose API is camelCase.
  Lists went to child tables (`<table>__<field>`) and are absent. The stream is the table:
  the file's folder name. Structure: dlt-hub/dlt `docs/website/docs/dlt-ecosystem/
  destinations/filesystem.md` and `general-usage/destination-tables.md` (Apache-2.0).

Detection reads the complete lines of the head as JSON (never their key order): a file is
one of these shapes when every complete line of its head is a JSON object of that shape.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from ingest.formats.base import ExportError

AIRBYTE = "airbyte"
AIRBYTE_RAW = "airbyte_raw"
DLT = "dlt"
GZIP_MAGIC = b"\x1f\x8b"
BOM = "\ufeff"
MESSAGE_TYPES = frozenset(
    {"RECORD", "STATE", "LOG", "TRACE", "CATALOG", "SPEC", "CONNECTION_STATUS", "CONTROL", "DESTINATION_CATALOG"}
)
RAW_DATA = "_airbyte_data"
RAW_IDS = ("_airbyte_ab_id", "_airbyte_raw_id")
RAW_TIMES = ("_airbyte_emitted_at", "_airbyte_extracted_at")
DLT_KEYS = ("_dlt_load_id", "_dlt_id")
HEAD_LINES = 200


@dataclass
class Stream:
    """The records of one stream in one file, with their line numbers and extraction times."""

    name: str
    lines: list[int] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    # Per record: ISO 8601 UTC of the extraction (Airbyte emitted_at, dlt load id), or None.
    extracted_at: list[str | None] = field(default_factory=list)
    envelope: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ElFile:
    tool: str
    streams: dict[str, Stream]
    skipped: Counter = field(default_factory=Counter)  # message type -> count

    def skipped_note(self) -> str | None:
        if not self.skipped:
            return None
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(self.skipped.items()))
        return f"{sum(self.skipped.values())} message(s) without a record skipped: {parts}"


# --- detection ------------------------------------------------------------------------------


def _head_lines(head: bytes) -> list[str]:
    if head.startswith(GZIP_MAGIC):  # the head may cut the stream: read what it holds
        try:
            head = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return []
    text = head.decode("utf-8", errors="replace").lstrip(BOM)
    return [line for line in text.splitlines()[:HEAD_LINES] if line.strip()]


def _shape(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if isinstance(kind, str) and kind in MESSAGE_TYPES:
        if kind != "RECORD" or isinstance(value.get("record"), dict):
            return AIRBYTE
    if isinstance(value.get(RAW_DATA), dict) and any(k in value for k in RAW_IDS):
        return AIRBYTE_RAW
    if all(k in value for k in DLT_KEYS):
        return DLT
    return None


def sniff(head: bytes) -> str | None:
    """airbyte, airbyte_raw or dlt when every complete line of the head is such a JSON object.

    The last line of the head may be cut: a line that is not valid JSON is tolerated only there.
    """
    lines = _head_lines(head)
    shapes: set[str | None] = set()
    for index, line in enumerate(lines):
        try:
            value = json.loads(line)
        except ValueError:
            if index == len(lines) - 1 and index > 0:
                break
            return None
        shapes.add(_shape(value))
    if len(shapes) != 1:
        return None
    return shapes.pop()


# --- reading --------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
        if data.startswith(GZIP_MAGIC):
            data = gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise ExportError(f"{path}: cannot read the file: {error}") from error
    try:
        return data.decode("utf-8").lstrip(BOM)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExportError(f"{path}: not valid UTF-8 at line {line}") from error


def _epoch_ms_iso(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) and value.strip() else None
    seconds = value / 1000 if value > 10**11 else value
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dlt_load_time(load_id: Any) -> str | None:
    try:
        seconds = float(str(load_id))
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _raw_stream(path: Path) -> str:
    name = Path(path).name
    name = re.sub(r"(\.gz)?$", "", name)
    name = re.sub(r"\.(jsonl|json|ndjson)$", "", name)
    return re.sub(r"^_airbyte_raw_", "", name)


def read(path: Path) -> ElFile:
    """Every record of an Airbyte or dlt JSON-lines file, grouped by stream.

    An unreadable line is named (file, line); a line of another shape than the file's first
    is refused as such.
    """
    text = _read_text(path)
    tool: str | None = None
    streams: dict[str, Stream] = {}
    skipped: Counter = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise ExportError(f"{path}: line {number} is not a JSON object: {error}") from error
        shape = _shape(value)
        if shape is None or (tool is not None and shape != tool):
            raise ExportError(
                f"{path}: line {number} is not an {tool or 'Airbyte or dlt'} record "
                "(an extract-load JSON-lines file holds one shape per line)"
            )
        tool = shape
        if shape == AIRBYTE:
            if value["type"] != "RECORD":
                skipped[value["type"]] += 1
                continue
            record = value["record"]
            data = record.get("data")
            if not isinstance(data, dict):
                raise ExportError(f"{path}: line {number}: the RECORD message has no data object")
            name = str(record.get("stream") or "")
            envelope = {"stream": name, "namespace": record.get("namespace"), "emitted_at": record.get("emitted_at")}
            extracted = _epoch_ms_iso(record.get("emitted_at"))
        elif shape == AIRBYTE_RAW:
            data = value[RAW_DATA]
            name = _raw_stream(path)
            raw_time = next((value[k] for k in RAW_TIMES if value.get(k) is not None), None)
            envelope = {"stream": name, "airbyte_id": next((value[k] for k in RAW_IDS if k in value), None),
                        "emitted_at": raw_time}
            extracted = _epoch_ms_iso(raw_time)
        else:
            data = value
            name = Path(path).parent.name
            envelope = {"stream": name, "dlt_load_id": value.get("_dlt_load_id"), "dlt_id": value.get("_dlt_id")}
            extracted = _dlt_load_time(value.get("_dlt_load_id"))
        stream = streams.setdefault(name, Stream(name))
        stream.lines.append(number)
        stream.records.append(data)
        stream.extracted_at.append(extracted)
        stream.envelope.append(envelope)
    if tool is None:
        raise ExportError(f"{path}: an empty JSON-lines file (no Airbyte or dlt record)")
    return ElFile(tool, streams, skipped)


def select(
    el: ElFile, path: Path, matches: Callable[[dict[str, Any]], bool], wanted: str
) -> tuple[list[Stream], list[str]]:
    """The streams whose records are `wanted` (`matches` their first record) and notes on the rest.

    No such stream: an ExportError naming the file and the streams it holds.
    """
    chosen = [s for s in el.streams.values() if s.records and matches(unflatten(s.records[0], el.tool))]
    others = [s for s in el.streams.values() if s not in chosen]
    if not chosen:
        names = ", ".join(repr(s.name) for s in el.streams.values()) or "none"
        raise ExportError(
            f"{path}: {el.tool} stream(s) {names} hold no supported record ({wanted}); "
            "nothing loaded"
        )
    notes = [f"{len(s.records)} record(s) of {el.tool} stream {s.name!r} skipped: not {wanted}" for s in others]
    return chosen, notes


# --- dlt normalisation -------------------------------------------------------------------------


def camel(name: str) -> str:
    """dlt's snake_case name back to an API's camelCase (`country_code` -> `countryCode`)."""
    if name.startswith("_"):
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def unflatten(record: dict[str, Any], tool: str, *, camel_case: bool = False) -> dict[str, Any]:
    """A dlt record's `parent__child` columns as nested objects (names camelCased on request),
    without dlt's own `_dlt_*` columns; other tools' records are returned as they are."""
    if tool != DLT:
        return record
    nested: dict[str, Any] = {}
    for key, value in record.items():
        if key.startswith("_dlt_"):
            continue  # dlt's own columns: kept in the envelope, not the vendor record
        parts = key.split("__")
        if camel_case:
            parts = [camel(p) for p in parts]
        level = nested
        for part in parts[:-1]:
            child = level.get(part)
            if not isinstance(child, dict):
                child = level[part] = {}
            level = child
        level[parts[-1]] = value
    return nested


def latest(times: list[str | None]) -> str | None:
    """The latest of ISO 8601 UTC texts written by this module (they sort as text)."""
    present = [t for t in times if t]
    return max(present) if present else None
