"""A shared ledger: entries ordered by a NATS JetStream stream, validated by every office.

Submission: an office node validates what its clients send (signature, schema), frames
the valid entries into one stream message and publishes it with a ``Nats-Msg-Id`` (the
stream drops a re-published duplicate). Ordering: every node consumes the stream from
the message after the last one it applied and commits each message as one batch, at
the ledger time the stream stored it with (never earlier than the previous batch). So
every node makes the same decisions, appends the same entries and reaches the same tree
and state root; the stream position is written in the same transaction as the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from typing import Any

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig

from ipledger.codec import parse_json
from ipledger.identity import CosignatureSigner
from ipledger.ledger import Ledger
from ipledger.ledger.errors import Rejection
from ipledger.ledger.sequencer import UNWATCHED, OrderedBatch, Sequenced
from ipledger.ledger.validation import ValidatedEntry
from ipledger.ledger.validation_pool import Outcome
from ipledger.network.config import NetworkConfig
from ipledger.network.finality import FINAL_META, Finality
from ipledger.network.stream_time import delivery_stream_seq, delivery_time_ns
from ipledger.registry.engine import RegistryRules
from ipledger.registry.families.network import MEMBERS_RECORD

log = logging.getLogger(__name__)

STREAM_SEQ_META = "network.stream_seq"
MAX_MESSAGE_BYTES = 900_000  # under the NATS default max_payload of 1 MiB
PUBLISH_ATTEMPTS = 30
DUPLICATE_WINDOW_S = 120.0
STARTUP_DEADLINE_S = 60.0  # a cluster just started (or under load) may take this long
INLINE_VALIDATION = 64  # entries: a smaller message is validated in this process


def frame_entries(raws: Sequence[bytes]) -> bytes:
    """One stream message of entries: canonical JSON never holds a raw newline."""
    return b"\n".join(raws)


def split_entries(body: bytes) -> list[bytes]:
    return body.split(b"\n") if body else []


_Received = tuple[int, int, str | None, list[bytes], "Future[list[Outcome]] | None"]
_Waiting = tuple[ValidatedEntry, "Future[Sequenced]"]


def message_id(body: bytes) -> str:
    """The ``Nats-Msg-Id`` of a message: the stream drops a second message with it."""
    return hashlib.sha256(body).hexdigest()


class SharedLedger(Ledger):
    """A :class:`Ledger` whose order comes from the network's stream, not from arrival."""

    ANNOUNCE_EVERY_S = 1.0  # re-send our latest cosignature (lost messages, late joiners)

    def __init__(self, *args: Any, network: NetworkConfig, nats_urls: Sequence[str],
                 cosigner: CosignatureSigner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        self.finality = Finality(network, cosigner, self._announce,
                                 final_note=self.store.get_meta(FINAL_META))
        self._persisted_final = self.finality.final_size
        self._membership_since = 0
        if isinstance(self.rules, RegistryRules):  # the memberships so far (after a restart)
            self._follow_governance(self.store.read_record(MEMBERS_RECORD))
        self.add_commit_listener(self._cosign)
        self.nats_urls = list(nats_urls)
        self._received_seq = int(self.store.get_meta(STREAM_SEQ_META) or 0)
        # This node's submitters (their validated entries and futures), by the id of the
        # message carrying them: that message needs no second validation here.
        self._waiters: dict[str, list[_Waiting]] = {}
        self._waiters_lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats",
                                        daemon=True)
        self._outbox: asyncio.Queue[_Waiting] | None = None
        self._inbox: asyncio.Queue[_Received] | None = None
        self._nc: Any = None
        self._js: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Future[Any]] = set()
        self.connected = threading.Event()
        self._closing = False
        self._sub: Any = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> SharedLedger:
        super().start()
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._connect(), self._loop).result(timeout=60)
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop).result(10)
            except Exception:
                log.exception("closing the NATS connection failed")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        super().close()

    def applied_seq(self) -> int:
        """The stream position of the newest batch this node committed."""
        seq = self.sequencer.last_meta.get(STREAM_SEQ_META)
        return int(seq) if seq is not None else int(self.store.get_meta(STREAM_SEQ_META) or 0)

    def readiness(self) -> dict[str, dict[str, Any]]:
        facts = {"stream_seq": self.applied_seq(), "final_size": self.finality.final_size}
        if (size := self.finality.diverged_at) is not None:
            return {"network": {"status": "fail", "detail": f"this node's copy diverged "
                                f"from the network's at size {size}", **facts}}
        if not self.nats_connected():
            return {"network": {"status": "fail", "detail": "not connected to any NATS server",
                                **facts}}
        return {"network": {"status": "ok", **facts}}

    def nats_connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def _connect(self) -> None:
        self._nc = await nats.connect(
            servers=self.nats_urls, max_reconnect_attempts=-1, reconnect_time_wait=0.2,
            name=f"ipledger {self.network.stream}", error_cb=self._on_nats_error,
            disconnected_cb=self._on_disconnect, reconnected_cb=self._on_reconnect)
        self._js = self._nc.jetstream(timeout=5)
        await _retrying(lambda: ensure_stream(self._js, self.network), "creating the stream")
        self._outbox = asyncio.Queue()
        self._inbox = asyncio.Queue(maxsize=64)
        self._tasks = [asyncio.create_task(self._publisher(), name="publisher"),
                       asyncio.create_task(self._dispatcher(), name="dispatcher"),
                       asyncio.create_task(self._heartbeat(), name="heartbeat")]
        await self._nc.subscribe(self.network.cosignature_subject, cb=self._on_cosignature)
        await _retrying(self._subscribe, "subscribing to the stream")
        self.connected.set()

    async def _disconnect(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):  # already gone with a lost connection
                await self._sub.unsubscribe()
            await self._nc.close()

    async def _on_nats_error(self, exc: Exception) -> None:
        log.warning("NATS: %s", exc)

    async def _on_disconnect(self) -> None:
        if not self._closing:
            log.warning("NATS connection lost; reconnecting")

    async def _on_reconnect(self) -> None:
        log.info("NATS reconnected to %s", self._nc.connected_url)

    # -- consuming the order ------------------------------------------------------------

    async def _subscribe(self) -> None:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                                opt_start_seq=self._received_seq + 1)
        self._sub = await self._js.subscribe(
            self.network.subject, stream=self.network.stream, cb=self._on_message,
            ordered_consumer=True, config=config, idle_heartbeat=1.0)

    async def _on_message(self, msg: Any) -> None:
        seq, time_ns = delivery_stream_seq(msg.reply), delivery_time_ns(msg.reply)
        if seq <= self._received_seq:
            return  # delivered again after a consumer reset
        if seq != self._received_seq + 1:  # the ordered consumer resets on gaps itself
            log.warning("stream gap: got %d after %d", seq, self._received_seq)
            return
        self._received_seq = seq
        raws = split_entries(msg.data)
        msg_id = (msg.headers or {}).get("Nats-Msg-Id")
        with self._waiters_lock:
            ours = msg_id is not None and msg_id in self._waiters
        # Worker processes pay off for big messages; a small one is checked faster here
        # (in order, by the dispatcher) than a round trip to a worker takes.
        big = len(raws) > INLINE_VALIDATION
        validated = self._pool.submit(raws) if big and not ours else None
        assert self._inbox is not None
        await self._inbox.put((seq, time_ns // 1_000_000, msg_id, raws, validated))

    async def _dispatcher(self) -> None:
        """Apply received messages in stream order while later ones are being validated."""
        assert self._inbox is not None
        while True:
            seq, time_ms, msg_id, raws, validated = await self._inbox.get()
            outcomes: list[Outcome] = []
            if validated is not None:
                try:
                    outcomes = await asyncio.wrap_future(validated)
                except Exception:  # a worker died: validate here, the order must not skip
                    outcomes = self.validator.validate_many(raws)
            elif raws:
                with self._waiters_lock:  # our own message: validated before publishing
                    outcomes = [v for v, _ in self._waiters.get(msg_id or "", [])]
                if len(outcomes) != len(raws):
                    outcomes = self.validator.validate_many(raws)
            self._apply(seq, time_ms, msg_id, raws, outcomes)

    def _apply(self, seq: int, time_ms: int, msg_id: str | None, raws: list[bytes],
               outcomes: list[Outcome]) -> None:
        """Hand one message to the sequencer as one batch; settle this node's submitters."""
        with self._waiters_lock:
            waiters = self._waiters.pop(msg_id, None) if msg_id else None
        if waiters is not None and len(waiters) != len(raws):
            waiters = None  # not the message we framed (cannot happen with SHA-256 ids)
        items: list[tuple[ValidatedEntry, Future[Sequenced]]] = []
        for i, outcome in enumerate(outcomes):
            waiter = waiters[i][1] if waiters is not None else None
            if isinstance(outcome, Rejection):
                if waiter is not None:
                    self._fail(waiter, outcome)
                continue
            items.append((outcome, waiter if waiter is not None else UNWATCHED))
        self.sequencer.enqueue_ordered(
            OrderedBatch(items, time_ms, {STREAM_SEQ_META: str(seq)}))

    def _fail(self, waiter: Future[Sequenced], rejection: Rejection) -> None:
        if not waiter.done():
            waiter.set_exception(self.metrics.rejected(rejection))

    def _fail_message(self, msg_id: str, rejection: Rejection) -> None:
        with self._waiters_lock:
            waiters = self._waiters.pop(msg_id, [])
        for _, waiter in waiters:
            self._fail(waiter, rejection)

    # -- finality -----------------------------------------------------------------------

    def _cosign(self, size: int, root: bytes, state_root: bytes | None) -> None:
        write = self.rules.last_write if isinstance(self.rules, RegistryRules) else None
        if write is not None and write.records.get(MEMBERS_RECORD) is not None:
            self._follow_governance(write.records[MEMBERS_RECORD])  # this batch changed it
        seq = int(self.sequencer.last_meta.get(STREAM_SEQ_META, "0"))
        self.finality.committed(size, root, state_root, seq)

    def _follow_governance(self, raw: bytes | None) -> None:
        """Tell finality about the membership (record ``network/members``) in ``raw``."""
        if raw is None:
            return
        state = parse_json(raw)
        if state["since"] == self._membership_since:
            return
        for membership in [*state["history"], state]:  # all of it after a restart
            if membership["since"] > self._membership_since:
                self.finality.update_membership(
                    membership["since"],
                    [(m["name"], m["cosigner"]) for m in membership["members"]],
                    membership["quorum"])
        self._membership_since = state["since"]

    def _announce(self, announcement: bytes) -> None:
        self._loop.call_soon_threadsafe(self._publish_core, announcement)

    def _publish_core(self, announcement: bytes) -> None:
        if self._nc is not None and self._nc.is_connected:
            task = asyncio.ensure_future(self._nc.publish(self.network.cosignature_subject,
                                                          announcement))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _on_cosignature(self, msg: Any) -> None:
        self.finality.receive(msg.data)

    async def _heartbeat(self) -> None:
        """Re-announce our newest cosignature; persist the newest finality proof."""
        while True:
            await asyncio.sleep(self.ANNOUNCE_EVERY_S)
            if self.finality.last_announcement is not None:
                self._publish_core(self.finality.last_announcement)
            note = self.finality.final_note
            if note is not None and self.finality.final_size > self._persisted_final:
                size = self.finality.final_size
                await asyncio.to_thread(self.store.set_meta, FINAL_META, note)
                self._persisted_final = size

    # -- submitting ---------------------------------------------------------------------

    def submit_many(self, raws: Sequence[bytes]) -> list[Future[Sequenced]]:
        """As :meth:`Ledger.submit_many`; a few entries are validated right here (sooner
        than a round trip to a worker process)."""
        if len(raws) > INLINE_VALIDATION:
            return super().submit_many(raws)
        futures: list[Future[Sequenced]] = [Future() for _ in raws]
        done: Future[list[Outcome]] = Future()
        done.set_result(self.validator.validate_many(raws))
        self._sequence(done, futures)
        return futures

    def _order(self, valid: list[tuple[ValidatedEntry, Future[Sequenced]]]) -> None:
        """Valid entries go to the stream; each future resolves once this node applies it."""
        if (size := self.finality.diverged_at) is not None:
            for _, fut in valid:
                self._fail(fut, Rejection(
                    "unavailable", f"this node's copy of the shared ledger diverged from the "
                    f"network's at size {size}; restore it from another office's copy"))
            return
        self._loop.call_soon_threadsafe(self._enqueue_outbox, valid)

    def _enqueue_outbox(self, pairs: list[_Waiting]) -> None:
        assert self._outbox is not None
        for pair in pairs:
            self._outbox.put_nowait(pair)

    async def _publisher(self) -> None:
        """Frame queued entries into messages and publish them, a few in flight at once."""
        assert self._outbox is not None
        in_flight = asyncio.Semaphore(8)
        while True:
            batch = [await self._outbox.get()]
            size = len(batch[0][0].raw)
            while not self._outbox.empty() and size < MAX_MESSAGE_BYTES:
                pair = self._outbox.get_nowait()
                if size + len(pair[0].raw) + 1 > MAX_MESSAGE_BYTES:
                    self._outbox.put_nowait(pair)  # goes to the back; order is the stream's
                    break
                batch.append(pair)
                size += len(pair[0].raw) + 1
            await in_flight.acquire()
            task = asyncio.create_task(self._publish(batch))
            task.add_done_callback(lambda _: in_flight.release())

    async def _publish(self, batch: list[_Waiting]) -> None:
        body = frame_entries([v.raw for v, _ in batch])
        msg_id = message_id(body)
        with self._waiters_lock:
            if msg_id in self._waiters:  # the same entries are already on their way
                for _, fut in batch:
                    self._fail(fut, Rejection("replayed-nonce", "these exact entries were "
                                              "already submitted", "/nonce"))
                return
            self._waiters[msg_id] = batch
        error: Exception | None = None
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                ack = await self._js.publish(self.network.subject, body,
                                             stream=self.network.stream,
                                             headers={"Nats-Msg-Id": msg_id}, timeout=2.0)
                if ack.duplicate and attempt == 0:  # not our retry: someone sent these before
                    self._fail_message(msg_id, Rejection(
                        "replayed-nonce", "these exact entries were already submitted",
                        "/nonce"))
                return
            except Exception as exc:  # no leader yet, timeout, reconnecting: the same id
                error = exc
                log.warning("publishing %d entries (attempt %d): %s: %s", len(batch),
                            attempt + 1, type(exc).__name__, exc)
                await asyncio.sleep(min(0.05 * 2 ** attempt, 1.0))
        log.error("publishing %d entries failed: %s", len(batch), error)
        self._fail_message(msg_id, Rejection(
            "unavailable", f"the network did not order the entries: {error}"))


async def _retrying(attempt: Callable[[], Awaitable[None]], what: str,
                    deadline_s: float = STARTUP_DEADLINE_S) -> None:
    """Retry a JetStream call while the cluster is still electing leaders or busy
    (timeouts, 503 "temporarily unavailable", "no suitable peers")."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    delay = 0.1
    while True:
        try:
            await attempt()
            return
        except (nats.errors.TimeoutError, nats.js.errors.ServiceUnavailableError,
                nats.js.errors.ServerError, nats.errors.NoRespondersError) as exc:
            if loop.time() + delay > deadline:
                raise
            log.info("%s: %s; retrying", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def ensure_stream(js: Any, network: NetworkConfig) -> None:
    """Create the shared ledger's stream if it does not exist (every node may try)."""
    config = StreamConfig(
        name=network.stream, subjects=[network.subject], retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE, num_replicas=network.replicas,
        duplicate_window=DUPLICATE_WINDOW_S, max_msgs=-1, max_bytes=-1, max_age=0,
    )
    try:
        await js.stream_info(network.stream)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.stream_info(network.stream)  # another node created it meanwhile
