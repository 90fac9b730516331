"""What the network tests do through JetStream: retried publishes and reads from one server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig

from ipledger.network.stream_time import delivery_stream_seq, delivery_time_ns, stored_time_ns

MSG_ID = "Nats-Msg-Id"
NO_PEERS_FOR_PLACEMENT = 10005  # JetStream API error: "no suitable peers for placement"
JS_UNAVAILABLE = 10008  # "JetStream system temporarily unavailable" (no meta/stream leader)
# what a publish sees while no leader can commit it: no responder, no ack in time, a 503
NOT_ACKED = (nats.errors.TimeoutError, nats.errors.NoRespondersError,
             nats.js.errors.NoStreamResponseError, nats.js.errors.ServiceUnavailableError,
             nats.errors.ConnectionClosedError)
_T = TypeVar("_T")


def is_transient(exc: BaseException) -> bool:
    """An error a JetStream API call gives while leaders are (re)elected or a server is
    just back: no answer in time, no responder, 503 / 10008, or 10005 (the meta leader
    still counts a returning server offline and cannot place three replicas yet)."""
    if isinstance(exc, nats.js.errors.APIError) and \
            exc.err_code in (NO_PEERS_FOR_PLACEMENT, JS_UNAVAILABLE):
        return True
    return isinstance(exc, NOT_ACKED)


async def js_retry(call: Callable[[], Awaitable[_T]], *, timeout: float = 60.0) -> _T:
    """``await call()``, retried while the error is transient, until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_transient(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


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


async def add_replicated_stream(js: JetStreamContext, name: str, timeout: float = 60.0) -> None:
    """An R=3 file stream on ``<name>.>`` with deduplication and direct gets from any replica
    (creating the same config again after a lost answer is a no-op, so retries are safe)."""
    config = StreamConfig(name=name, subjects=[f"{name}.>"], num_replicas=3,
                          storage=StorageType.FILE, duplicate_window=120.0, allow_direct=True)
    await js_retry(lambda: js.add_stream(config), timeout=timeout)


async def delete_stream(js: JetStreamContext, name: str, timeout: float = 60.0) -> None:
    """Delete ``name``; "not found" after a retry means an earlier attempt did it."""
    attempts = 0

    async def delete() -> None:
        nonlocal attempts
        attempts += 1
        try:
            await js.delete_stream(name)
        except nats.js.errors.NotFoundError:
            if attempts == 1:
                raise

    await js_retry(delete, timeout=timeout)


async def publish_until_acked(js: JetStreamContext, subject: str, data: bytes, msg_id: str, *,
                              deadline: float) -> tuple[PubAck, int]:
    """Publish until acknowledged, always with the same message id: the ack and the number
    of attempts (after a lost ack the stream answers the retry as a duplicate)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            return await js.publish(subject, data, timeout=1.0, headers={MSG_ID: msg_id}), \
                attempts
        except NOT_ACKED:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def publish_acked(js: JetStreamContext, subject: str, data: bytes, msg_id: str, *,
                        deadline: float) -> int:
    """Publish until acknowledged, always with the same message id; the acked sequence."""
    ack, _ = await publish_until_acked(js, subject, data, msg_id, deadline=deadline)
    return ack.seq


async def read_replica(url: str, stream: str, count: int) -> list[Stored]:
    """Messages 1..count from the replica of the server at ``url`` (direct gets, answered
    by the local replica); stops at the first sequence it lacks."""
    nc = await connect(url, reconnect=False)
    try:
        js = nc.jetstream(timeout=2.0)
        found = []
        for seq in range(1, count + 1):
            try:
                msg = await js_retry(lambda s=seq: js.get_msg(stream, s, direct=True))
            except nats.js.errors.NotFoundError:
                break
            headers = msg.headers or {}
            found.append(Stored(int(headers["Nats-Sequence"]), headers.get(MSG_ID, ""),
                                msg.data or b"", stored_time_ns(headers)))
        return found
    finally:
        await nc.close()


async def consume(url: str, stream: str, count: int, timeout: float = 30.0) -> list[Stored]:
    """The first ``count`` messages as an ordered consumer created through ``url`` sees them."""
    nc = await connect(url, reconnect=False)
    try:
        js = nc.jetstream(timeout=2.0)
        sub = await js_retry(lambda: js.subscribe(f"{stream}.>", ordered_consumer=True),
                             timeout=timeout)
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
