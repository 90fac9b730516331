"""Building ST.96 XML, and reading it namespace-agnostically (offices publish several versions)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.st96.schema import COM_NS, validate_st96

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_ADDRESS_PARTS: Final = ("CityName", "GeographicRegionName", "CountryCode", "PostalCode")


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


def serialize_checked(root: etree._Element, schema: str, *, validate: bool = True) -> bytes:
    """``serialize(root)``, first checked against ST.96 schema file ``schema`` if ``validate``."""
    if validate:
        validate_st96(root, schema)
    return serialize(root)


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


def contact(parent: etree._Element, party: Mapping[str, Any]) -> etree._Element:
    """Append ``com:Contact`` (name, postal address) for a party in the register's JSON form.

    ``party`` has ``PersonFullName`` or ``OrganizationStandardName`` and at most one of
    ``PostalStructuredAddress`` / ``PostalAddressText`` (``standards.st96.model.PartyJSON``).
    """
    el = sub_element(parent, common("Contact"))
    name = sub_element(el, common("Name"))
    if "PersonFullName" in party:
        person = sub_element(name, common("PersonName"))
        sub_element(person, common("PersonFullName"), party["PersonFullName"])
    else:
        org = sub_element(name, common("OrganizationName"))
        sub_element(org, common("OrganizationStandardName"), party["OrganizationStandardName"])
    if "PostalStructuredAddress" in party:
        addr = party["PostalStructuredAddress"]
        postal = sub_element(sub_element(el, common("PostalAddressBag")), common("PostalAddress"))
        psa = sub_element(postal, common("PostalStructuredAddress"))
        for i, line in enumerate(addr["AddressLineText"], 1):
            sub_element(psa, common("AddressLineText"), line, sequenceNumber=str(i))
        for key in _ADDRESS_PARTS:
            if key in addr:
                sub_element(psa, common(key), addr[key])
    elif "PostalAddressText" in party:
        postal = sub_element(sub_element(el, common("PostalAddressBag")), common("PostalAddress"))
        for i, line in enumerate(party["PostalAddressText"], 1):
            sub_element(postal, common("PostalAddressText"), line, sequenceNumber=str(i))
    return el
