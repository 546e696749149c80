"""Detection by parsed structure for whole-document JSON exports.

`document(path, head)` is the parsed JSON value of a file (None when the file is not one JSON
document), so a format's `detect` decides by keys and shapes wherever they sit in the file,
never by the order in which a producer wrote them. A head shorter than the registry's read is
the whole file and is parsed as it is; a longer file is parsed whole once (kept for the next
detect of the same bytes: size and modification time). `parse` re-reads the file itself.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

HEAD_BYTES = 64 * 1024
MAX_BYTES = 512 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


def _parse(data: bytes) -> Any | None:
    if data.startswith(BOM):
        data = data[len(BOM):]
    stripped = data.lstrip()
    if not stripped[:1] in (b"{", b"["):
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


@lru_cache(maxsize=4)
def _whole(path: str, size: int, mtime_ns: int) -> Any | None:
    try:
        return _parse(Path(path).read_bytes())
    except OSError:
        return None


def document(path: Path, head: bytes) -> Any | None:
    """The file's parsed JSON document, or None when it is not a JSON object or array."""
    body = head[len(BOM):] if head.startswith(BOM) else head
    if body.lstrip()[:1] not in (b"{", b"["):
        return None
    if len(head) < HEAD_BYTES:
        return _parse(head)
    try:
        status = Path(path).stat()
    except OSError:
        return None
    if status.st_size > MAX_BYTES:
        return None
    return _whole(str(path), status.st_size, status.st_mtime_ns)


def first_record(value: Any) -> dict | None:
    """The first element of a list when it is an object (None for an empty or other list)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return None
