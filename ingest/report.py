"""What an ingest run did, per file and in total, for logs, asset metadata and checks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

FileStatus = Literal[
    "loaded", "duplicate", "failed", "already_loaded", "withdrawn",
    # reinstated: earlier bytes back under their name after a correction superseded them
    "reinstated",
    # not read this run (SOURCES.md, "The landing folder"): not an export, or still being written
    "ignored", "unsettled",
]
# Outcomes that are said to whoever runs ingest as a `warning:` line.
WARNING_STATUSES = ("ignored", "unsettled")


@dataclass
class FileResult:
    """One landing file in one run.

    `file` is the path relative to the landing folder. `rows_loaded` and
    `rejected_by_table` are keyed by entity table; `rows_rejected` counts
    refused records (a record refused for two fields counts once).
    """

    file: str
    sha256: str
    family: str
    status: FileStatus
    format: str | None = None
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_rejected: int = 0
    rejected_by_table: dict[str, int] = field(default_factory=dict)
    naive_timestamps: int = 0
    error: str | None = None
    duplicate_of: str | None = None
    notes: list[str] = field(default_factory=list)
    # record accounting (issue 17): records the export held, rows made per entity and
    # finding class ("findings/vulnerability", "findings/clean_scan", "identities"),
    # records the format skipped by its counting rule, by reason
    records_held: int | None = None
    rows_by_class: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows_loaded(self) -> int:
        return sum(self.rows_loaded.values())


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def with_status(self, status: FileStatus) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def failed(self) -> list[FileResult]:
        return self.with_status("failed")

    @property
    def loaded(self) -> list[FileResult]:
        return self.with_status("loaded")

    @property
    def rows_loaded_by_table(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for result in self.loaded:
            totals.update(result.rows_loaded)
        return dict(totals)

    @property
    def rejected_by_table(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for result in self.loaded:
            totals.update(result.rejected_by_table)
        return dict(totals)

    @property
    def files_by_table(self) -> dict[str, list[str]]:
        """Files loaded in this run into each table (a file with only refused rows included)."""
        files: dict[str, list[str]] = {}
        for result in self.loaded:
            for table in result.rows_loaded:
                files.setdefault(table, []).append(result.file)
        return files

    def warning_lines(self) -> list[str]:
        """One line per path the run did not read, with the reason (each names its path)."""
        return [f.error or f.file for f in self.files if f.status in WARNING_STATUSES]

    def summary_lines(self) -> list[str]:
        """Human-readable lines: one total, then one per file that needs attention or loaded.

        Paths not read (ignored, still being written) are in `warning_lines`.
        """
        counts = Counter(f.status for f in self.files)
        rows = sum(f.total_rows_loaded for f in self.loaded)
        rejected = sum(f.rows_rejected for f in self.loaded)
        lines = [
            f"{len(self.files)} file(s): "
            + ", ".join(f"{counts[s]} {s}" for s in ("loaded", "duplicate", "already_loaded", "withdrawn", "failed")
                       + tuple(s for s in ("reinstated", "ignored", "unsettled") if counts[s]))
            + f"; {rows} row(s) loaded, {rejected} rejected"
        ]
        for result in self.files:
            if result.status == "loaded":
                tables = ", ".join(f"{t} {n}" for t, n in sorted(result.rows_loaded.items())) or "no rows"
                extra = []
                if result.rows_rejected:
                    extra.append(f"{result.rows_rejected} rejected")
                if result.naive_timestamps:
                    extra.append(f"{result.naive_timestamps} timestamp(s) without offset")
                suffix = f" ({'; '.join(extra)})" if extra else ""
                lines.append(f"loaded {result.file} [{result.format}]: {tables}{suffix}")
            elif result.status == "duplicate":
                lines.append(f"duplicate {result.file}: same bytes as {result.duplicate_of}, not loaded again")
            elif result.status == "reinstated":
                lines.append(f"reinstated {result.file}: its earlier bytes are back and count again")
            elif result.status == "failed":
                error = result.error or "unknown error"
                # Errors name the file already; do not say it twice.
                named = error if error.startswith(result.file) else f"{result.file}: {error}"
                lines.append(f"FAILED {named}")
        return lines
