"""Online filing in headless Chromium: a trademark filed with a key made in the browser
(the fee shown is the profile's, a test payment, signed entries the node accepts), its
status and a follow-up withdrawal; bad input shows the field's error and records nothing;
the browser's envelope is byte for byte the one ledger/envelope.py makes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

from playwright.sync_api import expect

from ipledger.cli import main
from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.keyfile import read_private_key, write_private_key
from ipledger.ledger import make_envelope
from ipledger.registry.profiles import load_profile
from ipledger.registry.records import party_id_for
from ipledger.services.filing import party_filings
from tests.registry.conftest import ORIGIN
from tests.web.conftest import LiveNode
from tests.web.test_languages_access import axe_script, violations  # noqa: F401 (a fixture)

Page = Any  # playwright.sync_api.Page


def euro(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d} EUR"


def sign_in_browser(page: Page) -> list[str]:
    """Click the page's sign button; the steps' outcomes once all passed (or one failed)."""
    page.get_by_role("button", name="Sign with my key and submit").click()
    page.locator("[data-sign-steps] li[data-state=fail], [data-sign-done]:not([hidden])"
                 ).first.wait_for()
    steps: list[str] = page.locator("[data-sign-steps] li").all_inner_texts()
    assert page.locator("[data-sign-steps] li[data-state=fail]").count() == 0, steps
    return steps


def test_file_a_trademark_in_the_browser_then_withdraw_it(
        live: LiveNode, page: Page, screenshot: Callable[..., Any], tmp_path: Any) -> None:
    page.goto(f"{live.url}/file/trademark")
    page.get_by_role("button", name="Create a new key").click()
    party = page.locator("[data-key-party]")
    expect(party).to_have_text(re.compile(r"^P[0-9A-F]{20}$"))
    pid = party.inner_text()
    assert re.fullmatch(r"P[0-9A-F]{20}", pid)
    assert page.get_by_label("Applicant (party id or did:key)").input_value() == pid
    # The key file offered is the one `ipledger` reads, and it is this party's key.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your key file").click()
    key_file = tmp_path / "applicant.pem"
    download.value.save_as(key_file)
    os.chmod(key_file, 0o600)
    assert party_id_for(did_key_url(read_private_key(key_file).public_key)) == pid

    page.get_by_label("Name (if you are new to this register)").fill("Northwind Roasters")
    page.get_by_label("Country (ST.3 code, e.g. DE)").fill("DE")
    page.get_by_label("The mark (word mark text)").fill("NORTHWIND")
    goods = page.get_by_label("Goods and services")
    goods.fill("43: Cafés\n30: Coffee, tea")
    goods.dispatch_event("change")
    fees = load_profile("euipo").rules("trademark").fees
    expected = (fees.filing or 0) + fees.extra_class_fees(2)
    expect(page.locator("#fee-total")).to_have_attribute("data-total", str(expected))
    assert page.locator("#fee-total").inner_text() == euro(expected)
    rows = page.locator("[data-fee-table] tbody tr").all_inner_texts()
    assert [r.split("\t") for r in rows] == [
        ["Filing fee", "1", euro(fees.filing or 0)],
        ["Each class beyond the first", "1", euro(fees.extra_class_fees(2))]]
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    screenshot(page, "filing-form")
    page.get_by_role("button", name="Check, pay and prepare for signing").click()
    page.wait_for_url(re.compile(r"/file/trademark$"))
    reference = re.search(r"TEST-\d{6}-[0-9A-F]{12}", page.locator("main").inner_text())
    assert reference, page.locator("main").inner_text()
    steps = sign_in_browser(page)
    assert [s.split(":")[0] for s in steps[:3]] == ["party.register", "right.file",
                                                      "right.disclose"], steps
    screenshot(page, "filing-signed")

    (filing,) = party_filings(live.node.ledger, pid)
    assert filing["state"] == "filed" and filing["title"] == "NORTHWIND"
    assert filing["classes"] == [30, 43]
    assert filing["history"][0]["paid"] == expected
    assert filing["history"][0]["payment_reference"] == reference[0]

    page.get_by_role("link", name="Follow my filings").click()
    row = page.locator(f'tr[data-filing="{filing["number"]}"]')
    assert row.locator("[data-state]").get_attribute("data-state") == "filed"
    row.get_by_role("link", name=filing["number"]).click()
    assert page.locator("#timeline li").first.get_attribute("data-action") == "file"
    screenshot(page, "filing-status")
    page.get_by_text("Withdraw the application").click()
    page.locator("#request-withdraw").get_by_role(
        "button", name="Check and prepare for signing").click()
    assert sign_in_browser(page)[0].startswith("right.act: recorded as entry")
    (filing,) = party_filings(live.node.ledger, pid)
    assert filing["state"] == "withdrawn"


def test_bad_input_shows_the_field_error_and_files_nothing(live: LiveNode, page: Page) -> None:
    size = live.node.ledger.store.tree_size()
    page.goto(f"{live.url}/file/trademark")
    page.get_by_label("Applicant (party id or did:key)").fill(
        live.register.office.parties["applicant"])
    page.get_by_label("The mark (word mark text)").fill("STARLIGHT")
    page.get_by_label("Goods and services").fill("99: Rockets")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Check, pay and prepare for signing").click()
    goods = page.get_by_label("Goods and services")
    assert goods.get_attribute("aria-invalid") == "true"
    error = page.locator('[data-error-for="goods"]')
    assert "Nice" in error.inner_text()
    # The error is next to its field, named by it, and reachable from the summary.
    assert error.get_attribute("id") in (goods.get_attribute("aria-describedby") or "")
    page.locator("#error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "f-goods"
    assert live.node.ledger.store.tree_size() == size


def test_the_browser_envelope_is_the_python_envelope_and_the_node_accepts_it(
        live: LiveNode, page: Page) -> None:
    seed = bytes(range(7, 39))
    body = {"name": "Café Ωmega 😀 \"quoted\" \\ back", "country": "FR", "kind": "legal",
            "address": "1 rue de l'Été\n75001 Paris"}
    created, nonce = live.node.clock.now_ms, "browser-nonce-0001"
    expected = canonicalize(make_envelope(SigningKey.from_seed(seed), ORIGIN, "party.register",
                                          body, nonce=nonce, created_ms=created))
    page.goto(f"{live.url}/file")
    built = page.evaluate("""async ([seed, origin, body, nonce, created]) => {
        const m = await import('/static/filing.js');
        const { jcs } = await import('/static/verify-extract.js');
        const key = await m.keyFromSeed(Uint8Array.from(seed));
        const env = await m.makeEnvelope(key, origin, 'party.register', body,
                                         { nonce, createdMs: created });
        const text = jcs(env);
        const r = await fetch('/v1/entries', { method: 'POST', body: text,
                                               headers: { 'Content-Type': 'application/json' } });
        return { text, party: key.party, status: r.status };
    }""", [list(seed), ORIGIN, body, nonce, created])
    assert built["text"].encode() == expected
    assert built["party"] == party_id_for(did_key_url(SigningKey.from_seed(seed).public_key))
    assert built["status"] == 201
    # Numbers, nesting and key order too (a filing body; only built, not submitted).
    filing = {"office": "EM", "kind": "trademark", "applicants": [built["party"]],
              "classes": [9, 30, 43], "commitment": "0f" * 32, "priority_claims": [],
              "payment": {"amount": 105_000, "currency": "EUR", "reference": "TEST-000001-A"},
              "zeta": {"b": [0, -1, 9_007_199_254_740_991], "a": None, "é": True, "E": False}}
    expected = canonicalize(make_envelope(SigningKey.from_seed(seed), ORIGIN, "right.file",
                                          filing, nonce=nonce, created_ms=created))
    text = page.evaluate("""async ([seed, origin, body, nonce, created]) => {
        const m = await import('/static/filing.js');
        const { jcs } = await import('/static/verify-extract.js');
        const key = await m.keyFromSeed(Uint8Array.from(seed));
        return jcs(await m.makeEnvelope(key, origin, 'right.file', body,
                                        { nonce, createdMs: created }));
    }""", [list(seed), ORIGIN, filing, nonce, created])
    assert text.encode() == expected


def test_a_cli_signed_envelope_uploaded_on_the_page_is_filed(
        live: LiveNode, page: Page, tmp_path: Any, capsys: Any) -> None:
    """The CLI path: the page's body, signed by `ipledger submit --out`, uploaded back."""
    key_file = tmp_path / "applicant.pem"
    write_private_key(key_file, live.register.buyer)  # Beta Kaffee GmbH, already a party
    party = live.register.pid(live.register.buyer)
    live.node.submit(live.node.genesis, "office.register", {
        "office": "XX", "name": "Generic office", "profile": "generic"})  # it has patents
    page.goto(f"{live.url}/file/patent")
    page.get_by_label("Applicant (party id or did:key)").fill(party)
    page.get_by_label("Title of the invention").fill("Cold brew extraction apparatus")
    page.get_by_label("IPC classification").fill("A47J 31/00")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Check, pay and prepare for signing").click()
    body = page.locator('pre[data-body="right.file"]').inner_text()
    command = page.locator("pre", has_text="ipledger submit right.file").inner_text()
    assert command.startswith("ipledger submit right.file --body @step1-right-file.json")
    (tmp_path / "step1-right-file.json").write_text(body)
    out = tmp_path / "signed.json"
    # The envelope's "created" is the CLI's clock; the node's is a test clock: pin it.
    with patch("ipledger.ledger.envelope.wall_clock_ms", return_value=live.node.clock.now_ms):
        assert main(["submit", "right.file", "--body", f"@{tmp_path / 'step1-right-file.json'}",
                     "--key", str(key_file), "--node", live.url, "--out", str(out)]) == 0
    assert "not submitted" in capsys.readouterr().out
    size = live.node.ledger.store.tree_size()
    page.get_by_label("Or upload the signed envelope file").set_input_files(str(out))
    page.get_by_role("button", name="Submit the signed envelope").click()
    assert re.match(r"Recorded as entry \d+\.", page.get_by_role("status").inner_text())
    assert live.node.ledger.store.tree_size() == size + 1
    filings = party_filings(live.node.ledger, party)
    assert [(f["kind"], f["state"]) for f in filings if f["kind"] == "patent"] == [
        ("patent", "filed")]


def test_form_errors_signing_and_filing_pages_pass_axe(live: LiveNode, browser: Any,
                                                       axe_script: Path,  # noqa: F811
                                                       ) -> None:
    """WCAG 2.1 AA (axe-core) on the pages only a submission reaches, in English and Arabic."""
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    applicant = live.register.office.parties["applicant"]
    found: dict[str, list[str]] = {}
    try:
        for lang in ("en", "ar"):
            page.goto(f"{live.url}/file/trademark?lang={lang}")
            page.locator("#f-applicant").fill(applicant)
            page.locator("#f-mark").fill("STARLIGHT")
            page.locator("#f-goods").fill("99: Rockets")
            page.locator("form[data-filing-form] button[type=submit]").click()
            assert page.locator('[data-error-for="goods"]').count() == 1
            found[f"form-errors-{lang}"] = violations(page, axe_script)
            page.locator("#f-goods").fill("30: Coffee")
            page.locator("#f-card").fill("4242 4242 4242 4242")
            page.locator("form[data-filing-form] button[type=submit]").click()
            page.locator("#filing-plan").wait_for(state="attached")
            found[f"sign-{lang}"] = violations(page, axe_script)
            number = live.register.numbers["AURORA BREW"]
            page.goto(f"{live.url}/filings/EM/trademark/{number}?party={applicant}&lang={lang}")
            page.locator("#request-transfer summary").click()
            found[f"filing-{lang}"] = violations(page, axe_script)
    finally:
        context.close()
    assert found == {name: [] for name in found}


def test_the_key_panel_and_form_work_from_the_keyboard(live: LiveNode, page: Page) -> None:
    page.goto(f"{live.url}/file/trademark")
    page.locator("[data-key-status]").filter(has_text="No key").wait_for()
    for _ in range(30):  # Tab from the top of the page to the key button, then Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Create a new key":
            break
    page.keyboard.press("Enter")
    expect(page.locator("[data-key-party]")).to_have_text(re.compile(r"^P[0-9A-F]{20}$"))
    page.locator("#f-mark").focus()
    page.keyboard.type("SEAFARER")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-goods"  # in reading order
    page.keyboard.type("30: Coffee")
    for field, text in (("#f-name", "Seafarer Ltd"), ("#f-country", "IE")):
        page.locator(field).focus()
        page.keyboard.type(text)
    page.locator("#f-card").focus()
    page.keyboard.type("4000 0000 0000 0002")  # declined
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator('[data-error-for="card"]')).to_contain_text("declined")
