"""Appending leaves: tiles and roots independent of batching; reads only the right edge."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logref import BIG_SIZE, BigTree, CheckingReader, RefTree, build_store, entry

from ipledger.log import (
    EMPTY_ROOT,
    MemoryTileStore,
    TileError,
    TreeAppender,
    append_leaves,
    changed_tiles,
    inclusion_proof,
    right_edge_tiles,
    root_hash,
    tiles_for_size,
)


def test_tiles_hold_what_tlog_tiles_says(big_tree: BigTree) -> None:
    """Tile (L, N) entry i = MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L])."""
    ref, store = big_tree.ref, big_tree.store
    assert store.get(0, 0) == b"".join(ref.leaf_hashes[:256])
    assert store.get(0, 273) == b"".join(ref.leaf_hashes[273 * 256 : BIG_SIZE])
    level1 = [store.get(1, 0), store.get(1, 1)]
    assert level1[0] == b"".join(ref.mth(i * 256, (i + 1) * 256) for i in range(256))
    assert level1[1] == b"".join(ref.mth(i * 256, (i + 1) * 256) for i in range(256, 273))
    assert store.get(2, 0) == ref.mth(0, 65_536)
    assert set(store.as_dict()) == {(lv, ix) for lv, ix, _ in tiles_for_size(BIG_SIZE)}
    for level, index, width in tiles_for_size(BIG_SIZE):
        assert len(store.get(level, index) or b"") == width * 32


def test_one_big_append_equals_the_incremental_store(big_tree: BigTree) -> None:
    result = TreeAppender().append(big_tree.ref.leaf_hashes)
    assert result.tree_size == BIG_SIZE
    assert result.root_hash == big_tree.ref.root(BIG_SIZE)
    assert result.tiles == big_tree.store.as_dict()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(1, 20_000), min_size=1, max_size=12), st.booleans())
def test_random_batch_splits(big_tree: BigTree, batches: list[int], via_reader: bool) -> None:
    """Any split into batches gives the same tiles and roots as one append."""
    ref = big_tree.ref
    store = MemoryTileStore()
    appender = TreeAppender()
    size = 0
    for count in batches:
        count = min(count, BIG_SIZE - size)
        hashes = ref.leaf_hashes[size : size + count]
        if via_reader:
            before = store.read_calls
            result = append_leaves(size, hashes, CheckingReader(store, size))
            assert store.read_calls - before == (1 if right_edge_tiles(size) else 0)
        else:
            before = store.read_calls
            result = appender.append(hashes)
            assert store.read_calls == before  # steady state reads nothing
        assert sorted(result.tiles) == sorted(
            (lv, ix) for lv, ix, _ in changed_tiles(size, size + count)
        )
        store.write_tiles(result.tiles)
        size += count
        assert result.tree_size == size
        assert result.root_hash == ref.root(size)
        assert root_hash(size, store) == ref.root(size)
        if size == BIG_SIZE:
            break
    want = {
        key: tile[: 32 * w]
        for (lv, ix, w) in tiles_for_size(size)
        for key, tile in [((lv, ix), big_tree.store.get(lv, ix) or b"")]
    }
    assert store.as_dict() == want


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000])
def test_from_reader_resumes_exactly(big_tree: BigTree, size: int) -> None:
    ref = big_tree.ref
    store = build_store(ref.leaf_hashes[:size])
    reader = CheckingReader(store, size)
    appender = TreeAppender.from_reader(reader, size)
    assert len(reader.calls) == (1 if size else 0)
    assert reader.calls[-1:] == ([right_edge_tiles(size)] if size else [])
    assert appender.tree_size == size
    assert appender.root_hash == ref.root(size)
    more = ref.leaf_hashes[size : size + 300]
    result = appender.append(more)
    whole = TreeAppender().append(ref.leaf_hashes[: size + len(more)])
    assert result.root_hash == whole.root_hash
    for key, tile in result.tiles.items():
        assert whole.tiles[key] == tile


def test_empty_append() -> None:
    appender = TreeAppender()
    result = appender.append([])
    assert (result.tree_size, result.root_hash, result.tiles) == (0, EMPTY_ROOT, {})
    store = build_store([entry_hash(i) for i in range(300)])
    result = append_leaves(300, [], store)
    assert result.tree_size == 300
    assert result.tiles == {}
    assert result.root_hash == root_hash(300, store)


def entry_hash(i: int) -> bytes:
    return RefTree([entry(i)]).leaf_hashes[0]


def test_single_leaf_appends_cross_tile_boundaries() -> None:
    ref = RefTree([entry(i) for i in range(600)])
    store = MemoryTileStore()
    appender = TreeAppender()
    for i, h in enumerate(ref.leaf_hashes):
        result = appender.append([h])
        store.write_tiles(result.tiles)
        assert result.root_hash == ref.root(i + 1)
        if i + 1 == 256:
            assert set(result.tiles) == {(0, 0), (1, 0)}
            assert result.tiles[(1, 0)] == ref.root(256)
        if i + 1 == 257:
            assert set(result.tiles) == {(0, 1)}
    assert root_hash(600, store) == ref.root(600)
    assert inclusion_proof(300, 600, store) == ref.inclusion(300, 600)


def test_clone_is_independent() -> None:
    ref = RefTree([entry(i) for i in range(20)])
    a = TreeAppender()
    a.append(ref.leaf_hashes[:10])
    b = a.clone()
    b.append(ref.leaf_hashes[10:20])
    assert a.tree_size == 10
    assert a.root_hash == ref.root(10)
    assert b.root_hash == ref.root(20)
    assert a.append(ref.leaf_hashes[10:20]).root_hash == ref.root(20)


def test_bad_leaf_hash_changes_nothing() -> None:
    ref = RefTree([entry(i) for i in range(3)])
    appender = TreeAppender()
    appender.append(ref.leaf_hashes[:1])
    with pytest.raises(ValueError, match="leaf hash 1 is 31 bytes"):
        appender.append([ref.leaf_hashes[1], b"x" * 31])
    assert appender.tree_size == 1
    assert appender.root_hash == ref.root(1)


def test_from_reader_rejects_short_tiles() -> None:
    class ShortReader:
        def read_tiles(self, requests: object) -> list[bytes]:
            return [b"\x00" * 32]

    with pytest.raises(TileError, match="came back with 32 bytes"):
        TreeAppender.from_reader(ShortReader(), 5)
    with pytest.raises(ValueError, match="non-negative"):
        TreeAppender.from_reader(ShortReader(), -1)


def test_steady_state_is_about_one_hash_per_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Appending 1,000 leaves costs ~1 SHA-256 per leaf plus O(log n)."""
    import ipledger.log.append as append_mod

    rng = random.Random(1)
    leaves = [rng.randbytes(32) for _ in range(5_000)]
    appender = TreeAppender()
    appender.append(leaves[:3_000])
    calls = 0
    real = append_mod._sha256

    def counting(data: bytes) -> object:
        nonlocal calls
        calls += 1
        return real(data)

    monkeypatch.setattr(append_mod, "_sha256", counting)
    monkeypatch.setattr(append_mod, "node_hash", lambda a, b: counting(b"\x01" + a + b).digest())  # type: ignore[attr-defined]
    appender.append(leaves[3_000:4_000])
    assert 1_000 <= calls <= 1_000 + 64
