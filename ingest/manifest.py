"""ingest.file_manifest: one row per (landing file name, bytes) the loader has seen.

The manifest is how runs remember: bytes already loaded are not loaded again,
failed files are retried (their row updated), withdrawn bytes stay withdrawn.
All statements are parameterised; callers own the transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

import duckdb


@dataclass
class ManifestEntry:
    file: str
    sha256: str
    family: str
    status: str
    first_seen_at: datetime
    format: str | None = None
    entity: str | None = None
    size_bytes: int | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    naive_timestamps: int | None = None
    newest_timestamp: datetime | None = None
    duplicate_of: str | None = None
    error: str | None = None
    loaded_at: datetime | None = None
    withdrawn_at: datetime | None = None
    # record accounting (issue 17): see ingest.warehouse FILE_MANIFEST_DDL
    records_held: int | None = None
    rows_by_class: str | None = None
    records_skipped: int | None = None
    skipped_reasons: str | None = None
    # A corrected re-export (SOURCES.md): the sha256 of the bytes that replaced these, and when.
    superseded_by: str | None = None
    superseded_at: datetime | None = None


COLUMNS = tuple(f.name for f in fields(ManifestEntry))
# A retried file keeps the time it was first seen.
UPDATED_ON_RETRY = tuple(c for c in COLUMNS if c not in ("file", "sha256", "first_seen_at"))


def _entries(con: duckdb.DuckDBPyConnection, where: str, params: dict) -> list[ManifestEntry]:
    cursor = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM ingest.file_manifest WHERE {where} "
        "ORDER BY first_seen_at, file",
        params,
    )
    return [ManifestEntry(*row) for row in cursor.fetchall()]


def entry(con: duckdb.DuckDBPyConnection, file: str, sha256: str) -> ManifestEntry | None:
    found = _entries(con, "file = $file AND sha256 = $sha256", {"file": file, "sha256": sha256})
    return found[0] if found else None


def entries_with_sha(con: duckdb.DuckDBPyConnection, sha256: str) -> list[ManifestEntry]:
    return _entries(con, "sha256 = $sha256", {"sha256": sha256})


def entries_named(con: duckdb.DuckDBPyConnection, file: str) -> list[ManifestEntry]:
    return _entries(con, "file = $file", {"file": file})


def save(con: duckdb.DuckDBPyConnection, new: ManifestEntry) -> None:
    """Insert the entry, or update the row of the same (file, sha256) keeping first_seen_at."""
    placeholders = ", ".join(f"${c}" for c in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in UPDATED_ON_RETRY)
    con.execute(
        f"INSERT INTO ingest.file_manifest ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (file, sha256) DO UPDATE SET {updates}",
        asdict(new),
    )


def forget_superseded_failures(con: duckdb.DuckDBPyConnection, file: str, sha256: str) -> datetime | None:
    """Drop the failed rows of `file` recorded for other bytes; return when the name was first seen.

    A failed export is usually fixed by dropping corrected bytes under the same
    name: the failure of the old bytes, which are no longer there, is then
    history rather than a file still failing, so it must not keep failing checks.
    """
    params = {"file": file, "sha256": sha256}
    stale = "file = $file AND sha256 <> $sha256 AND status = 'failed'"
    first_seen = con.execute(
        f"SELECT min(first_seen_at) FROM ingest.file_manifest WHERE {stale}", params
    ).fetchall()[0][0]
    con.execute(f"DELETE FROM ingest.file_manifest WHERE {stale}", params)
    return first_seen


# Statuses whose bytes count: their raw rows are in every metric.
ACTIVE_STATUSES = ("loaded", "duplicate")
# An ignored entry (not an export: a FIFO, a link to outside) has no bytes read; its sha256 is ''.
NO_BYTES = ""


def supersede_earlier(con: duckdb.DuckDBPyConnection, file: str, sha256: str, at: datetime) -> list[str]:
    """The other bytes recorded under `file` that counted become superseded by `sha256`; returns their sha256s."""
    params = {"file": file, "sha256": sha256}
    earlier = con.execute(
        "SELECT sha256 FROM ingest.file_manifest WHERE file = $file AND sha256 <> $sha256 "
        f"AND status IN {ACTIVE_STATUSES} ORDER BY sha256",
        params,
    ).fetchall()
    con.execute(
        "UPDATE ingest.file_manifest SET status = 'superseded', superseded_by = $sha256, superseded_at = $at "
        f"WHERE file = $file AND sha256 <> $sha256 AND status IN {ACTIVE_STATUSES}",
        {**params, "at": at},
    )
    return [row[0] for row in earlier]


def bytes_count(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    """True while some name in the landing folder holds these bytes as loaded or duplicate."""
    return bool(con.execute(
        f"SELECT count(*) FROM ingest.file_manifest WHERE sha256 = $sha256 AND status IN {ACTIVE_STATUSES}",
        {"sha256": sha256},
    ).fetchall()[0][0])


def replace_ignored(con: duckdb.DuckDBPyConnection, families: tuple[str, ...], ignored: list[ManifestEntry]) -> None:
    """This run's ignored entries replace the ignored rows of the same scope (root '' and `families`).

    An entry that is gone or now an export leaves the list; one still there keeps its first_seen_at.
    """
    scope = {"families": list(families)}
    first_seen = dict(con.execute(
        "SELECT file, first_seen_at FROM ingest.file_manifest WHERE status = 'ignored' "
        "AND list_contains($families, family)",
        scope,
    ).fetchall())
    con.execute(
        "DELETE FROM ingest.file_manifest WHERE status = 'ignored' AND list_contains($families, family)", scope
    )
    for new in ignored:
        new.first_seen_at = min(new.first_seen_at, first_seen.get(new.file, new.first_seen_at))
        save(con, new)


def mark_withdrawn(con: duckdb.DuckDBPyConnection, sha256: str, at: datetime) -> list[str]:
    """Every row with these bytes becomes withdrawn; returns their file names."""
    con.execute(
        "UPDATE ingest.file_manifest SET status = 'withdrawn', withdrawn_at = coalesce(withdrawn_at, $at) "
        "WHERE sha256 = $sha256",
        {"sha256": sha256, "at": at},
    )
    return [e.file for e in entries_with_sha(con, sha256)]
