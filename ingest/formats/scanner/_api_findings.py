"""What the findings formats of cloud and code-hosting APIs share (Inspector2, Security Hub
ASFF, OCSF, Snyk, GitHub Dependabot and code scanning).

These exports are finding *lists*, not one scanner run: they carry no scan id and, mostly, no
time of their own. The rules, the same for every such format:

- scan_id: `sha256:<hex>` of the file's bytes (the same bytes are the same snapshot).
- scanned_at: one time for the whole file, so that every asset it names is scanned once: the
  latest of the per-finding observation times the format names (Inspector `lastObservedAt`,
  ASFF `UpdatedAt`, OCSF `time`, GitHub `updated_at`), i.e. the newest state the listing
  shows; none -> the file's modification time, marked `fallback_file_mtime` (`_findings`).
  `_extra.scanned_at_source` names the field.
- A finding in a fixed/resolved/closed state is a row with `fixed_at` (the vendor's time of
  the state change), so the open instance closes at that time; a finding the team dismissed or
  suppressed is skipped and counted in the notes (it is neither open nor fixed).
- An empty list names no asset: nothing is loaded (noted).
- Rows of one file with the same key (asset, vulnerability, package), e.g. one CVE matched in
  two copies of a package, are one finding: the first is kept, the others counted as duplicates.
- `finding_class` is set on every row.

`rows` is a list of dicts of picked fields (Python only picks them out of the parsed document);
typing, choices and clean-up then run as polars expressions over whole columns.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import polars as pl

from ingest.formats.csv_text import SOURCE_ROW
from ingest.formats.iam._json_records import newest_text
from ingest.formats.scanner import _findings as f
from ingest.rules import ParseContext

SEVERITY_WORDS = r"(?i)^(critical|high|medium|moderate|important|low|info|informational|none|negligible)$"


def text(value: Any) -> str | None:
    """A picked JSON value as text (objects and arrays as compact JSON), None for null/blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):  # Parquet timestamps
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (int, float, str)):
        out = str(value)
        return out if out.strip() else None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def scan_time(candidates: Iterable[Any]) -> str | None:
    """The latest of ISO 8601 texts (the original text), None when none parses."""
    texts = [t for t in (text(c) for c in candidates) if t]
    if not texts:
        return None
    return newest_text(pl.Series(texts, dtype=pl.String))


def frame(
    rows: Sequence[dict[str, Any]],
    path: Path,
    data: bytes,
    context: ParseContext | None,
    *,
    scanner: str | None,
    scanned_at: str | None,
    scanned_at_source: str,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """The canonical findings frame of picked rows (see the module docstring for the rules).

    Each row may hold canonical columns and any extra ones; `cvss_score` may be a number or a
    severity word (moved to severity when that is blank, the word kept in
    `_extra.cvss_score_word`); `_source_row` defaults to the row's position.
    """
    if not rows:
        return f.empty_findings()
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    columns = {name: [text(row.get(name)) if name != SOURCE_ROW else row.get(name) for row in rows] for name in names}
    schema = {name: (pl.Int64 if name == SOURCE_ROW else pl.String) for name in names}
    out = pl.DataFrame(columns, schema=schema)
    if SOURCE_ROW not in out.columns:
        out = out.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    if "severity" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("severity"))
    if "cvss_score" in out.columns:
        raw = pl.col("cvss_score").str.strip_chars()
        number = raw.cast(pl.Float64, strict=False)
        word = raw.str.contains(SEVERITY_WORDS).fill_null(False) & number.is_null()
        out = out.with_columns(
            pl.when(word & pl.col("severity").is_null()).then(raw).otherwise(pl.col("severity")).alias("severity"),
            pl.when(word).then(raw).otherwise(None).alias("cvss_score_word"),
            number.alias("cvss_score"),
        )
    key = [c for c in ("asset_id", "vulnerability_id", "package") if c in out.columns]
    unique = out.unique(subset=key, keep="first", maintain_order=True)
    if unique.height < out.height and notes is not None:
        notes.append(f"{out.height - unique.height} duplicate match(es) of one (asset, vulnerability, package) "
                      "in the file skipped (the first kept)")
    out = unique.with_columns(
        pl.lit(f.content_scan_id(data)).alias("scan_id"),
        pl.lit(scanned_at, dtype=pl.String).alias("scanned_at"),
        pl.lit(scanned_at_source).alias(f.SCANNED_AT_SOURCE),
        *([pl.lit(scanner).alias("scanner")] if scanner is not None else []),
    )
    return f.finish(f.with_scan_time(out, path), path, context)


def skipped_note(counts: dict[str, int], what: str = "finding(s)") -> list[str]:
    return [f"{count} {what} {reason} skipped" for reason, count in counts.items() if count]
