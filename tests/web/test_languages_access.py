"""The six UN languages WIPO works in and WCAG 2.1 AA access: complete catalogues, language
negotiation, Deque's axe-core (interop/axe-core, ``scripts/build-npm axe-core``) injected
into every main page in English and Arabic, keyboard navigation, right-to-left layout,
screenshots of the main pages in Arabic and Chinese (with the fonts that draw them), and a
trade mark's life from filing to a verified record with the pages in Arabic."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from starlette.routing import Route

from ipledger.identity import SigningKey
from ipledger.identity.keyfile import read_private_key
from ipledger.registry.families.licence import TYPES as LICENCE_TYPES
from ipledger.registry.lifecycle import ALL_STATES, machine_for
from ipledger.registry.profiles import RIGHT_KINDS, builtin_profiles
from ipledger.services.filing import party_filings
from ipledger.web.i18n import DEFAULT, catalogues, negotiate
from tests.conftest import ROOT
from tests.web.conftest import LiveNode
from tests.web.sample_register import SampleRegister

UN_LANGUAGES = {"ar", "en", "es", "fr", "ru", "zh"}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RECORD = "/rights/EM/trademark/000000001"
# The main pages, besides every page route without parameters (found in the app).
PAGES = {"search": "/search?q=aurora+brew&match=similar", "record": RECORD}
EXAMPLES = {"filing-trademark": "/file/trademark"}  # audited when served
SINGLE_LANGUAGE = {"/authenticity/verify"}  # a standalone page, in English only
UNTRANSLATED = {"SHA-256", "#", "PDF", "JSON"}  # the same in every language


def placeholders(text: str) -> Counter[str]:
    return Counter(re.findall(r"{(\w+)}", text))


def tags(text: str) -> Counter[str]:
    return Counter(re.findall(r"</?\w+", text))


def test_every_language_translates_every_key_with_the_same_placeholders() -> None:
    shipped = catalogues()
    assert set(shipped) == UN_LANGUAGES
    english = shipped[DEFAULT].texts
    for code, catalogue in shipped.items():
        assert set(catalogue.texts) == set(english), (
            code, sorted(set(english) - set(catalogue.texts)),
            sorted(set(catalogue.texts) - set(english)))
        for key, text in catalogue.texts.items():
            assert text.strip(), (code, key)
            assert placeholders(text) == placeholders(english[key]), (code, key)
            assert tags(text) == tags(english[key]), (code, key)  # the same markup
        if code != DEFAULT:  # translated, not English copied (some words are the same: PDF,
            same = [k for k, v in catalogue.texts.items() if v == english[k]]  # Date, Office)
            assert len(same) <= len(english) // 20, (code, same)
    assert {c.direction for c in shipped.values() if c.code != "ar"} == {"ltr"}
    assert shipped["ar"].direction == "rtl"
    assert len({c.name for c in shipped.values()}) == 6  # each named in its own language


def test_every_code_the_pages_show_has_a_label() -> None:
    """Statuses, kinds, the actions of every shipped office profile's lifecycles (and of the
    chain of title), licence types and states: named, not shown as raw codes."""
    codes = {f"status.{s}" for s in ALL_STATES if s != "absent"}
    codes |= {f"kind.{k}" for k in RIGHT_KINDS}
    codes |= {f"action.{a}" for profile in builtin_profiles().values()
              for kind in profile.supported_kinds for a in machine_for(profile, kind).actions}
    codes |= {"action.assign", "action.merge", "action.disclose", "action.import"}
    codes |= {f"licence.{x}" for x in (*LICENCE_TYPES, "active", "expired", "terminated")}
    assert len(codes) > 50
    assert codes <= set(catalogues()[DEFAULT].texts), codes - set(catalogues()[DEFAULT].texts)


@pytest.mark.parametrize(("asked", "header", "expected"), [
    ("zh", "ar", "zh"), ("ru", None, "ru"), ("es", "fr", "es"),
    (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"), (None, "zh-Hans-CN", "zh"),
    (None, "es-419", "es"), (None, "ru;q=0.5, es;q=0.7", "es"),
    (None, "en;q=0.9, ru", "ru"),  # no q means 1
    (None, "de-CH, de;q=0.9, fr;q=0.4, ar;q=0.3", "fr"),  # the best shipped one
    (None, "ES", "es"), (None, "pt-BR, pt;q=0.9", "en"), (None, "fr;q=0, es;q=0.1", "es"),
    ("de", "ru", "ru"), ("", None, "en")])
def test_language_negotiation_of_the_un_languages(asked: str | None, header: str | None,
                                                  expected: str) -> None:
    assert negotiate(asked, header).code == expected


@pytest.mark.parametrize(("code", "big", "small"), [
    ("en", "1,234,567.89", "1,234"), ("zh", "1,234,567.89", "1,234"),
    ("ar", "1,234,567.89", "1,234"), ("fr", "1\u202f234\u202f567,89", "1\u202f234"),
    ("ru", "1\u00a0234\u00a0567,89", "1\u00a0234"),
    ("es", "1.234.567,89", "1234")])  # Spanish groups from five digits (CLDR)
def test_numbers_take_the_separators_of_each_language(code: str, big: str, small: str) -> None:
    catalogue = catalogues()[code]
    assert catalogue.number(1234567.891, 2) == big
    assert catalogue.number(1234) == small and catalogue.number(-12) == "-12"
    assert catalogue.number(0.5, 2) == f"0{catalogue.decimal}50"


def test_pages_are_served_in_each_language(live: LiveNode) -> None:
    expected = {"es": "Registro público", "fr": "Registre public", "ru": "Открытый реестр",
                "zh": "公开登记簿", "ar": "السجل العام", "en": "Public register"}
    with httpx.Client(base_url=live.url) as http:
        for code, title in expected.items():
            page = http.get("/", headers={"Accept-Language": f"de, {code};q=0.8"})
            assert page.headers["content-language"] == code
            assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in page.text
            assert f"<h1>{title}</h1>" in page.text
        record = http.get(RECORD, params={"lang": "zh"})
        assert "已注册" in record.text and "商标" in record.text  # status and kind labels
        assert 'href="/search?lang=zh"' in record.text  # links keep the language
        ranked = http.get("/search", params={"q": "aurora brew", "match": "similar",
                                             "lang": "fr"})
        assert "1,00</span>" in ranked.text and "1.00<" not in ranked.text  # French decimals
        empty = http.post("/file/trademark", params={"lang": "ar"}, data={"mark": ""})
        assert empty.status_code == 400
        assert 'data-error-for="mark">مطلوب<' in empty.text  # "required", in Arabic


@pytest.fixture(scope="module")
def axe_script() -> Path:
    path = Path(os.environ.get("IPLEDGER_AXE") or ROOT / ".build" / "axe-core" / "node_modules"
                / "axe-core" / "axe.min.js")
    if not path.is_file():
        message = f"{path} is not installed (run scripts/build-npm axe-core)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def pages(live: LiveNode) -> dict[str, str]:
    """The main pages this node serves: every web page route without parameters that
    answers with a page (new pages are audited without changing this test), and examples."""
    from ipledger.web.authenticity import routes as authenticity_page
    from ipledger.web.gazette import routes as gazette_pages
    from ipledger.web.pages import routes as web_routes

    plain = {r.path.strip("/").replace("/", "-") or "home": r.path
             for r in [*authenticity_page, *gazette_pages, *web_routes]
             if isinstance(r, Route) and "{" not in r.path and "GET" in (r.methods or ())}
    found: dict[str, str] = {}
    with httpx.Client(base_url=live.url) as http:
        for name, path in {**plain, **PAGES, **EXAMPLES}.items():
            answer = http.get(path)
            # 401: a sign-in page (the back office's) is a page people see too.
            if answer.status_code in (200, 401) and answer.headers["content-type"].startswith(
                    "text/html"):
                found[name] = path
        issue = re.search(r'href="(/gazette/[^"?]+)"', http.get("/gazette").text)
        if issue:
            found["gazette-issue"] = issue[1]
    assert {"home", "search", "record", "gazette"} <= set(found), found
    return found


@pytest.fixture(scope="module")
def audited(browser: Any) -> Iterator[Any]:
    # The node's Content-Security-Policy forbids inline scripts: axe is injected as one.
    context = browser.new_context(bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def settle(page: Any) -> None:
    """Wait for the in-browser verification, so pages are audited in their final state."""
    if page.locator("[data-verify-extract]").count():
        page.wait_for_selector("[data-verify-extract][data-result]", timeout=10_000)


def violations(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    found = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
        return r.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
                                     v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""", WCAG_AA)
    return list(found)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_wcag_21_aa_violation_on_the_main_pages(
        live: LiveNode, audited: Any, pages: dict[str, str], axe_script: Path,
        lang: str) -> None:
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        sep = "&" if "?" in path else "?"
        audited.goto(f"{live.url}{path}{sep}lang={lang}")
        settle(audited)
        if path not in SINGLE_LANGUAGE:
            assert audited.locator("html").get_attribute("lang") == lang, name
        found[name] = violations(audited, axe_script)
    assert found == {name: [] for name in pages}
    # The audit is real: it catches an image without text and an unlabelled field.
    audited.evaluate("""() => { document.body.insertAdjacentHTML('beforeend',
        '<img src="/static/favicon.svg"><input type="text">'); }""")
    caught = {v.split(" ")[0] for v in violations(audited, axe_script)}
    assert {"image-alt", "label"} <= caught


def test_fees_are_shown_in_the_language_and_updated_by_the_browser_alike(
        live: LiveNode, browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live.url}/file/trademark?lang=fr")
        total = page.locator("#fee-total")
        assert total.inner_text() == "850,00 EUR"  # one class, formatted by the server
        goods = page.locator("#f-goods")
        goods.fill("30: Café\n43: Restauration\n9: Logiciels")
        goods.dispatch_event("change")
        expect(total).to_have_attribute("data-total", "105000")  # the node's quote arrived
        assert total.inner_text() == "1\u202f050,00 EUR"  # three classes, by filing.js
        assert page.locator("[data-fee] td:last-child").all_inner_texts() == [
            "850,00 EUR", "200,00 EUR"]
    finally:
        context.close()
    assert catalogues()["es"].money(1_234_567, 2, "EUR") == "12.345,67 EUR"
    assert catalogues()["en"].money(105_000, 2, "EUR") == "1,050.00 EUR"
    assert catalogues()["zh"].money(3_000, 0, "JPY") == "3,000 JPY"


def focus_ring(page: Any) -> list[str]:
    return list(page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                         return [s.outlineStyle, s.outlineWidth]; }"""))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_keyboard_skip_link_then_search_field(live: LiveNode, browser: Any, lang: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live.url}/?lang={lang}")
        page.keyboard.press("Tab")
        skip = page.evaluate("""() => { const a = document.activeElement;
            const r = a.getBoundingClientRect();
            return [a.className, a.getAttribute('href'), a.textContent,
                    r.top >= 0 && r.height > 0]; }""")
        assert skip == ["skip-link", "#main", catalogues()[lang].text("nav.skip"), True]  # shown
        assert focus_ring(page) == ["solid", "3px"]
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")  # the first control of the content: the search field
        assert page.evaluate("document.activeElement.id") == "f-q"
        assert focus_ring(page) == ["solid", "3px"]
        page.keyboard.type("aurora")
        page.keyboard.press("Enter")  # submits the search, in the same language
        page.wait_for_url(re.compile(r"/search\?"))
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("tr[data-number]").count() == 2
    finally:
        context.close()


LAYOUT = """() => {
  const box = (sel) => document.querySelector(sel).getBoundingClientRect();
  const nav = [...document.querySelectorAll('nav ul.inline:not(.languages) a')]
    .map(a => a.getBoundingClientRect().left);
  return { html: getComputedStyle(document.documentElement).direction,
           main: getComputedStyle(document.querySelector('main')).direction,
           th: getComputedStyle(document.querySelector('th')).textAlign,
           brandLeft: box('.brand').left, brandRight: box('.brand').right,
           languagesLeft: box('.languages').left, width: document.documentElement.clientWidth,
           nav };
}"""


def test_arabic_layout_mirrors_english(live: LiveNode, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live.url}/search?q=aurora")
        ltr = page.evaluate(LAYOUT)
        page.goto(f"{live.url}/search?q=aurora&lang=ar")
        rtl = page.evaluate(LAYOUT)
    finally:
        context.close()
    assert (ltr["html"], ltr["main"], rtl["html"], rtl["main"]) == ("ltr", "ltr", "rtl", "rtl")
    assert (ltr["th"], rtl["th"]) == ("start", "start")  # start is right in Arabic
    # The brand starts the header on the left in English, on the right in Arabic; the
    # language menu is at the other end; the navigation runs right to left.
    assert ltr["brandLeft"] < ltr["languagesLeft"] and rtl["brandLeft"] > rtl["languagesLeft"]
    assert ltr["brandLeft"] < 50 and rtl["width"] - rtl["brandRight"] < 50
    assert ltr["nav"] == sorted(ltr["nav"]) and rtl["nav"] == sorted(rtl["nav"], reverse=True)
    assert len(rtl["nav"]) >= 2


# Two different letters drawn on a canvas: identical pixels mean both fell back to the same
# "missing glyph" box (tofu), i.e. no installed font covers the script.
GLYPHS = """([a, b]) => {
  const draw = (ch) => { const c = document.createElement('canvas'); c.width = c.height = 48;
    const g = c.getContext('2d'); g.font = '32px sans-serif'; g.fillText(ch, 4, 36);
    return c.toDataURL(); };
  return draw(a) !== draw(b);
}"""


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_screenshots_of_the_main_pages(live: LiveNode, browser: Any, pages: dict[str, str],
                                       screenshot: Callable[..., Path], lang: str) -> None:
    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        assert page.evaluate(GLYPHS, ["注", "册"] if lang == "zh" else ["ع", "ب"]), (
            f"no font draws {lang} (run scripts/system-tools as root)")
        for name, path in pages.items():
            page.goto(live.url + path)  # negotiated from Accept-Language
            settle(page)
            if path not in SINGLE_LANGUAGE:
                assert page.locator("html").get_attribute("lang") == lang, name
                # Headings, labels, buttons and column heads: none left in English.
                assert [t for t in ascii_only(page) if t not in UNTRANSLATED] == [], name
            screenshot(page, f"{lang}-{name}")
        page.goto(f"{live.url}/?lang=en")  # the check does see English
        assert {"Recently published rights", "Search", "Owner"} <= set(ascii_only(page))
    finally:
        context.close()


def ascii_only(page: Any) -> list[str]:
    """The texts of headings, labels, buttons, column heads, legends written in ASCII only."""
    return list(page.locator("h2, h3, label, button, th, legend").evaluate_all(
        "els => els.map(e => e.innerText.trim()).filter(t => /^[ -~]+$/.test(t))"))


def test_in_arabic_file_examine_publish_oppose_register_assign_license_verify(
        live: LiveNode, browser: Any, screenshot: Callable[..., Path], tmp_path: Path) -> None:
    """The life of a trade mark with the pages in Arabic: filed and signed in the browser,
    examined, published, opposed (the opposition rejected), registered when the opposition
    period ends, assigned and licensed with the applicant's key file, then its record
    verified in the browser; every step named in Arabic on the record page."""
    arabic = catalogues()["ar"]
    node, office = live.node, live.register.office
    context = browser.new_context(locale="ar", accept_downloads=True,
                                  extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        page.clock.set_fixed_time(datetime.fromtimestamp(node.clock.now_ms / 1000, UTC))
        page.goto(f"{live.url}/file/trademark")
        assert page.locator("h1").inner_text() == arabic.text(
            "filing.form_title", kind=arabic.text("kind.trademark"))
        assert page.locator("#f-party_kind option").all_inner_texts() == [
            arabic.text("choice.party_kind.legal"), arabic.text("choice.party_kind.natural")]
        page.locator("[data-key-generate]").click()
        party = page.locator("[data-key-party]")
        party.filter(has_text=re.compile(r"^P[0-9A-F]{20}$")).wait_for()
        pid = party.inner_text()
        with page.expect_download() as download:
            page.get_by_role("link", name=arabic.text("filing.key_download")).click()
        key_file = tmp_path / "applicant.pem"
        download.value.save_as(key_file)
        key_file.chmod(0o600)
        applicant = read_private_key(key_file)
        page.locator("#f-name").fill("مقهى النجمة")
        page.locator("#f-country").fill("AE")
        page.locator("#f-mark").fill("NAJMA")
        page.locator("#f-goods").fill("30: قهوة، شاي")
        page.locator("#f-card").fill("4242 4242 4242 4242")
        page.get_by_role("button", name=arabic.text("filing.submit")).click()
        page.get_by_role("button", name=arabic.text("filing.sign_button")).click()
        page.locator("[data-sign-done]:not([hidden]), [data-sign-steps] li[data-state=fail]"
                     ).first.wait_for()
        steps = page.locator("[data-sign-steps] li").all_inner_texts()
        assert page.locator("[data-sign-steps] li[data-state=fail]").count() == 0, steps
        assert [s.split(":")[0] for s in steps[:3]] == ["party.register", "right.file",
                                                          "right.disclose"], steps
        assert all(arabic.text("filing.step_recorded") in step for step in steps[:3]), steps
        assert steps[-1] == arabic.text("filing.all_done")
        (filing,) = party_filings(node.ledger, pid)
        number = filing["number"]

        office.act(office.examiner, number, "check_formalities")
        office.act(office.examiner, number, "start_examination")
        office.act(office.registrar, number, "publish", attest=["examination_passed"])
        opponent, buyer, licensee = (SigningKey.generate() for _ in range(3))
        for name, key in [("Opponent SA", opponent), ("شركة المشتري", buyer),
                          ("مرخص له", licensee)]:
            node.submit(key, "party.register", {"name": name, "country": "AE", "kind": "legal"})
        office.act(opponent, number, "file_opposition",
                   payment={"amount": 32_000, "currency": "EUR"})
        office.act(office.examiner, number, "reject_opposition",
                   attest=["opposition_decision_final"])
        published = datetime.fromtimestamp(node.clock.now_ms / 1000, UTC).date()
        office.tick((published + timedelta(days=100)).isoformat())  # the period is 3 months
        assert office.right(number)["state"] == "registered"
        node.submit(applicant, "assignment.record", {
            "office": "EM", "kind": "trademark", "number": number, "from": pid,
            "to": SampleRegister.pid(buyer), "share": [1, 1],
            "executed": (published + timedelta(days=99)).isoformat(),
            "payment": {"amount": 20_000, "currency": "EUR"}}, endorsers=[buyer])
        node.submit(buyer, "licence.grant", {
            "office": "EM", "kind": "trademark", "number": number,
            "licensee": SampleRegister.pid(licensee), "type": "exclusive", "territory": ["EM"],
            "start": (published + timedelta(days=100)).isoformat(),
            "payment": {"amount": 20_000, "currency": "EUR"}}, endorsers=[licensee])
        node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)

        page.goto(f"{live.url}/rights/EM/trademark/{number}")  # Arabic by Accept-Language
        page.wait_for_selector("[data-verify-extract][data-result]", timeout=10_000)
        assert page.locator("[data-verify-extract]").get_attribute("data-result") == "verified"
        assert arabic.text("verify.verified") in page.locator("[data-badge]").inner_text()
        assert page.locator("#status").inner_text() == arabic.text("status.registered")
        history = office.right(number)["history"]
        assert [h["action"] for h in history] == [
            "file", "disclose", "check_formalities", "start_examination", "publish",
            "file_opposition", "reject_opposition", "register"]
        shown = page.locator("#timeline li strong").all_inner_texts()
        assert shown == [arabic.text(f"action.{h['action']}") for h in history]
        chain = page.locator("#chain tbody tr").all_inner_texts()
        assert arabic.text("action.assign") in chain[-1] and "شركة المشتري" in chain[-1]
        licence = page.locator("#licences tbody tr").inner_text()
        assert arabic.text("licence.exclusive") in licence and "مرخص له" in licence
        screenshot(page, "ar-lifecycle-record")
        page.goto(f"{live.url}/filings/EM/trademark/{number}")  # the applicant's status page
        step = page.locator("[data-action=reject_opposition]").inner_text()
        assert arabic.text("action.reject_opposition") in step and "←" in step
    finally:
        context.close()
