"""The back office in headless Chromium: staff sign in with their key files, work the
queues, decide (one signed entry per file, batches included), an opposition is filed and
rejected, registration follows; every step is in the record's timeline and mailed to the
parties through a local SMTP sink. A party without a staff role is refused and changes
nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ipledger.config import NotificationsConfig
from ipledger.identity import SigningKey
from ipledger.identity.keyfile import write_private_key
from ipledger.web.i18n import catalogues
from ipledger.web.notifications import Notifier
from tests.web.conftest import LiveNode
from tests.web.smtp_sink import SmtpSink
from tests.web.test_languages_access import axe_script, violations  # noqa: F401 - fixture

Page = Any  # playwright.sync_api.Page
EN = catalogues()["en"]


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture(scope="module")
def notifier(live: LiveNode, sink: SmtpSink) -> Iterator[Notifier]:
    register = live.register
    live.node.submit(register.office.applicant, "party.update",
                     {"email": "applicant@example.org"})
    live.node.submit(register.buyer, "party.update",
                     {"email": "opponent@example.es", "language": "es"})
    config = NotificationsConfig(host="127.0.0.1", port=sink.port, timeout_s=5)
    n = Notifier(live.node.ledger, config, live.url).start()
    yield n
    n.close()


def signed_in(browser: Any, live: LiveNode, key: SigningKey, tmp_path: Path,
              **options: Any) -> Page:
    """A fresh browser holding ``key`` (imported from its key file), signed in."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.clock.set_fixed_time(datetime.fromtimestamp(live.node.clock.now_ms / 1000, UTC))
    key_file = tmp_path / f"{id(key)}.pem"
    write_private_key(key_file, key, overwrite=True)
    page.goto(f"{live.url}/office")
    expect(page.locator("h1")).to_have_text(EN.text("office.signin_title"))
    page.locator("#key-file").set_input_files(str(key_file))
    expect(page.locator("[data-key-party]")).to_have_text(live.register.pid(key))
    page.get_by_role("button", name=EN.text("office.signin_button"), exact=True).click()
    page.locator(".staff-bar, #refusal").first.wait_for()  # the same URL, signed in
    return page


def batch(page: Page, live: LiveNode, queue: str, marks: list[str], action: str) -> None:
    page.goto(f"{live.url}/office/queues/{queue}")
    assert page.locator("[data-batch-action]").count(), page.locator("main").inner_text()
    for mark in marks:
        number = live.register.numbers[mark]
        page.get_by_label(EN.text("office.select_one", number=number)).check()
    page.locator(f"[data-batch-action={action}]").click()
    page.locator("[data-batch-done]:not([hidden])").wait_for()
    results = page.locator("[data-batch-results] li")
    assert results.count() == len(marks)
    assert page.locator("[data-batch-results] li[data-state=fail]").count() == 0, \
        results.all_inner_texts()


def test_a_party_without_a_role_is_refused(live: LiveNode, browser: Any, tmp_path: Path) -> None:
    size = live.node.ledger.store.tree_size()
    page = signed_in(browser, live, live.register.licensee, tmp_path)
    expect(page.locator("h1")).to_have_text(EN.text("office.refused_title"))
    expect(page.locator("#refusal")).to_contain_text(live.register.pid(live.register.licensee))
    response = page.goto(f"{live.url}/office/queues/formalities")
    assert response is not None and response.status == 403
    assert live.node.ledger.store.tree_size() == size
    page.context.close()


def test_examine_publish_oppose_decide_register(
        live: LiveNode, browser: Any, tmp_path: Path, notifier: Notifier, sink: SmtpSink,
        screenshot: Callable[..., Path]) -> None:
    office, numbers = live.register.office, live.register.numbers
    marks = ["HARBOUR LIGHT", "AURORA BREWING"]
    examiner = signed_in(browser, live, office.examiner, tmp_path)
    counts = examiner.locator("#queues [data-queue=formalities] [data-count]")
    expect(counts).to_have_text("3")  # the two marks and an undisclosed application
    batch(examiner, live, "formalities", marks, "check_formalities")
    batch(examiner, live, "examination", marks, "start_examination")
    batch(examiner, live, "examination", marks, "accept")
    screenshot(examiner, "back-office-queue")
    examiner.goto(f"{live.url}/office")
    expect(examiner.locator("#queues [data-queue=publication] [data-count]")).to_have_text("2")

    registrar = signed_in(browser, live, office.registrar, tmp_path)
    batch(registrar, live, "publication", marks, "publish")
    registrar.context.close()

    # A third party opposes HARBOUR LIGHT (signed with its own key, as by the CLI).
    number = numbers["HARBOUR LIGHT"]
    live.node.submit(live.register.buyer, "right.act", {
        "office": "EM", "kind": "trademark", "number": number, "action": "file_opposition",
        "note": "conflicts with an earlier mark", "payment": {"amount": 32_000, "currency": "EUR"}})
    examiner.goto(f"{live.url}/office/queues/oppositions")
    examiner.get_by_role("link", name=f"EM {number}").click()
    form = examiner.locator("form[data-action=reject_opposition]")
    form.get_by_label(EN.text("office.grounds")).fill("no likelihood of confusion")
    form.get_by_label(EN.text("precondition.opposition_decision_final")).check()
    form.get_by_role("button").click()
    expect(examiner.locator("#done")).to_be_visible()
    expect(examiner.locator("#state")).to_have_text(EN.text("status.opposition_period"))
    screenshot(examiner, "back-office-record")
    examiner.context.close()

    office.tick("2027-05-03")  # the opposition period is over: registered automatically
    page = browser.new_page()
    page.goto(f"{live.url}/rights/EM/trademark/{number}")
    steps = page.locator("#timeline li")
    texts = steps.all_inner_texts()
    for action in ("check_formalities", "start_examination", "accept", "publish",
                   "file_opposition", "reject_opposition", "register"):
        assert any(EN.text(f"action.{action}") in t for t in texts), (action, texts)
    assert any("no likelihood of confusion" in t for t in texts)
    # Each step is its own signed entry: one receipt link per step.
    assert len(set(page.locator("#timeline li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"))) == len(texts)
    page.close()

    size = live.node.ledger.store.tree_size()
    assert notifier.wait_idle(size)
    mails = sink.wait_for(14)
    to_applicant = [m for m in mails if m["To"] == "applicant@example.org"]
    subjects = [m["Subject"] for m in to_applicant]
    for mark in marks:
        for action in ("check_formalities", "start_examination", "accept", "publish",
                       "register"):
            assert any(numbers[mark] in s and EN.text(f"action.{action}") in s
                       for s in subjects), (mark, action, subjects)
    es = catalogues()["es"]
    to_opponent = [m for m in mails if m["To"] == "opponent@example.es"]
    decision = next(m for m in to_opponent if es.text("action.reject_opposition") in m["Subject"])
    assert "no likelihood of confusion" in decision.get_content()
    assert decision["Content-Language"] == "es"


def test_axe_finds_no_wcag_21_aa_violation_in_the_back_office(
        live: LiveNode, browser: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    axe = request.getfixturevalue("axe_script")
    # The node's Content-Security-Policy forbids inline scripts: axe is injected as one.
    page = signed_in(browser, live, live.register.office.examiner, tmp_path, bypass_csp=True)
    number = live.register.numbers["SECRET MARK"]
    found = {}
    for lang in ("en", "ar"):
        for path in ("/office", "/office/queues/formalities",
                     f"/office/rights/EM/trademark/{number}"):
            page.goto(f"{live.url}{path}?lang={lang}")
            found[f"{path} {lang}"] = violations(page, axe)
    page.context.close()
    assert not any(found.values()), found
