"""Let async handlers await a growing size (checkpoints, finality) without a thread each."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from typing import Generic, TypeVar

from ipledger.ledger import Ledger, Rejection
from ipledger.storage.base import StorageError, StoredCheckpoint

T = TypeVar("T")


class SizeWaiter(Generic[T]):
    """Resolves ``await wait_for(size)`` once something covering ``size`` is published.

    ``current()`` gives the newest (size, value); the producer calls
    :meth:`published_threadsafe` from any thread whenever a newer one exists.
    """

    def __init__(self, current: Callable[[], tuple[int, T]],
                 loop: asyncio.AbstractEventLoop) -> None:
        self._current = current
        self._loop = loop
        self._waiting: list[tuple[int, int, asyncio.Future[T]]] = []
        self._counter = itertools.count()

    def published_threadsafe(self, size: int, value: T) -> None:
        # RuntimeError: the server's loop has closed; nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._release, size, value)

    def failed_threadsafe(self, size: int, error: Exception) -> None:
        """Fail the waits for sizes up to ``size`` with ``error`` (what covers them could
        not be published now)."""
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._fail, size, error)

    def _fail(self, size: int, error: Exception) -> None:
        while self._waiting and self._waiting[0][0] <= size:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                fut.set_exception(error)

    def _release(self, size: int, value: T) -> None:
        while self._waiting and self._waiting[0][0] <= size:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                fut.set_result(value)

    async def wait_for(self, size: int, timeout: float = 30.0) -> T:
        latest_size, latest = self._current()
        if latest_size >= size:
            return latest
        fut: asyncio.Future[T] = self._loop.create_future()
        heapq.heappush(self._waiting, (size, next(self._counter), fut))
        # Re-check: something may have been published between the read and the push.
        self._release(*self._current())
        return await asyncio.wait_for(fut, timeout)


def checkpoint_waiter(ledger: Ledger,
                      loop: asyncio.AbstractEventLoop) -> SizeWaiter[StoredCheckpoint]:
    """Waits for the checkpoint signer to publish a checkpoint covering a size."""

    def current() -> tuple[int, StoredCheckpoint]:
        checkpoint = ledger.latest_checkpoint()
        return checkpoint.tree_size, checkpoint

    def not_stored(size: int, error: StorageError) -> None:
        # The entries are durable; only their signed checkpoint is missing (e.g. a full
        # disk). Say so at once rather than letting every writer wait out its timeout.
        waiter.failed_threadsafe(size, Rejection(
            "unavailable", f"the entries up to index {size - 1} are recorded, but the "
            f"checkpoint covering them could not be stored ({error}); it is retried, and "
            "each entry's receipt will be at /v1/entries/{index}/receipt", status=503))

    waiter = SizeWaiter(current, loop)
    ledger.checkpoints.add_listener(
        lambda checkpoint: waiter.published_threadsafe(checkpoint.tree_size, checkpoint))
    ledger.checkpoints.add_failure_listener(not_stored)
    return waiter
