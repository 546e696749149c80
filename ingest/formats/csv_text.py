"""Reading a comma-separated export into text frames, shared by every CSV format.

Everything here is vectorised polars: a file is read once, as strings only
(typing is the loader's job, identical for every format), and the helpers
reshape whole columns. Errors become `ExportError`s that name the file and,
where it can be found, the line or record and column, without polars'
"try infer_schema_length" hints that mean nothing to whoever dropped the file.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import polars as pl

from ingest.formats.base import ExportError, StreamedFrame

UTF8_BOM = b"\xef\xbb\xbf"
# Records per batch when a CSV is streamed (stream_csv_text): about 8 MB of text for a findings CSV.
STREAM_BATCH_ROWS = 50_000
SOURCE_ROW = "_source_row"
EXTRA = "_extra"


def normalise_name(name: str, position: int) -> str:
    """Header names compare stripped and lower-cased; an empty one gets a positional name."""
    cleaned = name.strip().lower()
    return cleaned or f"column_{position}"


def separator_of(text: str) -> str:
    """`;` when the first line has more semicolons than commas (spreadsheet exports in
    locales whose decimal mark is a comma), else `,`."""
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_header(head: bytes) -> list[str] | None:
    """The normalised header names of a CSV, from its first bytes; None if there is none.

    Only the first record is parsed (with the csv module, so a quoted name with a
    comma works); the head may end mid-character, hence the lenient decoding.
    """
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    text = head.decode("utf-8", errors="replace")
    try:
        first = next(csv.reader(io.StringIO(text), delimiter=separator_of(text)), None)
    except csv.Error:
        return None
    if not first or all(not name.strip() for name in first):
        return None
    return [normalise_name(name, i) for i, name in enumerate(first, start=1)]


def read_csv_text(path: Path, header: Sequence[str]) -> pl.DataFrame:
    """The whole file as strings, columns named by `header`, plus `_source_row`.

    `_source_row` is the 1-based record number after the header. Entirely blank
    records (blank lines, or only separators) carry nothing and are dropped;
    numbering is taken before that, so it still matches the file. A record with
    fewer fields than the header is padded with blanks (what polars does, and
    what spreadsheet tools that trim trailing empty cells produce); one with more
    fields, an unterminated quote or invalid UTF-8 fails the whole file.
    """
    try:
        frame = _scan(path, header).collect()
    except ExportError:
        raise
    except Exception as error:  # polars raises several exception types for bad input
        raise ExportError(f"{path}: unreadable CSV: {_explain(path, error, len(header))}") from error
    return frame


def stream_csv_text(
    path: Path, header: Sequence[str], transform: Callable[[pl.DataFrame], pl.DataFrame]
) -> StreamedFrame:
    """`read_csv_text` in batches of STREAM_BATCH_ROWS records, each passed through `transform`.

    Same rows, numbering and errors as `read_csv_text`, read in polars' streaming
    engine so a 1 GB export never sits in memory whole.
    """
    empty = pl.DataFrame(schema={**{name: pl.String for name in header}, SOURCE_ROW: pl.Int64})
    columns = transform(empty).columns

    def batches() -> Iterator[pl.DataFrame]:
        lazy = _scan(path, header)
        try:
            for batch in lazy.collect_batches(chunk_size=STREAM_BATCH_ROWS):
                yield transform(batch)
        except ExportError:
            raise
        except Exception as error:  # polars raises several exception types for bad input
            raise ExportError(f"{path}: unreadable CSV: {_explain(path, error, len(header))}") from error

    return StreamedFrame(columns=columns, batches=batches)


def _scan(path: Path, header: Sequence[str]) -> pl.LazyFrame:
    """The lazy read behind read_csv_text and stream_csv_text (see read_csv_text)."""
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ExportError(f"{path}: duplicate column(s) in the header: {', '.join(duplicates)}")
    try:
        with path.open("rb") as handle:
            separator = separator_of(handle.read(4096).decode("utf-8", errors="replace"))
        lazy = pl.scan_csv(
            path,
            has_header=True,
            infer_schema=False,
            separator=separator,
            quote_char='"',
            encoding="utf8",
            raise_if_empty=False,
        )
        width = len(lazy.collect_schema())
    except Exception as error:  # polars raises several exception types for bad input
        raise ExportError(f"{path}: unreadable CSV: {_explain(path, error, len(header))}") from error
    if width != len(header):
        raise ExportError(
            f"{path}: header has {len(header)} columns but the CSV reader found {width}"
        )
    lazy = lazy.rename(dict(zip(lazy.collect_schema().names(), header)))
    lazy = lazy.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    data_columns = [pl.col(name) for name in header]
    blank_record = pl.all_horizontal(
        [c.is_null() | (c.str.strip_chars() == "") for c in data_columns]
    )
    return lazy.filter(~blank_record)


def tidy_text(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Trim surrounding whitespace; a blank value is unknown (null)."""
    return frame.with_columns(
        pl.col(name).str.strip_chars().replace("", None) for name in columns
    )


def with_extras(frame: pl.DataFrame, canonical: Iterable[str]) -> pl.DataFrame:
    """Collapse every column that is not canonical into `_extra`, a JSON object string.

    `_extra` is null when the file has no extra columns. Keys are the normalised
    header names; values are the trimmed text (null when blank).
    """
    keep = set(canonical) | {SOURCE_ROW}
    extras = [name for name in frame.columns if name not in keep]
    if not extras:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA))
    return frame.with_columns(
        pl.struct(extras).struct.json_encode().alias(EXTRA)
    ).drop(extras)


# --- error explanations -----------------------------------------------------------

_UNESCAPED = re.compile(r"could not parse `(?P<field>.*?)` as dtype `str` at column '(?P<column>[^']*)'", re.S)


def _explain(path: Path, error: Exception, width: int) -> str:
    """A short, located reason for a polars read error (the file is only re-read here)."""
    message = str(error)
    try:
        data = path.read_bytes()
    except OSError:
        return _first_line(message)
    if "utf-8" in message.lower() or "utf8" in message.lower():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = data.count(b"\n", 0, bad.start) + 1
            return f"not valid UTF-8 at line {line}"
        return "not valid UTF-8"
    match = _UNESCAPED.search(message)
    if match:
        field = match.group("field")
        line = _line_of(data, field)
        where = f" at line {line}" if line else ""
        return (
            f"unterminated or misplaced quote in column '{match.group('column')}'{where} "
            f"(field starts {field[:40]!r})"
        )
    if "more fields" in message:
        record = _first_wide_record(data, width)
        where = f" at record {record} after the header" if record else " (an unquoted comma in a value?)"
        return f"a record has more fields than the header's {width}{where}"
    return _first_line(message)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def _line_of(data: bytes, field: str) -> int | None:
    needle = field[:80].encode("utf-8", errors="ignore")
    position = data.find(needle) if needle else -1
    return data.count(b"\n", 0, position) + 1 if position >= 0 else None


def _first_wide_record(data: bytes, width: int) -> int | None:
    """The first data record with more than `width` fields, found by re-reading wider.

    Only found when a surplus field has text: polars reads an empty surplus field
    and a missing one alike (null), and no vectorised reader tells them apart.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    spare = 256
    wide_header = ",".join(f"c{i}" for i in range(width + spare)).encode() + b"\n"
    try:
        wide = pl.read_csv(
            wide_header + data, has_header=True, infer_schema=False, truncate_ragged_lines=True
        )
    except Exception:
        return None
    # Record 1 of this frame is the real header; data records follow.
    overflow = wide.with_row_index("record").filter(pl.col(f"c{width}").is_not_null())
    if overflow.is_empty():
        return None
    return int(overflow["record"][0])
