"""The gazette's web pages in Debian's Chromium: from the list of issues to an issue, its
items, their records; right-to-left in Arabic; screenshots kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.conftest import LiveNode


def test_from_the_issues_to_an_issue_and_a_record(live: LiveNode, browser: Any,
                                                  screenshot: Callable[..., Any]) -> None:
    context = browser.new_context(java_script_enabled=False)  # the pages need no script
    try:
        page = context.new_page()
        page.goto(live.url + "/gazette")
        rows = page.locator("#gazette-issues tbody tr")
        issues = [rows.nth(i).get_attribute("data-issue") for i in range(rows.count())]
        # The sample register's ledger time is in 2027-W05: every week before is an issue.
        assert issues[0] == "EM-2027-W04" and issues[-1] == "EM-2026-W39"
        page.get_by_role("link", name="EM-2026-W39").click()
        assert page.locator("h1").inner_text() == "Gazette EM-2026-W39"
        published = page.locator("#applications li")
        assert [published.nth(i).get_attribute("data-number") for i in
                range(published.count())] == [live.register.numbers["AURORA BREW"],
                                              live.register.numbers["ORORA BRU"]]
        assert "opposition period: 2026-09-21 to 2026-12-21" in published.first.inner_text()
        assert page.locator("#registrations").inner_text().endswith("None in this issue.")
        screenshot(page, "gazette-issue")
        published.first.get_by_role("link", name="AURORA BREW").click()
        assert page.url.endswith("/rights/EM/trademark/000000001")
    finally:
        context.close()


def test_an_issue_in_arabic(live: LiveNode, browser: Any,
                            screenshot: Callable[..., Any]) -> None:
    context = browser.new_context(locale="ar", extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        page.goto(live.url + "/gazette/EM-2026-W52")
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert page.locator("#registrations li").count() == 2
        screenshot(page, "gazette-issue-ar")
        missing = page.goto(live.url + "/gazette/EM-2026-W60")
        assert missing is not None and missing.status == 400
    finally:
        context.close()
