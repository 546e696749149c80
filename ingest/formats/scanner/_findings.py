"""What every findings format of the scanner family shares.

A vendor scan is a snapshot of the targets it names (SOURCES.md, "scanner:
findings"): every format hands over one frame of canonical text columns in which
a row with a blank `vulnerability_id` says "this asset was scanned and had no
findings". This module holds the pieces all of them need:

- reading a file (bytes, JSON, CSV after a preamble) into Python or polars, with
  `ExportError`s that name the file and the record;
- the scan time and its documented fallback: when an export carries no scan time,
  `scanned_at` is the file's modification time (UTC) and every such row says so in
  `_extra` (`"scanned_at_source": "fallback_file_mtime"`) for the data-quality
  checks; otherwise `scanned_at_source` names the field the time came from;
- the scan id of exports that carry none: `sha256:<hex>` of the file's bytes, so the
  same bytes always give the same scan and another export never shares it;
- vendor numbers: CVSS scores and EPSS probabilities as written, a value outside its
  scale refused with its reason (`refuse_out_of_scale`), never rescaled;
- `finish`: the canonical frame (columns in schema order as text, `_source_row`,
  `_extra` as a JSON object of every other column, asset_environment completed
  once for all formats by `_assets`).

`_source_row` numbers the vendor's own records (CSV record after the header,
JSON finding entry, XML ReportItem) from 1; rows split from one record (one per
CVE) share its number, and a clean-scan row that stands for no vendor record
(an empty Trivy/Grype report, a SARIF run without results, a ReportHost without
items) has 0. `_extra.record` says where in a JSON or XML file a row came from.

Python touches each record only to pick its fields out of a parsed JSON or XML
document (type-checked, so a malformed record is named); every derivation,
choice and clean-up runs as polars expressions over whole columns.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import polars as pl
import pyarrow as pa

from ingest.formats import vendor_values
from ingest.formats.base import ExportError
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, UTF8_BOM, normalise_name
from ingest.formats.scanner import _assets
from ingest.rules import ParseContext
from ingest.schemas import FINDINGS

FINDINGS_TABLE = FINDINGS.table
CANONICAL = FINDINGS.column_names
SCANNED_AT_SOURCE = "scanned_at_source"
FALLBACK_FILE_MTIME = "fallback_file_mtime"
RECORD = "record"
CLEAN_SCAN_ROW = 0

CVE_PATTERN = r"CVE-\d{4}-\d{4,}"


# --- reading --------------------------------------------------------------------------


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ExportError(f"{path}: cannot read the file: {error}") from error


def content_scan_id(data: bytes) -> str:
    """The scan id of an export that names none: the SHA-256 of its bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def head_text(head: bytes) -> str:
    """The start of a file as text, for detection (it may end mid-character)."""
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    return head.decode("utf-8", errors="replace")


def looks_like_json_object(text: str) -> bool:
    return text.lstrip().startswith("{")


def load_json(path: Path, data: bytes) -> Any:
    """The parsed document; a syntax error names the file, line and column."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExportError(f"{path}: not valid UTF-8 at line {line}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ExportError(
            f"{path}: not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error
    except RecursionError as error:
        raise ExportError(f"{path}: JSON nested too deeply to read") from error


def expect_object(value: Any, path: Path, where: str, *, optional: bool = False) -> dict:
    """`value` as a JSON object; `where` names the record (e.g. 'Results[2]')."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise ExportError(f"{path}: {where}: expected a JSON object, found {_json_type(value)}")
    return value


def expect_list(value: Any, path: Path, where: str) -> list:
    """`value` as a JSON array; null or absent is an empty one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExportError(f"{path}: {where}: expected a JSON array, found {_json_type(value)}")
    return value


def scalar(value: Any, path: Path, where: str) -> str | None:
    """A JSON scalar as text (numbers as written, booleans as true/false); null stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ExportError(f"{path}: {where}: expected a single value, found {_json_type(value)}")


def number(value: Any, path: Path, where: str) -> float | None:
    """A JSON number (or numeric text) as float; null or blank stays None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ExportError(f"{path}: {where}: expected a number, found a boolean")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExportError(f"{path}: {where}: expected a number, found {value!r}") from None


def text_list(value: Any, path: Path, where: str) -> list[str]:
    """A JSON array of scalars as text (null entries dropped)."""
    return [
        text
        for i, item in enumerate(expect_list(value, path, where))
        if (text := scalar(item, path, f"{where}[{i}]")) is not None
    ]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"


def find_csv_header(
    head: bytes, wanted: Iterable[str], *, max_records: int = 30
) -> tuple[int, list[str]] | None:
    """(physical lines before it, normalised names) of the first record naming every `wanted` column.

    Vendor reports put title, company and filter lines before the header; only the
    first `max_records` records of the head are looked at.
    """
    wanted = set(wanted)
    reader = csv.reader(io.StringIO(head_text(head)))
    lines_before = 0
    try:
        for _ in range(max_records):
            record = next(reader, None)
            if record is None:
                return None
            names = [normalise_name(name, i) for i, name in enumerate(record, start=1)]
            if wanted <= set(names):
                return lines_before, names
            lines_before = reader.line_num
    except csv.Error:
        return None
    return None


def read_csv_after(path: Path, lines_before: int, header: list[str]) -> pl.DataFrame:
    """A CSV whose header follows `lines_before` preamble lines, as text, with `_source_row`.

    Same conventions as `csv_text.read_csv_text` (which reads files whose first line is
    the header): `_source_row` is the record number after the header, blank records
    are dropped, and an unreadable file names the file and the reason.
    """
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ExportError(f"{path}: duplicate column(s) in the header: {', '.join(duplicates)}")
    try:
        frame = pl.read_csv(
            path,
            has_header=True,
            skip_lines=lines_before,
            infer_schema=False,
            separator=",",
            quote_char='"',
            encoding="utf8",
            raise_if_empty=False,
        )
    except Exception as error:  # polars raises several exception types for bad input
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"
        raise ExportError(
            f"{path}: unreadable CSV after its {lines_before}-line preamble: {reason}"
        ) from error
    if frame.width != len(header):
        raise ExportError(
            f"{path}: header has {len(header)} columns but the CSV reader found {frame.width}"
        )
    frame.columns = list(header)
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    blank = pl.all_horizontal([pl.col(n).is_null() | (pl.col(n).str.strip_chars() == "") for n in header])
    return frame.filter(~blank)


# --- scan time --------------------------------------------------------------------------


def file_mtime_iso(path: Path) -> str:
    """The file's modification time as ISO 8601 UTC text (the scan-time fallback)."""
    try:
        seconds = path.stat().st_mtime
    except OSError as error:
        raise ExportError(f"{path}: cannot read the file's modification time: {error}") from error
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def one_scan_report(
    findings: pl.DataFrame | None, clean_record: str, report: dict[str, str | None], path: Path
) -> pl.DataFrame:
    """The rows of a report that is one scan of one asset: its findings, or one clean-scan
    row when it has none (so a clean rescan closes what was open), each carrying the
    report-level fields, with the scan time completed."""
    if findings is None:
        findings = pl.DataFrame(
            {RECORD: [clean_record], SOURCE_ROW: [CLEAN_SCAN_ROW]},
            schema={RECORD: pl.String, SOURCE_ROW: pl.Int64},
        )
    frame = findings.with_columns(
        pl.lit(value, dtype=pl.String).alias(name) for name, value in report.items()
    )
    return with_scan_time(frame, path)


def with_scan_time(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Fill a blank `scanned_at` with the file's modification time, marked as the fallback.

    `frame` has `scanned_at` (text, may be null) and `scanned_at_source` (the field the
    time came from); rows without a time get the fallback and
    `scanned_at_source = "fallback_file_mtime"`.
    """
    cleaned = vendor_values.text(pl.col("scanned_at"))
    if frame.is_empty() or frame.select(cleaned.is_not_null().all()).item():
        return frame.with_columns(cleaned.alias("scanned_at"))
    fallback = file_mtime_iso(path)
    missing = cleaned.is_null()
    return frame.with_columns(
        pl.when(missing).then(pl.lit(fallback)).otherwise(cleaned).alias("scanned_at"),
        pl.when(missing).then(pl.lit(FALLBACK_FILE_MTIME))
        .otherwise(pl.col(SCANNED_AT_SOURCE)).alias(SCANNED_AT_SOURCE),
    )


# --- vendor numbers and words -------------------------------------------------------------


CVSS_SCALE = (0.0, 10.0)
EPSS_SCALE = (0.0, 1.0)


def score(name: str, scaled: bool = False) -> pl.Expr:
    """A score column as a number: the leading number of its text ("8.1 (AV:N/...)" -> 8.1);
    `scaled`: a format whose vendor documents scores written times ten (none does so far)."""
    value = vendor_values.text(pl.col(name)).str.extract(r"^(\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False)
    return (value / 10).round(1) if scaled else value


def epss_fraction(name: str) -> pl.Expr:
    """An EPSS score as written: a probability in [0, 1] (FIRST's definition, which Tenable
    exports as is). A value outside [0, 1] is refused by `refuse_out_of_scale`, not rescaled."""
    return vendor_values.text(pl.col(name)).cast(pl.Float64, strict=False)


def refuse_out_of_scale(
    frame: pl.DataFrame, checks: Iterable[tuple[str, str, tuple[float, float]]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The records whose score lies outside its scale, refused with their reason.

    `checks` are (vendor column, canonical field, (low, high)). A record with a value
    outside its scale (CVSS 53, EPSS 9438) is removed from `frame` and reported, one
    rejected row per refused field, with the vendor's text: no rule guesses what scale
    an out-of-range number was written in (docs/DECISIONS.md, "Vendor numbers").
    Returns (kept records, rejected rows in ingest.rejected_rows' shape).
    """
    from ingest.formats.base import REJECTED_SCHEMA

    refusals = []
    for column, field, (low, high) in checks:
        if column not in frame.columns:
            continue
        value = score(column) if field == "cvss_score" else epss_fraction(column)
        scale = f"{low:g}..{high:g}"
        refusals.append(
            frame.filter((value < low) | (value > high)).select(
                pl.lit(FINDINGS_TABLE).alias("entity"),
                pl.col(SOURCE_ROW).cast(pl.Int64).alias("source_row"),
                pl.lit(field).alias("field"),
                vendor_values.text(pl.col(column)).alias("value"),
                (pl.lit(f"{column} ") + vendor_values.text(pl.col(column))
                 + pl.lit(f" is outside the {'CVSS' if field == 'cvss_score' else 'EPSS'} scale {scale} "
                          "(the vendor documents no other scale; not rescaled)")).alias("reason"),
            )
        )
    rejected = pl.concat(refusals) if refusals else pl.DataFrame(schema=REJECTED_SCHEMA)
    rejected = rejected.cast(REJECTED_SCHEMA).sort("source_row", maintain_order=True)
    refused_rows = rejected["source_row"].unique().to_list()
    return frame.filter(~pl.col(SOURCE_ROW).is_in(refused_rows)), rejected


# --- the canonical frame -----------------------------------------------------------------


def empty_findings() -> pl.DataFrame:
    schema = {name: pl.String for name in CANONICAL}
    return pl.DataFrame(schema={**schema, SOURCE_ROW: pl.Int64, EXTRA: pl.String})


def finish(frame: pl.DataFrame, path: Path, context: ParseContext | None) -> pl.DataFrame:
    """The findings frame the loader expects, from a frame of canonical and extra columns.

    Canonical columns absent from `frame` are blank; they become trimmed text with
    null-like words as null, and vendor timestamp forms become ISO text. The asset
    environment is completed (`_assets`). Every other column except `_source_row`
    goes into `_extra`, one JSON object per row, keys in column order.
    """
    if SOURCE_ROW not in frame.columns:
        frame = frame.with_row_index(SOURCE_ROW, offset=1)
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(name) for name in CANONICAL if name not in frame.columns
    )
    frame = frame.with_columns(
        vendor_values.text(pl.col(name).cast(pl.String)).alias(name) for name in CANONICAL
    ).with_columns(
        vendor_values.timestamp(pl.col(name)).alias(name) for name in FINDINGS.timestamp_columns
    )
    frame = _assets.complete_environment(frame, context)
    extras = [name for name in frame.columns if name not in CANONICAL and name != SOURCE_ROW]
    extra = (
        pl.struct(extras).struct.json_encode() if extras else pl.lit(None, dtype=pl.String)
    ).alias(EXTRA)
    return frame.select(
        *CANONICAL, pl.col(SOURCE_ROW).cast(pl.Int64), extra
    )


def frame_from_columns(columns: dict[str, list], schema: dict[str, pl.DataType], path: Path) -> pl.DataFrame:
    """A frame from column lists built from a parsed document (through Arrow: lists of text are fast)."""
    arrow_types = {
        pl.String: pa.large_string(), pl.Int64: pa.int64(), pl.Float64: pa.float64(), pl.Boolean: pa.bool_(),
        pl.List(pl.String): pa.large_list(pa.large_string()),
    }
    try:
        table = pa.table({name: pa.array(columns[name], type=arrow_types[dtype]) for name, dtype in schema.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:  # a value the column's type cannot hold
        raise ExportError(f"{path}: unexpected value types: {str(error).splitlines()[0]}") from error
    return pl.from_arrow(table)
