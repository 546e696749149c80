"""Dry run of ingest: what a file would load, and what it would refuse, loading nothing.

The file goes through the real path (format detection, parsing, typing and
rejection in DuckDB) against a throwaway in-memory warehouse, so the answer is
exactly what `secops run` would do with it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.landing import NOT_EXPORTS_SUFFIX as MAPPING_SUFFIX
from ingest.load import ingest_landing
from ingest.schemas import FAMILIES
from ingest.warehouse import ensure_schema


@dataclass
class ValidationResult:
    file: Path
    family: str | None
    format: str | None = None
    rows_by_table: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple] = field(default_factory=list)  # (entity, row, field, value, reason)
    error: str | None = None
    # record accounting (issue 17): records held, rows per entity/class, skipped by reason
    records_held: int | None = None
    rows_by_class: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def accounting(self) -> str:
        """Where every record of the export went: rows of which entity and class, refused, skipped."""
        made = ", ".join(f"{n} {label}" for label, n in sorted(self.rows_by_class.items())) or "no row"
        refused = len({(entity, row) for entity, row, *_ in self.rejected})
        skipped = sum(self.skipped.values())
        why = "; ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        return (f"  records: {self.records_held} held -> rows: {made}; {refused} record(s) refused; "
                f"{skipped} skipped" + (f" ({why})" if why else ""))

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.file}: cannot be loaded: {self.error}"]
        counts = ", ".join(f"{rows} {table}" for table, rows in sorted(self.rows_by_table.items()))
        lines = [f"{self.file}: {self.format} ({self.family}); would load {counts or 'nothing'}"
                 f"; {len(self.rejected)} field(s) refused", self.accounting()]
        lines += [
            f"  refused: {entity} row {row} field {name} value {value!r}: {reason}"
            for entity, row, name, value, reason in self.rejected
        ]
        return lines


def _family_of(path: Path, family: str | None) -> str | None:
    if family:
        return family
    return next((part for part in reversed(path.resolve().parts[:-1]) if part in FAMILIES), None)


def validate_file(path: Path, *, family: str | None = None, default_tz: str = "UTC") -> ValidationResult:
    path = Path(path)
    family = _family_of(path, family)
    result = ValidationResult(path, family)
    if family is None:
        result.error = f"no family: put the file under a folder named one of {', '.join(FAMILIES)} or pass --family"
        return result
    if not path.is_file():
        result.error = "no such file"
        return result
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        ensure_schema(con)
        with tempfile.TemporaryDirectory(prefix="secops-validate-") as landing:
            folder = Path(landing) / family
            folder.mkdir()
            (folder / path.name).symlink_to(path.resolve())
            # a companion file the format reads beside the export (a column mapping)
            companion = path.with_name(f"{path.stem}{MAPPING_SUFFIX}")
            if companion.is_file():
                (folder / companion.name).symlink_to(companion.resolve())
            report = ingest_landing(con, Path(landing), families=[family], default_tz=default_tz)
        if not report.files:
            result.error = "not an export: the landing folder skips such files (a column mapping, a dotfile)"
            return result
        (file_result,) = report.files
        result.format = file_result.format
        if file_result.status == "failed":
            result.error = file_result.error
            return result
        result.rows_by_table = {t: n for t, n in file_result.rows_loaded.items() if n or t in file_result.rejected_by_table}
        result.records_held = file_result.records_held
        result.rows_by_class = dict(file_result.rows_by_class)
        result.skipped = dict(file_result.skipped)
        result.rejected = con.sql(
            "SELECT entity, source_row, field, value, reason FROM ingest.rejected_rows "
            "ORDER BY entity, source_row, field"
        ).fetchall()
    finally:
        con.close()
    return result
