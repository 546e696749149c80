"""Canonical CSV exports (SOURCES.md, "Canonical CSVs"): one entity per file, known by its header.

The header decides the entity: of the entities of the file's family, the one
whose canonical columns the header shares most. A header is recognised only when
it clearly aims at an entity (see `recognise`), so vendor CSVs in the same folder
(credential reports, Nessus, Qualys, KEV...) are left to their own formats. A
recognised header that lacks some canonical columns is a broken export: parsing
it fails and names the missing columns, rather than loading guesses.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Sequence

from ingest.rules import ParseContext
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import (
    read_csv_text,
    read_header,
    stream_csv_text,
    tidy_text,
    with_extras,
)
from ingest.formats.registry import HEAD_BYTES
from ingest.schemas import FAMILIES, Entity, entities_of

# With every required column present, this many shared columns is enough to
# say which entity a header means (access reviews require only item_id, and a
# single shared name is too weak to claim a file other formats may own).
MIN_SHARED_WITH_REQUIRED = 2


def recognise(header: Sequence[str], family: str) -> Entity | None:
    """The canonical entity of `family` this header is meant to be, or None.

    Recognised when the header has at least half of the entity's canonical
    columns, or all its required columns plus a few more. An entity SOURCES.md
    gives no canonical CSV section (KEV, EPSS: vendor formats only) is recognised
    only by a header with every one of its columns, so a vendor file such as an
    EPSS CSV without its comment line (`cve,epss,percentile`) is left to its own
    format. Ties go to the entity with the larger share of its columns present,
    then to schema order.
    """
    names = set(header)
    candidates: list[tuple[int, float, int, Entity]] = []
    for order, entity in enumerate(entities_of(family)):
        shared = len(names & set(entity.mandatory_columns))
        total = len(entity.mandatory_columns)
        if not entity.canonical_section:
            if shared == total:
                candidates.append((shared, 1.0, -order, entity))
            continue
        has_required = set(entity.required_columns) <= names
        if shared * 2 >= total or (has_required and shared >= min(MIN_SHARED_WITH_REQUIRED, total)):
            candidates.append((shared, shared / total, -order, entity))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[:3])[3]


class CanonicalCsv(ExportFormat):
    name: ClassVar[str] = "canonical_csv"
    families: ClassVar[tuple[str, ...]] = FAMILIES

    def detect(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        header = read_header(head)
        if header is None:
            return False
        return any(recognise(header, family) is not None for family in _families_for(path))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        entity, header = self._entity_and_header(path, family)
        frame = with_extras(tidy_text(read_csv_text(path, header), header), entity.column_names)
        return ParsedExport(format_name=self.name, entities={entity.table: frame})

    def parse_streaming(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        # A canonical export may be a 1 GB snapshot: typed and loaded batch by batch.
        entity, header = self._entity_and_header(path, family)
        columns = entity.column_names
        rows = stream_csv_text(path, header, lambda batch: with_extras(tidy_text(batch, header), columns))
        return ParsedExport(format_name=self.name, entities={entity.table: rows})

    def _entity_and_header(self, path: Path, family: str) -> tuple[Entity, list[str]]:
        with path.open("rb") as handle:
            header = read_header(handle.read(HEAD_BYTES))
        entity = recognise(header, family) if header else None
        if entity is None:
            raise ExportError(f"{path}: header is not a canonical {family} CSV")
        missing = [c for c in entity.mandatory_columns if c not in header]
        if missing:
            raise ExportError(
                f"{path}: broken schema for canonical {entity.table} CSV: "
                f"missing column(s) {', '.join(missing)}"
            )
        return entity, header


def _families_for(path: Path) -> tuple[str, ...]:
    """The family a file belongs to, from its nearest family folder.

    `detect` is not told the family, but the loader offers a file only to the
    formats of the folder it lies in, `<landing>/<family>/...`; a path outside
    any family folder (a direct call) is checked against every family.
    """
    for folder in path.parents:
        if folder.name in FAMILIES:
            return (folder.name,)
    return FAMILIES
