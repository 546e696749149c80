"""Landing folder -> raw tables: the ingest entry points.

`ingest_landing` walks `<landing>/<family>/`, and for each file not yet handled
detects its format, parses it to canonical text frames, types and validates
them in DuckDB (`ingest.casting`) and writes raw rows, refused fields and the
manifest row in one transaction, so a file is loaded entirely or not at all.
A failing file is recorded as failed and retried on every later run; the other
files load regardless.

Raw tables keep every row with its lineage (file, sha256, record number, load
time). Event records are not merged here: the dbt layer merges them by natural
key, using the lineage and each file's newest timestamp.

`withdraw` takes an export back: its manifest rows and raw rows are flagged,
never deleted, and the same bytes dropped again stay withdrawn.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import polars as pl

from ingest import manifest
from ingest.casting import (
    STAGE_VIEW,
    TYPED_TABLE,
    insert_raw_sql,
    insert_rejected_sql,
    stats_sql,
    typing_parameters,
    typing_select,
)
from ingest.formats import registry
from ingest.formats.base import REJECTED_SCHEMA, ExportError, ParsedExport, StreamedFrame
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.landing import (
    IgnoredEntry,
    check_families,
    discover,
    file_state,
    is_inside,
    is_settled,
    quiet_seconds as configured_quiet_seconds,
    relative_name,
    sha256_of,
    survey,
)
from ingest.manifest import ManifestEntry
from ingest.report import FileResult, IngestReport
from ingest.rules import ParseContext
from ingest.schemas import ENTITIES, ENTITIES_BY_TABLE, Entity
from ingest.warehouse import ensure_schema

__all__ = ["discover", "ingest_landing", "withdraw", "WithdrawError", "FileResult", "IngestReport"]

FORMAT_REJECTS_VIEW = "_ingest_format_rejects"
SHA256_TEXT = re.compile(r"[0-9a-fA-F]{64}")


class WithdrawError(ValueError):
    """The file to withdraw is not known to the manifest, or is ambiguous."""


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    *,
    families: Iterable[str] | None = None,
    default_tz: str = "UTC",
    now: datetime | None = None,
    quiet_seconds: float | None = None,
) -> IngestReport:
    """Load every new export file of the landing folder (optionally only some families).

    `now` is the load time recorded for the files; whether a file has settled
    (`quiet_seconds`, default SECOPS_QUIET_SECONDS) is judged against the clock,
    since it is about the file on disk, not about the load.
    """
    landing = Path(landing)
    now = _utc(now)
    wait = configured_quiet_seconds() if quiet_seconds is None else quiet_seconds
    ensure_schema(con)
    _check_time_zone(con, default_tz)
    report = IngestReport()
    found = survey(landing, families)
    _record_ignored(con, landing, check_families(families), found.ignored, now)
    report.files += [_ignored_result(landing, entry) for entry in found.ignored]
    for family, path in found.exports:
        report.files.append(
            ingest_one(con, landing, family, path, default_tz=default_tz, now=now, quiet_seconds=wait)
        )
    return report


def ingest_one(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    family: str,
    path: Path,
    *,
    default_tz: str,
    now: datetime,
    quiet_seconds: float,
) -> FileResult:
    """One export file of `<landing>/<family>/`: skipped while it is still being written, else ingested."""
    rel = relative_name(landing, path)
    try:
        settled = is_settled(path, quiet_seconds)
    except OSError as error:
        return FileResult(rel, "", family, "failed", error=f"{rel}: cannot read the file: {error.strerror}")
    if not settled:
        return FileResult(rel, "", family, "unsettled", error=(
            f"{rel}: modified less than {quiet_seconds:g} s ago (still being written?); "
            "skipped this run, read by a later one"
        ))
    return _ingest_file(con, landing, family, path, default_tz=default_tz, now=now)


def withdraw(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    file: str | Path,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Withdraw an export, named by path (absolute or under `landing`) or by sha256.

    Every manifest row with its bytes becomes 'withdrawn' and its raw rows get
    `_withdrawn = true`, in one transaction. Returns the manifest file names
    withdrawn. The landing folder is not touched.
    """
    now = _utc(now)
    ensure_schema(con)
    sha256 = _sha_to_withdraw(con, Path(landing), file)
    con.begin()
    try:
        names = manifest.mark_withdrawn(con, sha256, now)
        for entity in ENTITIES:
            con.execute(
                f"UPDATE raw.{entity.table} SET _withdrawn = true WHERE _source_sha256 = $sha256",
                {"sha256": sha256},
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return names


# --- one file ---------------------------------------------------------------------


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    family: str,
    path: Path,
    *,
    default_tz: str,
    now: datetime,
) -> FileResult:
    rel = relative_name(landing, path)
    try:
        before = file_state(path)
        sha256, size = sha256_of(path)
    except OSError as error:
        # Unreadable bytes have no identity to record in the manifest; report only.
        return FileResult(rel, "", family, "failed", error=f"{rel}: cannot read the file: {error}")
    if file_state(path) != before:
        return _changed_while_read(rel, family)

    known = manifest.entry(con, rel, sha256)
    if known is not None and known.status in ("loaded", "duplicate"):
        return FileResult(rel, sha256, family, "already_loaded", format=known.format)
    if known is not None and known.status == "withdrawn":
        return FileResult(rel, sha256, family, "withdrawn", format=known.format)
    if known is not None and known.status == "superseded":
        # The earlier bytes are back under their name (a correction undone): they count again.
        status = "duplicate" if known.duplicate_of else "loaded"
        known.status, known.superseded_by, known.superseded_at = status, None, None
        _record(con, known, now)
        return FileResult(rel, sha256, family, "reinstated", format=known.format, duplicate_of=known.duplicate_of)

    same_bytes = [e for e in manifest.entries_with_sha(con, sha256) if e.file != rel]
    # Name the withdrawn copy that was actually loaded, not one of its duplicates.
    withdrawn = min(
        (e for e in same_bytes if e.status == "withdrawn"),
        key=lambda e: (e.loaded_at is None, e.first_seen_at, e.file),
        default=None,
    )
    if withdrawn is not None:
        _record(con, ManifestEntry(
            file=rel, sha256=sha256, family=family, status="withdrawn", first_seen_at=now,
            format=withdrawn.format, size_bytes=size, rows_loaded=0,
            duplicate_of=withdrawn.file, withdrawn_at=now,
        ))
        return FileResult(rel, sha256, family, "withdrawn", format=withdrawn.format,
                          duplicate_of=withdrawn.file)
    # The name whose load holds these bytes' raw rows, even when a correction superseded it.
    original = next((e for e in same_bytes if e.status in ("loaded", "superseded") and not e.duplicate_of), None)
    if original is not None:
        _record(con, ManifestEntry(
            file=rel, sha256=sha256, family=family, status="duplicate", first_seen_at=now,
            format=original.format, entity=original.entity, size_bytes=size, rows_loaded=0,
            duplicate_of=original.file,
        ))
        return FileResult(rel, sha256, family, "duplicate", format=original.format,
                          duplicate_of=original.file)

    context = ParseContext(landing=landing)
    return _load_new_file(
        con, rel, path, family, sha256, size, before, context=context, default_tz=default_tz, now=now
    )


def _changed_while_read(rel: str, family: str) -> FileResult:
    return FileResult(rel, "", family, "unsettled", error=(
        f"{rel}: its size or modification time changed while it was read (still being written?); "
        "skipped this run, read by a later one"
    ))


def _load_new_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    path: Path,
    family: str,
    sha256: str,
    size: int,
    state: tuple[int, int],
    *,
    context: ParseContext,
    default_tz: str,
    now: datetime,
) -> FileResult:
    result = FileResult(rel, sha256, family, "loaded")
    in_transaction = False
    try:
        export_format = registry.detect(path, family)
        result.format = export_format.name
        parsed = export_format.parse_streaming(path, family, context)
        frames = _checked_frames(parsed, family, path)

        con.begin()
        in_transaction = True
        first_seen = manifest.forget_superseded_failures(con, rel, sha256)
        lineage = {"file": rel, "sha256": sha256}
        newest: list[datetime] = []
        for entity, frame in frames:
            stats = _load_entity(
                con, entity, frame, lineage, export_format.name, default_tz=default_tz, now=now
            )
            result.rows_loaded[entity.table] = stats["rows_loaded"]
            result.rejected_by_table[entity.table] = stats["rows_rejected"]
            result.naive_timestamps += stats["naive_timestamps"]
            if stats["newest_timestamp"] is not None:
                newest.append(stats["newest_timestamp"])
        for table, refused in _store_format_rejects(con, parsed.rejected, lineage, now).items():
            result.rejected_by_table[table] = result.rejected_by_table.get(table, 0) + refused
        result.rows_rejected = sum(result.rejected_by_table.values())
        result.notes = list(parsed.notes)
        result.rows_by_class = _rows_by_class(con, [entity for entity, _ in frames], lineage)
        result.skipped = {reason: int(n) for reason, n in parsed.skipped.items() if n}
        result.records_held = _records_held(con, parsed, [entity for entity, _ in frames], lineage, result)
        _save_with_first_seen(con, first_seen, ManifestEntry(
            file=rel, sha256=sha256, family=family, status="loaded", first_seen_at=now,
            format=result.format, entity=",".join(sorted(result.rows_loaded)), size_bytes=size,
            rows_loaded=result.total_rows_loaded, rows_rejected=result.rows_rejected,
            naive_timestamps=result.naive_timestamps, newest_timestamp=max(newest, default=None),
            loaded_at=now,
            records_held=result.records_held,
            rows_by_class=json.dumps(result.rows_by_class, sort_keys=True),
            records_skipped=sum(result.skipped.values()),
            skipped_reasons=json.dumps(result.skipped, sort_keys=True),
        ))
        if file_state(path) != state:
            con.rollback()
            return _changed_while_read(rel, family)
        con.commit()
        return result
    except BaseException as error:
        if in_transaction:
            # A failed commit may already have ended the transaction.
            with suppress(duckdb.Error):
                con.rollback()
        if not isinstance(error, Exception):
            raise  # interrupted: nothing of the file was kept, and nothing to record
        if _is_interrupt(error):
            # DuckDB turns Ctrl-C or SIGTERM during a query into an error: still an interrupt
            raise KeyboardInterrupt from error
        with suppress(OSError):
            if file_state(path) != state:  # a half-written file fails to parse: not a failure yet
                return _changed_while_read(rel, family)
        message = _describe(error, path, rel)
        _record(con, ManifestEntry(
            file=rel, sha256=sha256, family=family, status="failed", first_seen_at=now,
            format=result.format, size_bytes=size, error=message,
        ))
        return FileResult(rel, sha256, family, "failed", format=result.format, error=message)


def _rows_by_class(
    con: duckdb.DuckDBPyConnection, entities: list[Entity], lineage: dict[str, str]
) -> dict[str, int]:
    """Raw rows the file made, per entity and, for findings, per finding class (a row
    without vulnerability_id is a clean-scan row; a blank class is vulnerability)."""
    counts: dict[str, int] = {}
    for entity in entities:
        names = set(entity.column_names)
        if {"finding_class", "vulnerability_id"} <= names:
            label = ("CASE WHEN vulnerability_id IS NULL THEN 'clean_scan' "
                     "ELSE coalesce(nullif(lower(trim(finding_class)), ''), 'vulnerability') END")
        else:
            label = "NULL"
        rows = con.execute(
            f"SELECT {label} AS class, count(*) FROM raw.{entity.table} "
            "WHERE _source_file = $file AND _source_sha256 = $sha256 GROUP BY 1 ORDER BY 1",
            lineage,
        ).fetchall()
        for klass, n in rows:
            counts[entity.table if klass is None else f"{entity.table}/{klass}"] = int(n)
    return counts


def _records_held(
    con: duckdb.DuckDBPyConnection, parsed: ParsedExport, entities: list[Entity],
    lineage: dict[str, str], result: FileResult,
) -> int:
    """The records the export held: the format's own count when it gives one, else the
    numbered records (distinct `_source_row` > 0, so rows split from one record count once)
    that became raw rows or were refused, plus those it skipped. Counted in DuckDB from what
    the file left in the warehouse, so a streamed export is not read twice."""
    if parsed.records is not None:
        return int(parsed.records)
    numbered = " UNION ".join(
        f"SELECT _source_row FROM raw.{entity.table} "
        "WHERE _source_file = $file AND _source_sha256 = $sha256 AND _source_row > 0"
        for entity in entities
    )
    refused = ("SELECT source_row FROM ingest.rejected_rows "
               "WHERE file = $file AND sha256 = $sha256 AND source_row > 0")
    query = f"SELECT count(*) FROM ({numbered + ' UNION ' if numbered else ''}{refused})"
    (held,) = con.execute(query, lineage).fetchone()
    return int(held) + sum(result.skipped.values())


def _checked_frames(
    parsed: ParsedExport, family: str, path: Path
) -> list[tuple[Entity, pl.DataFrame | StreamedFrame]]:
    """The parsed frames in schema order, refused when they cannot be loaded as they are."""
    frames: list[tuple[Entity, pl.DataFrame | StreamedFrame]] = []
    for table, frame in parsed.entities.items():
        entity = ENTITIES_BY_TABLE.get(table)
        if entity is None:
            raise ExportError(f"{path}: format {parsed.format_name} produced unknown entity {table!r}")
        if entity.family != family:
            raise ExportError(
                f"{path}: {entity.table} rows belong to the {entity.family} family, "
                f"not to the {family} folder the file is in"
            )
        absent = [c for c in entity.required_columns if c not in frame.columns]
        if absent:
            raise ExportError(
                f"{path}: no {', '.join(absent)} column for {entity.table} "
                f"(required; format {parsed.format_name})"
            )
        if SOURCE_ROW not in frame.columns:
            if isinstance(frame, StreamedFrame):
                raise ExportError(f"{path}: format {parsed.format_name} streamed rows without record numbers")
            frame = frame.with_row_index(SOURCE_ROW, offset=1)
        frames.append((entity, frame))
    order = {e.table: i for i, e in enumerate(ENTITIES)}
    return sorted(frames, key=lambda pair: order[pair[0].table])


def _load_entity(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    frame: pl.DataFrame | StreamedFrame,
    lineage: dict[str, str],
    format_name: str,
    *,
    default_tz: str,
    now: datetime,
) -> dict:
    """Type, validate and insert one entity's rows (batch by batch when streamed); summed stats."""
    batches = frame.batches() if isinstance(frame, StreamedFrame) else [frame]
    total = {"rows_loaded": 0, "rows_rejected": 0, "naive_timestamps": 0, "newest_timestamp": None}
    for batch in batches:
        stats = _load_batch(con, entity, batch, lineage, format_name, default_tz=default_tz, now=now)
        for key in ("rows_loaded", "rows_rejected", "naive_timestamps"):
            total[key] += stats[key] or 0
        newest = [t for t in (total["newest_timestamp"], stats["newest_timestamp"]) if t is not None]
        total["newest_timestamp"] = max(newest, default=None)
    return total


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    frame: pl.DataFrame,
    lineage: dict[str, str],
    format_name: str,
    *,
    default_tz: str,
    now: datetime,
) -> dict:
    """Type, validate and insert rows; returns the stats_sql row as a dict."""
    present = [c for c in entity.column_names if c in frame.columns]
    keep = [*present, SOURCE_ROW] + ([EXTRA] if EXTRA in frame.columns else [])
    with _registered(con, STAGE_VIEW, frame.select(keep)):
        sql = typing_select(entity, present, has_extra=EXTRA in frame.columns)
        # Held as Arrow, not as a temporary table: a table dropped inside the file's transaction
        # keeps its memory until the commit, so a streamed 1 GB file would pile up its batches.
        typed = con.sql(sql, params=typing_parameters(sql, default_tz=default_tz, loaded_at=now)).to_arrow_table()
    with _registered_arrow(con, TYPED_TABLE, typed):
        con.execute(insert_raw_sql(entity), {**lineage, "format": format_name, "loaded_at": now})
        cursor = con.execute(stats_sql(entity))
        names = [d[0] for d in cursor.description]
        # fetchall: DuckDB streams results, and an unread one blocks the connection.
        stats = dict(zip(names, cursor.fetchall()[0]))
        if stats["rows_rejected"]:
            # one scan of the typed rows per column: only worth it when something was refused
            con.execute(insert_rejected_sql(entity), {**lineage, "entity": entity.table, "rejected_at": now})
    return stats


def _store_format_rejects(
    con: duckdb.DuckDBPyConnection, rejected: pl.DataFrame, lineage: dict[str, str], now: datetime
) -> dict[str, int]:
    """Rows the format itself could not map; returns refused records per entity table."""
    if rejected.is_empty():
        return {}
    frame = rejected.select(
        pl.col(name).cast(dtype) if name in rejected.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in REJECTED_SCHEMA.items()
    )
    with _registered(con, FORMAT_REJECTS_VIEW, frame):
        con.execute(
            "INSERT INTO ingest.rejected_rows (file, sha256, entity, source_row, field, value, reason, rejected_at) "
            f"SELECT $file, $sha256, entity, source_row, field, value, coalesce(reason, 'rejected by the format'), "
            f"$rejected_at FROM {FORMAT_REJECTS_VIEW} ORDER BY source_row",
            {**lineage, "rejected_at": now},
        )
    counts = (
        frame.group_by(pl.col("entity").fill_null("unknown"))
        .agg(pl.col("source_row").n_unique())
        .rows()
    )
    return {table: int(n) for table, n in counts}


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, view: str, frame: pl.DataFrame) -> Iterator[None]:
    """`frame` readable in SQL as `view` (Arrow, zero-copy) for the duration of the block."""
    with _registered_arrow(con, view, frame.to_arrow()):
        yield


@contextmanager
def _registered_arrow(con: duckdb.DuckDBPyConnection, view: str, table) -> Iterator[None]:
    con.register(view, table)
    try:
        yield
    finally:
        # After a failed statement the transaction is aborted and unregistering
        # raises too; the rollback drops the view anyway, and the first error is
        # the one worth reporting.
        with suppress(duckdb.Error):
            con.unregister(view)


# --- manifest writes ------------------------------------------------------------------


def _record(con: duckdb.DuckDBPyConnection, new: ManifestEntry, at: datetime | None = None) -> None:
    """Save a manifest row that is the whole outcome of a file, in its own transaction."""
    con.begin()
    try:
        first_seen = manifest.forget_superseded_failures(con, new.file, new.sha256)
        _save_with_first_seen(con, first_seen, new, at)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _save_with_first_seen(
    con: duckdb.DuckDBPyConnection, first_seen: datetime | None, new: ManifestEntry, at: datetime | None = None
) -> None:
    at = at or new.loaded_at or new.first_seen_at  # when this outcome happened: this run's time
    if first_seen is not None and first_seen < new.first_seen_at:
        new.first_seen_at = first_seen
    manifest.save(con, new)
    if new.status in ("loaded", "duplicate", "withdrawn"):
        # A name that held other bytes before is a corrected re-export (SOURCES.md): the earlier
        # bytes stop counting, unless another name still holds them.
        for earlier in manifest.supersede_earlier(con, new.file, new.sha256, at):
            _sync_rows_withdrawn(con, earlier)
    if new.status in ("loaded", "duplicate"):
        _sync_rows_withdrawn(con, new.sha256)


def _sync_rows_withdrawn(con: duckdb.DuckDBPyConnection, sha256: str) -> None:
    """Raw rows of these bytes leave the metrics exactly when no name holds them as loaded or duplicate."""
    withdrawn = not manifest.bytes_count(con, sha256)
    for entity in ENTITIES:
        con.execute(
            f"UPDATE raw.{entity.table} SET _withdrawn = $withdrawn "
            "WHERE _source_sha256 = $sha256 AND _withdrawn <> $withdrawn",
            {"sha256": sha256, "withdrawn": withdrawn},
        )


def _record_ignored(
    con: duckdb.DuckDBPyConnection, landing: Path, families: tuple[str, ...], ignored: list[IgnoredEntry], now: datetime
) -> None:
    entries = [
        ManifestEntry(file=relative_name(landing, e.path), sha256=manifest.NO_BYTES, family=e.family,
                      status="ignored", first_seen_at=now, error=e.reason)
        for e in ignored
    ]
    con.begin()
    try:
        manifest.replace_ignored(con, ("", *families), entries)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _ignored_result(landing: Path, entry: IgnoredEntry) -> FileResult:
    rel = relative_name(landing, entry.path)
    return FileResult(rel, "", entry.family, "ignored", error=f"{rel}: ignored: {entry.reason}")


# --- helpers ----------------------------------------------------------------------------


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(timezone.utc)
    # A naive `now` is taken as UTC, like every instant the warehouse stores.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _check_time_zone(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    try:
        con.execute("SELECT timezone($zone, TIMESTAMP '2000-01-01')", {"zone": zone}).fetchall()
    except duckdb.Error as error:
        raise ValueError(f"unknown default time zone {zone!r}") from error


def _is_interrupt(error: Exception) -> bool:
    return isinstance(error, duckdb.InterruptException) or str(error).strip() == "Query interrupted"


def _describe(error: Exception, path: Path, rel: str) -> str:
    """The error for the manifest: names the file by its landing-relative name."""
    if isinstance(error, RecursionError):
        # json and XML readers recurse per level: a document 100,000 levels deep is not data
        return f"{rel}: nested too deeply to read (more levels than any export has); nothing loaded"
    message = str(error).replace(str(path), rel)
    if not isinstance(error, ExportError):
        message = f"{type(error).__name__}: {message}"
    return message if rel in message else f"{rel}: {message}"


def _sha_to_withdraw(con: duckdb.DuckDBPyConnection, landing: Path, file: str | Path) -> str:
    text = str(file)
    if SHA256_TEXT.fullmatch(text) and not (landing / text).exists():
        sha256 = text.lower()
        if not manifest.entries_with_sha(con, sha256):
            raise WithdrawError(f"no ingested file has sha256 {sha256}")
        return sha256

    path = Path(file) if Path(file).is_absolute() else landing / file
    try:
        rel = relative_name(landing, path)
    except ValueError:
        raise WithdrawError(f"{file} is not under the landing folder") from None
    # '..' and links resolved: a name under the landing folder may still lead outside it.
    if (path.exists() or path.is_symlink()) and not is_inside(landing, path):
        raise WithdrawError(f"{file} is not under the landing folder (it leads to {path.resolve()})")
    if path.is_file():
        sha256, _ = sha256_of(path)
        if manifest.entries_with_sha(con, sha256):
            return sha256
    # Not on disk any more, or its bytes changed since: what was ingested under the name.
    shas = sorted({e.sha256 for e in manifest.entries_named(con, rel)})
    if not shas:
        raise WithdrawError(f"{rel} has not been ingested (unknown file)")
    if len(shas) > 1:
        raise WithdrawError(
            f"{rel} was ingested with different contents ({', '.join(shas)}); withdraw one by sha256"
        )
    return shas[0]
