"""Geographical indications through the ledger: ST.96-named content, XSD-valid XML over HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.registry.st96_export import NoST96Document, right_xml
from ipledger.standards.st96 import COM_NS, TMK_NS
from ipledger.standards.st96.geographical_indication import GI_NS, GI_SCHEMA
from ipledger.standards.st96.schema import load_schema
from tests.registry.conftest import Node
from tests.registry.test_right_kinds import file_and_disclose
from tests.registry.test_rights_lifecycle import SALT, Office, ms

KIND = "geographical_indication"
NS = {"com": COM_NS, "gin": GI_NS, "tmk": TMK_NS}
GI: dict[str, Any] = {
    "GeographicalIndicationName": "Café de Aurora",
    "ProductCategory": "Coffee",
    "GeographicalArea": "The Aurora valley above 1,200 m",
    "OriginCountryCode": "CO",
    "FeatureDescriptionText": "Washed arabica with bright acidity",
    "ApplicationLanguageCode": "es",
    "GICategory": "Appellation of Origin",
    "GoodsServicesBag": [{"ClassNumber": 30, "GoodsServicesDescriptionText": "Roasted coffee"}],
    "DemarcatedAreaDescriptionText": "Municipalities of Aurora and San Luis",
}


@pytest.fixture
def office(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node, "XX", "generic")


@pytest.fixture
def client(office: Office) -> Iterator[TestClient]:
    with TestClient(create_app(office.node.ledger)) as c:
        yield c


@pytest.fixture(scope="module")
def gi_xsd() -> etree.XMLSchema:
    return load_schema(GI_SCHEMA)  # compiled once per process, shared with the exporter


def disclose(office: Office, content: dict[str, Any]) -> str:
    number = file_and_disclose(office, KIND, content)  # files (content committed)
    office.node.submit(office.applicant, "right.disclose", {
        "office": "XX", "kind": KIND, "number": number, "data": content, "salt": SALT})
    return number


def register(office: Office, content: dict[str, Any]) -> str:
    number = disclose(office, content)
    office.act(office.examiner, number, "check_formalities", kind=KIND)
    office.act(office.examiner, number, "start_examination", kind=KIND)
    office.act(office.registrar, number, "publish", kind=KIND, attest=["examination_passed"])
    office.tick("2027-01-05")  # the three-month opposition period ends: registered
    assert office.right(number, KIND)["state"] == "registered"
    return number


def values(doc: etree._Element, path: str) -> list[str]:
    return [str(v) for v in doc.xpath(path, namespaces=NS)]


def test_a_registered_gi_exports_as_valid_st96(office: Office, client: TestClient,
                                               gi_xsd: etree.XMLSchema) -> None:
    number = register(office, GI)
    resp = client.get(f"/v1/rights/XX/{KIND}/{number}.xml")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    doc = etree.fromstring(resp.content)
    assert gi_xsd.validate(doc), gi_xsd.error_log
    assert doc.tag == f"{{{GI_NS}}}GIData"
    assert doc.get(f"{{{COM_NS}}}languageCode") == "es"
    assert doc.get(f"{{{COM_NS}}}officeCode") == "XX"
    right = office.right(number, KIND)
    assert values(doc, "com:ApplicationNumber/com:ApplicationNumberText/text()") == [number]
    assert values(doc, "com:ApplicationDate/text()") == [right["dates"]["filing_date"]]
    assert values(doc, "com:RegistrationNumber/text()") == [number]
    assert values(doc, "com:RegistrationDate/text()") == [right["dates"]["registration_date"]]
    assert values(doc, "gin:GINameBag/gin:GINameText/text()") == ["Café de Aurora"]
    assert values(doc, "gin:ProductIndicationBag/gin:ProductCategory/text()") == ["Coffee"]
    assert values(doc, "gin:ProductIndicationBag//tmk:GoodsServicesClassification/"
                       "tmk:ClassNumber/text()") == ["30"]
    assert values(doc, "gin:ProductIndicationBag//tmk:GoodsServicesDescriptionText/text()") == [
        "Roasted coffee"]
    assert values(doc, "gin:FeatureDescriptionBag//gin:FeatureDescriptionText/text()") == [
        GI["FeatureDescriptionText"]]
    assert values(doc, "gin:GeographicRegionDescriptionBag//"
                       "gin:GeographicRegionDescriptionText/text()") == [GI["GeographicalArea"]]
    assert values(doc, "gin:GeographicRegionDescriptionBag/"
                       "gin:DemarcatedAreaDescriptionText/text()") == [
        GI["DemarcatedAreaDescriptionText"]]
    assert values(doc, "gin:GICategory/text()") == ["Appellation of Origin"]
    assert values(doc, "gin:AuthorizedUser/com:Contact//com:PersonFullName/text()") == [
        "Applicant"]  # the applicant party's registered name
    assert values(doc, "gin:AuthorizedUser/gin:AuthorizedUserStatusCategory/text()") == ["Valid"]
    assert values(doc, "gin:GIStatusCategory/text()") == ["Registered"]


def test_an_unpublished_gi_is_not_served(office: Office, client: TestClient) -> None:
    number = file_and_disclose(office, KIND, GI)  # filed; content only committed
    for suffix in (".xml", ""):
        resp = client.get(f"/v1/rights/XX/{KIND}/{number}{suffix}")
        assert resp.status_code == 404
        assert resp.json()["detail"] == f"no published right XX/{KIND}/{number}"


def test_a_withdrawn_gi_exports_its_end(office: Office, client: TestClient,
                                        gi_xsd: etree.XMLSchema) -> None:
    minimal = {k: v for k, v in GI.items() if k not in (
        "GICategory", "GoodsServicesBag", "DemarcatedAreaDescriptionText")}
    number = disclose(office, minimal)
    office.tick("2026-10-02")
    office.act(office.applicant, number, "withdraw", kind=KIND)
    doc = etree.fromstring(client.get(f"/v1/rights/XX/{KIND}/{number}.xml").content)
    assert gi_xsd.validate(doc), gi_xsd.error_log
    assert values(doc, "gin:GIStatusCategory/text()") == ["Ended"]
    assert values(doc, "gin:WithdrawalDate/text()") == ["2026-10-02"]
    assert values(doc, "com:RegistrationNumber") == []
    assert values(doc, "gin:GICategory/text()") == ["Geographical Indication"]
    assert values(doc, "//tmk:ClassificationKindCode/text()") == ["Other"]
    assert values(doc, "//tmk:GoodsServicesDescriptionText/text()") == ["Coffee"]


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in GI.items() if k != key}


BAD_GI: dict[str, tuple[dict[str, Any], str, str]] = {
    "gi-category": ({**GI, "GICategory": "PDO"}, "invalid-value", "/body/data/GICategory"),
    "product-category": ({**GI, "ProductCategory": "Coffee beans"}, "invalid-value",
                         "/body/data/ProductCategory"),
    "unknown-field": ({**GI, "GIName": "Aurora"}, "unknown-field", "/body/data/GIName"),
    "language": ({**GI, "ApplicationLanguageCode": "spa"}, "iso639-code",
                 "/body/data/ApplicationLanguageCode"),
    "no-features": (_without("FeatureDescriptionText"), "missing-field",
                    "/body/data/FeatureDescriptionText"),
    "no-language": (_without("ApplicationLanguageCode"), "missing-field",
                    "/body/data/ApplicationLanguageCode"),
    "nice-class": ({**GI, "GoodsServicesBag": [
        {"ClassNumber": 46, "GoodsServicesDescriptionText": "Coffee"}]}, "nice-class",
        "/body/data/GoodsServicesBag/0/ClassNumber"),
    "class-order": ({**GI, "GoodsServicesBag": [
        {"ClassNumber": 30, "GoodsServicesDescriptionText": "Coffee"},
        {"ClassNumber": 29, "GoodsServicesDescriptionText": "Dried fruit"}]}, "class-order",
        "/body/data/GoodsServicesBag/1/ClassNumber"),
}


@pytest.mark.parametrize("case", sorted(BAD_GI))
def test_bad_gi_content_is_refused(office: Office, case: str) -> None:
    content, rule, pointer = BAD_GI[case]
    number = file_and_disclose(office, KIND, content)
    err = office.node.refuse(office.applicant, "right.disclose", {
        "office": "XX", "kind": KIND, "number": number, "data": content, "salt": SALT})
    assert (err.rule, err.pointer) == (rule, pointer)
    assert err.detail
    assert "data" not in office.right(number, KIND)


def test_a_gi_disclosed_before_the_st96_fields_is_served_as_json_only() -> None:
    legacy = {"GeographicalIndicationName": "Aurora Valley Coffee", "ProductCategory": "Coffee",
              "OriginCountryCode": "CO", "GeographicalArea": "The Aurora valley"}
    right = {"office": "XX", "kind": KIND, "number": "XXG2026000001", "state": "registered",
             "dates": {"filing_date": "2026-01-01", "registration_date": "2026-06-01"},
             "owners": [{"party": "P1", "share": 1}], "history": [], "data": legacy}
    with pytest.raises(NoST96Document, match="FeatureDescriptionText"):
        right_xml(right, lambda _party: None)
    ok = copy.deepcopy(right)
    ok["data"] = {**legacy, "FeatureDescriptionText": "x", "ApplicationLanguageCode": "en"}
    party = {"kind": "legal", "details": [{"name": "Aurora  Growers", "country": "CO"}]}
    assert b"<gin:GIData" in right_xml(ok, lambda _party: party)
