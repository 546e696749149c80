"""The landing folder: which export files are there, and what identifies each one.

`<landing>/<family>/` holds a family's exports, nested folders allowed
(SOURCES.md, "The landing folder: what a drop means"). Hidden files and folders
(editor swap files, `.DS_Store`, partial uploads written as dotfiles) are
skipped silently, and so are column-mapping files (`*.mapping.yaml`,
configuration that a mapped CSV format reads beside its CSV) and the reference
folders the completion rules read (`reference/`). Everything else that is not a
regular file inside the landing folder is *ignored with a reason* (a folder that
names no family, a file at the landing root, a FIFO, a dangling link, a link
whose target lies outside the landing folder), so nothing a team dropped
disappears without a word. A link is resolved and its target's containment
checked before anything is opened: a target outside is never read.

Files are identified by the SHA-256 of their bytes, so a copy under another name
is the same export; nothing here ever changes or deletes a file in the landing
folder. `is_settled` is the quiet-period rule for a file still being written; the
loader and the landing-zone sensor use the same function.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ingest.schemas import FAMILIES

CHUNK_BYTES = 1024 * 1024
# Configuration that sits beside the exports it describes (ingest/formats/incident/mapped_incident_csv.py).
NOT_EXPORTS_SUFFIX = ".mapping.yaml"
# Reference tables the completion rules read (ingest/rules.yaml: paths under the landing folder).
REFERENCE_FOLDERS = frozenset({"reference"})
DEFAULT_QUIET_SECONDS = 10.0


@dataclass(frozen=True)
class IgnoredEntry:
    """Something in the landing folder that is not an export, and why."""

    path: Path
    family: str  # '' when it lies outside every family folder
    reason: str


@dataclass
class LandingSurvey:
    exports: list[tuple[str, Path]] = field(default_factory=list)
    ignored: list[IgnoredEntry] = field(default_factory=list)


def check_families(families: Iterable[str] | None) -> tuple[str, ...]:
    """The families asked for, in canonical order; all of them when None."""
    if families is None:
        return FAMILIES
    wanted = set(families)
    unknown = sorted(wanted - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown famil{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    return tuple(f for f in FAMILIES if f in wanted)


def quiet_seconds() -> float:
    """SECOPS_QUIET_SECONDS: how long a file must be unchanged before it is read (default 10)."""
    text = os.environ.get("SECOPS_QUIET_SECONDS", "").strip()
    if not text:
        return DEFAULT_QUIET_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"SECOPS_QUIET_SECONDS={text!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"SECOPS_QUIET_SECONDS={text!r} is negative")
    return value


def is_settled(path: Path, quiet_seconds: float, now: datetime | float | None = None) -> bool:
    """True when `path` was last modified at least `quiet_seconds` before `now` (default: the clock).

    A file younger than the quiet period may still be being copied in and is
    left for a later run (or sensor tick). A modification time in the future
    (a clock skew, a copy that kept a future stamp) is not settled either: it
    settles once the clock passes it by the quiet period.
    """
    if now is None:
        now_s = datetime.now(timezone.utc).timestamp()
    elif isinstance(now, datetime):
        now_s = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).timestamp()
    else:
        now_s = float(now)
    return Path(path).stat().st_mtime <= now_s - quiet_seconds


def file_state(path: Path) -> tuple[int, int]:
    """(size, mtime in ns): compared before and after a file is read to see it did not change."""
    info = Path(path).stat()
    return info.st_size, info.st_mtime_ns


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _link_problem(path: Path, real_landing: Path) -> str | None:
    """Why a symbolic link is not followed, or None when its target is inside the landing folder."""
    target = path.resolve(strict=False)
    if not _is_within(target, real_landing):
        return "a symbolic link to outside the landing folder (never read)"
    if not os.path.exists(target):
        return "a dangling symbolic link (its target does not exist)"
    return None


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def survey(landing: Path, families: Iterable[str] | None = None) -> LandingSurvey:
    """The exports of `<landing>/<family>/` (sorted by family then path) and what is ignored.

    Entries at the landing root are judged on every call (a file there, a folder
    that names no family); entries inside a family folder only for the families
    asked for.
    """
    landing = Path(landing)
    wanted = check_families(families)
    found = LandingSurvey()
    if not landing.is_dir():
        return found
    real_landing = landing.resolve()
    roots: dict[str, Path] = {}
    for entry in sorted(landing.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_symlink():
            problem = _link_problem(entry, real_landing)
            if problem is not None:
                found.ignored.append(IgnoredEntry(entry, name if name in FAMILIES else "", problem))
                continue
        if name in FAMILIES:
            if entry.is_dir():
                roots[name] = entry
            else:
                found.ignored.append(IgnoredEntry(entry, name, f"not a folder: {name} must be a folder of exports"))
        elif name in REFERENCE_FOLDERS and entry.is_dir():
            continue
        elif entry.is_dir():
            found.ignored.append(IgnoredEntry(
                entry, "", f"a folder that names no family (families: {', '.join(FAMILIES)})"
            ))
        else:
            found.ignored.append(IgnoredEntry(
                entry, "", "a file at the landing root (exports go in <landing>/<family>/)"
            ))
    for family in wanted:
        if family in roots:
            _walk_family(roots[family], family, real_landing, found, visited=set())
    return found


def entry_problem(entry: Path, real_landing: Path) -> str | None:
    """Why an entry inside a family folder is not read (a link outside, a FIFO...), or None.

    Links are judged by their resolved target before anything is opened.
    """
    if entry.is_symlink():
        problem = _link_problem(entry, real_landing)
        if problem is not None:
            return problem
    try:
        mode = entry.stat().st_mode
    except OSError as error:
        return f"cannot be examined: {error.strerror}"
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    return _special_kind(mode)


def _walk_family(folder: Path, family: str, real_landing: Path, found: LandingSurvey, visited: set[Path]) -> None:
    real = folder.resolve()
    if real in visited:  # a link back to a folder already walked: a cycle
        return
    visited.add(real)
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        problem = entry_problem(entry, real_landing)
        if problem is not None:
            found.ignored.append(IgnoredEntry(entry, family, problem))
        elif entry.is_dir():
            _walk_family(entry, family, real_landing, found, visited)
        elif not entry.name.lower().endswith(NOT_EXPORTS_SUFFIX):
            found.exports.append((family, entry))


def discover(landing: Path, families: Iterable[str] | None = None) -> list[tuple[str, Path]]:
    """(family, path) of every export file under `<landing>/<family>/`, sorted by family then path."""
    return survey(landing, families).exports


def is_inside(landing: Path, path: Path) -> bool:
    """True when `path`, with '..' and links resolved, lies inside the landing folder."""
    return _is_within(Path(path).resolve(), Path(landing).resolve())


def relative_name(landing: Path, path: Path) -> str:
    """A file's name in the manifest and lineage: its path under the landing folder, '/'-separated."""
    path, landing = Path(path), Path(landing)
    if ".." in path.parts:
        # '..' is resolved lexically first: landing/scanner/../../x is not under the landing folder.
        path = Path(os.path.normpath(path.absolute()))
        landing = Path(os.path.normpath(landing.absolute()))
    try:
        return path.relative_to(landing).as_posix()
    except ValueError:
        # Spelled differently (relative vs absolute, '..'): compare the real locations.
        return path.resolve().relative_to(landing.resolve()).as_posix()


def sha256_of(path: Path) -> tuple[str, int]:
    """The SHA-256 hex digest and size in bytes of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
