"""Hashing primitives, tile pyramids and the tile hash cache."""

from __future__ import annotations

import hashlib

import pytest
from logref import RefTree, entry

from ipledger.log import EMPTY_ROOT, HASH_SIZE, TileError, TileHashCache, leaf_hash, node_hash
from ipledger.log.cache import subtree_from_hashes, tile_pyramid


def test_domain_separation() -> None:
    assert HASH_SIZE == 32
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)
    assert leaf_hash(a + b) != node_hash(a, b)


REF = RefTree([entry(i) for i in range(256)])
TILE = b"".join(REF.leaf_hashes)


@pytest.mark.parametrize("width", [1, 2, 3, 5, 64, 100, 255, 256])
def test_tile_pyramid_holds_every_complete_subtree(width: int) -> None:
    pyramid = tile_pyramid(TILE[: width * 32])
    assert len(pyramid) == 9
    for k in range(9):
        level = pyramid[k]
        assert len(level) == (width >> k) * 32
        for j in range(width >> k):
            assert level[j * 32 : (j + 1) * 32] == REF.mth(j << k, (j + 1) << k)
            assert subtree_from_hashes(TILE, j << k, k) == REF.mth(j << k, (j + 1) << k)


def test_tile_pyramid_rejects_bad_tiles() -> None:
    for bad in (b"", b"x" * 31, b"x" * (257 * 32)):
        with pytest.raises(TileError):
            tile_pyramid(bad)
    with pytest.raises(TileError):
        subtree_from_hashes(TILE[:64], 1, 1)


def test_cache_lru_and_partial_tiles() -> None:
    cache = TileHashCache(max_tiles=2, max_partial=1)
    assert cache.get(0, 0) is None
    p0 = cache.put(0, 0, TILE)
    cache.put(0, 1, TILE)
    assert cache.get(0, 0) is p0  # 0 is now most recently used
    cache.put(0, 2, TILE)  # evicts 1
    assert cache.get(0, 1) is None
    assert cache.get(0, 0) is p0
    cache.put(0, 3, TILE[:64])  # partial tiles live apart and do not evict full ones
    assert cache.get(0, 3, 2) is not None
    assert cache.get(0, 3) is None  # the full version of tile 3 is not cached
    cache.put(0, 4, TILE[:32])
    assert cache.get(0, 3, 2) is None
    assert cache.get(0, 0) is p0
    assert len(cache) == 3
    assert cache.hits >= 4
    assert cache.misses >= 4
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError, match="max_tiles"):
        TileHashCache(max_tiles=0)
