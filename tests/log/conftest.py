"""Shared fixtures for the log layer tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from logref import RefTree, entry

from ipledger.log import MemoryTileStore, TreeAppender

BIG_SIZE = 70_000  # crosses level-1 (256) and level-2 (65,536) tile boundaries


@dataclass
class BigTree:
    ref: RefTree
    store: MemoryTileStore
    size: int


@pytest.fixture(scope="session")
def big_tree() -> BigTree:
    ref = RefTree([entry(i) for i in range(BIG_SIZE)])
    store = MemoryTileStore()
    appender = TreeAppender()
    for lo in range(0, BIG_SIZE, 5_000):
        store.write_tiles(appender.append(ref.leaf_hashes[lo : lo + 5_000]).tiles)
    return BigTree(ref=ref, store=store, size=BIG_SIZE)
