"""Online filing over HTTP without a browser: the fee quote API against the register's own
check, test payments, server-side validation of the forms (errors next to the fields,
nothing recorded, nothing charged), the CLI path (a pasted signed envelope), status pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, did_key_url
from ipledger.ledger import make_envelope
from ipledger.node import init_node
from ipledger.registry.records import party_id_for
from ipledger.services.payments import TestGateway
from tests.conftest import T0, FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.web.sample_register import SampleRegister

APPROVED, DECLINED = "4242 4242 4242 4242", "4000 0000 0000 0002"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Node,
                                                                     SampleRegister]]:
    data: Path = tmp_path_factory.mktemp("filing") / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(T0))
    register = SampleRegister(node)
    node.submit(node.genesis, "office.register", {"office": "XX", "name": "Generic office",
                                                  "profile": "generic"})  # every kind
    app = create_app(node.ledger)
    app.state.payments = TestGateway()
    try:
        with TestClient(app) as client:
            yield client, node, register
    finally:
        node.close()


def trademark_form(party: str, **extra: str) -> dict[str, str]:
    return {"office": "EM", "applicant": party, "mark": "NORTHWIND",
            "goods": "30: Coffee\n43: Cafés\n35: Retail of coffee", "card": APPROVED, **extra}


def test_the_quote_is_what_the_register_demands(site: Any) -> None:
    client, node, register = site
    answer = client.post("/v1/fees/quote", json={"office": "EM", "kind": "trademark",
                                                 "classes": 3})
    assert answer.status_code == 200
    quote = answer.json()
    # EUIPO profile: EUR 850 for one class, 50 for the second, 150 for the third.
    assert quote["total"] == 85_000 + 5_000 + 15_000 and quote["total_text"] == "1050.00 EUR"
    assert [(x["fee"], x["count"]) for x in quote["lines"]] == [("filing", 1),
                                                                ("per_extra_class", 2)]
    # The register refuses a filing paid one cent less, and accepts exactly the quote.
    body = {"office": "EM", "kind": "trademark", "classes": [30, 35, 43],
            "applicants": [register.office.parties["applicant"]], "commitment": "ab" * 32,
            "payment": {"amount": quote["total"] - 1, "currency": "EUR"}}
    assert node.refuse(register.office.applicant, "right.file", body).rule == "fee-not-paid"
    body["payment"] = {"amount": quote["total"], "currency": "EUR", "reference": "TEST-1"}
    node.submit(register.office.applicant, "right.file", body)
    renew = client.post("/v1/fees/quote", json={
        "office": "EM", "kind": "trademark", "number": register.numbers["AURORA BREW"],
        "action": "renew"}).json()
    assert renew["total"] == 85_000 + 5_000 and renew["lines"][0]["fee"] == "renewal"
    licence = client.post("/v1/fees/quote", json={"office": "EM", "kind": "trademark",
                                                  "action": "licence.grant"}).json()
    assert licence["total"] == 20_000


@pytest.mark.parametrize(("body", "status", "pointer"), [
    ({"office": "EM", "kind": "trademark", "classes": 0}, 422, "/classes"),
    ({"office": "EM", "kind": "spaceship"}, 422, "/kind"),
    ({"office": "QQ", "kind": "trademark"}, 404, "/office"),
    ({"office": "EM", "kind": "trademark", "bogus": 1}, 422, "/bogus"),
    ({"office": "EM", "kind": "trademark", "action": "renew"}, 422, "/number"),
    ({"office": "EM", "kind": "trademark", "number": "000000003", "action": "renew"},
     409, "/action"),  # HARBOUR LIGHT is only filed
])
def test_bad_quote_requests_are_problems(site: Any, body: dict[str, Any], status: int,
                                         pointer: str) -> None:
    client = site[0]
    answer = client.post("/v1/fees/quote", json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["pointer"] == pointer


def test_payments_api_approves_and_declines_test_cards(site: Any) -> None:
    client = site[0]
    quote = {"office": "EM", "kind": "trademark", "classes": 1}
    ok = client.post("/v1/payments", json={"quote": quote, "card_number": APPROVED})
    assert ok.status_code == 201
    payment = ok.json()["payment"]
    assert payment["amount"] == 85_000 and payment["currency"] == "EUR"
    assert re.fullmatch(r"TEST-\d{6}-[0-9A-F]{12}", payment["reference"])
    refused = client.post("/v1/payments", json={"quote": quote, "card_number": DECLINED})
    assert refused.status_code == 402 and refused.json()["rule"] == "payment-declined"
    assert refused.json()["pointer"] == "/card_number"
    spec = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/fees/quote", "/v1/payments", "/v1/parties/{party}/filings"):
        assert path in spec


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([a-z_]+)">([^<]*)<', html))


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"goods": "30: Coffee\n30: Tea\nsoftware"}, "goods", "line 3"),
    ({"goods": "99: Rockets"}, "goods", "Nice"),
    ({"mark": ""}, "mark", "required"),
    ({"card": DECLINED}, "card", "declined"),
    ({"card": "4242 4242 4242 4241"}, "card", "invalid_number"),
    ({"office": "US"}, "office", "office"),
    ({"applicant": "nobody"}, "applicant", "party id"),
])
def test_bad_filing_forms_show_the_field_error_and_record_nothing(
        site: Any, change: dict[str, str], field: str, message: str) -> None:
    client, node, register = site
    size = node.ledger.store.tree_size()
    form = trademark_form(register.office.parties["applicant"], **change)
    page = client.post("/file/trademark", data=form)
    assert page.status_code == 400
    errors = errors_of(page.text)
    assert field in errors and message.lower() in errors[field].lower(), errors
    assert 'aria-invalid="true"' in page.text
    assert node.ledger.store.tree_size() == size


def test_a_new_applicant_must_name_itself(site: Any) -> None:
    client, _, _ = site
    stranger = party_id_for(did_key_url(SigningKey.generate().public_key))
    page = client.post("/file/trademark", data=trademark_form(stranger))
    assert page.status_code == 400 and "name" in errors_of(page.text)


def test_every_kind_has_a_form_and_the_rest_validate(site: Any) -> None:
    client, _, register = site
    for kind in ("trademark", "patent", "utility_model", "industrial_design", "copyright",
                 "geographical_indication"):
        page = client.get(f"/file/{kind}")
        assert page.status_code == 200, kind
        assert re.search(r'<label for="f-office"', page.text)
    party = register.office.parties["applicant"]
    page = client.post("/file/industrial_design", data={
        "office": "XX", "applicant": party, "design_title": "Cup", "locarno": "99-99",
        "card": APPROVED})
    assert page.status_code == 400 and "locarno" in errors_of(page.text)


def test_cli_signed_envelope_pasted_on_the_page_files_the_right(site: Any) -> None:
    """The page's bodies, signed by the CLI's code path (make_envelope), pasted back."""
    client, node, register = site
    key = register.office.applicant
    page = client.post("/file/trademark", data=trademark_form(register.office.parties[
        "applicant"], mark="LIGHTHOUSE ROAST", goods="30: Coffee"))
    assert page.status_code == 200, errors_of(page.text)
    plan = json.loads(re.search(r'id="filing-plan">(.*?)</script>', page.text, re.S)[1])
    assert [s["type"] for s in plan] == ["right.file", "right.disclose"]
    assert plan[0]["body"]["payment"]["reference"].startswith("TEST-")
    assert "ipledger submit right.file --body @step1-right-file.json" in page.text
    envelope = canonicalize(make_envelope(key, ORIGIN, "right.file", plan[0]["body"],
                                          created_ms=node.clock.now_ms))
    answer = client.post("/file/envelope", data={"envelope": envelope.decode()})
    assert answer.status_code == 201, answer.text
    filings = client.get(f"/v1/parties/{register.office.parties['applicant']}/filings").json()
    filed = filings["filings"][0]
    assert filed["state"] == "filed" and filed["history"][0]["payment_reference"] == \
        plan[0]["body"]["payment"]["reference"]
    # The same envelope again is refused (its nonce is spent) and changes nothing.
    size = node.ledger.store.tree_size()
    again = client.post("/file/envelope", data={"envelope": envelope.decode()})
    assert again.status_code == 409 and node.ledger.store.tree_size() == size
    status = client.get("/filings", params={"party": register.office.parties["applicant"]})
    assert f'data-filing="{filed["number"]}"' in status.text
    assert 'data-filing="000000001"' in status.text  # AURORA BREW, registered
    only_filed = client.get("/filings", params={"party": register.office.parties["applicant"],
                                                "state": "filed"})
    assert f'data-filing="{filed["number"]}"' in only_filed.text
    assert 'data-filing="000000001"' not in only_filed.text
    api = client.get(f"/v1/parties/{register.office.parties['applicant']}/filings",
                     params={"state": "registered"}).json()["filings"]
    assert api and {f["state"] for f in api} == {"registered"}
    bogus = client.get(f"/v1/parties/{register.office.parties['applicant']}/filings",
                       params={"state": "bogus"})
    assert bogus.status_code == 400 and bogus.json()["pointer"] == "/state"
    record = client.get(f"/filings/EM/trademark/{filed['number']}",
                        params={"party": register.office.parties["applicant"]})
    assert record.status_code == 200 and 'data-action="file"' in record.text
    assert "paid 850.00 EUR" in record.text and filed["history"][0]["payment_reference"] \
        in record.text


def plan_of(html: str) -> list[dict[str, Any]]:
    found = re.search(r'id="filing-plan">(.*?)</script>', html, re.S)
    assert found, errors_of(html)
    plan: list[dict[str, Any]] = json.loads(found[1])
    return plan


def test_a_patent_form_becomes_st96_content(site: Any) -> None:
    client, node, register = site
    size = node.ledger.store.tree_size()
    page = client.post("/file/patent", data={
        "office": "XX", "applicant": register.office.parties["applicant"],
        "title": "Cold brew extraction apparatus", "ipc": "A47J 31/00, B65D 85/804",
        "abstract": "A vessel </script><b>that</b> steeps & filters.", "claims": "12",
        "card": APPROVED})
    assert page.status_code == 200, errors_of(page.text)
    plan = plan_of(page.text)
    assert [s["type"] for s in plan] == ["right.file", "right.disclose"]
    assert plan[1]["body"]["data"] == {
        "InventionTitle": "Cold brew extraction apparatus",
        "IPCRClassificationBag": ["A47J 31/00", "B65D 85/804"],
        "Abstract": "A vessel </script><b>that</b> steeps & filters.", "ClaimTotalQuantity": 12}
    assert "</script><b>" not in page.text  # the JSON block cannot end early
    assert "classes" not in plan[0]["body"] and plan[0]["body"]["payment"]["amount"] > 0
    assert node.ledger.store.tree_size() == size  # nothing is filed until it is signed
    bad = client.post("/file/patent", data={
        "office": "XX", "applicant": register.office.parties["applicant"],
        "title": "X", "ipc": "A47J 31/00, nonsense", "claims": "twelve", "card": APPROVED})
    assert bad.status_code == 400
    assert {"claims"} <= errors_of(bad.text).keys()


@pytest.mark.parametrize(("kind", "form", "data"), [
    ("utility_model", {"title": "Filter clip", "ipc": "A47J 31/00"},
     {"InventionTitle": "Filter clip", "IPCRClassificationBag": ["A47J 31/00"]}),
    ("industrial_design", {"design_title": "Cup", "locarno": "07-01", "views": "4"},
     {"DesignTitle": "Cup", "ClassificationLocarno": ["07-01"], "ViewQuantity": 4}),
    ("copyright", {"work_title": "Harbour songs", "work_category": "Musical work",
                   "creation_date": "2026-01-05", "authors": "Ana Ruiz\nBo Lind\n"},
     {"WorkTitle": "Harbour songs", "WorkCategory": "Musical work",
      "CreationDate": "2026-01-05", "AuthorNameBag": ["Ana Ruiz", "Bo Lind"]}),
    ("geographical_indication", {
        "gi_name": "Hamburger Kaffee", "product_category": "Coffee", "area": "Hamburg",
        "origin": "DE", "features": "Roasted in the port", "language": "de"},
     {"GeographicalIndicationName": "Hamburger Kaffee", "ProductCategory": "Coffee",
      "GeographicalArea": "Hamburg", "OriginCountryCode": "DE",
      "FeatureDescriptionText": "Roasted in the port", "ApplicationLanguageCode": "de"}),
])
def test_the_other_kinds_file_their_st96_content(site: Any, kind: str, form: dict[str, str],
                                                 data: dict[str, Any]) -> None:
    client, _, register = site
    page = client.post(f"/file/{kind}", data={
        "office": "XX", "applicant": register.office.parties["applicant"], "card": APPROVED,
        **form})
    assert page.status_code == 200, errors_of(page.text)
    assert plan_of(page.text)[-1]["body"]["data"] == data


def test_follow_up_requests_are_checked_before_anything_is_paid(site: Any) -> None:
    client, _, register = site
    owner = register.office.parties["applicant"]
    number = register.numbers["AURORA BREW"]  # registered 2026-12-23: renewal is years away
    gateway: TestGateway = client.app.state.payments
    url = f"/filings/EM/trademark/{number}"
    charged = len(gateway._receipts)
    early = client.post(f"{url}/renew", data={"party": owner, "card": APPROVED})
    assert early.status_code == 400 and "renewal window" in early.text
    bad = client.post(f"{url}/transfer", data={"party": owner, "to": "someone",
                                               "share": "1/2", "executed": "2027-01-31",
                                               "card": APPROVED})
    assert bad.status_code == 400 and re.search(r'class="field-error">must be a party', bad.text)
    assert len(gateway._receipts) == charged  # nothing was charged
    buyer = register.pid(register.buyer)
    ok = client.post(f"{url}/transfer", data={"party": owner, "to": buyer, "share": "1/2",
                                              "executed": "2027-01-31", "card": APPROVED})
    assert ok.status_code == 200, ok.text
    (step,) = plan_of(ok.text)
    assert step["type"] == "assignment.record"
    assert step["body"]["payment"]["amount"] == 20_000 and step["body"]["share"] == [1, 2]
    assert step["endorser"] == buyer  # signed only after the buyer's endorsement
    assert "data-endorse-request" in ok.text and buyer in ok.text
    assert len(gateway._receipts) == charged + 1
    withdraw = client.post(f"{url}/withdraw", data={"party": owner})
    assert withdraw.status_code == 400 and "not possible" in withdraw.text


def test_the_endorse_page_keeps_nothing_on_the_server(site: Any) -> None:
    """The request travels in the link's fragment: the page is the same for every request."""
    client, node, _ = site
    size = node.ledger.store.tree_size()
    page = client.get("/endorse")
    assert page.status_code == 200 and "data-endorse" in page.text
    assert '<html lang="ar" dir="rtl">' in client.get("/endorse?lang=ar").text
    assert client.post("/endorse").status_code == 405
    assert node.ledger.store.tree_size() == size
