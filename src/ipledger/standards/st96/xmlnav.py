"""Building ST.96 XML, and reading it namespace-agnostically (offices publish several versions)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.st96.schema import COM_NS

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def local_name(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """Child elements of ``el`` with local name ``name`` (any namespace), in document order."""
    if el is None:
        return iter(())
    # "{*}name" matches the local name in every namespace; lxml filters in C.
    return el.iterchildren("{*}" + name)  # type: ignore[no-any-return]


def child(el: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element along ``path`` of local names, or None."""
    for name in path:
        if el is None:
            return None
        el = next(el.iterchildren("{*}" + name), None)
    return el


def text(el: etree._Element | None) -> str | None:
    """Whitespace-collapsed text of ``el`` (``None`` when absent or blank)."""
    if el is None:
        return None
    raw = el.text if len(el) == 0 else "".join(el.itertext())
    value = " ".join(raw.split()) if raw else ""
    return value or None


def text_at(el: etree._Element | None, *path: str) -> str | None:
    return text(child(el, *path))


def serialize(root: etree._Element) -> bytes:
    """UTF-8 XML with a declaration; deterministic for the same tree."""
    body: bytes = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    return XML_DECLARATION + body


def common(name: str) -> str:
    """The Clark name of an ST.96 Common element or attribute."""
    return f"{{{COM_NS}}}{name}"


def sub_element(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    """Append ``tag`` under ``parent`` with optional text and ``com:``-namespaced attributes."""
    el = etree.SubElement(parent, tag, {common(k): v for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el
