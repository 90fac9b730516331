"""The ledger: validation pipeline, sequencer, checkpoint signer and proofs over one store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from ipledger.codec import parse_json
from ipledger.identity import NoteSigner, SigningKey
from ipledger.ledger.checkpoints import DEFAULT_INTERVAL_S, CheckpointPublisher
from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.envelope import wall_clock_ms
from ipledger.ledger.errors import Rejection
from ipledger.ledger.metrics import LedgerMetrics
from ipledger.ledger.receipts import make_receipt
from ipledger.ledger.sequencer import ReplayWindow, Sequenced, Sequencer
from ipledger.ledger.state import StateRules
from ipledger.ledger.validation import ValidatedEntry, Validator
from ipledger.ledger.validation_pool import Outcome, ValidationPool
from ipledger.log import TileHashCache, consistency_proof, inclusion_proof
from ipledger.storage.base import LedgerStore, StoredCheckpoint

# Entries validated per worker task: big enough to amortise hand-offs, small enough
# that every core gets work from one HTTP batch.
_CHUNK = 256


def validation_chunks(n: int, workers: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of the worker tasks for ``n`` entries: 16 first, so the sequencer
    starts while the rest is checked, then doubling up to an even share (at most _CHUNK)."""
    full = max(16, min(_CHUNK, n // workers + 1))
    start, size = 0, min(16, full)
    while start < n:
        yield start, min(n, start + size)
        start += size
        size = min(full, size * 2)


class _MemoTiles:
    """Remembers tiles read during one request: a tile at a given width never changes."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store
        self._tiles: dict[tuple[int, int, int], bytes] = {}

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        missing = [r for r in requests if r not in self._tiles]
        if missing:
            self._tiles.update(zip(missing, self._store.read_tiles(missing), strict=True))
        return [self._tiles[r] for r in requests]


class Ledger:
    """One append-only ledger: ``submit`` bytes, get futures that resolve once durable."""

    def __init__(
        self,
        store: LedgerStore,
        origin: str,
        log_key: SigningKey,
        entry_types: Mapping[str, EntryType],
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
        checkpoint_interval_s: float = DEFAULT_INTERVAL_S,
        window: ReplayWindow | None = None,
        workers: int | None = None,
        validation_processes: bool = False,
        rules: StateRules | None = None,
        max_batch: int = 4096,
    ) -> None:
        self.rules = rules
        self.store = store
        self.origin = origin
        self.note_signer = NoteSigner(origin, log_key)
        self.validator = Validator(origin, entry_types)
        self.metrics = LedgerMetrics()  # this ledger's own Prometheus registry
        self.checkpoints = CheckpointPublisher(
            store, origin, self.note_signer, checkpoint_interval_s,
            empty_state_root=rules.root() if rules is not None else None,
        )
        self._commit_listeners: list[Callable[[int, bytes, bytes | None], None]] = [
            self.checkpoints.committed]
        self.sequencer = Sequencer(
            store, clock_ms=clock_ms, on_commit=self._committed, window=window,
            rules=rules, max_batch=max_batch, metrics=self.metrics,
        )
        self._pool = ValidationPool(self.validator, workers, processes=validation_processes)
        self.metrics.watch(self.sequencer, self._pool, self.checkpoints)
        self.rejections: dict[str, int] = {}
        self.proof_cache = TileHashCache()

    def add_commit_listener(self, listener: Callable[[int, bytes, bytes | None], None]) -> None:
        """Call ``listener(tree_size, root, state_root)`` on the sequencer's writer thread
        after each durable batch (an exception is logged; the batch stays durable)."""
        self._commit_listeners.append(listener)

    def _committed(self, size: int, root: bytes, state_root: bytes | None) -> None:
        for listener in self._commit_listeners:
            listener(size, root, state_root)

    def readiness(self) -> dict[str, dict[str, Any]]:
        """Readiness checks beyond store, sequencer and checkpoint signer (``/readyz``):
        ``{name: {"status": "ok" | "fail", "detail"?: str, ...facts}}``."""
        return {}

    @property
    def verifier_key(self) -> str:
        return self.note_signer.verifier_key()

    def start(self) -> Ledger:
        self.checkpoints.start()
        self.sequencer.start()
        return self

    def close(self) -> None:
        self.sequencer.stop()
        self.checkpoints.stop()
        self._pool.shutdown()
        if self.rules is not None:
            self.rules.close()

    # -- writes -----------------------------------------------------------------

    def submit(self, raw: bytes) -> Future[Sequenced]:
        return self.submit_many([raw])[0]

    def submit_many(self, raws: Sequence[bytes]) -> list[Future[Sequenced]]:
        """Validate (on all cores) and enqueue; each future holds the sequenced entry."""
        futures: list[Future[Sequenced]] = [Future() for _ in raws]
        for start, end in validation_chunks(len(raws), self._pool.workers):
            part = futures[start:end]
            try:
                done = self._pool.submit(raws[start:end])
            except Exception as exc:  # the pool is shut down or cannot be rebuilt
                for fut in part:
                    fut.set_exception(self.metrics.rejected(
                        Rejection("unavailable", f"validation failed: {exc}")))
                continue
            done.add_done_callback(lambda f, part=part: self._sequence(f, part))  # type: ignore[misc]
        return futures

    def _sequence(self, done: Future[list[Outcome]], futures: list[Future[Sequenced]]) -> None:
        try:
            outcomes = done.result()
        except Exception as exc:  # a worker died: nothing of this chunk was written
            for fut in futures:
                fut.set_exception(self.metrics.rejected(
                    Rejection("unavailable", f"validation failed: {exc}")))
            return
        valid: list[tuple[ValidatedEntry, Future[Sequenced]]] = []
        for outcome, fut in zip(outcomes, futures, strict=True):
            if isinstance(outcome, Rejection):
                self.rejections[outcome.rule] = self.rejections.get(outcome.rule, 0) + 1
                fut.set_exception(self.metrics.rejected(outcome))
            else:
                valid.append((outcome, fut))
        if valid:
            self._order(valid)

    def _order(self, valid: list[tuple[ValidatedEntry, Future[Sequenced]]]) -> None:
        """Hand validated entries to whatever orders them (here: this node's sequencer)."""
        self.sequencer.enqueue(valid)

    # -- reads ------------------------------------------------------------------

    def tree_size(self) -> int:
        """Entries covered by the latest signed checkpoint (what readers may rely on)."""
        return self.checkpoints.latest().tree_size

    def latest_checkpoint(self) -> StoredCheckpoint:
        return self.checkpoints.latest()

    def wait_for_checkpoint(self, size: int, timeout: float | None = None) -> StoredCheckpoint:
        return self.checkpoints.wait_for(size, timeout)

    def entry(self, index: int) -> bytes:
        self._check_index(index, self.tree_size())
        return self.store.read_entries(index, index + 1)[0]

    def entries(self, start: int, end: int) -> list[bytes]:
        return self.store.read_entries(start, end)

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        self._check_size(tree_size)
        self._check_index(index, tree_size)
        return inclusion_proof(index, tree_size, self.store, cache=self.proof_cache)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise Rejection("out-of-range", f"need 0 <= from ({old_size}) <= to ({new_size})",
                            "/from")
        return consistency_proof(old_size, new_size, self.store, cache=self.proof_cache)

    def receipt(self, index: int, checkpoint: StoredCheckpoint | None = None) -> dict[str, Any]:
        """A receipt for entry ``index`` against ``checkpoint`` (default: the latest)."""
        cp = checkpoint or self.latest_checkpoint()
        self._check_index(index, cp.tree_size)
        entry = self.store.read_entries(index, index + 1)[0]
        proof = inclusion_proof(index, cp.tree_size, self.store, cache=self.proof_cache)
        return make_receipt(entry, parse_json(entry), index, proof, cp.tree_size, cp.note)

    def receipts(
        self, indexes: Sequence[int], checkpoint: StoredCheckpoint
    ) -> list[dict[str, Any]]:
        """Receipts for many entries against one checkpoint, reading each tile once."""
        if not indexes:
            return []
        for i in indexes:
            self._check_index(i, checkpoint.tree_size)
        tiles = _MemoTiles(self.store)
        lo, hi = min(indexes), max(indexes) + 1
        entries = dict(zip(range(lo, hi), self.store.read_entries(lo, hi), strict=True))
        out = []
        for i in indexes:
            proof = inclusion_proof(i, checkpoint.tree_size, tiles, cache=self.proof_cache)
            out.append(make_receipt(entries[i], parse_json(entries[i]), i, proof,
                                    checkpoint.tree_size, checkpoint.note))
        return out

    def _check_size(self, tree_size: int) -> None:
        latest = self.tree_size()
        if not 1 <= tree_size <= latest:
            raise Rejection(
                "out-of-range", f"tree size {tree_size} is not in 1..{latest}", "/size"
            )

    @staticmethod
    def _check_index(index: int, tree_size: int) -> None:
        if not 0 <= index < tree_size:
            raise Rejection(
                "out-of-range", f"index {index} is not in 0..{tree_size - 1}", "/index"
            )
