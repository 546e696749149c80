"""Dry run of ingest: what a file would load, and what it would refuse, loading nothing.

The file goes through the real path (the landing folder's rules, format
detection, parsing, typing and rejection in DuckDB) against a throwaway
warehouse, so the answer is exactly what `secops run` would do with it. The
file is read where it lies: its landing folder is the parent of the family
folder it is in (or its own folder with `--family`), so a link leading outside
it is refused as a run would refuse it. The throwaway warehouse is a file in
the temporary folder with the configured memory limit, so a large export
spills to disk instead of growing in memory.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ingest.landing import NOT_EXPORTS_SUFFIX as MAPPING_SUFFIX
from ingest.landing import entry_problem, quiet_seconds
from ingest.load import ingest_one
from ingest.schemas import FAMILIES
from ingest.warehouse import connect, ensure_schema


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


def _landing_of(path: Path, family: str | None) -> tuple[str | None, Path]:
    """The file's family and landing folder, from where it lies (links not resolved)."""
    for folder in path.parents:
        if folder.name in FAMILIES and (family is None or folder.name == family):
            return folder.name, folder.parent
    return family, path.parent


def validate_file(path: Path, *, family: str | None = None, default_tz: str = "UTC") -> ValidationResult:
    path = Path(path).absolute()
    family, landing = _landing_of(path, family)
    result = ValidationResult(path, family)
    if family is None:
        result.error = f"no family: put the file under a folder named one of {', '.join(FAMILIES)} or pass --family"
        return result
    if not path.exists() and not path.is_symlink():
        result.error = "no such file"
        return result
    if path.name.startswith(".") or path.name.lower().endswith(MAPPING_SUFFIX):
        result.error = "not an export: the landing folder skips such files (a column mapping, a dotfile)"
        return result
    problem = entry_problem(path, landing.resolve())
    if problem is None and path.is_dir():
        problem = "a folder, not an export file"
    if problem is not None:
        result.error = f"ignored: {problem}"
        return result
    with tempfile.TemporaryDirectory(prefix="secops-validate-") as scratch:
        con = connect(Path(scratch) / "validate.duckdb")
        try:
            ensure_schema(con)
            file_result = ingest_one(
                con, landing, family, path, default_tz=default_tz,
                now=datetime.now(timezone.utc), quiet_seconds=quiet_seconds(),
            )
            result.format = file_result.format
            if file_result.status in ("failed", "unsettled"):
                result.error = file_result.error
                return result
            result.rows_by_table = {
                t: n for t, n in file_result.rows_loaded.items() if n or t in file_result.rejected_by_table
            }
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
