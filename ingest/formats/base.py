"""The one small interface every export format implements.

A format module under `ingest/formats/<family>/` defines a subclass of
`ExportFormat`; the registry finds it by import. `parse` returns canonical
rows as text (casting, required fields and rejection are the loader's job, so
every format is typed and checked the same way) plus rows the format itself
could not map, with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Iterator

import polars as pl

from ingest.rules import ParseContext

# Columns of ParsedExport.rejected.
REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "entity": pl.String,
    "source_row": pl.Int64,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


class ExportError(Exception):
    """The file cannot be read as a whole; nothing of it is loaded.

    The message names the file and, where it applies, the record and field.
    """


@dataclass
class StreamedFrame:
    """An entity's rows handed over in batches, for exports too large to hold at once.

    `columns` are the columns every batch has (as for a frame of `ParsedExport.entities`);
    `batches()` reads the file once, in order, raising ExportError for a bad record.
    The loader types and inserts each batch in the file's one transaction.
    """

    columns: list[str]
    batches: Callable[[], Iterator[pl.DataFrame]]


@dataclass
class ParsedExport:
    """What one file holds, in canonical terms.

    `entities` maps an entity table name (see ingest.schemas) to a polars frame
    whose columns are that entity's canonical column names as strings (missing
    ones may be absent), plus `_source_row` (Int64, 1-based record number) and
    `_extra` (String: JSON object of the columns beyond the canonical ones, or null).
    A large export may hand an entity over as a `StreamedFrame` instead.
    """

    format_name: str
    entities: dict[str, pl.DataFrame | StreamedFrame]
    rejected: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=REJECTED_SCHEMA)
    )
    notes: list[str] = field(default_factory=list)
    # Nothing dropped without a word (issue 17): how many records the export held (None:
    # the format does not count them; then the rows are the records), and the records
    # that became no row, by reason ("PASS misconfiguration ...": count). The rows made,
    # per entity and finding class, are counted from `entities` by the loader.
    records: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)


class ExportFormat:
    """One vendor or canonical export format."""

    name: ClassVar[str]
    # Landing sub-folders (families) this format may appear in.
    families: ClassVar[tuple[str, ...]]

    def detect(self, path: Path, head: bytes) -> bool:
        """True when this file is of this format; `head` is the file's first 64 KiB."""
        raise NotImplementedError

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        """Read the whole file; raise ExportError when it cannot be read.

        `context` gives the landing folder and the completion rules (ingest/rules.yaml)
        for formats that must complete a field the export lacks.
        """
        raise NotImplementedError

    def parse_streaming(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        """What the loader calls: `parse`, except that an entity may come as a StreamedFrame.

        A format whose exports can be very large overrides this to hand its rows over
        in batches; the others need not.
        """
        return self.parse(path, family, context)
