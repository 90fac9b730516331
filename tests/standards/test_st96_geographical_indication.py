"""ST.96 V6_0 export of geographical indication register records (``gin:GIData``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from ipledger.registry.lifecycle import machine_for
from ipledger.registry.profiles import load_profile
from ipledger.standards.errors import StandardsError
from ipledger.standards.iso639 import ISO639_1_CODES
from ipledger.standards.st96 import COM_NS, TMK_NS, st96_schema_dir
from ipledger.standards.st96.geographical_indication import (
    DEFAULT_GI_CATEGORY,
    GI_CATEGORIES,
    GI_NS,
    GI_SCHEMA,
    GI_STATUS_CATEGORY,
    PRODUCT_CATEGORIES,
    gi_to_st96_xml,
)

NS = {"com": COM_NS, "gin": GI_NS, "tmk": TMK_NS}
XS = "{http://www.w3.org/2001/XMLSchema}"

GI_FULL: dict[str, Any] = {
    "office": "XX",
    "kind": "geographical_indication",
    "number": "XXG2026000001",
    "filing_date": "2026-09-21",
    "status": "registered",
    "registration_date": "2027-01-04",
    "registration_number": "XXG0000001",
    "applicants": [
        {"OrganizationStandardName": "Consejo Regulador Café de Aurora",
         "PostalAddressText": ["Calle 5 # 10-20", "Aurora"], "IncorporationCountryCode": "CO"},
        {"PersonFullName": "Ana Pérez", "NationalityCode": "CO"},
    ],
    "data": {
        "GeographicalIndicationName": "Café de Aurora",
        "ProductCategory": "Coffee",
        "GeographicalArea": "The Aurora valley above 1,200 m",
        "OriginCountryCode": "CO",
        "FeatureDescriptionText": "Washed arabica with bright acidity & <citrus> notes",
        "ApplicationLanguageCode": "es",
        "GICategory": "Protected Designation of Origin",
        "GoodsServicesBag": [
            {"ClassNumber": 30, "GoodsServicesDescriptionText": "Green and roasted coffee"},
        ],
        "DemarcatedAreaDescriptionText": "The municipalities of Aurora and San Luis",
    },
}

GI_MINIMAL: dict[str, Any] = {
    "office": "FR",
    "kind": "geographical_indication",
    "number": "GI-2026-7",
    "filing_date": "2026-01-05",
    "status": "filed",
    "applicants": [{"OrganizationStandardName": "Syndicat du Bleu"}],
    "data": {
        "GeographicalIndicationName": "Bleu des Causses",
        "ProductCategory": "Cheese",
        "GeographicalArea": "Causses plateaux",
        "OriginCountryCode": "FR",
        "FeatureDescriptionText": "Blue cheese ripened in natural caves",
        "ApplicationLanguageCode": "fr",
    },
}


@pytest.fixture(scope="module")
def gi_xsd() -> etree.XMLSchema:
    """The shared XSD, compiled here independently of the exporter's schema cache."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(st96_schema_dir() / GI_SCHEMA), parser))


def _enumeration(xsd: str, type_name: str) -> list[str]:
    tree = etree.parse(str(st96_schema_dir() / xsd))
    simple = tree.find(f"{XS}simpleType[@name='{type_name}']")
    return [e.get("value") for e in simple.iter(f"{XS}enumeration")]


def _values(doc: etree._Element, path: str) -> list[str]:
    return [str(v) for v in doc.xpath(path, namespaces=NS)]


@pytest.mark.parametrize("record", [GI_FULL, GI_MINIMAL], ids=["full", "minimal"])
def test_gi_validates_against_xsd(record: dict[str, Any], gi_xsd: etree.XMLSchema) -> None:
    xml = gi_to_st96_xml(record)
    doc = etree.fromstring(xml)
    assert gi_xsd.validate(doc), gi_xsd.error_log
    assert doc.tag == f"{{{GI_NS}}}GIData"
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<gin:GIData ')
    assert gi_to_st96_xml(copy.deepcopy(record)) == xml  # same record, same bytes


def test_gi_full_record_values_are_in_the_document() -> None:
    doc = etree.fromstring(gi_to_st96_xml(GI_FULL))
    data = GI_FULL["data"]
    assert doc.get(f"{{{COM_NS}}}officeCode") == "XX"
    assert doc.get(f"{{{COM_NS}}}languageCode") == "es"
    assert _values(doc, "com:ApplicationNumber/com:IPOfficeCode/text()") == ["XX"]
    assert _values(doc, "com:ApplicationNumber/com:ApplicationNumberText/text()") == [
        "XXG2026000001"]
    assert _values(doc, "com:ApplicationDate/text()") == ["2026-09-21"]
    assert _values(doc, "com:RegistrationNumber/text()") == ["XXG0000001"]
    assert _values(doc, "com:RegistrationDate/text()") == ["2027-01-04"]
    assert _values(doc, "gin:GINameBag/gin:GINameText/text()") == ["Café de Aurora"]
    products = "gin:ProductIndicationBag/"
    assert _values(doc, products + "gin:ProductCategory/text()") == ["Coffee"]
    classification = products + ("tmk:GoodsServices/tmk:GoodsServicesClassificationBag/"
                                 "tmk:GoodsServicesClassification/")
    assert _values(doc, classification + "tmk:ClassificationKindCode/text()") == ["Nice"]
    assert _values(doc, classification + "tmk:ClassNumber/text()") == ["30"]
    assert _values(doc, products + "tmk:GoodsServices//tmk:GoodsServicesDescriptionText/text()"
                   ) == ["Green and roasted coffee"]
    assert _values(doc, "gin:FeatureDescriptionBag/gin:FeatureDescription/"
                        "gin:FeatureDescriptionText/text()") == [data["FeatureDescriptionText"]]
    region = "gin:GeographicRegionDescriptionBag/"
    assert _values(doc, region + "gin:GeographicRegionDescription/"
                   "gin:GeographicRegionDescriptionText/text()") == [data["GeographicalArea"]]
    assert _values(doc, region + "gin:DemarcatedAreaDescriptionText/text()") == [
        data["DemarcatedAreaDescriptionText"]]
    assert _values(doc, "gin:GICategory/text()") == ["Protected Designation of Origin"]
    assert _values(doc, "gin:AuthorizedUser/com:Contact/com:Name//text()[normalize-space()]") == [
        "Consejo Regulador Café de Aurora", "Ana Pérez"]
    assert _values(doc, "gin:AuthorizedUser[1]//com:PostalAddressText/text()") == [
        "Calle 5 # 10-20", "Aurora"]
    assert _values(doc, "gin:AuthorizedUser/gin:AuthorizedUserStatusCategory/text()") == [
        "Valid", "Valid"]
    assert _values(doc, "gin:GIStatusCategory/text()") == ["Registered"]
    # GIData has no element for these (see the module docs).
    assert b"OriginCountryCode" not in etree.tostring(doc)
    assert _values(doc, "//com:NationalityCode") == []


def test_gi_defaults_when_optional_content_is_absent() -> None:
    doc = etree.fromstring(gi_to_st96_xml(GI_MINIMAL))
    assert _values(doc, "gin:GICategory/text()") == [DEFAULT_GI_CATEGORY]
    # Without a Nice class the goods are the product category, classified "Other".
    goods = "gin:ProductIndicationBag/tmk:GoodsServices/"
    assert _values(doc, goods + "tmk:GoodsServicesClassificationBag/"
                   "tmk:GoodsServicesClassification/tmk:ClassificationKindCode/text()") == [
        "Other"]
    assert _values(doc, goods + "tmk:ClassDescriptionBag/tmk:ClassDescription/"
                   "tmk:GoodsServicesDescriptionText/text()") == ["Cheese"]
    assert _values(doc, "//tmk:ClassNumber") == []
    for absent in ("com:RegistrationNumber", "com:RegistrationDate", "gin:WithdrawalDate",
                   "com:ExpiryDate", "//gin:DemarcatedAreaDescriptionText"):
        assert _values(doc, absent) == [], absent
    assert _values(doc, "gin:GIStatusCategory/text()") == ["Filing"]
    assert _values(doc, "gin:AuthorizedUser/gin:AuthorizedUserStatusCategory/text()") == [
        "Pending"]


@pytest.mark.parametrize(
    ("status", "gi_status", "user_status"),
    [("filed", "Filing", "Pending"), ("opposition_period", "Published", "Pending"),
     ("registered", "Registered", "Valid"), ("cancelled", "Ended", "Ended"),
     ("withdrawn", "Ended", "Ended")],
)  # fmt: skip
def test_gi_status(status: str, gi_status: str, user_status: str,
                   gi_xsd: etree.XMLSchema) -> None:
    record = copy.deepcopy(GI_MINIMAL)
    record["status"] = status
    if status == "withdrawn":
        record["withdrawal_date"] = "2026-03-01"
    doc = etree.fromstring(gi_to_st96_xml(record))
    assert gi_xsd.validate(doc), gi_xsd.error_log
    assert _values(doc, "gin:GIStatusCategory/text()") == [gi_status]
    assert _values(doc, "gin:AuthorizedUser/gin:AuthorizedUserStatusCategory/text()") == [
        user_status]
    assert _values(doc, "gin:WithdrawalDate/text()") == (
        ["2026-03-01"] if status == "withdrawn" else [])


def test_an_unknown_state_leaves_the_optional_status_out(gi_xsd: etree.XMLSchema) -> None:
    record = copy.deepcopy(GI_MINIMAL)
    record["status"] = "something_new"
    doc = etree.fromstring(gi_to_st96_xml(record))
    assert gi_xsd.validate(doc), gi_xsd.error_log
    assert _values(doc, "//gin:GIStatusCategory | //gin:AuthorizedUserStatusCategory") == []


def test_every_gi_state_of_the_generic_profile_has_an_st96_status() -> None:
    machine = machine_for(load_profile("generic"), "geographical_indication")
    states = set(machine.states) - {"absent"}
    assert states <= set(GI_STATUS_CATEGORY)
    assert set(GI_STATUS_CATEGORY.values()) <= set(
        _enumeration(GI_SCHEMA, "GIStatusCategoryType"))


def test_code_lists_are_the_schemas() -> None:
    assert list(GI_CATEGORIES) == _enumeration(GI_SCHEMA, "GICategoryType")
    assert list(PRODUCT_CATEGORIES) == _enumeration(GI_SCHEMA, "ProductCategoryType")
    assert sorted(ISO639_1_CODES) == _enumeration("Common_V6_0.xsd", "ISOLanguageCodeType")


@pytest.mark.parametrize(
    ("path", "value", "rule", "pointer"),
    [(("office",), "X1", "st3-code", "/office"),
     (("kind",), "copyright", "kind", "/kind"),
     (("applicants",), [], "required", "/applicants"),
     (("number",), "", "required", "/number"),
     (("data", "FeatureDescriptionText"), None, "required", "/data/FeatureDescriptionText"),
     (("data", "ApplicationLanguageCode"), None, "required", "/data/ApplicationLanguageCode")],
)  # fmt: skip
def test_gi_rejects_bad_records(path: tuple[str, ...], value: Any, rule: str,
                                pointer: str) -> None:
    record = copy.deepcopy(GI_MINIMAL)
    target = record
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(StandardsError) as exc:
        gi_to_st96_xml(record)
    assert (exc.value.rule, exc.value.pointer) == (rule, pointer)


@pytest.mark.parametrize(("key", "value"), [("GICategory", "Protected Designation"),
                                            ("ProductCategory", "Coffee beans"),
                                            ("ApplicationLanguageCode", "xx")])
def test_gi_xsd_violation_is_reported(key: str, value: str) -> None:
    record = copy.deepcopy(GI_MINIMAL)
    record["data"][key] = value
    with pytest.raises(StandardsError) as exc:
        gi_to_st96_xml(record)
    assert exc.value.rule == "st96-xsd"
    gi_to_st96_xml(record, validate=False)  # the caller may skip the check
