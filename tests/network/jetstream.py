"""What the network tests do through JetStream: retried publishes and reads from one server."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig

from ipledger.network.stream_time import delivery_stream_seq, delivery_time_ns, stored_time_ns

MSG_ID = "Nats-Msg-Id"
NO_PEERS_FOR_PLACEMENT = 10005  # JetStream API error: "no suitable peers for placement"
# what a publish sees while no leader can commit it: no responder, no ack in time, a 503
NOT_ACKED = (nats.errors.TimeoutError, nats.errors.NoRespondersError,
             nats.js.errors.NoStreamResponseError, nats.js.errors.ServiceUnavailableError,
             nats.errors.ConnectionClosedError)


@dataclass(frozen=True)
class Stored:
    """One message as a server holds it."""

    seq: int
    msg_id: str
    data: bytes
    time_ns: int


async def _quiet(*_: object) -> None:
    """Reconnection noise is expected in fault tests."""


async def connect(servers: str | list[str], *, reconnect: bool = True) -> Client:
    """A client that reconnects fast (to any of ``servers``) and quietly."""
    return await nats.connect(servers, connect_timeout=1, reconnect_time_wait=0.1,
                              allow_reconnect=reconnect, max_reconnect_attempts=-1,
                              error_cb=_quiet, disconnected_cb=_quiet)


def unique_stream() -> str:
    return f"T{uuid.uuid4().hex[:12]}"


async def add_replicated_stream(js: JetStreamContext, name: str, timeout: float = 20.0) -> None:
    """An R=3 file stream on ``<name>.>`` with deduplication and direct gets from any replica.

    Just after a server rejoins, the meta leader may still count it offline and refuse to
    place three replicas (err_code 10005) until the server's next status update: retry.
    """
    config = StreamConfig(name=name, subjects=[f"{name}.>"], num_replicas=3,
                          storage=StorageType.FILE, duplicate_window=120.0, allow_direct=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            await js.add_stream(config)
            return
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code != NO_PEERS_FOR_PLACEMENT or time.monotonic() > deadline:
                raise
        except NOT_ACKED:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def publish_acked(js: JetStreamContext, subject: str, data: bytes, msg_id: str, *,
                        deadline: float) -> int:
    """Publish until acknowledged, always with the same message id; the acked sequence."""
    while True:
        try:
            ack = await js.publish(subject, data, timeout=1.0, headers={MSG_ID: msg_id})
            return ack.seq
        except NOT_ACKED:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def read_replica(url: str, stream: str, count: int) -> list[Stored]:
    """Messages 1..count from the replica of the server at ``url`` (direct gets, answered
    by the local replica); stops at the first sequence it lacks."""
    nc = await connect(url, reconnect=False)
    try:
        js = nc.jetstream(timeout=2.0)
        found = []
        for seq in range(1, count + 1):
            try:
                msg = await js.get_msg(stream, seq, direct=True)
            except nats.js.errors.NotFoundError:
                break
            headers = msg.headers or {}
            found.append(Stored(int(headers["Nats-Sequence"]), headers.get(MSG_ID, ""),
                                msg.data or b"", stored_time_ns(headers)))
        return found
    finally:
        await nc.close()


async def consume(url: str, stream: str, count: int, timeout: float = 10.0) -> list[Stored]:
    """The first ``count`` messages as an ordered consumer created through ``url`` sees them."""
    nc = await connect(url, reconnect=False)
    try:
        js = nc.jetstream(timeout=2.0)
        sub = await js.subscribe(f"{stream}.>", ordered_consumer=True)
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            msg = await sub.next_msg(timeout=max(0.1, deadline - time.monotonic()))
            got.append(Stored(delivery_stream_seq(msg.reply), (msg.headers or {}).get(MSG_ID, ""),
                              msg.data, delivery_time_ns(msg.reply)))
        await sub.unsubscribe()
        return got
    finally:
        await nc.close()
