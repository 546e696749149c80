"""The landing folder: which export files are there, and what identifies each one.

`<landing>/<family>/` holds a family's exports, nested folders allowed. Hidden
files and folders (editor swap files, `.DS_Store`, partial uploads written as
dotfiles) are not exports, and neither are column-mapping files (`*.mapping.yaml`,
configuration that a mapped CSV format reads beside its CSV). Files are identified
by the SHA-256 of their bytes, so a copy under another name is the same export;
nothing here ever changes or deletes a file in the landing folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from ingest.schemas import FAMILIES

CHUNK_BYTES = 1024 * 1024
# Configuration that sits beside the exports it describes (ingest/formats/incident/mapped_incident_csv.py).
NOT_EXPORTS_SUFFIX = ".mapping.yaml"


def check_families(families: Iterable[str] | None) -> tuple[str, ...]:
    """The families asked for, in canonical order; all of them when None."""
    if families is None:
        return FAMILIES
    wanted = set(families)
    unknown = sorted(wanted - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown famil{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    return tuple(f for f in FAMILIES if f in wanted)


def discover(landing: Path, families: Iterable[str] | None = None) -> list[tuple[str, Path]]:
    """(family, path) of every export file under `<landing>/<family>/`, sorted by family then path."""
    landing = Path(landing)
    found: list[tuple[str, Path]] = []
    for family in check_families(families):
        folder = landing / family
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            if path.name.lower().endswith(NOT_EXPORTS_SUFFIX):
                continue
            found.append((family, path))
    return found


def relative_name(landing: Path, path: Path) -> str:
    """A file's name in the manifest and lineage: its path under the landing folder, '/'-separated."""
    path, landing = Path(path), Path(landing)
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
