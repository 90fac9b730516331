"""An opposition filed in headless Chromium: the opponent imports their key file into the
browser (``static/filing.js``), states the grounds, pays the profile's fee and signs the
``right.act`` entry there; the node records it and the application is opposed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.keyfile import write_private_key
from ipledger.registry.records import party_id_for, right_record
from ipledger.services.filing import read_json
from tests.web.conftest import LiveNode
from tests.web.test_filing_browser import sign_in_browser
from tests.web.test_languages_access import axe_script, violations  # noqa: F401 (a fixture)

Page = Any  # playwright.sync_api.Page


def test_an_opponent_signs_an_opposition_in_the_browser(
        live: LiveNode, page: Page, tmp_path: Path) -> None:
    register, node = live.register, live.node
    register.publish("HARBOUR LIGHT")
    number = register.numbers["HARBOUR LIGHT"]
    key = SigningKey.generate()
    node.submit(key, "party.register", {"name": "Lighthouse Ltd", "country": "IE",
                                        "kind": "legal"})
    party = party_id_for(did_key_url(key.public_key))
    write_private_key(tmp_path / "opponent.pem", key)

    page.goto(f"{live.url}/rights/EM/trademark/{number}")
    page.get_by_role("link", name="File an opposition").click()
    page.locator("[data-key-import]").set_input_files(str(tmp_path / "opponent.pem"))
    party_input = page.get_by_label("Your party id (or did:key)")
    # Not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    expect(party_input).to_have_value(party)
    assert party_input.input_value() == party
    assert page.locator("#fee-total").inner_text() == "320.00 EUR"
    page.get_by_label("Grounds of opposition").fill("Earlier Irish mark HARBOUR LIGHTS, cl. 9")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Check and prepare for signing").click()
    page.wait_for_url(re.compile(rf"/oppose/EM/trademark/{number}$"))
    steps = sign_in_browser(page)
    assert steps[0].startswith("right.act: recorded as entry"), steps
    right = read_json(node.ledger, right_record("EM", "trademark", number))
    assert right is not None and right["state"] == "opposed"
    assert right["history"][-1]["by"] == party
    assert right["history"][-1]["note"] == "Earlier Irish mark HARBOUR LIGHTS, cl. 9"


def test_the_opposition_form_and_its_errors_pass_axe(live: LiveNode, browser: Any,
                                                     axe_script: Path,  # noqa: F811
                                                     ) -> None:
    """WCAG 2.1 AA (axe-core) on the form, and on it with field errors, in English and
    Arabic."""
    register = live.register
    register.file("QUAY LAMP", [(11, "Lamps")])
    register.publish("QUAY LAMP")
    number = register.numbers["QUAY LAMP"]
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        for lang in ("en", "ar"):
            page.goto(f"{live.url}/oppose/EM/trademark/{number}?lang={lang}")
            assert page.locator("#f-grounds").count() == 1
            found[f"form-{lang}"] = violations(page, axe_script)
            page.locator("#f-party").fill("nobody")
            page.locator("form.filing button[type=submit]").click()
            assert page.locator('[data-error-for="party"]').count() == 1
            assert page.locator('[data-error-for="grounds"]').count() == 1
            found[f"errors-{lang}"] = violations(page, axe_script)
    finally:
        context.close()
    assert found == {name: [] for name in found}
