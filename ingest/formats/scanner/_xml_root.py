"""Detection of XML exports by their parsed root element (and namespace), through defusedxml.

`root_of(head)` parses the first start tag of a file's head (no entities, no external DTD)
and returns the root element's local name, its namespace (or None) and its attributes;
None when the head is not XML. A truncated head is fine: only the first start event is read.
"""

from __future__ import annotations

import io
from typing import NamedTuple
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException


class Root(NamedTuple):
    name: str
    namespace: str | None
    attributes: dict[str, str]


def root_of(head: bytes) -> Root | None:
    try:
        for _, element in safe_xml.iterparse(io.BytesIO(head), events=("start",)):
            tag = element.tag
            if tag.startswith("{"):
                namespace, _, name = tag[1:].partition("}")
                return Root(name, namespace, dict(element.attrib))
            return Root(tag, None, dict(element.attrib))
    except (ParseError, DefusedXmlException, ValueError, UnicodeError):
        return None
    return None
