"""Namespace-agnostic navigation of ST.96 XML (offices publish several namespace versions)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree  # type: ignore[import-untyped]

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def local_name(el: etree._Element) -> str:
    return str(etree.QName(el).localname)


def children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """Child elements of ``el`` with local name ``name``, in document order."""
    if el is None:
        return
    for child in el:
        if isinstance(child.tag, str) and local_name(child) == name:
            yield child


def child(el: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element along ``path`` of local names, or None."""
    for name in path:
        el = next(children(el, name), None)
        if el is None:
            return None
    return el


def text(el: etree._Element | None) -> str | None:
    """Whitespace-collapsed text of ``el`` (``None`` when absent or blank)."""
    if el is None:
        return None
    value = " ".join("".join(el.itertext()).split())
    return value or None


def text_at(el: etree._Element | None, *path: str) -> str | None:
    return text(child(el, *path))


def serialize(root: etree._Element) -> bytes:
    """UTF-8 XML with a declaration; deterministic for the same tree."""
    body: bytes = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    return XML_DECLARATION + body
