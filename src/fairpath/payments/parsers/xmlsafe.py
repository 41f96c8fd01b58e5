"""Standard-library XML parsing with defusedxml's safety: no DTDs, no entities, no external references.

Bank files run to hundreds of thousands of entries, so the helpers that read a child's text take ElementTree's
fast paths: a plain tag is looked up in C, and a path of tags is walked step by step, falling back to a full
search (what ``Element.find`` does) only where a step has siblings of the same name that the first one does
not cover.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from functools import lru_cache

from fairpath.payments.parsers.common import MalformedFile

_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def parse_xml(data: bytes) -> ElementTree.Element:
    """Refuse any DTD or entity declaration (billion laughs, external entities) before parsing; tags come
    back without their namespace."""
    if _FORBIDDEN.search(data):
        raise MalformedFile("document", "DTDs and entity declarations are not accepted")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        line, column = error.position
        raise MalformedFile(f"line {line}, column {column}", f"not well-formed XML ({error.msg})") from error
    bare: dict[object, object] = {}  # a file has a handful of distinct tags: each is split once
    for element in root.iter():
        tag = element.tag
        name = bare.get(tag)
        if name is None:
            name = bare[tag] = tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else tag
        element.tag = name  # type: ignore[assignment]
    return root


@lru_cache(maxsize=256)
def _steps(path: str) -> tuple[str, ...]:
    return tuple(path.split("/"))


def _search(element: ElementTree.Element, steps: tuple[str, ...], index: int) -> ElementTree.Element | None:
    """The first match of ``steps[index:]`` below ``element`` in document order (Element.find's answer)."""
    for child in element:
        if child.tag == steps[index]:
            if index == len(steps) - 1:
                return child
            found = _search(child, steps, index + 1)
            if found is not None:
                return found
    return None


def find_path(element: ElementTree.Element, path: str) -> ElementTree.Element | None:
    """``element.find(path)`` for a path of plain tags ('A/B/C'): the first match in document order."""
    steps = _steps(path)
    node: ElementTree.Element | None = element
    for index, step in enumerate(steps):
        found = node.find(step)  # type: ignore[union-attr]
        if found is None:
            # The first of each earlier step led nowhere; a later sibling of the same name may lead on.
            return _search(element, steps, 0) if index else None
        node = found
    return node


def text_of(element: ElementTree.Element, path: str) -> str:
    found = find_path(element, path)
    return (found.text or "").strip() if found is not None and found.text else ""


def children(element: ElementTree.Element, path: str) -> list[ElementTree.Element]:
    """``element.findall(path)`` for a path of plain tags, in document order."""
    found = [element]
    for step in _steps(path):
        found = [child for node in found for child in node if child.tag == step]
    return found
