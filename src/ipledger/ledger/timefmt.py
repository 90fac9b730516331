"""RFC 3339 UTC timestamps <-> integer milliseconds since the epoch (no local time)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339_UTC = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_rfc3339_ms(value: str) -> int:
    """Milliseconds since the epoch; raises ValueError unless ``value`` is RFC 3339 in UTC."""
    return parse_rfc3339_ns(value) // 1_000_000


def parse_rfc3339_ns(value: str) -> int:
    """Nanoseconds since the epoch (e.g. NATS's ``Nats-Time-Stamp``); RFC 3339 UTC only."""
    m = _RFC3339_UTC.match(value)
    if m is None:
        raise ValueError("must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z")
    # The pattern fixes every field's position (this runs for every entry validated).
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    hour, minute, second = int(value[11:13]), int(value[14:16]), int(value[17:19])
    if second == 60:
        raise ValueError("leap seconds are not accepted")
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)
            and hour <= 23 and minute <= 59 and second <= 59):
        raise ValueError(f"{value} is not a valid date and time")
    fraction = m.group(7)
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return seconds * 1_000_000_000 + nanos


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (integers only)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def format_rfc3339_ms(millis: int) -> str:
    """The canonical ledger form: always three fractional digits, 'Z'."""
    seconds, ms = divmod(millis, 1000)
    days, rem = divmod(seconds, 86_400)
    moment = datetime.fromordinal(_EPOCH.toordinal() + days).replace(tzinfo=UTC)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"  # %Y drops zeros < 1000
            f"T{hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}Z")
