"""registry.lifecycle.due_time_events: automatic events from recorded dates and ledger time."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.registry.calendar import parse_iso_date, start_of_day_ms
from ipledger.registry.lifecycle import (
    RightDates,
    TimeEvent,
    current_expiry,
    due_time_events,
    machine_for,
    maintenance_schedule,
)
from ipledger.registry.profiles import builtin_profiles, load_profile

EUIPO = load_profile("euipo")
USPTO = load_profile("uspto")
GENERIC = load_profile("generic")


def D(text: str) -> date:
    return parse_iso_date(text)


def at(text: str, ms_into_day: int = 0) -> int:
    return start_of_day_ms(D(text)) + ms_into_day


def actions(events: list[TimeEvent]) -> list[tuple[str, str]]:
    return [(e.action, e.effective_date.isoformat()) for e in events]


# -- EUIPO trade marks ------------------------------------------------------------------------


def test_euipo_leap_day_filing_expires_28_february() -> None:
    # EUTMR Art. 52 + EUTMDR Art. 67(2): 10 years from 29 Feb 2016 end on 28 Feb 2026.
    rules = EUIPO.rules("trademark")
    dates = RightDates(filing_date=D("2016-02-29"), registration_date=D("2016-07-02"))
    assert current_expiry(rules, dates) == D("2026-02-28")
    assert current_expiry(rules, RightDates(filing_date=D("2016-02-29"), renewals=1)) == D(
        "2036-02-29"
    )  # renewals count from the filing date, not from the clamped expiry
    events = due_time_events(EUIPO, "trademark", "registered", dates, at("2030-01-01"))
    assert actions(events) == [
        ("open_renewal_window", "2025-08-28"),  # 6 months before expiry
        ("enter_grace_period", "2026-03-01"),  # the day after expiry
        ("lapse", "2026-08-29"),  # grace (6 months after expiry) ended 2026-08-28
    ]
    assert "2026-02-28" in events[1].reason
    assert "2026-08-28" in events[2].reason


def test_euipo_events_appear_exactly_at_midnight_utc() -> None:
    dates = RightDates(filing_date=D("2016-02-29"), registration_date=D("2016-07-02"))
    before = due_time_events(EUIPO, "trademark", "registered", dates, at("2025-08-28") - 1)
    assert before == []
    on = due_time_events(EUIPO, "trademark", "registered", dates, at("2025-08-28"))
    assert actions(on) == [("open_renewal_window", "2025-08-28")]
    assert on[0].effective_ms == at("2025-08-28")
    late = due_time_events(EUIPO, "trademark", "renewal_due", dates, at("2026-02-28", 86_399_999))
    assert late == []  # the expiry day itself is still in the renewal window
    grace = due_time_events(EUIPO, "trademark", "renewal_due", dates, at("2026-03-01"))
    assert actions(grace) == [("enter_grace_period", "2026-03-01")]


def test_euipo_renewed_mark_moves_on() -> None:
    dates = RightDates(filing_date=D("2016-02-29"), registration_date=D("2016-07-02"), renewals=1)
    assert due_time_events(EUIPO, "trademark", "registered", dates, at("2030-01-01")) == []
    events = due_time_events(EUIPO, "trademark", "registered", dates, at("2040-01-01"))
    assert actions(events) == [
        ("open_renewal_window", "2035-08-29"),
        ("enter_grace_period", "2036-03-01"),
        ("lapse", "2036-08-30"),
    ]


def test_euipo_opposition_period_then_registration() -> None:
    dates = RightDates(filing_date=D("2016-02-29"), publication_date=D("2016-04-01"))
    assert (
        due_time_events(EUIPO, "trademark", "opposition_period", dates, at("2016-07-02") - 1) == []
    )
    events = due_time_events(EUIPO, "trademark", "opposition_period", dates, at("2016-07-02"))
    assert actions(events) == [("register", "2016-07-02")]
    assert "ended 2016-07-01" in events[0].reason
    # an opposition pending: nothing happens automatically
    assert due_time_events(EUIPO, "trademark", "opposed", dates, at("2030-01-01")) == []


def test_late_registration_clamps_window_to_registration_date() -> None:
    # registered after the renewal window opened (long opposition): window opens on registration
    dates = RightDates(filing_date=D("2016-02-29"), registration_date=D("2025-12-01"))
    events = due_time_events(EUIPO, "trademark", "registered", dates, at("2025-12-01"))
    assert actions(events) == [("open_renewal_window", "2025-12-01")]


def test_euipo_design_renewals_then_final_expiry() -> None:
    rules = EUIPO.rules("industrial_design")
    filed = D("2020-11-15")
    dates = RightDates(filing_date=filed, registration_date=D("2020-12-01"), renewals=3)
    assert current_expiry(rules, dates) == D("2040-11-15")
    events = due_time_events(EUIPO, "industrial_design", "registered", dates, at("2041-01-01"))
    assert actions(events)[0] == ("open_renewal_window", "2040-05-15")
    final = RightDates(filing_date=filed, registration_date=D("2020-12-01"), renewals=4)
    assert current_expiry(rules, final) == D("2045-11-15")  # 25 years at most
    events = due_time_events(EUIPO, "industrial_design", "registered", final, at("2046-01-01"))
    assert actions(events) == [("expire", "2045-11-16")]
    assert "maximum of 4 renewals" in events[0].reason


# -- USPTO patents ----------------------------------------------------------------------------


def test_uspto_maintenance_schedule() -> None:
    rules = USPTO.rules("patent")
    dates = RightDates(filing_date=D("2010-03-15"), registration_date=D("2013-05-07"))
    schedule = maintenance_schedule(rules, dates)
    assert [(m.window_opens, m.due, m.grace_ends) for m in schedule] == [
        (D("2016-05-07"), D("2016-11-07"), D("2017-05-07")),  # 3 / 3.5 / 4 years
        (D("2020-05-07"), D("2020-11-07"), D("2021-05-07")),  # 7 / 7.5 / 8 years
        (D("2024-05-07"), D("2024-11-07"), D("2025-05-07")),  # 11 / 11.5 / 12 years
    ]


def test_uspto_windows_count_from_grant_not_from_clamped_due_date() -> None:
    rules = USPTO.rules("patent")
    dates = RightDates(filing_date=D("2012-01-10"), registration_date=D("2014-08-31"))
    first = maintenance_schedule(rules, dates)[0]
    assert first.window_opens == D("2017-08-31")  # 3 years after grant
    assert first.due == D("2018-02-28")  # 3.5 years (no 31 Feb)
    assert first.grace_ends == D("2018-08-31")  # 4 years after grant


def test_uspto_unpaid_first_fee_expires_at_end_of_grace() -> None:
    dates = RightDates(filing_date=D("2010-03-15"), registration_date=D("2013-05-07"))
    events = due_time_events(USPTO, "patent", "granted", dates, at("2040-01-01"))
    assert actions(events) == [
        ("open_maintenance_window", "2016-05-07"),
        ("enter_grace_period", "2016-11-08"),
        ("expire", "2017-05-08"),
    ]
    assert "maintenance fee 1" in events[2].reason
    assert "2017-05-07" in events[2].reason


@pytest.mark.parametrize(
    ("paid", "expected"),
    [
        (1, [("open_maintenance_window", "2020-05-07"), ("enter_grace_period", "2020-11-08")]),
        (2, [("open_maintenance_window", "2024-05-07"), ("enter_grace_period", "2024-11-08")]),
        (3, [("expire", "2030-03-16")]),  # all paid: 20 years from filing
    ],
)
def test_uspto_later_fees(paid: int, expected: list[tuple[str, str]]) -> None:
    dates = RightDates(
        filing_date=D("2010-03-15"),
        registration_date=D("2013-05-07"),
        maintenance_paid=(D("2016-06-01"), D("2020-06-01"), D("2024-06-01"))[:paid],
    )
    now = at("2031-01-01") if paid == 3 else at(expected[-1][1])
    assert actions(due_time_events(USPTO, "patent", "granted", dates, now)) == expected


def test_uspto_grace_payment_state() -> None:
    dates = RightDates(filing_date=D("2010-03-15"), registration_date=D("2013-05-07"))
    # still in grace on its last day; expired the day after
    assert due_time_events(USPTO, "patent", "in_grace_period", dates, at("2017-05-07")) == []
    events = due_time_events(USPTO, "patent", "in_grace_period", dates, at("2017-05-08"))
    assert actions(events) == [("expire", "2017-05-08")]


def test_uspto_trademark_runs_from_registration() -> None:
    dates = RightDates(filing_date=D("2020-01-10"), publication_date=D("2020-09-01"))
    events = due_time_events(USPTO, "trademark", "opposition_period", dates, at("2031-12-31"))
    assert actions(events) == [
        ("register", "2020-10-02"),  # 30 days after publication ended 2020-10-01
        ("open_renewal_window", "2029-10-02"),  # 1 year before 10 years from registration
        ("enter_grace_period", "2030-10-03"),
        ("lapse", "2031-04-03"),
    ]


def test_uspto_design_patent_expires_15_years_after_grant() -> None:
    dates = RightDates(filing_date=D("2018-01-01"), registration_date=D("2019-06-04"))
    events = due_time_events(USPTO, "industrial_design", "registered", dates, at("2040-01-01"))
    assert actions(events) == [("expire", "2034-06-05")]


# -- generic profile --------------------------------------------------------------------------


def test_generic_patent_annuities_after_grant_only() -> None:
    rules = GENERIC.rules("patent")
    dates = RightDates(filing_date=D("2020-01-31"), registration_date=D("2024-03-01"))
    schedule = maintenance_schedule(rules, dates)
    assert schedule[0].due == D("2025-01-31")  # 5-year anniversary; earlier ones are pre-grant
    assert schedule[-1].due == D("2039-01-31")
    assert len(schedule) == 15
    events = due_time_events(GENERIC, "patent", "granted", dates, at("2025-12-31"))
    assert actions(events) == [
        ("open_maintenance_window", "2024-10-31"),
        ("enter_grace_period", "2025-02-01"),
        ("expire", "2025-08-01"),
    ]


def test_generic_kinds_without_computed_term() -> None:
    gi = RightDates(filing_date=D("2000-01-01"), registration_date=D("2001-01-01"))
    assert (
        due_time_events(GENERIC, "geographical_indication", "registered", gi, at("2999-01-01"))
        == []
    )
    cr = RightDates(filing_date=D("2000-01-01"), registration_date=D("2000-02-01"))
    assert due_time_events(GENERIC, "copyright", "registered", cr, at("2999-01-01")) == []
    recorded = RightDates(
        filing_date=D("2000-01-01"), registration_date=D("2000-02-01"), expiry_date=D("2095-12-31")
    )
    events = due_time_events(GENERIC, "copyright", "registered", recorded, at("2096-01-01"))
    assert actions(events) == [("expire", "2096-01-01")]


def test_no_events_for_pending_or_ceased_states() -> None:
    dates = RightDates(filing_date=D("2000-01-01"), publication_date=D("2000-06-01"))
    for state in ("filed", "under_examination", "opposed", "refused", "withdrawn", "lapsed"):
        assert due_time_events(EUIPO, "trademark", state, dates, at("2099-01-01")) == []


def test_missing_dates_give_no_events() -> None:
    assert due_time_events(EUIPO, "trademark", "registered", RightDates(), at("2099-01-01")) == []
    assert (
        due_time_events(EUIPO, "trademark", "opposition_period", RightDates(), at("2099-01-01"))
        == []
    )


def test_bad_state_or_kind() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        due_time_events(EUIPO, "trademark", "granted", RightDates(), 0)
    with pytest.raises(ValueError, match="does not register"):
        due_time_events(EUIPO, "patent", "granted", RightDates(), 0)


# -- properties ----------------------------------------------------------------------------


CASES = [(name, kind) for name, p in builtin_profiles().items() for kind in p.supported_kinds]
day = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    case=st.sampled_from(CASES),
    filed=day,
    lag=st.integers(min_value=0, max_value=3000),
    state=st.sampled_from(
        ["opposition_period", "registered", "granted", "renewal_due", "in_grace_period"]
    ),
    renewals=st.integers(min_value=0, max_value=4),
    paid=st.integers(min_value=0, max_value=3),
    now1=st.integers(min_value=0, max_value=120 * 365 * 86_400_000),
    extra=st.integers(min_value=0, max_value=60 * 365 * 86_400_000),
)
def test_events_are_a_deterministic_growing_chain(
    case: tuple[str, str],
    filed: date,
    lag: int,
    state: str,
    renewals: int,
    paid: int,
    now1: int,
    extra: int,
) -> None:
    name, kind = case
    profile = load_profile(name)
    machine = machine_for(profile, kind)
    if state not in machine.states:
        return
    reg = date.fromordinal(filed.toordinal() + lag)
    dates = RightDates(
        filing_date=filed,
        publication_date=date.fromordinal(filed.toordinal() + lag // 2),
        registration_date=None if state == "opposition_period" else reg,
        renewals=renewals,
        maintenance_paid=(filed,) * paid,
    )
    first = due_time_events(profile, kind, state, dates, now1)
    assert first == due_time_events(profile, kind, state, dates, now1)  # same inputs, same output
    # a valid chain of system transitions, in date order, all due by now
    s = state
    for previous, event in zip([None, *first], first, strict=False):
        s = machine.transition(s, event.action, "system").to_state
        assert event.effective_ms <= now1
        if previous is not None:
            assert previous.effective_date <= event.effective_date
    # later ledger time only extends the chain
    later = due_time_events(profile, kind, state, dates, now1 + extra)
    assert later[: len(first)] == first
