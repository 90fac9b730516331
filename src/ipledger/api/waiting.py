"""Let async handlers await a growing size (checkpoints, finality) without a thread each."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from typing import Generic, TypeVar

from ipledger.ledger import Ledger
from ipledger.storage.base import StoredCheckpoint

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

    waiter = SizeWaiter(current, loop)
    ledger.checkpoints.add_listener(
        lambda checkpoint: waiter.published_threadsafe(checkpoint.tree_size, checkpoint))
    return waiter
