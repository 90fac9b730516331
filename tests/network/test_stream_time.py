"""Stored times parsed exactly from both forms clients see (no float on the way)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ipledger.ledger.timefmt import parse_rfc3339_ms, parse_rfc3339_ns
from ipledger.network.stream_time import delivery_stream_seq, delivery_time_ns, stored_time_ns

NS = 1_790_000_000_123_456_789  # 2026-09-21T14:13:20.123456789Z


def test_delivery_reply_subjects_of_both_forms() -> None:
    v1 = f"$JS.ACK.ORDERS.c1.1.42.40.{NS}.7"
    v2 = f"$JS.ACK.hub.ACCHASH.ORDERS.c1.1.42.40.{NS}.7.tok"
    for reply in (v1, v2):
        assert delivery_time_ns(reply) == NS
        assert delivery_stream_seq(reply) == 42


@pytest.mark.parametrize("reply", [
    "", "_INBOX.abc", "$JS.ACK.S.c.1.2.3", "$JS.ACK.S.c.1.x.1.y.3", "$JS.ACK.S.c.1.-2.3.-4.0",
    "$JS.ACK.S.c.1.².3.⁴.0", "$JS.NAK.S.c.1.2.3.4.5",
])
@pytest.mark.parametrize("parse", [delivery_time_ns, delivery_stream_seq])
def test_bad_reply_subjects_are_refused(reply: str, parse: Callable[[str], int]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse(reply)


def test_stored_time_header_keeps_nanoseconds() -> None:
    assert stored_time_ns({"Nats-Time-Stamp": "2026-09-21T14:13:20.123456789Z"}) == NS
    assert stored_time_ns({"Nats-Time-Stamp": "2026-09-21T14:13:20.1Z"}) == NS - 23_456_789
    assert stored_time_ns({"Nats-Time-Stamp": "2026-09-21T14:13:20Z"}) == NS - 123_456_789
    assert parse_rfc3339_ms("2026-09-21T14:13:20.123456789Z") == NS // 1_000_000
    assert parse_rfc3339_ns("1969-12-31T23:59:59.5Z") == -500_000_000


@pytest.mark.parametrize("headers", [None, {}, {"Nats-Time-Stamp": "yesterday"},
                                     {"Nats-Time-Stamp": "2026-09-21T14:13:20+02:00"}])
def test_missing_or_bad_stored_time_is_refused(headers: dict[str, str] | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        stored_time_ns(headers)
