"""Gazette periods: issue identifiers per ISO 8601 (weeks, days, months) and the profile key."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from ipledger.ledger import Rejection
from ipledger.registry.profiles import ProfileError, load_profile, loads_profile
from ipledger.services.gazette import parse_issue, period_of


@pytest.mark.parametrize(("day", "issue", "start", "end"), [
    (date(2026, 9, 23), "EM-2026-W39", date(2026, 9, 21), date(2026, 9, 28)),
    # ISO 8601 week-numbering years: 2026 has 53 weeks; 1 January 2027 is in 2026-W53.
    (date(2027, 1, 1), "EM-2026-W53", date(2026, 12, 28), date(2027, 1, 4)),
    (date(2027, 1, 4), "EM-2027-W01", date(2027, 1, 4), date(2027, 1, 11)),
    (date(2024, 12, 30), "EM-2025-W01", date(2024, 12, 30), date(2025, 1, 6)),
])
def test_iso_weeks(day: date, issue: str, start: date, end: date) -> None:
    period = period_of("EM", "week", day)
    assert (period.issue, period.start, period.end) == (issue, start, end)
    assert parse_issue(issue) == period
    assert period.next().start == end


@pytest.mark.parametrize(("kind", "day", "issue", "end"), [
    ("day", date(2028, 2, 29), "US-2028-02-29", date(2028, 3, 1)),
    ("month", date(2028, 2, 29), "US-2028-02", date(2028, 3, 1)),
    ("month", date(2026, 12, 5), "US-2026-12", date(2027, 1, 1)),
])
def test_days_and_months(kind: str, day: date, issue: str, end: date) -> None:
    period = period_of("US", kind, day)
    assert (period.issue, period.end) == (issue, end)
    assert parse_issue(issue) == period
    assert period.end_ms - period.start_ms == (end - period.start).days * 86_400_000


@pytest.mark.parametrize("issue", ["EM-2027-W53", "EM-2026-W54", "EM-2027-02-29",
                                   "EM-2026-00", "EM2026-W39", "EM-26-W39", "EM-2026-W9",
                                   "EMX-2026-W39", "", "EM-2026-W39 "])
def test_malformed_identifiers(issue: str) -> None:
    with pytest.raises(Rejection) as info:
        parse_issue(issue)
    assert (info.value.rule, info.value.status, info.value.pointer) == (
        "bad-parameter", 400, "/issue")


def _profile_text(extra: str) -> str:
    text = resources.files("ipledger.registry").joinpath("profiles/generic.toml").read_text()
    return text.replace("[office]\n", f"[office]\n{extra}", 1)


def test_the_office_profile_chooses_the_period() -> None:
    assert load_profile("euipo").gazette_period == "week"  # the default
    assert loads_profile(_profile_text('gazette_period = "month"\n')).gazette_period == "month"
    with pytest.raises(ProfileError) as info:
        loads_profile(_profile_text('gazette_period = "fortnight"\n'))
    assert info.value.path == "office.gazette_period"
