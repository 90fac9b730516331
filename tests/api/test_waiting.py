"""SizeWaiter: waits resolve when something covering them is published, and fail at once
when the producer says it could not publish (a checkpoint not stored)."""

from __future__ import annotations

import asyncio

import pytest

from ipledger.api.waiting import SizeWaiter
from ipledger.ledger import Rejection


def test_waits_resolve_in_order_and_failures_end_only_the_covered_ones() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        latest = [(0, "none")]
        waiter = SizeWaiter(lambda: latest[0], loop)
        first = asyncio.ensure_future(waiter.wait_for(3, timeout=5))
        second = asyncio.ensure_future(waiter.wait_for(7, timeout=5))
        await asyncio.sleep(0)
        waiter.failed_threadsafe(5, Rejection("unavailable", "disk full", status=503))
        with pytest.raises(Rejection, match="disk full"):
            await first
        assert not second.done()  # size 7 is beyond what failed
        latest[0] = (8, "cp8")
        waiter.published_threadsafe(8, "cp8")
        assert await second == "cp8"
        assert await waiter.wait_for(2, timeout=0.1) == "cp8"  # already covered: no wait

    asyncio.run(scenario())
