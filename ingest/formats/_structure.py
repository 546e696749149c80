"""Detection by parsed structure, for `ExportFormat.detect(path, head)`.

A format recognises its files by what they are, never by the order of their bytes
(issue 17, "Detection by structure"): JSON keys at any position, an XML root element
and its namespace, a CSV header set. These helpers read only what that needs:

- `json_structure(path, head)`: nothing beyond `head` for a file that does not start
  like a JSON document (after a BOM and whitespace). For one that does, the whole
  document is parsed, because a JSON object's keys may come in any order and the
  value before a key can be of any length (a Grype report may open with
  `descriptor`, `matches` or `source`). The parse is cached per file (path, size and
  modification time), so the registry asking every format of a family parses the
  file once. A document that does not parse (a truncated or broken export) keeps the
  head's text, so a format may still claim it from the keys visible there and let
  its parse name the line and column where it breaks.
- `xml_root(path)`: the root element's local name and namespace, from the first
  start event of a defusedxml parse (no entities, no external DTDs); nothing after
  the root's start tag is read.

`detect(path, head) -> bool` stays the interface: these are helpers a format calls.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

BOM = "\ufeff"
# Documents larger than this are not parsed for detection (the head's keys decide).
MAX_PARSE_BYTES = 512 * 1024 * 1024

_NOT_PARSED = object()


@dataclass(frozen=True)
class JsonStructure:
    """A JSON file as detection sees it."""

    kind: str  # 'object' or 'array': what the document starts as
    document: Any  # the parsed document, or None when it did not parse (see `parsed`)
    parsed: bool
    head_text: str

    @property
    def keys(self) -> frozenset[str]:
        """The top-level keys of an object document (of a broken one: every key in the head)."""
        if self.parsed:
            return frozenset(self.document) if isinstance(self.document, dict) else frozenset()
        if self.kind != "object":
            return frozenset()
        return frozenset(re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', self.head_text))

    def get(self, key: str) -> Any:
        """A top-level value of a parsed object document (None otherwise)."""
        if self.parsed and isinstance(self.document, dict):
            return self.document.get(key)
        return None

    def items(self) -> list:
        """The entries of a parsed array document ([] otherwise)."""
        return self.document if self.parsed and isinstance(self.document, list) else []

    def has_key_in_head(self, key: str) -> bool:
        """`"key":` anywhere in the head (for a broken document: nested keys included)."""
        return re.search(r'"' + re.escape(key) + r'"\s*:', self.head_text) is not None


def forget() -> None:
    """Drop the cached parses (the registry calls it once every format has been asked)."""
    _parsed.cache_clear()


def _text(head: bytes) -> str:
    return head.decode("utf-8", errors="replace").lstrip(BOM).lstrip()


def json_structure(path: Path, head: bytes) -> JsonStructure | None:
    """The JSON structure of `path`, or None when the file does not start like JSON."""
    text = _text(head)
    if text.startswith("{"):
        kind = "object"
    elif text.startswith("["):
        kind = "array"
    else:
        return None
    document = _parsed(str(path), *_stamp(path))
    if document is _NOT_PARSED:
        return JsonStructure(kind=kind, document=None, parsed=False, head_text=text)
    return JsonStructure(kind=kind, document=document, parsed=True, head_text=text)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = Path(path).stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=2)
def _parsed(path: str, size: int, mtime_ns: int) -> Any:
    if size < 0 or size > MAX_PARSE_BYTES:
        return _NOT_PARSED
    try:
        data = Path(path).read_bytes()
        return json.loads(data.decode("utf-8").lstrip(BOM))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_PARSED


_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)[\s>/]")


def xml_root(path: Path, head: bytes) -> tuple[str, str] | None:
    """(local name, namespace URI or '') of the root element, or None when not XML.

    Read through defusedxml up to the root's start tag. A document defusedxml refuses
    (entities, an external DTD) or that breaks before its root tag is named from the
    head's first element tag, with namespace '' (unknown), so its format can claim it
    and its parse refuse it with the reason.
    """
    text = _text(head)
    if not text.startswith("<"):
        return None
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    try:
        for _event, element in safe_xml.iterparse(str(path), events=("start",)):
            tag = element.tag
            if tag.startswith("{"):
                namespace, _, local = tag[1:].partition("}")
                return (local, namespace)
            return (tag, "")
    except (DefusedXmlException, OSError, SyntaxError, ValueError):
        pass
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", "", text, flags=re.DOTALL)
    found = _FIRST_TAG.search(body)
    if found is None:
        return None
    return (found.group(1).rpartition(":")[2], "")
