"""Every kind of right: its ST.96-named content is checked, and it walks to registration."""

from __future__ import annotations

from typing import Any

import pytest

from ipledger.registry.families.rights import content_commitment
from ipledger.registry.lifecycle import machine_for
from ipledger.registry.profiles import load_profile
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import SALT, Office, ms

CONTENT: dict[str, dict[str, Any]] = {
    "patent": {"InventionTitle": "Self-cleaning filter cartridge",
               "IPCRClassificationBag": ["A47J 31/44", "B01D 29/00"], "ClaimTotalQuantity": 12},
    "utility_model": {"InventionTitle": "Cup holder"},
    "industrial_design": {"DesignTitle": "Cup with asymmetric handle",
                          "ClassificationLocarno": ["07-01"], "ViewQuantity": 3},
    "copyright": {"WorkTitle": "Aurora (photograph)", "WorkCategory": "Photographic work",
                  "CreationDate": "2026-06-01", "AuthorNameBag": ["Ana Pérez"]},
    "geographical_indication": {"GeographicalIndicationName": "Aurora Valley Coffee",
                                "ProductCategory": "Coffee", "OriginCountryCode": "CO",
                                "GeographicalArea": "The Aurora valley above 1,200 m",
                                "FeatureDescriptionText": "Washed arabica, bright acidity",
                                "ApplicationLanguageCode": "en"},
}
BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "patent": ({"InventionTitle": "X", "IPCRClassificationBag": ["Z99"]}, "ipc-symbol",
               "/body/data/IPCRClassificationBag/0"),
    "industrial_design": ({"DesignTitle": "X", "ClassificationLocarno": ["7-1"]},
                          "locarno-subclass", "/body/data/ClassificationLocarno/0"),
    "copyright": ({"WorkCategory": "Music"}, "missing-field", "/body/data/WorkTitle"),
    "geographical_indication": ({**CONTENT["geographical_indication"],
                                 "OriginCountryCode": "QQ"}, "st3-code",
                                "/body/data/OriginCountryCode"),
}


def file_and_disclose(office: Office, kind: str, content: dict[str, Any]) -> str:
    node = office.node
    node.submit(office.applicant, "right.file", {
        "office": "XX", "kind": kind, "applicants": [office.parties["applicant"]],
        "commitment": content_commitment(SALT, content),
        "payment": {"amount": load_profile("generic").rules(kind).fees.filing or 0,
                    "currency": "XXX"}})
    return node.ledger.store.record_ids(f"right/XX/{kind}/")[-1].rsplit("/", 1)[1]


@pytest.fixture
def office(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node, "XX", "generic")


@pytest.mark.parametrize("kind", sorted(BAD))
def test_content_is_checked_against_its_standard(office: Office, kind: str) -> None:
    content, rule, pointer = BAD[kind]
    number = file_and_disclose(office, kind, content)
    err = office.node.refuse(office.applicant, "right.disclose", {
        "office": "XX", "kind": kind, "number": number, "data": content, "salt": SALT})
    assert (err.rule, err.pointer) == (rule, pointer)


@pytest.mark.parametrize("kind", sorted(CONTENT))
def test_each_kind_reaches_registration(office: Office, kind: str) -> None:
    number = file_and_disclose(office, kind, CONTENT[kind])
    office.node.submit(office.applicant, "right.disclose", {
        "office": "XX", "kind": kind, "number": number, "data": CONTENT[kind], "salt": SALT})
    machine = machine_for(load_profile("generic"), kind)
    fees = load_profile("generic").rules(kind).fees
    in_force = {"registered", "granted"}
    for _ in range(10):  # walk the staff's forward actions until the right is in force
        state = office.right(number, kind)["state"]
        if state in in_force:
            break
        forward = [t for t in machine.transitions_from(state)
                   if set(t.roles) & {"examiner", "registrar"}
                   and t.action not in ("refuse", "cancel", "invalidate", "uphold_opposition")]
        t = forward[0]
        key = office.examiner if "examiner" in t.roles else office.registrar
        if "registrar" in t.roles and "examiner" not in t.roles:
            key = office.registrar
        extra: dict[str, Any] = {"attest": ["examination_passed", "publication_due"]}
        fee = sum(getattr(fees, p.split(":")[1]) or 0 for p in t.preconditions
                  if p.startswith("fee_paid:"))
        if fee:
            extra["payment"] = {"amount": fee, "currency": "XXX"}
        if "opposition_period_over" in t.preconditions:
            office.tick("2027-06-01")  # the automatic registration fires
            continue
        office.act(key, number, t.action, kind=kind, **extra)
    right = office.right(number, kind)
    assert right["state"] in in_force
    assert right["data"] == CONTENT[kind]


XSD = {"patent": "PatentPublication_V6_0.xsd", "utility_model": "PatentPublication_V6_0.xsd",
       "industrial_design": "DesignApplication_V6_0.xsd",
       "geographical_indication": "GeographicalIndication_V6_0.xsd"}


@pytest.mark.parametrize("kind", sorted(CONTENT))
def test_st96_xml_export_per_kind(office: Office, kind: str) -> None:
    from lxml import etree
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.standards.st96.schema import load_schema

    test_each_kind_reaches_registration(office, kind)
    number = office.node.ledger.store.record_ids(f"right/XX/{kind}/")[-1].rsplit("/", 1)[1]
    with TestClient(create_app(office.node.ledger)) as client:
        resp = client.get(f"/v1/rights/XX/{kind}/{number}.xml")
        as_json = client.get(f"/v1/rights/XX/{kind}/{number}")
    assert as_json.status_code == 200
    if kind not in XSD:  # ST.96 has no faithful document: a clear 404, JSON still served
        assert resp.status_code == 404
        assert "ST.96" in resp.json()["detail"]
        return
    assert resp.status_code == 200, resp.text
    schema = load_schema(XSD[kind])
    assert schema.validate(etree.fromstring(resp.content)), schema.error_log


def test_design_colour_views_are_checked_and_exported(office: Office) -> None:
    from lxml import etree
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.standards.st96.design import DESIGN_NS
    from ipledger.standards.st96.schema import load_schema

    kind = "industrial_design"
    bad = {**CONTENT[kind], "ColourViewQuantity": 4}  # of 3 views
    number = file_and_disclose(office, kind, bad)
    err = office.node.refuse(office.applicant, "right.disclose", {
        "office": "XX", "kind": kind, "number": number, "data": bad, "salt": SALT})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/data/ColourViewQuantity")
    good = {**CONTENT[kind], "ColourViewQuantity": 1}
    number = file_and_disclose(office, kind, good)
    office.node.submit(office.applicant, "right.disclose", {
        "office": "XX", "kind": kind, "number": number, "data": good, "salt": SALT})
    with TestClient(create_app(office.node.ledger)) as client:
        resp = client.get(f"/v1/rights/XX/{kind}/{number}.xml")
    assert resp.status_code == 200, resp.text
    doc = etree.fromstring(resp.content)
    schema = load_schema(XSD[kind])
    assert schema.validate(doc), schema.error_log
    counts = [doc.xpath(f"string(//dgn:{name})", namespaces={"dgn": DESIGN_NS})
              for name in ("ColourViewTotalQuantity", "BlackWhiteViewTotalQuantity")]
    assert counts == ["1", "2"]  # 3 views, 1 in colour


@pytest.mark.parametrize("kind", ["patent", "utility_model", "industrial_design"])
def test_legal_status_document_over_http(office: Office, kind: str) -> None:
    """A published patent's ST.27 legal status, valid against Patent_V6_0.xsd; other kinds
    have none (404, said why)."""
    from lxml import etree
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.standards.st96.schema import load_schema

    test_each_kind_reaches_registration(office, kind)
    if kind == "industrial_design":
        number = office.node.ledger.store.record_ids(f"right/XX/{kind}/")[-1].rsplit("/")[-1]
        with TestClient(create_app(office.node.ledger)) as client:
            resp = client.get(f"/v1/rights/XX/{kind}/{number}/legal-status.xml")
        assert resp.status_code == 404
        assert "patents and utility models" in resp.json()["detail"]
        return
    number = office.node.ledger.store.record_ids(f"right/XX/{kind}/")[-1].rsplit("/", 1)[1]
    right = office.right(number, kind)
    with TestClient(create_app(office.node.ledger)) as client:
        resp = client.get(f"/v1/rights/XX/{kind}/{number}/legal-status.xml")
        unknown = client.get(f"/v1/rights/XX/{kind}/999999999/legal-status.xml")
    assert resp.status_code == 200, resp.text
    assert unknown.status_code == 404
    doc = etree.fromstring(resp.content)
    schema = load_schema("Patent_V6_0.xsd")
    assert schema.validate(doc), schema.error_log
    assert right["state"].encode() in resp.content
    assert right["history"][-1]["date"].encode() in resp.content
