"""Let async handlers await the checkpoint signer without tying up a thread each."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools

from ipledger.ledger import Ledger
from ipledger.storage.base import StoredCheckpoint


class CheckpointWaiter:
    """Resolves ``await wait_for(size)`` when a checkpoint covering ``size`` is published."""

    def __init__(self, ledger: Ledger, loop: asyncio.AbstractEventLoop) -> None:
        self._ledger = ledger
        self._loop = loop
        self._waiting: list[tuple[int, int, asyncio.Future[StoredCheckpoint]]] = []
        self._counter = itertools.count()
        ledger.checkpoints.add_listener(self._published_threadsafe)

    def _published_threadsafe(self, checkpoint: StoredCheckpoint) -> None:
        # RuntimeError: the server's loop has closed; nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._release, checkpoint)

    def _release(self, checkpoint: StoredCheckpoint) -> None:
        while self._waiting and self._waiting[0][0] <= checkpoint.tree_size:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                fut.set_result(checkpoint)

    async def wait_for(self, size: int, timeout: float = 30.0) -> StoredCheckpoint:
        latest = self._ledger.latest_checkpoint()
        if latest.tree_size >= size:
            return latest
        fut: asyncio.Future[StoredCheckpoint] = self._loop.create_future()
        heapq.heappush(self._waiting, (size, next(self._counter), fut))
        # Re-check: a checkpoint may have been published between the read and the push.
        self._release(self._ledger.latest_checkpoint())
        return await asyncio.wait_for(fut, timeout)
