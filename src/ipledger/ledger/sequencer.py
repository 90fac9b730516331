"""The sequencer: orders validated entries, assigns index and ledger time, group-commits.

One thread owns the tree's right edge and applies the rules; a writer thread stores the
batch it prepared last while it prepares the next. Each batch is one storage transaction
(one fsync); a submitter's future resolves only after that commit returned.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace

import orjson

from ipledger.codec import canonicalize, parse_json
from ipledger.ledger.envelope import MAX_ENTRY_BYTES
from ipledger.ledger.errors import Rejection
from ipledger.ledger.metrics import LedgerMetrics
from ipledger.ledger.state import StateRules
from ipledger.ledger.timefmt import format_rfc3339_ms, parse_rfc3339_ms
from ipledger.ledger.validation import ValidatedEntry, splice_seq
from ipledger.ledger.worker import ConditionWorker
from ipledger.log import TreeAppender, leaf_hash
from ipledger.storage.base import AppendBatch, LedgerStore, StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sequenced:
    """An entry as the log holds it: index, ledger time, exact bytes."""

    index: int
    time_ms: int
    entry: bytes


@dataclass(frozen=True)
class ReplayWindow:
    """How far ``created`` may lie from ledger time; nonces are kept this long."""

    past_ms: int = 15 * 60_000
    future_ms: int = 5 * 60_000


def last_entry_time_ms(store: LedgerStore) -> int:
    size = store.tree_size()
    if size == 0:
        return 0
    (entry,) = store.read_entries(size - 1, size)
    return parse_rfc3339_ms(parse_json(entry)["seq"]["time"])


Pending = tuple[ValidatedEntry, "Future[Sequenced]"]


class Unwatched(Future):  # type: ignore[type-arg]
    """The future of an entry nobody here waits for (another node submitted it): one
    shared instance, and setting it costs nothing (a real Future builds a lock)."""

    def __init__(self) -> None:  # no Condition: nothing will ever wait on it
        pass

    def done(self) -> bool:
        return False

    def set_result(self, result: object) -> None:
        pass

    def set_exception(self, exception: BaseException | None) -> None:
        pass


UNWATCHED = Unwatched()


@dataclass(frozen=True, slots=True)
class OrderedBatch:
    """Entries whose order and ledger time were fixed outside this node (a shared
    ledger's stream): committed as one batch, never merged with others, with ``meta``
    written in the same transaction."""

    items: list[Pending]
    time_ms: int
    meta: dict[str, str]


@dataclass(slots=True)
class _Prepared:
    """A batch ordered and applied, waiting to be written (or with nothing to write)."""

    started: float
    time_ms: int
    meta: dict[str, str]
    append: AppendBatch | None = None
    accepted: list[tuple[ValidatedEntry, Future[Sequenced], int]] = field(default_factory=list)
    automatic: list[str] = field(default_factory=list)  # types of the system entries added
    rejected: list[tuple[Future[Sequenced], Rejection]] = field(default_factory=list)
    ordered: OrderedBatch | None = None  # a shared ledger's stream batch: retried, not lost


RETRY_FIRST_S, RETRY_MAX_S = 0.05, 5.0  # back-off while a stream batch fails to store


class Sequencer(ConditionWorker):
    """Orders entries into the log; call :meth:`enqueue` from any thread.

    Two stages: this thread orders and applies batch N+1 while a writer thread makes
    batch N durable. N+1 is built on N's state; if N fails to store, N+1 is prepared
    again on the durable state before anything of it is written or answered.
    """

    def __init__(
        self,
        store: LedgerStore,
        *,
        clock_ms: Callable[[], int],
        on_commit: Callable[[int, bytes, bytes | None], None],
        window: ReplayWindow | None = None,
        max_batch: int = 4096,
        rules: StateRules | None = None,
        metrics: LedgerMetrics | None = None,
    ) -> None:
        self._rules = rules
        self.metrics = metrics if metrics is not None else LedgerMetrics()
        self._store = store
        self._clock_ms = clock_ms
        self._on_commit = on_commit
        self.window = window or ReplayWindow()
        self.max_batch = max_batch
        self.tree_size = store.tree_size()
        self.last_time_ms = last_entry_time_ms(store)
        self._tree = TreeAppender.from_reader(store, self.tree_size)
        recorded = store.root_hash()
        if self.tree_size and recorded is not None and self._tree.root_hash != recorded:
            raise StorageError(
                f"the store is corrupt: its tiles hash to {self._tree.root_hash.hex()}, "
                f"not to the recorded root {recorded.hex()} of its {self.tree_size} entries "
                "(ipledger log fsck names the damage; restore from a backup or another copy)")
        self._queue: deque[Pending] = deque()
        self._ordered: deque[OrderedBatch] = deque()
        self.batches = 0
        self.last_meta: dict[str, str] = {}  # the meta of the newest committed batch
        # The prepared right edge: ahead of the durable one while a batch is being written.
        self._next_index = self.tree_size
        self._next_time_ms = self.last_time_ms
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sequencer-writer")
        self._in_flight: Future[bool] | None = None
        self._write_failed = False  # the batch in flight failed to store
        self._needs_reset = False  # a batch failed: reload from the store before the next
        self._in_flight_ordered: OrderedBatch | None = None  # the stream batch being written
        self._requeued = False  # a failed stream batch is back at the front of _ordered
        self._retry_s = RETRY_FIRST_S
        self._unstored_nonces: set[bytes] = set()  # of the batch being written
        super().__init__("sequencer")

    def queue_depth(self) -> int:
        return len(self._queue) + sum(len(b.items) for b in self._ordered)

    def enqueue(self, items: Sequence[Pending]) -> None:
        with self._cond:
            if self._stopping:
                for _, fut in items:
                    self._reject(fut, Rejection("unavailable", "the ledger is shutting down"))
                return
            self._queue.extend(items)
            self._cond.notify()

    def enqueue_ordered(self, batch: OrderedBatch) -> None:
        """Commit ``batch`` after every batch enqueued before it, at its own ledger time."""
        with self._cond:
            if self._stopping:
                for _, fut in batch.items:
                    self._reject(fut, Rejection("unavailable", "the ledger is shutting down"))
                return
            self._ordered.append(batch)
            self._cond.notify()

    def _take_batch(self) -> OrderedBatch | list[Pending] | None:
        """The next batch; an empty one when a write failed (to reset without waiting)."""
        with self._cond:
            while (not self._queue and not self._ordered and not self._stopping
                   and not self._write_failed):
                self._cond.wait()
            if self._write_failed:
                return []
            if self._ordered:
                return self._ordered.popleft()
            if not self._queue:
                return None
            n = min(len(self._queue), self.max_batch)
            return [self._queue.popleft() for _ in range(n)]

    def _run(self) -> None:
        try:
            while (taken := self._take_batch()) is not None:
                items = taken.items if isinstance(taken, OrderedBatch) else taken
                meta = taken.meta if isinstance(taken, OrderedBatch) else {}
                try:
                    if self._needs_reset:  # retried with each batch until the store answers
                        self._settle_in_flight()
                        self._reset_to_durable()
                        self._needs_reset = False
                        if self._requeued:
                            self._put_back(taken)
                            continue
                    self._sequence(taken, items, meta)
                except Exception as exc:  # a bug or an outage must not wedge submitters
                    log.exception("sequencer batch failed")
                    self._needs_reset = True
                    if (isinstance(taken, OrderedBatch) and not self._stopping
                            and self._in_flight_ordered is not taken):
                        # A stream batch is never skipped (the node would diverge): it is
                        # tried again after the reset, in stream order.
                        self._put_back(taken)
                        continue
                    for _, fut in items:
                        if not fut.done():
                            self._reject(fut, Rejection("unavailable", f"batch failed: {exc}"))
        finally:
            self._settle_in_flight()
            self._writer.shutdown()

    def _sequence(self, taken: OrderedBatch | list[Pending], items: list[Pending],
                  meta: dict[str, str]) -> None:
        """Prepare a batch while the previous one is being written, then hand it over."""
        if not items:
            if not self._settle_in_flight():
                self._reset_to_durable()
                if self._requeued:
                    self._back_off()
            return
        prepared = self._prepare(items, self._batch_time(taken), meta)
        if not self._settle_in_flight():
            # It was prepared on a batch that never became durable: do it again on what is,
            # after the stream's batch that failed if that was one (stream order is kept).
            self._reset_to_durable()
            if self._requeued:
                self._put_back(taken)
                return
            prepared = self._prepare(items, self._batch_time(taken), meta)
        # Only now is the state this batch was judged on durable: its refusals are final.
        for fut, rejection in prepared.rejected:
            self._reject(fut, rejection)
        if prepared.append is not None:
            if isinstance(taken, OrderedBatch):
                prepared.ordered = taken
            self._unstored_nonces = {key for key, _ in prepared.append.nonces}
            self._in_flight_ordered = prepared.ordered
            self._in_flight = self._writer.submit(self._write, prepared)

    def _put_back(self, taken: OrderedBatch | list[Pending]) -> None:
        """Return a batch to the head of its queue, then wait before retrying; behind a
        failed stream batch that was put back first, if there is one."""
        with self._cond:
            if isinstance(taken, OrderedBatch):
                self._ordered.insert(1 if self._requeued else 0, taken)
            else:
                self._queue.extendleft(reversed(taken))
        self._back_off()

    def _back_off(self) -> None:
        """Wait before retrying a stream batch that failed to store (or until stopped)."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopping, timeout=self._retry_s)
        self._retry_s = min(RETRY_MAX_S, self._retry_s * 2)
        self._requeued = False

    def _batch_time(self, taken: OrderedBatch | list[Pending]) -> int:
        if isinstance(taken, OrderedBatch):
            return max(taken.time_ms, self._next_time_ms)
        return max(self._clock_ms(), self._next_time_ms)

    def _settle_in_flight(self) -> bool:
        """Wait for the batch being written; False if it failed to store."""
        if self._in_flight is None:
            return True
        try:
            stored = self._in_flight.result()
        except Exception:  # _write answers its submitters itself; count it as not stored
            log.exception("the sequencer's writer failed")
            stored = False
        failed, self._in_flight_ordered = self._in_flight_ordered, None
        with self._cond:
            self._in_flight = None
            self._write_failed = False
            if failed is not None and not stored and not self._stopping:
                # A shared ledger's stream batch is never skipped: the node would diverge.
                self._ordered.appendleft(failed)
                self._requeued = True
                failed = None
        if failed is not None and not stored:  # stopping: answer its submitters now
            for _, fut in failed.items:
                self._reject(fut, Rejection("unavailable", "the ledger is shutting down"))
        if stored:
            self._retry_s = RETRY_FIRST_S
        self._unstored_nonces = set()
        return stored

    def _reset_to_durable(self) -> None:
        """Forget every batch that was prepared but never stored."""
        self._next_index = self._store.tree_size()
        self._next_time_ms = max(self.last_time_ms, last_entry_time_ms(self._store))
        self._tree = TreeAppender.from_reader(self._store, self._next_index)
        self._unstored_nonces = set()
        if self._rules is not None:
            self._rules.reset()

    def _reject(self, fut: Future[Sequenced], rejection: Rejection) -> None:
        """Refuse one submitter's entry, counting the rule once."""
        with suppress(InvalidStateError):  # the submitter cancelled its future
            fut.set_exception(self.metrics.rejected(rejection))

    def _admit(self, batch: list[Pending], time_ms: int,
               rejected: list[tuple[Future[Sequenced], Rejection]]) -> list[Pending]:
        """Apply the replay window and nonce rules; the rest go to ``rejected``."""
        keys = [v.nonce_key for v, _ in batch]
        seen = self._store.seen_nonces(keys) | self._unstored_nonces.intersection(keys)
        admitted: list[Pending] = []
        for item in batch:
            v, fut = item
            if v.created_ms < time_ms - self.window.past_ms:
                rejected.append((fut, Rejection(
                    "stale-created",
                    f"created {v.created} is more than "
                    f"{self.window.past_ms // 1000} s before ledger time "
                    f"{format_rfc3339_ms(time_ms)}",
                    "/created",
                )))
            elif v.created_ms > time_ms + self.window.future_ms:
                rejected.append((fut, Rejection(
                    "future-created",
                    f"created {v.created} is more than "
                    f"{self.window.future_ms // 1000} s after ledger time "
                    f"{format_rfc3339_ms(time_ms)}",
                    "/created",
                )))
            elif v.nonce_key in seen:
                rejected.append((fut, Rejection(
                    "replayed-nonce", "this actor already used this nonce", "/nonce"
                )))
            else:
                seen.add(v.nonce_key)
                admitted.append(item)
        return admitted

    def _prepare(self, batch: list[Pending], time_ms: int, meta: dict[str, str]) -> _Prepared:
        """Order and apply ``batch`` on the newest prepared state (durable or in flight).

        Nothing is resolved here: refusals wait in ``rejected`` until the state they were
        judged on is known to be durable.
        """
        started = time.perf_counter()
        prepared = _Prepared(started=started, time_ms=time_ms, meta=meta)
        admitted = self._admit(batch, time_ms, prepared.rejected)
        if not admitted:
            return prepared
        first = self._next_index
        seq_time = format_rfc3339_ms(time_ms)
        entries: list[bytes] = []
        keys: list[tuple[bytes, int]] = []
        state = self._rules.begin(time_ms) if self._rules else None
        accepted = prepared.accepted
        for v, fut in admitted:
            index = first + len(entries)
            if state is not None and self._rules is not None and self._rules.handles(v.entry_type):
                # Automatic events due by now go first, one at a time (each may change
                # what is due next), so that replay derives exactly the same sequence.
                while due := state.due_entries():
                    prepared.automatic.append(due[0]["type"])
                    keys.extend((k, index) for k in state.apply(due[0], index))
                    entries.append(
                        canonicalize({**due[0], "seq": {"index": index, "time": seq_time}})
                    )
                    index += 1
                try:
                    # v.raw passed the strict parser in validation; orjson reads it alike.
                    keys.extend((k, index) for k in state.apply(orjson.loads(v.raw), index))
                except Rejection as exc:
                    prepared.rejected.append((fut, exc))
                    continue
            entries.append(splice_seq(v, index, seq_time))
            keys.extend((k, index) for k in v.index_keys)
            accepted.append((v, fut, index))
        if not accepted:
            return prepared
        state_write = state.finish() if state is not None else None
        if any(len(e) > MAX_ENTRY_BYTES for e in entries):  # guarded by SEQ_RESERVE
            raise RuntimeError("sequenced entry exceeds the uint16 bundle limit")
        # Append to a copy: the prepared right edge moves only once the batch is complete.
        tree = self._tree.clone()
        result = tree.append([leaf_hash(e) for e in entries])
        prepared.append = AppendBatch(
            first_index=first,
            entries=entries,
            tiles=result.tiles,
            root_hash=result.root_hash,
            keys=keys,
            nonces=[(v.nonce_key, v.created_ms) for v, _, _ in accepted],
            prune_nonces_before_ms=time_ms - self.window.past_ms,
            state=state_write,
            meta=meta,
        )
        if self._rules is not None and state_write is not None:
            self._rules.applied(state_write)
        self._tree = tree
        self._next_index = result.tree_size
        self._next_time_ms = time_ms
        return prepared

    def _failed(self) -> bool:
        """Wake the sequencer to drop what it built on the failed batch."""
        with self._cond:
            self._write_failed = True
            self._cond.notify()
        return False

    def _write(self, prepared: _Prepared) -> bool:
        """The writer thread: make one prepared batch durable, then tell its submitters."""
        batch = prepared.append
        assert batch is not None
        try:
            if batch.state is not None and batch.state.pending_root is not None:
                waited = time.perf_counter()
                batch = replace(batch, state=batch.state.settled())
                self.metrics.state_root_wait.observe(time.perf_counter() - waited)
            self._store.append(batch)
        except Exception as exc:  # a StorageError, or a bug: no submitter is left waiting
            if isinstance(exc, StorageError):
                log.error("append of %d entries failed: %s", len(batch.entries), exc)
            else:
                log.exception("append of %d entries failed", len(batch.entries))
            if prepared.ordered is None:  # a stream batch is retried instead (_settle_in_flight)
                for _, fut, _ in prepared.accepted:
                    self._reject(fut, Rejection("unavailable",
                                                f"storage refused the write: {exc}"))
            return self._failed()
        state_write = batch.state
        if self._rules is not None and state_write is not None:
            self._rules.durable(state_write)
        size = batch.first_index + len(batch.entries)
        self.tree_size = size
        self.last_time_ms = prepared.time_ms
        self.last_meta = prepared.meta
        self.batches += 1
        self._observe(prepared.accepted, prepared.automatic, batch.first_index, size,
                      prepared.started)
        try:
            self._on_commit(size, batch.root_hash, state_write.root if state_write else None)
        except Exception:  # the batch is durable: a listener's failure must not undo that
            log.exception("a commit listener failed")
        for _, fut, index in prepared.accepted:
            with suppress(InvalidStateError):  # the submitter cancelled its future
                fut.set_result(Sequenced(index, prepared.time_ms,
                                         batch.entries[index - batch.first_index]))
        return True

    def _observe(self, accepted: list[tuple[ValidatedEntry, Future[Sequenced], int]],
                 automatic: list[str], first: int, tree_size: int, started: float) -> None:
        """Metrics and the debug log of a durable batch (before its submitters hear)."""
        seconds = time.perf_counter() - started
        try:
            self.metrics.appended([*(v.entry_type for v, _, _ in accepted), *automatic],
                                  seconds)
        except Exception:  # observability must never fail a durable batch
            log.exception("metrics of a committed batch not recorded")
        if log.isEnabledFor(logging.DEBUG):
            size = tree_size - first
            log.debug("committed %d entries at %d in %.1f ms", size, first, seconds * 1000,
                      extra={"batch_size": size, "first_index": first, "tree_size": tree_size,
                             "duration_ms": round(seconds * 1000, 3)})
