"""CISA Known Exploited Vulnerabilities catalogue, JSON edition (SOURCES.md "scanner: findings").

`known_exploited_vulnerabilities.json` as CISA publishes it: a header object
`{title, catalogVersion, dateReleased, count, vulnerabilities: [...]}` whose
entries carry the fields of the CSV edition (`cwes` as a JSON array). Every entry
becomes a `kev_catalog` row with the header's `catalogVersion` and `dateReleased`
(an ISO instant with `Z`, fractional seconds allowed). Record numbers
(`_source_row`) are the 1-based positions in `vulnerabilities`.

Dates follow the CSV edition's readings (ingest/formats/scanner/kev_csv.py):
`dateAdded` is 00:00 UTC of its date; `dueDate` stays text. `count` is CISA's
count of the full catalogue (an excerpt may hold fewer entries): it is only
reported in the notes when it differs from the entries read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats._structure import json_structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.scanner.kev_csv import EXTRA_FIELDS, KEV_FIELDS, kev_frame
from ingest.rules import ParseContext
from ingest.schemas import KEV_CATALOG


def _text(value: Any) -> str | None:
    """A JSON value as text: strings as they are, arrays and objects as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class KevJson(ExportFormat):
    name: ClassVar[str] = "cisa_kev_json"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        # By structure: top-level catalogVersion and vulnerabilities, in any order.
        doc = json_structure(path, head)
        return doc is not None and doc.kind == "object" and {"catalogVersion", "vulnerabilities"} <= doc.keys

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        try:
            document = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ExportError(f"{path}: not valid JSON: {error}") from error
        if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
            raise ExportError(f"{path}: not a CISA KEV JSON catalogue (no 'vulnerabilities' array)")
        entries = document["vulnerabilities"]
        fields = {**KEV_FIELDS, **EXTRA_FIELDS}
        columns: dict[str, list[str | None]] = {column: [] for column in fields.values()}
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise ExportError(f"{path}: vulnerabilities[{position - 1}] is not an object")
            for name, column in fields.items():
                columns[column].append(_text(entry.get(name)))
        frame = pl.DataFrame(
            {**columns, SOURCE_ROW: list(range(1, len(entries) + 1))},
            schema={**{column: pl.String for column in columns}, SOURCE_ROW: pl.Int64},
        ).with_columns(
            pl.lit(_text(document.get("catalogVersion")), dtype=pl.String).alias("catalog_version"),
            pl.lit(_text(document.get("dateReleased")), dtype=pl.String).alias("date_released"),
        )
        notes = []
        count = document.get("count")
        if isinstance(count, int) and count != len(entries):
            notes.append(
                f"{path.name}: the catalogue header counts {count} entries, the file holds "
                f"{len(entries)} (an excerpt); the entries present are loaded"
            )
        return ParsedExport(
            format_name=self.name, entities={KEV_CATALOG.table: kev_frame(frame)}, notes=notes
        )
