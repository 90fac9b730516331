"""The public register in a real browser: search by every filter, similarity ranking,
record pages, the in-browser "verified" badge (and its failure on tampered extracts),
pages without JavaScript, Arabic right-to-left, keyboard access; screenshots kept."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ipledger.registry.extract import ExtractError, verify_extract
from tests.conftest import T0, FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.web.conftest import LiveNode
from tests.web.sample_register import DOC_SHA, STAMPED

Page = Any  # playwright.sync_api.Page


def get(url: str, **kwargs: Any) -> httpx.Response:
    """A plain HTTP GET (the first ST.96 export loads the XSDs: allow a loaded machine)."""
    return httpx.get(url, timeout=30, **kwargs)


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def numbers(page: Page) -> list[str]:
    return page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")


@pytest.mark.parametrize(("query", "expected"), [
    ("q=aurora", ["000000001", "000000004"]),  # contains, by title
    ("q=aurora+brew&match=exact", ["000000001"]),
    ("number=000000003", ["000000003"]),
    ("owner=beta+kaffee", ["000000001"]),  # the assignee, a co-owner since 2027
    ("class=9", ["000000003"]),
    ("status=registered&class=30", ["000000001", "000000002"]),
    ("office=EM&kind=trademark&status=filed", ["000000004", "000000003"]),
    ("filed_from=2027-01-01", ["000000004", "000000003"]),
    ("filed_to=2026-12-31", ["000000001", "000000002"]),
    ("q=secret", []),  # never published: never found
])
def test_search_finds_rights_by_each_filter(live: LiveNode, page: Page, query: str,
                                            expected: list[str]) -> None:
    page.goto(f"{live.url}/search?{query}")
    assert numbers(page) == expected
    assert page.locator("#result-count").inner_text().startswith(f"{len(expected)} ")


def test_the_form_searches_and_similarity_ranks_variants(live: LiveNode, page: Page,
                                                         screenshot: Callable[..., Any]) -> None:
    page.goto(live.url + "/")
    page.get_by_label("Mark, title or name").fill("Aurora Brew")
    page.get_by_label("Match").select_option("similar")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search\?"))
    # Exact first, then the mark containing it, then the sound-alike ORORA BRU.
    assert numbers(page) == ["000000001", "000000004", "000000002"]
    kinds = page.locator("span.match").all_inner_texts()
    assert kinds == ["exact", "contains", "sounds like"]
    screenshot(page, "search-similar")
    # A misspelling is found by edit distance, the closest first; HARBOUR LIGHT is too far.
    page.goto(f"{live.url}/search?q=arora+brw&match=fuzzy")
    assert numbers(page) == ["000000001", "000000002", "000000004"]
    page.goto(f"{live.url}/search?q=orora+bru&match=phonetic")
    assert numbers(page) == ["000000002", "000000001"]  # exact first, then the sound-alike
    api = get(f"{live.url}/v1/search", params={"q": "aurora brew", "match": "similar"})
    assert [(r["number"], r["similarity"]) for r in api.json()["results"]] == [
        ("000000001", "exact"), ("000000004", "contains"), ("000000002", "phonetic")]


def test_bad_criteria_are_named_and_unpublished_rights_are_not_found(live: LiveNode,
                                                                    page: Page) -> None:
    response = page.goto(f"{live.url}/search?class=99&q=aurora")
    assert response.status == 400
    assert "class" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Mark, title or name").input_value() == "aurora"  # kept
    response = page.goto(f"{live.url}/rights/EM/trademark/000000005")  # filed, unpublished
    assert response.status == 404 and "SECRET" not in page.content()
    assert get(f"{live.url}/search?filed_from=2027-02-30").status_code == 400


def test_record_page_shows_timeline_owners_licences_documents(live: LiveNode, page: Page) -> None:
    page.goto(f"{live.url}/rights/EM/trademark/000000001")
    assert page.locator("h1").inner_text() == "AURORA BREW"
    assert page.locator("#status").inner_text() == "Registered"
    timeline = page.locator("#timeline li").all_inner_texts()
    assert [t.split()[0] for t in timeline] == ["2026-09-21"] * 5 + ["2026-12-23"]
    assert "Registered" in timeline[-1] and "automatic" in timeline[-1]
    assert page.locator("#owners li").all_inner_texts() == [
        "Applicant (share 1/2)", "Beta Kaffee GmbH (share 1/2)"]
    chain = page.locator("#chain tbody tr").all_inner_texts()
    assert len(chain) == 2 and "1/2 from Applicant to Beta Kaffee GmbH" in chain[1]
    licence = page.locator("#licences tbody tr").inner_text()
    assert "Gamma Cafés SARL" in licence and "non-exclusive" in licence and "FR" in licence
    document = page.locator("#documents tbody tr").inner_text()
    assert DOC_SHA in document and "image/png" in document
    for link in page.locator("#downloads a").all():
        href = link.get_attribute("href")
        got = get(live.url + href)
        assert got.status_code == 200, href
    xml = get(live.url + page.locator("#downloads a").first.get_attribute("href"))
    assert b"AURORA BREW" in xml.content and xml.headers["content-type"].startswith(
        "application/xml")


def badge(page: Page) -> tuple[str, dict[str, str]]:
    box = page.locator("[data-verify-extract]")
    page.wait_for_selector("[data-verify-extract][data-result]", timeout=10_000)
    steps = box.locator("[data-step]").evaluate_all(
        "items => Object.fromEntries(items.map(i => [i.dataset.step, i.dataset.state]))")
    return box.get_attribute("data-result"), steps


ALL_PASS = {"checkpoint-signature": "pass", "state-proof": "pass", "history": "pass",
            "entry-signatures": "pass"}


def test_badge_is_verified_for_the_genuine_extract(live: LiveNode, page: Page,
                                                   screenshot: Callable[..., Any]) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.url}/rights/EM/trademark/000000001")
    assert badge(page) == ("verified", ALL_PASS)
    assert errors == []  # nothing blocked by the node's Content-Security-Policy
    assert page.locator("[data-badge]").inner_text() == "Verified"  # the ✓ is CSS content
    screenshot(page, "record")


def _tamper_record(doc: dict[str, Any]) -> None:
    doc["record"]["state"] = "filed"


def _tamper_signature(doc: dict[str, Any]) -> None:
    text, _, sigs = doc["checkpoint"].rpartition("\n\n")
    line = sigs.rstrip("\n")
    flipped = line[:-3] + ("A" if line[-3] != "A" else "B") + line[-2:]
    doc["checkpoint"] = text + "\n\n" + flipped + "\n"


def _tamper_history(doc: dict[str, Any]) -> None:
    entry = doc["history"][0]["entry"]
    entry["nonce"] = entry["nonce"] + "x"


def _tamper_proof(doc: dict[str, Any]) -> None:
    doc["state_proof"]["siblings"][-1] = doc["state_proof"]["siblings"][-1][::-1]


@pytest.mark.parametrize(("tamper", "failed"), [
    (_tamper_record, "state-proof"), (_tamper_signature, "checkpoint-signature"),
    (_tamper_history, "history"), (_tamper_proof, "state-proof")])
def test_badge_is_not_verified_for_a_tampered_extract(live: LiveNode, page: Page,
                                                      tamper: Callable[[dict[str, Any]], None],
                                                      failed: str,
                                                      screenshot: Callable[..., Any]) -> None:
    served: list[dict[str, Any]] = []

    def change(route: Any) -> None:
        response = route.fetch()
        doc = response.json()
        tamper(doc)
        served.append(doc)
        route.fulfill(response=response, body=json.dumps(doc))

    page.route(re.compile(r".*/extract$"), change)
    page.goto(f"{live.url}/rights/EM/trademark/000000001")
    result, steps = badge(page)
    assert result == "not-verified"
    assert steps[failed] == "fail"
    assert "pass" not in [state for step, state in steps.items()
                          if list(ALL_PASS).index(step) > list(ALL_PASS).index(failed)]
    assert "Not verified" in page.locator("[data-badge]").inner_text()
    if tamper is _tamper_record:
        screenshot(page.locator("[data-verify-extract]"), "record-tampered-badge")
    # The offline verifier (ipledger verify extract) refuses the same document, same step.
    with pytest.raises(ExtractError) as refused:
        verify_extract(served[0], [live.node.ledger.note_signer.verifier()])
    assert refused.value.step == failed


def test_pages_work_without_javascript(live: LiveNode, browser: Any,
                                       screenshot: Callable[..., Any]) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        assert page.locator("h1").inner_text() == "Public register"
        screenshot(page, "home")
        page.get_by_label("Owner").fill("gamma")  # nobody's owner: no result
        page.get_by_label("Nice class").fill("9")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"/search\?"))
        assert numbers(page) == []
        page.goto(f"{live.url}/search?class=9")
        assert numbers(page) == ["000000003"]
        page.locator("a", has_text="HARBOUR LIGHT").click()
        page.wait_for_url(re.compile(r"/rights/EM/trademark/000000003$"))
        assert page.locator("#status").inner_text() == "Filed"
        # No script ran: the badge says how to check offline, never "verified".
        assert page.locator("[data-verify-extract]").get_attribute("data-result") is None
        assert "ipledger verify extract" in page.locator("[data-badge]").inner_text()
    finally:
        context.close()


def test_arabic_is_right_to_left_and_keyboard_reaches_the_content(
        live: LiveNode, browser: Any, screenshot: Callable[..., Any]) -> None:
    context = browser.new_context(locale="ar", extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        page.goto(live.url + "/rights/EM/trademark/000000001")  # negotiated: Arabic
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert page.locator("#status").inner_text() == "مسجل"
        assert badge(page)[0] == "verified"
        assert "تم التحقق" in page.locator("[data-badge]").inner_text()
        screenshot(page, "record-ar")
        page.goto(live.url + "/search?q=aurora&lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert numbers(page) == ["000000001", "000000004"]
        # The first Tab reaches the skip link; following it moves focus to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        focus = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                         return [s.outlineStyle, s.outlineWidth]; }""")
        assert focus == ["solid", "3px"]  # a visible focus indicator
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        screenshot(page, "search-ar")
        page.goto(live.url + "/")  # the file checker hashes in the browser, answers in Arabic
        page.set_input_files("#file", files=[{"name": "minutes.txt", "mimeType": "text/plain",
                                              "buffer": STAMPED}])
        result = page.locator("#result")
        result.filter(has_text="مختومة 1 مرة").wait_for(timeout=5000)
        assert hashlib.sha256(STAMPED).hexdigest() in result.inner_text()
        page.set_input_files("#file", files=[{"name": "other.txt", "mimeType": "text/plain",
                                              "buffer": b"never stamped"}])
        result.filter(has_text="غير مختومة").wait_for(timeout=5000)
        page.goto(live.url + "/?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert page.locator("h1").inner_text() == "Registre public"
    finally:
        context.close()


# WCAG 2.1 AA: text contrast (1.4.3: 4.5:1, large text 3:1, from the computed colours and
# the nearest opaque background) and a label for every form control (1.3.1 / 3.3.2).
AUDIT = """() => {
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const m = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g);
      if (m && (m.length < 4 || Number(m[3]) > 0)) return getComputedStyle(el).backgroundColor;
    }
    return 'rgb(255, 255, 255)';
  };
  const low = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') continue;
    const [a, b] = [lum(s.color), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}`);
  }
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((e) => !e.labels || !e.labels.length).map((e) => e.name || e.id);
  return { low, unlabelled, checked };
}"""


def test_pages_meet_contrast_and_label_rules(live: LiveNode, page: Page) -> None:
    for path in ("/", "/search?q=aurora+brew&match=similar", "/search?class=99",
                 "/rights/EM/trademark/000000001", "/rights/EM/trademark/000000001?lang=ar"):
        page.goto(live.url + path)
        if path.startswith("/rights/"):
            badge(page)  # audit the badge in its final colours
        audit = page.evaluate(AUDIT)
        assert audit["checked"] > 20, path
        assert audit["low"] == [], path
        assert audit["unlabelled"] == [], path
    # The audit does catch a light grey heading and a control without a label.
    page.evaluate("""() => { document.querySelector('h1').style.color = '#aaaaaa';
                             document.body.append(document.createElement('select')); }""")
    audit = page.evaluate(AUDIT)
    assert [x.split(" ")[0] for x in audit["low"]] == ["H1."] and audit["unlabelled"] == [""]


def test_the_browser_verifier_checks_related_deposits(live: LiveNode, page: Page,
                                                      tmp_path: Path) -> None:
    """A right claiming priority carries the referenced deposit as a related record; the
    browser's verifier checks it as verify_extract does (same verdicts, same steps)."""
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.node import init_node
    from tests.registry.test_priority_claims import Filings, _published_claimant

    init_node(tmp_path / "node", ORIGIN)
    node = Node(tmp_path / "node", FakeClock(T0))
    try:
        with TestClient(create_app(node.ledger)) as client:
            _, doc = _published_claimant(Filings(node), client)
        vkey, verifiers = node.ledger.verifier_key, [node.ledger.note_signer.verifier()]
    finally:
        node.close()
    assert doc["related"]
    forged = copy.deepcopy(doc)
    forged["related"][0]["record"]["sha256"] = "0" * 64
    dropped = {k: v for k, v in doc.items() if k != "related"}
    page.goto(live.url + "/")
    for extract, step in ((doc, None), (forged, "related"), (dropped, "related")):
        verdict = page.evaluate("""async ([doc, vkey]) => {
            const verifier = await import('/static/verify-extract.js');
            try { return (await verifier.verifyExtract(doc, vkey)).passed.join(' '); }
            catch (e) { return 'failed at ' + e.step; } }""", [extract, vkey])
        if step is None:
            assert verdict == "checkpoint-signature state-proof history entry-signatures"
            verify_extract(extract, verifiers)
        else:
            assert verdict == f"failed at {step}"
            with pytest.raises(ExtractError) as refused:
                verify_extract(extract, verifiers)
            assert refused.value.step == step
