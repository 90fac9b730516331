"""Deterministic calendar arithmetic for registry deadlines.

Everything here is a pure function of its arguments: no wall clock, no local time zone, no floats.
Ledger times are integer milliseconds since 1970-01-01T00:00:00Z; a ledger time belongs to the
UTC calendar day that contains it.

Month arithmetic follows the rule used by the EUIPO (e.g. Reg. 2245/2002 Art. 56, EPC Rule 131)
and the USPTO: a period of *n* months or years ends in the relevant later month on the day with
the same number; when that month has no such day (31 Jan + 1 month, 29 Feb + 1 year) the period
ends on the last day of that month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "MS_PER_DAY",
    "Duration",
    "add_days",
    "add_months",
    "add_years",
    "date_of_ms",
    "days_in_month",
    "format_iso_date",
    "months_between",
    "parse_duration",
    "parse_iso_date",
    "start_of_day_ms",
]

MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z", re.ASCII)
_ISO_DURATION = re.compile(r"P(?:([0-9]{1,4})Y)?(?:([0-9]{1,5})M)?(?:([0-9]{1,6})D)?\Z", re.ASCII)


def days_in_month(year: int, month: int) -> int:
    """Number of days of ``month`` (1-12) in ``year`` (proleptic Gregorian)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months (``n`` may be negative), clamped to the month's end."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(f"date out of range: {d.isoformat()} + {n} months")
    month = month0 + 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def add_years(d: date, n: int) -> date:
    """``d`` plus ``n`` years; 29 February becomes 28 February in a common year."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    return add_months(d, 12 * n)


def add_days(d: date, n: int) -> date:
    """``d`` plus ``n`` days."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    return d + timedelta(days=n)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``: the largest m with add_months(start, m) <= end.

    For ``end < start`` the result is negative: the smallest m with add_months(start, m) >= end.
    So ``months_between(d, add_months(d, n)) == n`` whenever ``d.day`` exists in every month
    crossed (always for n >= 0 and d.day <= 28).
    """
    m = (end.year - start.year) * 12 + (end.month - start.month)
    if m >= 0:
        while m > 0 and add_months(start, m) > end:
            m -= 1
    else:
        while add_months(start, m) < end:
            m += 1
    return m


def date_of_ms(ms: int) -> date:
    """The UTC calendar date containing ledger time ``ms`` (milliseconds since the epoch)."""
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise TypeError("ledger time must be an int of milliseconds")
    return date.fromordinal(_EPOCH_ORDINAL + ms // MS_PER_DAY)


def start_of_day_ms(d: date) -> int:
    """Ledger time (ms) of 00:00:00.000Z on ``d``."""
    return (d.toordinal() - _EPOCH_ORDINAL) * MS_PER_DAY


@lru_cache(maxsize=65_536)  # pure, and the register reads the same few dates again and again
def parse_iso_date(text: str) -> date:
    """Parse exactly ``YYYY-MM-DD`` (ASCII digits, a real calendar date); else ValueError."""
    if not isinstance(text, str):
        raise TypeError("date must be a string")
    m = _ISO_DATE.match(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 calendar date YYYY-MM-DD: {text!r}")
    year, month, day = (int(g) for g in m.groups())
    if year < 1:
        raise ValueError(f"year out of range: {text!r}")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such date: {text!r}") from exc


def format_iso_date(d: date) -> str:
    """``YYYY-MM-DD`` with a four-digit year."""
    return d.isoformat()  # always YYYY-MM-DD for a date (years 1..9999)


@dataclass(frozen=True)
class Duration:
    """A non-negative calendar period of years, months and days (ISO 8601 ``PnYnMnD``)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name in ("years", "months", "days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int")
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")

    @property
    def total_months(self) -> int:
        """Years and months expressed in months (days excluded)."""
        return self.years * 12 + self.months

    def is_zero(self) -> bool:
        """True for ``P0D``."""
        return self.total_months == 0 and self.days == 0

    def after(self, d: date) -> date:
        """The date this period after ``d``: months first (clamped), then days."""
        return add_days(add_months(d, self.total_months), self.days)

    def before(self, d: date) -> date:
        """The date this period before ``d``: days first, then months (clamped)."""
        return add_months(add_days(d, -self.days), -self.total_months)

    def times(self, n: int) -> Duration:
        """This period repeated ``n`` times (``n`` >= 0)."""
        if n < 0:
            raise ValueError("n must not be negative")
        return Duration(self.years * n, self.months * n, self.days * n)

    def plus(self, other: Duration) -> Duration:
        """Component-wise sum."""
        return Duration(
            self.years + other.years, self.months + other.months, self.days + other.days
        )

    def iso(self) -> str:
        """Canonical ISO 8601 form, e.g. ``P3Y6M``; ``P0D`` for zero."""
        parts = ["P"]
        if self.years:
            parts.append(f"{self.years}Y")
        if self.months:
            parts.append(f"{self.months}M")
        if self.days or (not self.years and not self.months):
            parts.append(f"{self.days}D")
        return "".join(parts)

    def __str__(self) -> str:
        return self.iso()


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 calendar duration ``PnYnMnD`` (no weeks, no time, no sign)."""
    if not isinstance(text, str):
        raise TypeError("duration must be a string like 'P3M'")
    m = _ISO_DURATION.match(text)
    if m is None or text == "P":
        raise ValueError(
            f"not a non-negative ISO 8601 duration like 'P10Y', 'P3Y6M' or 'P30D': {text!r}"
        )
    years, months, days = (int(g) if g is not None else 0 for g in m.groups())
    return Duration(years, months, days)
