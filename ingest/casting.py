"""Typing and validation of one entity's text rows, as DuckDB SQL.

Every export format hands over canonical columns as text; this module builds the
one statement that types them the same way for all formats (SOURCES.md
conventions) and says, per field, why a value was refused. Identifiers in the
SQL come only from `ingest.schemas`; the default time zone is a parameter
(`$default_tz`), and file content only ever flows through as data.

The statement reads the registered view `STAGE_VIEW` and creates the temporary
table `TYPED_TABLE` with, per canonical column at position i:
  <name>      the typed value (NULL when blank or refused)
  _text_i     the trimmed text (NULL when blank), kept for the rejection record
  _reason_i   why the field refuses its row, or NULL
  _offset_i   (timestamps) the text carries a UTC offset
  _parsed_i, _implausible_i  (timestamps) the cast value, and why it is refused all the same
plus `_source_row`, `_extra`, `_naive_timestamps` (timestamps of the row read in
the default zone) and `_rejected` (any field refused the row).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from ingest.schemas import Column, Entity

STAGE_VIEW = "_ingest_stage"
TYPED_TABLE = "_ingest_typed"

# ISO 8601: date, optionally a 'T' or space and hh:mm[:ss[.fff]], optionally an
# offset (Z, +hh:mm, +hhmm, +hh). Anything else is refused rather than left to the
# cast's leniency. An offset needs a time of day.
ISO_TIMESTAMP = (
    r"\d{4}-\d{2}-\d{2}"
    r"([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?"
)
# Evaluated once per value (the flag column _offset_i), used for both the cast
# and the naive count; only meaningful for values that match ISO_TIMESTAMP.
WITH_OFFSET = r"[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$"

# TRIM's default removes spaces only; exports also pad with tabs and line breaks.
WHITESPACE = "e' \\t\\r\\n'"

TRUE_WORDS = ("true", "yes", "1", "t", "y")
FALSE_WORDS = ("false", "no", "0", "f", "n")

REASONS = {
    "timestamp": "not an ISO 8601 timestamp",
    "double": "not a finite number",
    "boolean": "not a boolean (true/false, yes/no, 1/0, t/f, y/n)",
}
REQUIRED_BLANK = "required field is blank"

# SOURCES.md, "The landing folder": placeholder and implausible timestamps are refused like
# unparseable ones. Placeholders are known by their date, at any time of day and offset.
PLACEHOLDER_DATES = ("0001-01-01", "1900-01-01", "9999-12-31")
DEFAULT_EARLIEST = "2000-01-01T00:00:00Z"
# Event and observation times (SOURCES.md lists the words): `<word>_at` may not lie more than
# FUTURE_TOLERANCE after the file was loaded. Due dates and certificate validity may.
EVENT_TIME_WORDS = (
    "scanned", "snapshot", "observed", "occurred", "detected", "acknowledged", "resolved",
    "started", "completed", "sent", "clicked", "reported", "decided", "implemented",
    "executed", "assessed", "audited",
)
FUTURE_TOLERANCE = timedelta(days=1)
PLACEHOLDER_REASON = "a placeholder date (0001-01-01, 1900-01-01, 9999-12-31), not a real time"


def is_event_time(column: Column) -> bool:
    return column.type == "timestamp" and column.name.removesuffix("_at") in EVENT_TIME_WORDS and column.name.endswith("_at")


def earliest_plausible() -> datetime:
    """SECOPS_EARLIEST_TIMESTAMP (ISO 8601, default 2000-01-01 UTC): anything earlier is refused."""
    text = os.environ.get("SECOPS_EARLIEST_TIMESTAMP", "").strip() or DEFAULT_EARLIEST
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"SECOPS_EARLIEST_TIMESTAMP={text!r} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def typing_parameters(sql: str, *, default_tz: str, loaded_at: datetime) -> dict:
    """The parameters `typing_sql` uses (DuckDB refuses named parameters a statement lacks)."""
    every = {
        "default_tz": default_tz,
        "earliest": earliest_plausible(),
        "latest_event": loaded_at + FUTURE_TOLERANCE,
    }
    return {name: value for name, value in every.items() if f"${name}" in sql}


@dataclass(frozen=True)
class TypedColumn:
    """A canonical column and the names of its helper columns in TYPED_TABLE."""

    column: Column
    position: int

    @property
    def text(self) -> str:
        return f"_text_{self.position}"

    @property
    def reason(self) -> str:
        return f"_reason_{self.position}"

    @property
    def offset(self) -> str:
        return f"_offset_{self.position}"


def typed_columns(entity: Entity) -> list[TypedColumn]:
    return [TypedColumn(column, i) for i, column in enumerate(entity.columns)]


def _sql_words(words: Iterable[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def _typed_value(tc: TypedColumn) -> str:
    text = tc.text
    kind = tc.column.type
    if kind == "text":
        return text
    if kind == "double":
        return f"(CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END)"
    if kind == "boolean":
        return (
            f"(CASE WHEN lower({text}) IN ({_sql_words(TRUE_WORDS)}) THEN true "
            f"WHEN lower({text}) IN ({_sql_words(FALSE_WORDS)}) THEN false END)"
        )
    if kind == "timestamp":
        # upper(): DuckDB's cast wants 'T' and 'Z'; the rest of an ISO value is digits.
        return (
            f"(CASE WHEN NOT regexp_full_match({text}, '{ISO_TIMESTAMP}') THEN NULL "
            f"WHEN {tc.offset} THEN TRY_CAST(upper({text}) AS TIMESTAMPTZ) "
            f"ELSE timezone($default_tz, TRY_CAST(upper({text}) AS TIMESTAMP)) END)"
        )
    raise ValueError(f"unknown column type {kind!r}")


def _implausible(tc: TypedColumn) -> str:
    """Why a parsed timestamp is refused all the same (NULL: plausible); reads `_parsed_i`."""
    parsed = f"_parsed_{tc.position}"
    placeholders = ", ".join(f"'{d}'" for d in PLACEHOLDER_DATES)
    cases = [
        f"WHEN left({tc.text}, 10) IN ({placeholders}) THEN '{PLACEHOLDER_REASON}'",
        f"WHEN {parsed} < $earliest THEN 'before ' || strftime($earliest, '%Y-%m-%d') "
        "|| ' (SECOPS_EARLIEST_TIMESTAMP): not a plausible time'",
    ]
    if is_event_time(tc.column):
        cases.append(
            f"WHEN {parsed} > $latest_event THEN 'more than one day after the file was loaded "
            "(an event time cannot lie in the future)'"
        )
    return f"(CASE {' '.join(cases)} END)"


def _reason(tc: TypedColumn) -> str:
    column = tc.column
    blank = f"'{REQUIRED_BLANK}'" if column.required else "NULL"
    refused = f"'{REASONS[column.type]}'" if column.type in REASONS else "NULL"
    implausible = f"WHEN _implausible_{tc.position} IS NOT NULL THEN _implausible_{tc.position} " if column.type == "timestamp" else ""
    return (
        f"(CASE WHEN {tc.text} IS NULL THEN {blank} "
        f"{implausible}"
        f"WHEN {column.name} IS NULL THEN {refused} END)"
    )


def _naive_count(columns: list[TypedColumn]) -> str:
    terms = [
        f"(CASE WHEN {tc.column.name} IS NOT NULL AND NOT {tc.offset} THEN 1 ELSE 0 END)"
        for tc in columns
        if tc.column.type == "timestamp"
    ]
    return "CAST(" + (" + ".join(terms) if terms else "0") + " AS INTEGER)"


def typing_sql(entity: Entity, present: Iterable[str], *, has_extra: bool) -> str:
    """CREATE TEMP TABLE TYPED_TABLE from STAGE_VIEW (see `typing_select`)."""
    return f"CREATE TEMP TABLE {TYPED_TABLE} AS\n" + typing_select(entity, present, has_extra=has_extra)


def typing_select(entity: Entity, present: Iterable[str], *, has_extra: bool) -> str:
    """The typed rows (TYPED_TABLE's columns) from STAGE_VIEW; `present`: canonical columns the stage has.

    Absent canonical columns are blank for every row (a vendor format may not
    carry them); callers refuse files that lack a required column altogether.
    """
    present = set(present)
    columns = typed_columns(entity)
    text_select = ",\n    ".join(
        (
            f"NULLIF(TRIM(CAST({tc.column.name} AS VARCHAR), {WHITESPACE}), '') AS {tc.text}"
            if tc.column.name in present
            else f"CAST(NULL AS VARCHAR) AS {tc.text}"
        )
        for tc in columns
    )
    extra = "CAST(_extra AS VARCHAR)" if has_extra else "CAST(NULL AS VARCHAR)"
    offset_select = "".join(
        f",\n    regexp_matches({tc.text}, '{WITH_OFFSET}') AS {tc.offset}"
        for tc in columns
        if tc.column.type == "timestamp"
    )
    stamps = [tc for tc in columns if tc.column.type == "timestamp"]
    parsed_select = "".join(f",\n    {_typed_value(tc)} AS _parsed_{tc.position}" for tc in stamps)
    implausible_select = "".join(f",\n    {_implausible(tc)} AS _implausible_{tc.position}" for tc in stamps)
    # a refused timestamp leaves its field blank, like an unparseable one
    typed_select = ",\n    ".join(
        (
            f"(CASE WHEN _implausible_{tc.position} IS NULL THEN _parsed_{tc.position} END) AS {tc.column.name}"
            if tc.column.type == "timestamp"
            else f"{_typed_value(tc)} AS {tc.column.name}"
        )
        for tc in columns
    )
    reason_select = ",\n    ".join(f"{_reason(tc)} AS {tc.reason}" for tc in columns)
    any_reason = " OR ".join(f"{tc.reason} IS NOT NULL" for tc in columns)
    return f"""
WITH texts AS (
  SELECT CAST(_source_row AS BIGINT) AS _source_row,
    {extra} AS _extra,
    {text_select}
  FROM {STAGE_VIEW}
), flagged AS (
  SELECT *{offset_select}
  FROM texts
), parsed AS (
  SELECT *{parsed_select}
  FROM flagged
), weighed AS (
  SELECT *{implausible_select}
  FROM parsed
), typed AS (
  SELECT *,
    {typed_select}
  FROM weighed
), judged AS (
  SELECT *,
    {reason_select},
    {_naive_count(columns)} AS _naive_timestamps
  FROM typed
)
SELECT *, ({any_reason}) AS _rejected FROM judged
"""


def insert_raw_sql(entity: Entity) -> str:
    """Rows no field refused, with lineage; parameters $file, $sha256, $format, $loaded_at."""
    names = ", ".join(entity.column_names)
    return f"""
INSERT INTO raw.{entity.table} ({names}, _extra, _source_file, _source_sha256, _format,
                               _source_row, _loaded_at, _naive_timestamps, _withdrawn)
SELECT {names}, CAST(_extra AS JSON), $file, $sha256, $format,
       _source_row, $loaded_at, _naive_timestamps, false
FROM {TYPED_TABLE}
WHERE NOT _rejected
"""


def insert_rejected_sql(entity: Entity) -> str:
    """One ingest.rejected_rows row per refused field; parameters $file, $sha256, $entity, $rejected_at."""
    per_field = "\n  UNION ALL\n  ".join(
        f"SELECT _source_row, {tc.position} AS _position, '{tc.column.name}' AS field, "
        f"{tc.text} AS value, {tc.reason} AS reason FROM {TYPED_TABLE} WHERE {tc.reason} IS NOT NULL"
        for tc in typed_columns(entity)
    )
    return f"""
INSERT INTO ingest.rejected_rows (file, sha256, entity, source_row, field, value, reason, rejected_at)
SELECT $file, $sha256, $entity, _source_row, field, value, reason, $rejected_at
FROM (
  {per_field}
)
ORDER BY _source_row, _position
"""


def stats_sql(entity: Entity) -> str:
    """Loaded and refused row counts, naive timestamps and the newest timestamp of the file's rows."""
    stamps = entity.timestamp_columns
    newest = (
        f"max(greatest({', '.join(stamps)})) FILTER (WHERE NOT _rejected)"
        if stamps
        else "CAST(NULL AS TIMESTAMPTZ)"
    )
    return f"""
SELECT count(*) FILTER (WHERE NOT _rejected) AS rows_loaded,
       count(*) FILTER (WHERE _rejected) AS rows_rejected,
       coalesce(sum(_naive_timestamps) FILTER (WHERE NOT _rejected), 0) AS naive_timestamps,
       {newest} AS newest_timestamp
FROM {TYPED_TABLE}
"""
