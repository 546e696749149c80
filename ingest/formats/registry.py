"""Finds every ExportFormat under ingest/formats/<family>/ and picks one per file."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from ingest.formats import _structure
from ingest.formats.base import ExportError, ExportFormat

HEAD_BYTES = _structure.HEAD_BYTES  # a shorter head is the whole file


@lru_cache(maxsize=1)
def all_formats() -> tuple[ExportFormat, ...]:
    import ingest.formats as package

    found: list[ExportFormat] = []
    for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, ExportFormat)
                and obj is not ExportFormat
                and obj.__module__ == module.__name__
            ):
                found.append(obj())
    return tuple(sorted(found, key=lambda f: f.name))


def detect(path: Path, family: str) -> ExportFormat:
    """The format of `path`, dropped in the landing folder of `family`.

    Every format of the family is asked (`ExportFormat.detect`, which decides by parsed
    structure; ingest/formats/_structure.py parses a JSON document once for all of
    them, and its `forget()` drops every parse it cached); no match or several is
    refused naming the file and the formats considered.
    """
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    considered = [f for f in all_formats() if family in f.families]
    try:
        matches = [f for f in considered if f.detect(path, head)]
    finally:
        _structure.forget()  # no parsed document is kept beyond detection
    if not matches:
        raise ExportError(
            f"{path}: not a recognised {family} export (no format matched its content; "
            f"formats considered: {', '.join(f.name for f in considered)})"
        )
    if len(matches) > 1:
        names = ", ".join(f.name for f in matches)
        raise ExportError(
            f"{path}: ambiguous export, several formats match: {names} "
            f"(formats considered: {', '.join(f.name for f in considered)})"
        )
    return matches[0]
