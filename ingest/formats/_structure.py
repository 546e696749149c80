"""Detection by parsed structure, for `ExportFormat.detect(path, head)`: the one helper.

A format recognises its files by what they are, never by the order of their bytes
(issue 17, "Detection by structure"): JSON keys at any position, an XML root element
and its namespace, a CSV header set. These helpers read only what that needs:

- `json_structure(path, head)`: nothing beyond `head` for a file that does not start
  like a JSON document (after a BOM and whitespace). For one that does, the whole
  document is parsed, because a JSON object's keys may come in any order and the
  value before a key can be of any length (a Grype report may open with
  `descriptor`, `matches` or `source`). A head shorter than the registry's read
  (`HEAD_BYTES`) is the whole file and is parsed as it is; a longer file is read and
  parsed whole. Either parse is cached (the head by its bytes, the file by path, size
  and modification time), so the registry asking every format of a family parses the
  file once; `forget()` drops them. A document that does not parse (a truncated or
  broken export), or is larger than the caller's limit, keeps the head's text, so a
  format may still claim it from the keys visible there and let its parse name the
  line and column where it breaks.
- `json_document(path, head)`: the parsed document alone (None when the file is not
  JSON or did not parse), for formats that decide by the document's shape;
  `first_record(value)` is the first element of a list when it is an object.
- `xml_root_element(path, head)`: the root element as a `Root` (local name, namespace
  URI or '', attributes, and whether defusedxml parsed it), from the first start event
  of a defusedxml parse (no entities, no external DTDs) of the head when it is the
  whole file, else of the file; nothing after the root's start tag is read.
  `xml_root(path, head)` is its (local name, namespace) pair.

`detect(path, head) -> bool` stays the interface: these are helpers a format calls.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

BOM = "\ufeff"
# What the registry reads of a file for `detect`: a shorter head is the whole file.
HEAD_BYTES = 64 * 1024
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
    _parsed_file.cache_clear()
    _parsed_head.cache_clear()


def _text(head: bytes) -> str:
    return head.decode("utf-8", errors="replace").lstrip(BOM).lstrip()


def json_structure(path: Path, head: bytes, max_bytes: int = MAX_PARSE_BYTES) -> JsonStructure | None:
    """The JSON structure of `path`, or None when the file does not start like JSON.

    A document larger than `max_bytes` is not parsed (as one that does not parse).
    """
    text = _text(head)
    if text.startswith("{"):
        kind = "object"
    elif text.startswith("["):
        kind = "array"
    else:
        return None
    if len(head) < HEAD_BYTES:
        document = _parsed_head(head)
    else:
        size, mtime_ns = _stamp(path)
        if size < 0 or size > max_bytes:
            document = _NOT_PARSED
        else:
            document = _parsed_file(str(path), size, mtime_ns)
    if document is _NOT_PARSED:
        return JsonStructure(kind=kind, document=None, parsed=False, head_text=text)
    return JsonStructure(kind=kind, document=document, parsed=True, head_text=text)


def json_document(path: Path, head: bytes, max_bytes: int = MAX_PARSE_BYTES) -> Any | None:
    """The parsed JSON document of `path`, or None when it is not JSON or did not parse."""
    structure = json_structure(path, head, max_bytes)
    if structure is None or not structure.parsed:
        return None
    return structure.document


def first_record(value: Any) -> dict | None:
    """The first element of a list when it is an object (None for an empty or other list)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return None


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = Path(path).stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8").lstrip(BOM))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_PARSED


@lru_cache(maxsize=2)
def _parsed_head(head: bytes) -> Any:
    return _loads(head)


@lru_cache(maxsize=2)
def _parsed_file(path: str, size: int, mtime_ns: int) -> Any:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return _NOT_PARSED
    return _loads(data)


class Root(NamedTuple):
    """An XML document's root element as detection sees it."""

    name: str  # local name
    namespace: str  # namespace URI; '' for none (or unknown, when not `parsed`)
    attributes: dict[str, str]  # {} when not `parsed`
    parsed: bool  # False: named from the head's first tag (refused by defusedxml, or broken)


_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)[\s>/]")


def xml_root_element(path: Path, head: bytes) -> Root | None:
    """The root element of `path`, or None when the file is not XML.

    Read through defusedxml up to the root's start tag (from the head when it is the
    whole file). A document defusedxml refuses (entities, an external DTD) or that
    breaks before its root tag is named from the head's first element tag, with
    namespace '' (unknown) and `parsed` False, so a format may still claim it and its
    parse refuse it with the reason.
    """
    text = _text(head)
    if not text.startswith("<"):
        return None
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    source = io.BytesIO(head) if len(head) < HEAD_BYTES else str(path)
    try:
        for _event, element in safe_xml.iterparse(source, events=("start",)):
            tag = element.tag
            if tag.startswith("{"):
                namespace, _, local = tag[1:].partition("}")
                return Root(local, namespace, dict(element.attrib), True)
            return Root(tag, "", dict(element.attrib), True)
    except (DefusedXmlException, OSError, SyntaxError, ValueError):
        pass
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", "", text, flags=re.DOTALL)
    found = _FIRST_TAG.search(body)
    if found is None:
        return None
    return Root(found.group(1).rpartition(":")[2], "", {}, False)


def xml_root(path: Path, head: bytes) -> tuple[str, str] | None:
    """(local name, namespace URI or '') of the root element, or None when not XML
    (`xml_root_element`)."""
    root = xml_root_element(path, head)
    return None if root is None else (root.name, root.namespace)
