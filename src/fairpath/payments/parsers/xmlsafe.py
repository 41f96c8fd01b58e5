"""Standard-library XML parsing with defusedxml's safety: no DTDs, no entities, no external references."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from fairpath.payments.parsers.common import MalformedFile

_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def parse_xml(data: bytes) -> ElementTree.Element:
    """Refuse any DTD or entity declaration (billion laughs, external entities) before parsing."""
    if _FORBIDDEN.search(data):
        raise MalformedFile("document", "DTDs and entity declarations are not accepted")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        line, column = error.position
        raise MalformedFile(f"line {line}, column {column}", f"not well-formed XML ({error.msg})") from error
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def text_of(element: ElementTree.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""
