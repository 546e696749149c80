"""Reading vendor JSON exports into canonical text frames (shared by the JSON formats of
the iam, training, backup and incident families).

Kept here only because the vendor-format work was scoped to the family folders; nothing
in it is iam-specific (a candidate for `ingest/formats/json_records.py`).

A JSON export is parsed whole (`load_json`), its list of records is checked to be
objects (`record_list`), and each format maps a record to a dict of canonical
values plus `_extra` (the vendor fields it did not map, and the marks of the
completion rules it applied). `build_frame` turns those dicts into the text frame
the loader expects; the value clean-up (null-like words, epoch times, booleans)
then runs as polars expressions (`ingest.formats.vendor_values`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import polars as pl

from ingest.formats.base import ExportError
from ingest.formats.csv_text import EXTRA, SOURCE_ROW

BOM = "\ufeff"
# Link fields of REST payloads: URLs only, never data worth keeping in _extra.
LINK_KEYS = frozenset({"_links", "self", "html_url", "links"})


# --- detection --------------------------------------------------------------------


def head_text(head: bytes) -> str:
    """The first bytes of a file as text, without a BOM or leading whitespace."""
    return head.decode("utf-8", errors="replace").lstrip(BOM).lstrip()


def json_kind(head: bytes) -> str | None:
    """'object' or 'array' when the file starts like a JSON document, else None."""
    text = head_text(head)
    if text.startswith("{"):
        return "object"
    if text.startswith("["):
        return "array"
    return None


def has_key(text: str, key: str) -> bool:
    """True when `"key":` occurs in the text (a cheap look at the head, no parsing)."""
    return re.search(r'"' + re.escape(key) + r'"\s*:', text) is not None


def is_empty_array(text: str) -> bool:
    return re.fullmatch(r"\[\s*\]\s*", text) is not None


# --- reading ------------------------------------------------------------------------


def load_json(path: Path) -> Any:
    """The parsed document; an ExportError naming the file and the place it breaks."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ExportError(f"{path}: cannot read the file: {error}") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExportError(f"{path}: not valid UTF-8 at line {line}") from error
    try:
        return json.loads(text.lstrip(BOM))
    except json.JSONDecodeError as error:
        raise ExportError(
            f"{path}: unreadable JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error


def record_list(value: Any, path: Path, where: str) -> list[dict[str, Any]]:
    """`value` as a list of JSON objects; an ExportError names the first record that is not one."""
    if not isinstance(value, list):
        raise ExportError(f"{path}: {where} is not a list of records")
    for number, record in enumerate(value, start=1):
        if not isinstance(record, dict):
            raise ExportError(f"{path}: record {number} of {where} is not a JSON object")
    return value


def dig(record: Any, *keys: str) -> Any:
    """record[k1][k2]...; None when a level is missing or not an object."""
    value = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def leftovers(record: Mapping[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """The record's top-level fields a format did not map (links dropped), for `_extra`."""
    skip = set(used) | LINK_KEYS
    return {key: value for key, value in record.items() if key not in skip}


def as_text(value: Any) -> str | None:
    """A JSON value as the text the loader types: booleans true/false, numbers as written."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """A text frame of `columns` from mapped records (each with `_source_row` and `_extra`).

    `_extra` is a dict (its null values dropped) written as a JSON object, or null when empty.
    """
    data: dict[str, list[Any]] = {name: [as_text(row.get(name)) for row in rows] for name in columns}
    data[SOURCE_ROW] = [row[SOURCE_ROW] for row in rows]
    data[EXTRA] = [_extra_json(row.get(EXTRA)) for row in rows]
    schema = {**{name: pl.String for name in columns}, SOURCE_ROW: pl.Int64, EXTRA: pl.String}
    return pl.DataFrame(data, schema=schema)


def _extra_json(extra: Mapping[str, Any] | None) -> str | None:
    if not extra:
        return None
    kept = {key: value for key, value in extra.items() if value is not None}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"), default=str) if kept else None


def add_to_extra(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Fold helper columns (completion marks) into `_extra` under their own names, then drop them.

    Null marks are left out; `_extra` stays null when nothing is left.
    """
    columns = [c for c in columns if c in frame.columns]
    if not columns:
        return frame
    merged: list[str | None] = []
    for extra, *marks in frame.select(EXTRA, *columns).iter_rows():
        content = json.loads(extra) if extra else {}
        content.update({name.lstrip("_"): value for name, value in zip(columns, marks) if value is not None})
        merged.append(json.dumps(content, ensure_ascii=False, separators=(",", ":")) if content else None)
    return frame.with_columns(pl.Series(EXTRA, merged, dtype=pl.String)).drop(columns)


# --- times ----------------------------------------------------------------------------


def instants(texts: pl.Series) -> pl.Series:
    """ISO 8601 texts with an offset (`Z`, `+01:00`, 1-9 fractional digits) as UTC datetimes."""
    return texts.cast(pl.String).str.to_datetime("%+", time_zone="UTC", strict=False)


def newest_text(texts: pl.Series) -> str | None:
    """The original text of the latest instant among `texts` (unparseable ones ignored)."""
    parsed = instants(texts)
    if parsed.is_null().all():
        return None
    return texts[int(parsed.arg_max())]


def file_mtime(path: Path) -> str:
    """The file's modification time as ISO 8601 UTC: the fallback time of an export without one."""
    moment = datetime.fromtimestamp(Path(path).stat().st_mtime, tz=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


# --- rules ------------------------------------------------------------------------------


def first_matching_rule(
    rules: Iterable[Mapping[str, Any]], fields: Mapping[str, str | None], value_key: str
) -> tuple[str | None, str | None]:
    """(value, 'field~pattern') of the first rule whose regex matches its field, else (None, None).

    A rule is `{field: <name>, pattern: <regex>, <value_key>: <value>}`; patterns are Python
    regular expressions searched anywhere in the field's text.
    """
    for rule in rules or ():
        text = fields.get(str(rule.get("field")))
        pattern = rule.get("pattern")
        if text and pattern and re.search(str(pattern), text):
            return str(rule.get(value_key)), f"{rule.get('field')}~{pattern}"
    return None, None
