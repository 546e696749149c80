"""generate_landing(): orchestrates the families and reports what was written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.schemas import CANONICAL_ENTITIES as ENTITIES

from ._base import UTC, Calendar, Landing, from_epoch
from .backup import write_backup_jobs
from .iam import write_access_reviews, write_identities
from .incident import write_incidents
from .population import make_assets, make_people
from .scanner import write_certificates, write_findings
from .training import write_assignments, write_phishing

# Timestamp columns that are deadlines or validity bounds, not events: they may lie
# after `end` (a certificate valid until next year, an assignment due later this month).
FORWARD_COLUMNS: dict[str, tuple[str, ...]] = {
    "certificates": ("not_after",),
    "assignments": ("due_at",),
    "access_reviews": ("due_at",),
}


@dataclass(frozen=True)
class GenerationReport:
    out: Path
    start: datetime                 # first instant of the first month covered
    end: datetime                   # nothing (but FORWARD_COLUMNS) is timestamped after it
    months: int
    seed: int
    scale: float
    quirks: bool
    files: tuple[str, ...]          # paths relative to `out`, posix style, sorted
    rows: dict[str, int]            # entity table -> data rows written (every entity listed)
    notes: tuple[str, ...] = field(default=())   # what was planted, "quirk: ..." first-class
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def quirk_notes(self) -> tuple[str, ...]:
        return tuple(n for n in self.notes if n.startswith("quirk:"))

    def files_of(self, table: str) -> tuple[str, ...]:
        prefix = {"phishing_results": "phishing_"}.get(table, f"{table}_")
        return tuple(f for f in self.files if f.rsplit("/", 1)[-1].startswith(prefix))

    def summary(self) -> str:
        lines = [
            f"generated {len(self.files)} files, {self.total_rows:,} rows under {self.out} "
            f"({self.start:%Y-%m-%d} .. {self.end:%Y-%m-%dT%H:%MZ}, seed {self.seed}, "
            f"scale {self.scale:g}, quirks {'on' if self.quirks else 'off'}) in {self.seconds:.1f} s",
        ]
        for e in ENTITIES:
            lines.append(f"  {e.family + '/' + e.table:<26} {self.rows.get(e.table, 0):>12,} rows "
                         f"{len(self.files_of(e.table)):>5} files")
        lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def _normalise_end(end: datetime | None) -> datetime:
    if end is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end.astimezone(UTC).replace(microsecond=0)


def generate_landing(out: Path, *, months: int = 6, seed: int = 7, scale: float = 1.0,
                     end: datetime | None = None, quirks: bool = True) -> GenerationReport:
    """Write a synthetic landing zone of canonical CSVs under `out` (see the package doc)."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    t0 = time.perf_counter()
    end_dt = _normalise_end(end)
    cal = Calendar.build(end_dt, months)
    out = Path(out)
    landing = Landing(out)
    notes: list[str] = []
    people = make_people(cal, seed, scale)
    assets = make_assets(cal, seed, scale)

    write_findings(landing, cal, seed, assets, notes)
    write_certificates(landing, cal, seed, scale, assets, notes)
    write_identities(landing, cal, seed, people, notes)
    write_access_reviews(landing, cal, seed, people, quirks, notes)
    write_assignments(landing, cal, seed, people, quirks, notes)
    write_phishing(landing, cal, seed, people, notes)
    write_backup_jobs(landing, cal, seed, scale, assets, quirks, notes)
    write_incidents(landing, cal, seed, scale, quirks, notes)

    notes.sort(key=lambda n: (not n.startswith("quirk:"), n))
    return GenerationReport(
        out=out, start=from_epoch(cal.start), end=end_dt, months=months, seed=seed, scale=scale,
        quirks=quirks, files=tuple(sorted(landing.files)),
        rows={e.table: landing.rows.get(e.table, 0) for e in ENTITIES},
        notes=tuple(notes), seconds=time.perf_counter() - t0,
    )
