"""The parsed JSON document of a file, for formats that detect by structure (keys at any
position, not the first bytes): parsed once per file version and shared by every detector
that asks (sslyze of both schemas, SSL Labs).

Only a file whose first non-blank character opens a JSON object or array, and no larger than
`MAX_BYTES`, is parsed; anything else, or text that is not JSON, is None.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.formats.scanner import _findings as f

MAX_BYTES = 50 * 1024 * 1024


def document(path: Path, head: bytes) -> Any:
    text = f.head_text(head).lstrip()
    if not text.startswith(("{", "[")):
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size > MAX_BYTES:
        return None
    return _parse(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _parse(path: str, mtime_ns: int, size: int) -> Any:
    try:
        return json.loads(Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except (OSError, ValueError):
        return None
