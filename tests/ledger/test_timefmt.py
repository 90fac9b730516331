"""Ledger time: RFC 3339 UTC text <-> integer epoch time, checked against the standard library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.ledger.timefmt import format_rfc3339_ms, parse_rfc3339_ms, parse_rfc3339_ns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
       st.integers(0, 999))
def test_parse_agrees_with_datetime(moment: datetime, nanos: int) -> None:
    moment = moment.replace(tzinfo=UTC)
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}{nanos:03d}Z")
    delta = moment - EPOCH
    expected = (delta.days * 86_400 + delta.seconds) * 10**9 + moment.microsecond * 1000 + nanos
    assert parse_rfc3339_ns(text) == expected
    millis = parse_rfc3339_ms(text)
    assert parse_rfc3339_ms(format_rfc3339_ms(millis)) == millis


@pytest.mark.parametrize("text", [
    "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
    "2026-04-31T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
    "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
    "0000-01-01T00:00:00Z", "2026-01-01T00:00:00+01:00", "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00.1234567890Z",
])
def test_invalid_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|not a valid|leap"):
        parse_rfc3339_ns(text)


def test_leap_years() -> None:
    assert parse_rfc3339_ms("2000-02-29T00:00:00Z") == 951_782_400_000
    assert parse_rfc3339_ms("2024-02-29T12:00:00.5Z") == 1_709_208_000_500
