"""ST.96 V6_0 export of industrial design register records (``dgn:DesignApplication``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError
from ipledger.standards.st96 import st96_schema_dir
from ipledger.standards.st96.design import (
    DESIGN_NS,
    DESIGN_SCHEMA,
    design_from_st96_xml,
    design_to_st96_xml,
)

DESIGN_FULL: dict[str, Any] = {
    "office": "EM",
    "kind": "industrial_design",
    "number": "015000123-0001",
    "filing_date": "2023-03-01",
    "registration_date": "2023-04-02",
    "status": "registered",
    "applicants": [
        {
            "OrganizationStandardName": "Acme Möbel GmbH",
            "PostalAddressText": ["Hauptstraße 1", "10115 Berlin"],
            "IncorporationCountryCode": "DE",
        },
        {"PersonFullName": "Jane Roe", "NationalityCode": "FR"},
    ],
    "data": {
        "DesignTitle": "Chair & stool <set>",
        "ClassificationLocarno": ["06-01", "06-04", "14-02", "06-03"],
        "PriorityBag": [
            {
                "PriorityCountryCode": "US",
                "ApplicationNumberText": "29/123,456",
                "PriorityApplicationFilingDate": "2022-10-01",
            }
        ],
    },
}

DESIGN_MINIMAL: dict[str, Any] = {
    "office": "FR",
    "kind": "industrial_design",
    "number": "20230001",
    "filing_date": "2023-01-05",
    "status": "published",
    "applicants": [{"PersonFullName": "Jean Dupont"}],
    "data": {"DesignTitle": "Lampe", "ClassificationLocarno": ["26-05"]},
}


def _xsd(name: str) -> etree.XMLSchema:
    """The shared XSD, compiled here independently of the exporter's schema cache."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(st96_schema_dir() / name), parser))


@pytest.fixture(scope="module")
def design_xsd() -> etree.XMLSchema:
    return _xsd(DESIGN_SCHEMA)


@pytest.mark.parametrize("record", [DESIGN_FULL, DESIGN_MINIMAL], ids=["full", "minimal"])
def test_design_validates_against_xsd(record: dict[str, Any], design_xsd: etree.XMLSchema) -> None:
    xml = design_to_st96_xml(record)
    doc = etree.fromstring(xml)
    assert design_xsd.validate(doc), design_xsd.error_log
    assert doc.tag == f"{{{DESIGN_NS}}}DesignApplication"
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')


@pytest.mark.parametrize("record", [DESIGN_FULL, DESIGN_MINIMAL], ids=["full", "minimal"])
def test_design_round_trip(record: dict[str, Any]) -> None:
    assert design_from_st96_xml(design_to_st96_xml(record)) == record


def _view_counts(doc: etree._Element) -> list[str]:
    return [doc.xpath(f"string(//dgn:Design/dgn:{name})", namespaces={"dgn": DESIGN_NS})
            for name in ("ColourViewTotalQuantity", "BlackWhiteViewTotalQuantity")]


@pytest.mark.parametrize(("views", "colour"), [(7, 2), (3, 0), (4, 4), (0, 0)])
def test_design_view_quantity_is_exported_split_by_colour(
    views: int, colour: int, design_xsd: etree.XMLSchema
) -> None:
    record = copy.deepcopy(DESIGN_FULL)
    record["data"].update(ViewQuantity=views, ColourViewQuantity=colour)
    xml = design_to_st96_xml(record)
    doc = etree.fromstring(xml)
    assert design_xsd.validate(doc), design_xsd.error_log
    assert _view_counts(doc) == [str(colour), str(views - colour)]
    assert design_from_st96_xml(xml) == record


def test_design_view_quantity_without_colour_split_is_not_guessed() -> None:
    record = copy.deepcopy(DESIGN_FULL)
    record["data"]["ViewQuantity"] = 7
    xml = design_to_st96_xml(record)
    assert b"ViewTotalQuantity" not in xml
    assert design_from_st96_xml(xml) == DESIGN_FULL


@pytest.mark.parametrize(
    ("data", "rule", "pointer"),
    [({"ColourViewQuantity": 2}, "view-quantity", "/data/ViewQuantity"),
     ({"ViewQuantity": 3, "ColourViewQuantity": 4}, "view-quantity", "/data/ColourViewQuantity"),
     ({"ViewQuantity": -1, "ColourViewQuantity": 0}, "type", "/data/ViewQuantity"),
     ({"ViewQuantity": 3, "ColourViewQuantity": True}, "type", "/data/ColourViewQuantity")],
)  # fmt: skip
def test_design_view_counts_are_checked(data: dict[str, Any], rule: str, pointer: str) -> None:
    record = copy.deepcopy(DESIGN_MINIMAL)
    record["data"].update(data)
    with pytest.raises(StandardsError) as exc:
        design_to_st96_xml(record, validate=False)
    assert (exc.value.rule, exc.value.pointer) == (rule, pointer)


def test_design_reads_view_counts_of_other_offices(design_xsd: etree.XMLSchema) -> None:
    record = copy.deepcopy(DESIGN_MINIMAL)
    record["data"].update(ViewQuantity=6, ColourViewQuantity=0)
    doc = etree.fromstring(design_to_st96_xml(record))
    # An office that counts only black-and-white views (no colour element at all).
    colour = doc.find(f".//{{{DESIGN_NS}}}ColourViewTotalQuantity")
    colour.getparent().remove(colour)
    assert design_xsd.validate(doc), design_xsd.error_log
    back = design_from_st96_xml(etree.tostring(doc))
    assert (back["data"]["ViewQuantity"], back["data"]["ColourViewQuantity"]) == (6, 0)
    doc.find(f".//{{{DESIGN_NS}}}BlackWhiteViewTotalQuantity").text = "six"
    with pytest.raises(StandardsError) as exc:
        design_from_st96_xml(etree.tostring(doc))
    assert exc.value.rule == "type"


def test_design_deterministic() -> None:
    first = design_to_st96_xml(DESIGN_FULL)
    assert design_to_st96_xml(copy.deepcopy(DESIGN_FULL)) == first
    assert design_to_st96_xml(DESIGN_FULL, validate=False) == first


def test_design_locarno_groups_consecutive_subclasses() -> None:
    doc = etree.fromstring(design_to_st96_xml(DESIGN_FULL))
    ns = {"com": "http://www.wipo.int/standards/XMLSchema/ST96/Common"}
    classes = doc.xpath("//com:LocarnoClassification/com:LocarnoClass/text()", namespaces=ns)
    assert classes == ["06", "14", "06"]
    assert doc.xpath("//com:LocarnoClassificationEdition/text()", namespaces=ns) == ["11"]


@pytest.mark.parametrize(
    ("status", "category"),
    [("registered", "Registered"), ("published", "Filed"), ("refused", "Rejected"),
     ("lapsed", "Expired"), ("invalidated", "Cancelled"), ("something_new", "Undefined")],
)  # fmt: skip
def test_design_status_category(status: str, category: str) -> None:
    record = copy.deepcopy(DESIGN_MINIMAL)
    record["status"] = status
    xml = design_to_st96_xml(record)
    doc = etree.fromstring(xml)
    found = doc.xpath("//dgn:DesignCurrentStatusCategory/text()", namespaces={"dgn": DESIGN_NS})
    assert found == [category]
    assert design_from_st96_xml(xml)["status"] == status


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [("office", "XX1", "st3-code"), ("applicants", [], "required"),
     ("kind", "copyright", "kind"), ("number", "", "required")],
)  # fmt: skip
def test_design_rejects_bad_records(path: str, value: Any, rule: str) -> None:
    record = copy.deepcopy(DESIGN_MINIMAL)
    record[path] = value
    with pytest.raises(StandardsError) as exc:
        design_to_st96_xml(record)
    assert exc.value.rule == rule


def test_design_xsd_violation_is_reported() -> None:
    record = copy.deepcopy(DESIGN_MINIMAL)
    record["filing_date"] = "5 January 2023"
    with pytest.raises(StandardsError) as exc:
        design_to_st96_xml(record)
    assert exc.value.rule == "st96-xsd"
    design_to_st96_xml(record, validate=False)  # the caller may skip the check


def test_design_parser_rejects_other_roots() -> None:
    with pytest.raises(StandardsError) as exc:
        design_from_st96_xml(f'<dgn:Design xmlns:dgn="{DESIGN_NS}"/>'.encode())
    assert exc.value.rule == "st96-root"
