"""A trade mark's whole life in headless Chromium, every party in their own browser with
their own key: filed and signed by the applicant; formalities, examination and publication
by staff in the back office; an opposition (filed with the opponent's key, as by the CLI)
rejected in the back office; registration when the opposition period ends; the buyer and
the licensee register as parties in their browsers; a transfer and a licence each signed
by both parties (the second party endorses from a link, the first signs last); the record
page then shows all of it and verifies it in the browser. Then the same pages in Arabic.
Screenshots: test-artifacts/screenshots/journey-*.png."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.keyfile import read_private_key
from ipledger.ledger import make_envelope
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.services.filing import party_filings
from ipledger.web.i18n import catalogues
from tests.web.conftest import LiveNode
from tests.web.test_back_office_browser import batch, signed_in
from tests.web.test_languages_access import axe_script, violations  # noqa: F401 (a fixture)

Page = Any  # playwright.sync_api.Page
EN, AR = catalogues()["en"], catalogues()["ar"]
MARK = "NORTHWIND"


def now(live: LiveNode) -> datetime:
    return datetime.fromtimestamp(live.node.clock.now_ms / 1000, UTC)


@pytest.fixture(scope="module")
def parties(browser: Any, live: LiveNode) -> Iterator[dict[str, Page]]:
    """One browser context (own IndexedDB, so own key) per party, on the node's clock."""
    pages: dict[str, Page] = {}
    for name in ("applicant", "buyer", "licensee"):
        page = browser.new_context(accept_downloads=True).new_page()
        page.clock.set_fixed_time(now(live))
        pages[name] = page
    try:
        yield pages
    finally:
        for page in pages.values():
            page.context.close()


def new_key(page: Page) -> str:
    page.get_by_role("button", name=EN.text("filing.key_generate")).click()
    party = page.locator("[data-key-party]")
    expect(party).to_have_text(re.compile(r"^P[0-9A-F]{20}$"))
    return str(party.inner_text())


def downloaded_key(page: Page, path: Path) -> SigningKey:
    with page.expect_download() as download:
        page.get_by_role("link", name=EN.text("filing.key_download")).click()
    download.value.save_as(path)
    path.chmod(0o600)
    return read_private_key(path)


def steps_of(page: Page, where: str) -> list[str]:
    """The outcome lines of a signing box once one passed or failed."""
    page.locator(f"{where} li").first.wait_for()
    return list(page.locator(f"{where} li").all_inner_texts())


def request_of(link: str) -> dict[str, Any]:
    """The draft envelope a request link carries in its fragment."""
    encoded = link.split("#r=", 1)[1]
    return dict(json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))


def link_for(live: LiveNode, draft: dict[str, Any]) -> str:
    encoded = base64.urlsafe_b64encode(canonicalize(draft)).decode().rstrip("=")
    return f"{live.url}/endorse#r={encoded}"


def ask_endorsement(page: Page, form: str, fill: Callable[[Any], None]) -> str:
    """Party A fills a follow-up form, pays, and gets the link for party B."""
    page.get_by_text(EN.text(f"filing.request.{form}")).click()
    section = page.locator(f"#request-{form}")
    fill(section)
    section.get_by_label(EN.text("filing.field.card")).fill("4242 4242 4242 4242")
    section.get_by_role("button", name=EN.text("filing.prepare")).click()
    page.get_by_role("button", name=EN.text("endorse.ask_button")).click()
    expect(page.locator("[data-endorse-request]")).to_be_visible()
    return str(page.locator("[data-endorse-link]").input_value())


def endorse(page: Page, link: str, live: LiveNode, shot: Callable[..., Path], name: str
            ) -> str:
    """Party B opens the link, checks what it shows, endorses; the link back to A."""
    draft = request_of(link)
    page.goto(link)
    expect(page.locator("[data-request]")).to_be_visible()
    canonical = canonicalize(draft["body"])
    assert page.locator("[data-request-canonical]").inner_text() == canonical.decode()
    assert page.locator("[data-request-hash]").inner_text() == \
        hashlib.sha256(canonical).hexdigest()
    rows = dict(page.locator("[data-request-body] tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th code').textContent, r.cells[1].innerText])"))
    assert rows == {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                    for k, v in draft["body"].items()}
    shot(page, name)
    size = live.node.ledger.store.tree_size()
    page.get_by_role("button", name=EN.text("endorse.endorse_button")).click()
    expect(page.locator("[data-endorse-return]")).to_be_visible()
    assert live.node.ledger.store.tree_size() == size  # an endorsement alone records nothing
    return str(page.locator("[data-return-link]").input_value())


def sign_last(page: Page, link: str) -> list[str]:
    page.goto(link)
    page.get_by_role("button", name=EN.text("filing.sign_button")).click()
    return steps_of(page, "[data-endorse-steps]")


def test_file_examine_publish_oppose_register_assign_license_verify(
        live: LiveNode, browser: Any, parties: dict[str, Page], tmp_path: Path,
        screenshot: Callable[..., Path]) -> None:
    node, office = live.node, live.register.office
    applicant = parties["applicant"]

    # 1. Filing: a key made in the applicant's browser signs the application.
    applicant.goto(f"{live.url}/file/trademark")
    pid = new_key(applicant)
    keys = {"applicant": downloaded_key(applicant, tmp_path / "applicant.pem")}
    applicant.locator("#f-name").fill("Northwind Roasters")
    applicant.locator("#f-country").fill("DE")
    applicant.locator("#f-mark").fill(MARK)
    applicant.locator("#f-goods").fill("30: Coffee, tea")
    applicant.locator("#f-card").fill("4242 4242 4242 4242")
    screenshot(applicant, "journey-filing")
    applicant.get_by_role("button", name=EN.text("filing.submit")).click()
    applicant.get_by_role("button", name=EN.text("filing.sign_button")).click()
    applicant.locator("[data-sign-done]:not([hidden]), [data-sign-steps] li[data-state=fail]"
                      ).first.wait_for()
    assert applicant.locator("[data-sign-steps] li[data-state=fail]").count() == 0
    (filing,) = party_filings(node.ledger, pid)
    number = filing["number"]
    live.register.numbers[MARK] = number

    # 2. Staff in the back office: formalities, examination, publication.
    examiner = signed_in(browser, live, office.examiner, tmp_path)
    batch(examiner, live, "formalities", [MARK], "check_formalities")
    batch(examiner, live, "examination", [MARK], "start_examination")
    batch(examiner, live, "examination", [MARK], "accept")
    screenshot(examiner, "journey-office-queue")
    registrar = signed_in(browser, live, office.registrar, tmp_path)
    batch(registrar, live, "publication", [MARK], "publish")
    registrar.context.close()
    published = now(live).date()

    # 3. An opposition, signed with the opponent's key (there is no public opposition form),
    #    rejected by the examiner in the back office.
    opponent = SigningKey.generate()
    node.submit(opponent, "party.register", {"name": "Southwind SA", "country": "FR",
                                             "kind": "legal"})
    office.act(opponent, number, "file_opposition", note="earlier mark SOUTHWIND",
               payment={"amount": 32_000, "currency": "EUR"})
    examiner.goto(f"{live.url}/office/rights/EM/trademark/{number}")
    form = examiner.locator("form[data-action=reject_opposition]")
    form.get_by_label(EN.text("office.grounds")).fill("no likelihood of confusion")
    form.get_by_label(EN.text("precondition.opposition_decision_final")).check()
    form.get_by_role("button").click()
    expect(examiner.locator("#done")).to_be_visible()
    screenshot(examiner, "journey-opposition-decided")
    examiner.context.close()

    # 4. Registration when the opposition period (3 months) is over.
    office.tick((published + timedelta(days=100)).isoformat())
    assert office.right(number)["state"] == "registered"
    today = now(live).date()
    for page in parties.values():
        page.clock.set_fixed_time(now(live))

    # The buyer and the licensee make their keys in their browsers and register as parties.
    pids = {}
    for name, legal_name in (("buyer", "Beta Roasting GmbH"), ("licensee", "Gamma Cafés")):
        page = parties[name]
        page.goto(f"{live.url}/endorse")
        pids[name] = new_key(page)
        keys[name] = downloaded_key(page, tmp_path / f"{name}.pem")
        page.get_by_text(EN.text("endorse.register_title")).click()
        page.get_by_label(EN.text("filing.field.name")).fill(legal_name)
        page.get_by_label(EN.text("filing.field.country")).fill("de")
        page.get_by_role("button", name=EN.text("endorse.register_button")).click()
        steps = steps_of(page, "[data-party-steps]")
        assert page.locator("[data-party-steps] li[data-state=pass]").count() == 1, steps
        page.get_by_role("button", name=EN.text("endorse.register_button")).click()
        expect(page.locator("[data-party-steps] li[data-state=fail]")).to_contain_text(
            "this key already belongs to a party")  # once is enough

    # 5. Transfer: the applicant prepares, the buyer endorses, the applicant signs last.
    applicant.goto(f"{live.url}/filings/EM/trademark/{number}?party={pid}")

    def transfer(section: Any) -> None:
        section.get_by_label(EN.text("filing.field.to")).fill(pids["buyer"])
        section.get_by_label(EN.text("filing.field.executed")).fill(today.isoformat())

    size = node.ledger.store.tree_size()
    link = ask_endorsement(applicant, "transfer", transfer)
    assert node.ledger.store.tree_size() == size  # nothing recorded before both sign
    draft = request_of(link)
    assert draft["type"] == "assignment.record" and draft["body"]["to"] == pids["buyer"]
    assert applicant.locator("[data-endorse-hash]").inner_text() == \
        hashlib.sha256(canonicalize(draft["body"])).hexdigest()
    screenshot(applicant, "journey-transfer-request")
    applicant.goto(link)  # the actor's own request: nothing to do until it is endorsed
    expect(applicant.locator("[data-endorse-steps] li")).to_have_text(
        EN.text("endorse.actor_signs_last"))
    assert applicant.locator("[data-endorse-button]:visible, [data-final-button]:visible"
                             ).count() == 0
    back = endorse(parties["buyer"], link, live, screenshot, "journey-transfer-endorse")

    # A changed body no longer matches the buyer's endorsement: refused, nothing recorded.
    forged = request_of(back)
    forged["body"]["share"] = [1, 2]
    size = node.ledger.store.tree_size()
    steps = sign_last(applicant, link_for(live, forged))
    assert applicant.locator("[data-endorse-steps] li[data-state=fail]").count() == 1, steps
    assert "/endorsements/0" in steps[0], steps
    assert node.ledger.store.tree_size() == size

    steps = sign_last(applicant, back)
    assert applicant.locator("[data-endorse-steps] li[data-state=pass]").count() == 1, steps
    assert office.right(number)["owners"] == [{"party": pids["buyer"], "share": [1, 1]}]
    # The entry recorded is byte for byte the one ledger/envelope.py makes from the same keys
    # (Ed25519 signatures are deterministic), endorsement included.
    index = int(steps[0].rsplit(" ", 1)[1])
    recorded = parse_json(node.ledger.store.read_entries(index, index + 1)[0])
    del recorded["seq"]
    final = request_of(back)
    assert canonicalize(recorded) == canonicalize(make_envelope(
        keys["applicant"], node.ledger.origin, final["type"], final["body"],
        nonce=final["nonce"], created_ms=parse_rfc3339_ms(final["created"]),
        endorsers=[keys["buyer"]]))

    # 6. Licence: the new owner prepares, the licensee endorses, the owner signs last.
    buyer = parties["buyer"]
    buyer.goto(f"{live.url}/filings/EM/trademark/{number}?party={pids['buyer']}")

    def licence(section: Any) -> None:
        section.get_by_label(EN.text("filing.field.licensee")).fill(pids["licensee"])
        section.get_by_label(EN.text("filing.field.type")).select_option("exclusive")
        section.get_by_label(EN.text("filing.field.territory")).fill("EM")
        section.get_by_label(EN.text("filing.field.start")).fill(today.isoformat())

    link = ask_endorsement(buyer, "licence", licence)
    back = endorse(parties["licensee"], link, live, screenshot, "journey-licence-endorse")
    steps = sign_last(buyer, back)
    assert buyer.locator("[data-endorse-steps] li[data-state=pass]").count() == 1, steps
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)

    # 7. The record page shows all of it and verifies it in the browser.
    applicant.goto(f"{live.url}/rights/EM/trademark/{number}")
    applicant.wait_for_selector("[data-verify-extract][data-result]", timeout=10_000)
    assert applicant.locator("[data-verify-extract]").get_attribute("data-result") == \
        "verified"
    expect(applicant.locator("[data-badge]")).to_contain_text(EN.text("verify.verified"))
    expect(applicant.locator("#status")).to_have_text(EN.text("status.registered"))
    shown = applicant.locator("#timeline li strong").all_inner_texts()
    assert shown == [EN.text(f"action.{a}") for a in (
        "file", "disclose", "check_formalities", "start_examination", "accept", "publish",
        "file_opposition", "reject_opposition", "register")], shown
    chain = applicant.locator("#chain tbody tr").all_inner_texts()
    assert EN.text("action.assign") in chain[-1] and "Beta Roasting GmbH" in chain[-1]
    licences = applicant.locator("#licences tbody tr").all_inner_texts()
    assert len(licences) == 1 and "Gamma Cafés" in licences[0]
    assert EN.text("licence.exclusive") in licences[0]
    screenshot(applicant, "journey-record")

    # 8. The same journey's pages in Arabic: right to left, every label translated.
    context = browser.new_context(locale="ar", extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        page.clock.set_fixed_time(now(live))
        arabic_pages = {
            "filing": ("/file/trademark", "h1", AR.text(
                "filing.form_title", kind=AR.text("kind.trademark"))),
            "office": ("/office", "h1", AR.text("office.signin_title")),
            "status": (f"/filings/EM/trademark/{number}", "h1",
                       AR.text("filing.record_title", number=number)),
            "endorse": (back.split(live.url, 1)[1], "[data-endorse-button]",
                        AR.text("endorse.endorse_button")),
            "record": (f"/rights/EM/trademark/{number}", "#status",
                       AR.text("status.registered")),
        }
        for name, (path, selector, text) in arabic_pages.items():
            page.goto(f"{live.url}{path}")
            html = page.locator("html")
            assert (html.get_attribute("dir"), html.get_attribute("lang")) == ("rtl", "ar")
            expect(page.locator(selector).first).to_have_text(text)
            if name == "record":
                page.wait_for_selector("[data-verify-extract][data-result=verified]",
                                       timeout=10_000)
                expect(page.locator("[data-badge]")).to_contain_text(AR.text("verify.verified"))
                assert page.locator("#timeline li strong").all_inner_texts() == [
                    AR.text(f"action.{a}") for a in (
                        "file", "disclose", "check_formalities", "start_examination",
                        "accept", "publish", "file_opposition", "reject_opposition",
                        "register")]
            if name == "endorse":
                expect(page.locator("[data-request]")).to_be_visible()
                assert page.locator("h1").inner_text() == AR.text("endorse.title")
            # No English heading, label, button or column head is left on the page.
            english = page.locator("h1, h2, label, button, th").evaluate_all(
                "els => els.map(e => e.innerText.trim()).filter(t => /^[A-Za-z ]{4,}$/.test(t)"
                " && !/^[A-Z]+$/.test(t))")
            assert english == [], (name, english)
            screenshot(page, f"journey-ar-{name}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_endorse_page_is_accessible_and_refuses_bad_links(
        live: LiveNode, browser: Any, lang: str, axe_script: Path) -> None:  # noqa: F811
    catalogue = catalogues()[lang]
    draft = {"v": 1, "ledger": live.node.ledger.origin, "type": "licence.grant",
             "actor": did_key_url(SigningKey.generate().public_key),
             "body": {"office": "EM", "kind": "trademark", "number": "000000001",
                      "licensee": "P0123456789ABCDEF0123", "type": "sole",
                      "territory": ["FR"], "start": "2027-06-01"}}
    context = browser.new_context(bypass_csp=True,  # for axe-core
                                  extra_http_headers={"Accept-Language": lang})
    try:
        page = context.new_page()
        page.goto(link_for(live, draft))
        expect(page.locator("[data-request]")).to_be_visible()
        expect(page.locator("[data-request-body] tbody tr")).to_have_count(7)
        assert violations(page, axe_script) == []
        size = live.node.ledger.store.tree_size()
        not_json = base64.urlsafe_b64encode(b"not json").decode().rstrip("=")
        for link, message in [
                (link_for(live, {**draft, "ledger": "other.example/log"}),
                 "endorse.other_ledger"),
                (link_for(live, {**draft, "sig": "x"}), "endorse.no_request"),
                (f"{live.url}/endorse#r={not_json}", "endorse.no_request"),
                (f"{live.url}/endorse#r=%%%", "endorse.no_request")]:
            page.goto(f"{live.url}/endorse")  # a new document for each link
            page.goto(link)
            expect(page.locator("[data-request-error]")).to_contain_text(
                catalogue.text(message))
            assert page.locator("[data-request]").is_hidden()
        assert live.node.ledger.store.tree_size() == size
    finally:
        context.close()
