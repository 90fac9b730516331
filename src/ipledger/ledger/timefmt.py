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
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if second == 60:
        raise ValueError("leap seconds are not accepted")
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + nanos


def format_rfc3339_ms(millis: int) -> str:
    """The canonical ledger form: always three fractional digits, 'Z'."""
    seconds, ms = divmod(millis, 1000)
    days, rem = divmod(seconds, 86_400)
    moment = datetime.fromordinal(_EPOCH.toordinal() + days).replace(tzinfo=UTC)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    return f"{moment:%Y-%m-%d}T{hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}Z"
