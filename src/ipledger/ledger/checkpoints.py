"""The checkpoint signer: a C2SP tlog-checkpoint in a signed note, at most every interval."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ipledger.codec import b64_decode, b64_encode
from ipledger.identity import NoteSigner, sign_note
from ipledger.ledger.worker import ConditionWorker
from ipledger.log import EMPTY_ROOT, Checkpoint
from ipledger.storage.base import LedgerStore, StorageError, StoredCheckpoint

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 0.1


STATE_ROOT_EXTENSION = "ipledger-state-root "


def signed_checkpoint(
    origin: str, size: int, root: bytes, signer: NoteSigner, state_root: bytes | None = None
) -> str:
    """A signed tlog-checkpoint; the register's state root rides in an extension line."""
    extensions = () if state_root is None else (STATE_ROOT_EXTENSION + b64_encode(state_root),)
    return sign_note(Checkpoint(origin, size, root, extensions).to_text(), [signer])


def checkpoint_state_root(checkpoint: Checkpoint) -> bytes | None:
    """The state root a checkpoint commits to, if it carries one."""
    for line in checkpoint.extensions:
        if line.startswith(STATE_ROOT_EXTENSION):
            return b64_decode(line.removeprefix(STATE_ROOT_EXTENSION))
    return None


class CheckpointPublisher(ConditionWorker):
    """Signs a checkpoint for the newest durable tree, no more often than ``interval_s``.

    The first checkpoint (size 0 for an empty log) is signed at start, so one is
    served from the node's first moment.
    """

    def __init__(
        self,
        store: LedgerStore,
        origin: str,
        signer: NoteSigner,
        interval_s: float = DEFAULT_INTERVAL_S,
        empty_state_root: bytes | None = None,
    ) -> None:
        self.empty_state_root = empty_state_root  # None: this ledger keeps no state
        self._store = store
        self.origin = origin
        self._signer = signer
        self.interval_s = interval_s
        super().__init__("checkpointer")
        self._pending: tuple[int, bytes, bytes | None] | None = None
        self._latest = store.latest_checkpoint()
        self._last_signed_at = 0.0
        self.published_at = time.monotonic()
        # When the durable log first grew past the latest checkpoint (None: covered).
        self._behind_since: float | None = None
        self._listeners: list[Callable[[StoredCheckpoint], None]] = []
        self._failure_listeners: list[Callable[[int, StorageError], None]] = []

    def add_listener(self, listener: Callable[[StoredCheckpoint], None]) -> None:
        """Call ``listener(checkpoint)`` (from the signer thread) after each publication."""
        self._listeners.append(listener)

    def add_failure_listener(self, listener: Callable[[int, StorageError], None]) -> None:
        """Call ``listener(size, error)`` (from the signer thread) when the checkpoint at
        ``size`` could not be stored (it is retried every interval)."""
        self._failure_listeners.append(listener)

    def start(self) -> None:
        size = self._store.tree_size()
        if self._latest is None or self._latest.tree_size != size:
            root = self._store.root_hash() if size else EMPTY_ROOT
            assert root is not None, "store has entries but no root"
            self._publish(size, root, self._initial_state_root(size))
        super().start()

    def latest(self) -> StoredCheckpoint:
        assert self._latest is not None, "publisher not started"
        return self._latest

    def _initial_state_root(self, size: int) -> bytes | None:
        if self.empty_state_root is None:
            return None
        return self._store.state_root_at(size) or self.empty_state_root

    def committed(self, size: int, root: bytes, state_root: bytes | None = None) -> None:
        """Called by the sequencer after each durable batch."""
        with self._cond:
            self._pending = (size, root, state_root)
            if self._behind_since is None:
                self._behind_since = time.monotonic()
            self._cond.notify_all()

    def lag_s(self, now: float | None = None) -> float:
        """Seconds durable entries have waited for a checkpoint; 0 when all are covered.

        Not just the latest checkpoint's age: after an idle hour that age is an hour,
        yet a fresh write has waited only since its commit.
        """
        since = self._behind_since
        if since is None:
            return 0.0
        now = time.monotonic() if now is None else now
        return max(0.0, min(now - since, now - self.published_at))

    def wait_for(self, size: int, timeout: float | None = None) -> StoredCheckpoint:
        """Block until a checkpoint covering ``size`` entries is published."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.tree_size < size:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"no checkpoint covering {size} entries yet")
                self._cond.wait(remaining)
            return self._latest

    def _publish(self, size: int, root: bytes, state_root: bytes | None) -> None:
        note = signed_checkpoint(self.origin, size, root, self._signer, state_root)
        checkpoint = StoredCheckpoint(size, note)
        self._store.add_checkpoint(checkpoint)
        with self._cond:
            self._latest = checkpoint
            self._last_signed_at = time.monotonic()
            self.published_at = self._last_signed_at
            if self._pending is None or self._pending[0] <= size:
                self._behind_since = None
            self._cond.notify_all()
        for listener in self._listeners:
            listener(checkpoint)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                    self._pending is None
                    or (self._latest is not None and self._pending[0] <= self._latest.tree_size)
                ):
                    self._cond.wait()
                if self._stopping:
                    return
                wait = self._last_signed_at + self.interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self._cond:
                assert self._pending is not None
                size, root, state_root = self._pending
            try:
                self._publish(size, root, state_root)
            except StorageError as exc:
                log.error("checkpoint at size %d not stored: %s", size, exc)
                for failure_listener in self._failure_listeners:
                    failure_listener(size, exc)
                time.sleep(self.interval_s)
