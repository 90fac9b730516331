"""Reference Merkle tree functions written straight from RFC 9162 §2.1 (test oracle only).

RefTree is independent of ipledger.log: its own hashing, its own split point, plain
recursion over D[lo:hi] (memoised only so large trees stay affordable). The helpers at the
end (CheckingReader, build_store) wrap ipledger.log for the tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ipledger.log import MemoryTileStore, TileReader, TreeAppender, tile_width_at


def ref_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    assert n > 1
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class RefTree:
    """MTH, PATH and PROOF/SUBPROOF over the entries D[0:N]."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.entries = list(entries)
        self.leaf_hashes = [ref_leaf(e) for e in self.entries]
        self._mth: dict[tuple[int, int], bytes] = {}

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n == 1:
            return self.leaf_hashes[lo]
        got = self._mth.get((lo, hi))
        if got is None:
            k = largest_power_of_two_below(n)
            got = ref_node(self.mth(lo, lo + k), self.mth(lo + k, hi))
            self._mth[(lo, hi)] = got
        return got

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]), m relative to lo."""
        n = hi - lo
        if n == 1:
            return []
        k = largest_power_of_two_below(n)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b), m relative to lo."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = largest_power_of_two_below(n)
        if m <= k:
            return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self.path(index, 0, size)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) for 0 < m < n."""
        assert 0 < old < new
        return self.subproof(old, 0, new, True)

    def root(self, size: int) -> bytes:
        return self.mth(0, size)


def entry(i: int) -> bytes:
    """The i-th test entry (deterministic)."""
    return b"entry-%d" % i


class CheckingReader:
    """Wraps a tile reader: records calls and fails any read outside a tree of ``tree_size``."""

    def __init__(self, inner: TileReader, tree_size: int) -> None:
        self._inner = inner
        self.tree_size = tree_size
        self.calls: list[list[tuple[int, int, int]]] = []

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        requests = list(requests)
        self.calls.append(requests)
        for level, index, width in requests:
            have = tile_width_at(level, index, self.tree_size)
            assert 1 <= width <= have, (level, index, width, self.tree_size)
        assert len({(lv, ix) for lv, ix, _ in requests}) == len(requests), "duplicate tile"
        return self._inner.read_tiles(requests)


def build_store(leaf_hashes: Sequence[bytes]) -> MemoryTileStore:
    """A MemoryTileStore holding exactly the tiles of a tree of these leaves."""
    store = MemoryTileStore()
    store.write_tiles(TreeAppender().append(leaf_hashes).tiles)
    return store


BIG_SIZE = 70_000  # crosses level-1 (256) and level-2 (65,536) tile boundaries


@dataclass
class BigTree:
    ref: RefTree
    store: MemoryTileStore
    size: int


def make_big_tree() -> BigTree:
    ref = RefTree([entry(i) for i in range(BIG_SIZE)])
    store = MemoryTileStore()
    appender = TreeAppender()
    for lo in range(0, BIG_SIZE, 5_000):
        store.write_tiles(appender.append(ref.leaf_hashes[lo : lo + 5_000]).tiles)
    return BigTree(ref=ref, store=store, size=BIG_SIZE)
