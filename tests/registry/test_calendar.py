"""registry.calendar: month arithmetic with end-of-month clamping, ledger-time days, ISO dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.registry.calendar import (
    MS_PER_DAY,
    Duration,
    add_days,
    add_months,
    add_years,
    date_of_ms,
    days_in_month,
    format_iso_date,
    months_between,
    parse_duration,
    parse_iso_date,
    start_of_day_ms,
)
from tests.conftest import T0

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31))
small_n = st.integers(min_value=-1200, max_value=1200)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),  # leap year
        ("2025-01-31", 2, "2025-03-31"),  # clamping does not carry over
        ("2025-03-31", -1, "2025-02-28"),
        ("2025-05-31", 1, "2025-06-30"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2025-08-31", 6, "2026-02-28"),
        ("2026-02-28", -6, "2025-08-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2025-06-15", 0, "2025-06-15"),
    ],
)
def test_add_months_examples(start: str, months: int, expected: str) -> None:
    assert add_months(parse_iso_date(start), months) == parse_iso_date(expected)


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        ("2016-02-29", 10, "2026-02-28"),  # EUTM filed on 29 Feb: expires 28 Feb
        ("2016-02-29", 4, "2020-02-29"),
        ("2016-02-29", 20, "2036-02-29"),
        ("2000-02-29", 100, "2100-02-28"),  # 2100 is not a leap year
        ("1996-04-01", 10, "2006-04-01"),
        ("2020-03-15", -1, "2019-03-15"),
    ],
)
def test_add_years_examples(start: str, years: int, expected: str) -> None:
    assert add_years(parse_iso_date(start), years) == parse_iso_date(expected)


def test_leap_years_and_month_lengths() -> None:
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2023, 2) == 28
    assert days_in_month(1900, 2) == 28
    assert days_in_month(2000, 2) == 29
    assert days_in_month(2025, 12) == 31
    assert days_in_month(2025, 4) == 30
    with pytest.raises(ValueError, match="month"):
        days_in_month(2025, 13)


def test_add_rejects_non_int_and_overflow() -> None:
    d = date(2025, 1, 1)
    with pytest.raises(TypeError):
        add_months(d, True)
    with pytest.raises(TypeError):
        add_months(d, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_years(d, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_days(d, False)
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(OverflowError):
        add_months(date(1, 1, 1), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2025-01-31", "2025-02-28", 1),
        ("2025-01-31", "2025-02-27", 0),
        ("2025-01-15", "2025-01-15", 0),
        ("2016-02-29", "2026-02-28", 120),
        ("2025-03-31", "2025-02-28", -1),
        ("2025-03-15", "2025-02-16", 0),
        ("2025-03-15", "2025-02-15", -1),
    ],
)
def test_months_between_examples(a: str, b: str, expected: int) -> None:
    assert months_between(parse_iso_date(a), parse_iso_date(b)) == expected


@given(dates, dates, small_n)
def test_add_months_monotonic_in_date(d1: date, d2: date, n: int) -> None:
    lo, hi = min(d1, d2), max(d1, d2)
    assert add_months(lo, n) <= add_months(hi, n)


@given(dates, small_n, small_n)
def test_add_months_monotonic_in_months(d: date, n1: int, n2: int) -> None:
    lo, hi = min(n1, n2), max(n1, n2)
    assert add_months(d, lo) <= add_months(d, hi)


@given(dates, small_n)
def test_add_months_inverse_where_day_exists(d: date, n: int) -> None:
    if d.day <= 28:
        assert add_months(add_months(d, n), -n) == d
        assert months_between(d, add_months(d, n)) == n
    else:  # clamped: never overshoots, lands in the right month
        moved = add_months(d, n)
        assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
        assert moved.day <= d.day


@given(dates, dates)
def test_months_between_brackets(a: date, b: date) -> None:
    m = months_between(a, b)
    if b >= a:
        assert add_months(a, m) <= b < add_months(a, m + 1)
    else:
        assert add_months(a, m - 1) < b <= add_months(a, m)


@given(dates, st.integers(min_value=-200, max_value=200))
def test_add_years_is_twelve_months(d: date, n: int) -> None:
    assert add_years(d, n) == add_months(d, 12 * n)


def test_ledger_time_days() -> None:
    assert date_of_ms(0) == date(1970, 1, 1)
    assert date_of_ms(MS_PER_DAY - 1) == date(1970, 1, 1)
    assert date_of_ms(MS_PER_DAY) == date(1970, 1, 2)
    assert date_of_ms(-1) == date(1969, 12, 31)
    assert date_of_ms(T0) == date(2026, 9, 21)  # 2026-09-21T14:13:20Z
    assert start_of_day_ms(date(2026, 9, 21)) == T0 - (14 * 3600 + 13 * 60 + 20) * 1000
    assert start_of_day_ms(date(1970, 1, 1)) == 0
    with pytest.raises(TypeError):
        date_of_ms(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        date_of_ms(True)


@given(dates, st.integers(min_value=0, max_value=MS_PER_DAY - 1))
def test_day_roundtrip(d: date, offset: int) -> None:
    assert date_of_ms(start_of_day_ms(d) + offset) == d


@given(dates)
def test_iso_roundtrip(d: date) -> None:
    text = format_iso_date(d)
    assert len(text) == 10
    assert parse_iso_date(text) == d


@pytest.mark.parametrize(
    "bad",
    [
        "2026-2-01",
        "2026-02-1",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "0000-01-01",
        "2026-02-01T00:00:00Z",
        " 2026-02-01",
        "2026-02-01\n",
        "20260201",
        "+2026-02-01",
        "２０２６-02-01",  # fullwidth digits
        "2026/02/01",
        "",
    ],
)
def test_parse_iso_date_is_strict(bad: str) -> None:
    with pytest.raises(ValueError, match=r"date|year"):
        parse_iso_date(bad)


def test_parse_iso_date_type() -> None:
    with pytest.raises(TypeError):
        parse_iso_date(20260201)  # type: ignore[arg-type]


def test_leap_day_parses() -> None:
    assert parse_iso_date("2024-02-29") == date(2024, 2, 29)
    assert format_iso_date(date(33, 1, 2)) == "0033-01-02"


@pytest.mark.parametrize(
    ("text", "duration", "canonical"),
    [
        ("P10Y", Duration(10, 0, 0), "P10Y"),
        ("P3Y6M", Duration(3, 6, 0), "P3Y6M"),
        ("P6M", Duration(0, 6, 0), "P6M"),
        ("P30D", Duration(0, 0, 30), "P30D"),
        ("P1Y2M3D", Duration(1, 2, 3), "P1Y2M3D"),
        ("P0D", Duration(), "P0D"),
        ("P18M", Duration(0, 18, 0), "P18M"),
    ],
)
def test_parse_duration(text: str, duration: Duration, canonical: str) -> None:
    assert parse_duration(text) == duration
    assert str(parse_duration(text)) == canonical


@pytest.mark.parametrize(
    "bad", ["", "P", "-P3M", "P-3M", "P1.5Y", "PT1H", "P1W", "p3m", "P3M ", "3M", "P3M1Y"]
)
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(bad)


def test_duration_arithmetic() -> None:
    d = date(2016, 2, 29)
    assert Duration(10).after(d) == date(2026, 2, 28)
    assert Duration(3, 6).after(date(2013, 5, 7)) == date(2016, 11, 7)
    assert Duration(0, 6).before(date(2026, 2, 28)) == date(2025, 8, 28)
    assert Duration(0, 0, 30).after(date(2025, 1, 15)) == date(2025, 2, 14)
    assert Duration(0, 1, 1).after(date(2025, 1, 31)) == date(2025, 3, 1)  # months, then days
    assert Duration(10).times(2) == Duration(20)
    assert Duration(1, 2, 3).plus(Duration(1, 1, 1)) == Duration(2, 3, 4)
    assert Duration(1, 6).total_months == 18
    assert Duration().is_zero()
    with pytest.raises(ValueError, match="must not be negative"):
        Duration(-1)
    with pytest.raises(TypeError):
        Duration(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be negative"):
        Duration(1).times(-1)
