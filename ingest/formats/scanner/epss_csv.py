"""FIRST EPSS daily scores, CSV (SOURCES.md "scanner: findings": enrichment).

The file FIRST publishes daily (`epss_scores-YYYY-MM-DD.csv`, decompressed):

    #model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z
    cve,epss,percentile
    CVE-1999-0001,0.03351,0.88255

The comment line before the header names the model version and the score date
(an ISO instant); every row of the file becomes an `epss_scores` row with both.
Scores are probabilities in [0, 1] written with varying decimals; the loader types
them as doubles. A file without the comment line (files before model v2, 2022)
loads with blank model_version and score_date, which int_epss_latest cannot place
in time and so leaves out (a note says so). EPSS never changes exploited_in_wild.
Record numbers (`_source_row`) count the data records after the header line.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import UTF8_BOM, SOURCE_ROW, normalise_name, read_header, with_extras
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext
from ingest.schemas import EPSS_SCORES

COMMENT = b"#"
COMMENT_KEYS = {"model_version": "model_version", "score_date": "score_date"}
# FIRST's header: `cve,epss,percentile` (the first files had no percentile). A header
# with more columns (the canonical epss_scores one has model_version, score_date) is not it.
_HEADER_START = ("cve", "epss")
_HEADER_COLUMNS = {"cve", "epss", "percentile"}


def _split(head: bytes) -> tuple[str | None, bytes]:
    """(the comment line's text or None, the bytes from the header on)."""
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    if not head.startswith(COMMENT):
        return None, head
    line, _, rest = head.partition(b"\n")
    return line[1:].decode("utf-8", errors="replace").strip(), rest


def comment_fields(comment: str | None) -> dict[str, str]:
    """`model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z` as a dict (keys lower-cased)."""
    fields: dict[str, str] = {}
    for part in (comment or "").split(","):
        key, sep, value = part.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def _is_epss_header(header: list[str] | None) -> bool:
    return header is not None and tuple(header[:2]) == _HEADER_START and set(header) <= _HEADER_COLUMNS


class EpssCsv(ExportFormat):
    name: ClassVar[str] = "first_epss_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        comment, rest = _split(head)
        if comment is not None and not comment.lower().startswith("model_version:"):
            return False
        return _is_epss_header(read_header(rest))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        with path.open("rb") as handle:
            comment, rest = _split(handle.read(HEAD_BYTES))
        header = read_header(rest)
        if not _is_epss_header(header):
            raise ExportError(f"{path}: not a FIRST EPSS CSV (the header must be cve,epss,percentile)")
        try:
            frame = pl.read_csv(
                path,
                has_header=True,
                comment_prefix="#",
                infer_schema=False,
                separator=",",
                quote_char='"',
                encoding="utf8",
                raise_if_empty=False,
            )
        except Exception as error:  # polars raises several exception types for bad input
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ExportError(f"{path}: unreadable EPSS CSV: {first}") from error
        frame.columns = [normalise_name(name, i) for i, name in enumerate(frame.columns, start=1)]
        frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
        data = [name for name in frame.columns if name != SOURCE_ROW]
        frame = frame.with_columns(vendor_values.text(pl.col(name)).alias(name) for name in data)
        frame = frame.filter(~pl.all_horizontal(pl.col(name).is_null() for name in data))

        fields = comment_fields(comment)
        frame = frame.with_columns(
            pl.col("cve").str.to_uppercase(),
            *(
                pl.lit(fields.get(key), dtype=pl.String).alias(column)
                for key, column in COMMENT_KEYS.items()
            ),
        )
        notes = []
        if "score_date" not in fields:
            notes.append(
                f"{path.name}: no '#model_version:...,score_date:...' line; the scores load "
                "without a score date, which the EPSS columns of the findings cannot use"
            )
        return ParsedExport(
            format_name=self.name,
            entities={EPSS_SCORES.table: with_extras(frame, EPSS_SCORES.column_names)},
            notes=notes,
        )
