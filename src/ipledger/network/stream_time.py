"""A JetStream message's stored time, in integer nanoseconds, wherever the message was read.

The stream leader stamps each message once and the stamp is replicated with it, so every
replica and every consumer reports the same value: a ledger can take its time from it.
Clients show it in two forms, both parsed here exactly (no float on the way):

- a consumer delivery's reply subject, ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>
  .<consumer seq>.<nanoseconds>.<pending>`` (with ``<domain>.<account hash>`` after ``ACK``
  and a trailing token in the newer form);
- the ``Nats-Time-Stamp`` header of a direct or API get (RFC 3339 with nanoseconds, UTC).
"""

from __future__ import annotations

from collections.abc import Mapping

from ipledger.ledger.timefmt import parse_rfc3339_ns

TIME_STAMP_HEADER = "Nats-Time-Stamp"


def delivery_time_ns(reply: str) -> int:
    """The stored time of a message delivered by a consumer, from its ``$JS.ACK`` reply."""
    return _ack_field(reply, 7)


def delivery_stream_seq(reply: str) -> int:
    """The stream sequence of a message delivered by a consumer, from its ``$JS.ACK`` reply."""
    return _ack_field(reply, 5)


def _ack_field(reply: str, v1_index: int) -> int:
    tokens = reply.split(".")
    if tokens[:2] != ["$JS", "ACK"] or len(tokens) not in (9, 11, 12):
        raise ValueError(f"not a JetStream delivery reply subject: {reply!r}")
    # the newer form inserts <domain>.<account hash> after ACK
    token = tokens[v1_index if len(tokens) == 9 else v1_index + 2]
    if not (token.isascii() and token.isdigit()):
        raise ValueError(f"bad numeric token in {reply!r}")
    return int(token)


def stored_time_ns(headers: Mapping[str, str] | None) -> int:
    """The stored time of a message fetched by a (direct) get, from its headers."""
    if not headers or TIME_STAMP_HEADER not in headers:
        raise ValueError(f"no {TIME_STAMP_HEADER} header")
    return parse_rfc3339_ns(headers[TIME_STAMP_HEADER])
