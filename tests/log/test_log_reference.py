"""Tile-based roots and proofs against the RFC 9162 reference definitions (logref.RefTree)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logref import BigTree, CheckingReader, RefTree, build_store, entry

from ipledger.log import (
    ProofError,
    TileHashCache,
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

SMALL = 600  # every size up to here: roots and sampled proofs
ALL_PAIRS = 520  # every (index, size) and (m, n) pair up to here (with a cache)

SMALL_REF = RefTree([entry(i) for i in range(SMALL)])
SMALL_STORE = build_store(SMALL_REF.leaf_hashes)


def _sample(n: int) -> list[int]:
    """Interesting positions below n: ends, middle, tile and power-of-two boundaries."""
    picks = {0, 1, n // 2, n - 2, n - 1, 127, 128, 255, 256, 257, 511, 512}
    return sorted(p for p in picks if 0 <= p < n)


def test_roots_every_size() -> None:
    cache = TileHashCache()
    for n in range(SMALL + 1):
        reader = CheckingReader(SMALL_STORE, n)
        assert root_hash(n, reader) == SMALL_REF.root(n), n
        assert root_hash(n, reader, cache=cache) == SMALL_REF.root(n), n
        assert len(reader.calls) <= 2


def test_sampled_proofs_every_size() -> None:
    cache = TileHashCache()
    for n in range(1, SMALL + 1):
        root = SMALL_REF.root(n)
        for i in _sample(n):
            reader = CheckingReader(SMALL_STORE, n)
            proof = inclusion_proof(i, n, reader, cache=cache)
            assert proof == SMALL_REF.inclusion(i, n), (i, n)
            assert len(reader.calls) <= 1
            verify_inclusion(SMALL_REF.leaf_hashes[i], i, n, proof, root)
        for m in _sample(n):
            if m == 0:
                continue
            reader = CheckingReader(SMALL_STORE, n)
            proof = consistency_proof(m, n, reader, cache=cache)
            want = [] if m == n else SMALL_REF.consistency(m, n)
            assert proof == want, (m, n)
            assert len(reader.calls) <= 1
            verify_consistency(m, n, SMALL_REF.root(m), root, proof)


@pytest.mark.parametrize(("use_cache", "max_size"), [(False, 150), (True, ALL_PAIRS)])
def test_every_inclusion_pair(use_cache: bool, max_size: int) -> None:
    cache = TileHashCache() if use_cache else None
    for n in range(1, max_size + 1):
        reader = CheckingReader(SMALL_STORE, n)
        root = SMALL_REF.root(n)
        for i in range(n):
            proof = inclusion_proof(i, n, reader, cache=cache)
            assert proof == SMALL_REF.inclusion(i, n), (i, n)
            verify_inclusion(SMALL_REF.leaf_hashes[i], i, n, proof, root)


@pytest.mark.parametrize(("use_cache", "max_size"), [(False, 150), (True, ALL_PAIRS)])
def test_every_consistency_pair(use_cache: bool, max_size: int) -> None:
    cache = TileHashCache() if use_cache else None
    for n in range(1, max_size + 1):
        reader = CheckingReader(SMALL_STORE, n)
        root = SMALL_REF.root(n)
        for m in range(1, n):
            proof = consistency_proof(m, n, reader, cache=cache)
            assert proof == SMALL_REF.consistency(m, n), (m, n)
            verify_consistency(m, n, SMALL_REF.root(m), root, proof)


def test_small_store_exactly_at_size() -> None:
    """A store holding only the tiles of size n (no grown partial tiles) is enough."""
    for n in (1, 2, 255, 256, 257, 511, 512, 513):
        ref_leaves = SMALL_REF.leaf_hashes[:n]
        store = build_store(ref_leaves)
        assert root_hash(n, store) == SMALL_REF.root(n)
        for i in _sample(n):
            assert inclusion_proof(i, n, store) == SMALL_REF.inclusion(i, n)
        for m in _sample(n):
            if 0 < m < n:
                assert consistency_proof(m, n, store) == SMALL_REF.consistency(m, n)


def test_generation_rejects_bad_arguments() -> None:
    for index, size in [(0, 0), (5, 5), (6, 5), (-1, 5)]:
        with pytest.raises(ProofError, match="out of range"):
            inclusion_proof(index, size, SMALL_STORE)
    for old, new in [(6, 5), (-1, 5), (1, -1)]:
        with pytest.raises(ProofError):
            consistency_proof(old, new, SMALL_STORE)
    assert consistency_proof(0, 5, SMALL_STORE) == []
    assert consistency_proof(5, 5, SMALL_STORE) == []
    with pytest.raises(ProofError):
        root_hash(-1, SMALL_STORE)


# --- larger trees (up to 70,000 leaves: level-1 and level-2 tile boundaries) -----------------

HYPO = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(
        st.one_of(
            st.integers(1, 70_000),
            st.sampled_from([256, 257, 65_535, 65_536, 65_537, 65_792, 70_000]),
        )
    )
    i = draw(st.one_of(st.integers(0, n - 1), st.sampled_from([0, n - 1, n // 2])))
    return n, i


@HYPO
@given(size_and_index())
def test_inclusion_large(big_tree: BigTree, si: tuple[int, int]) -> None:
    n, i = si
    ref = big_tree.ref
    reader = CheckingReader(big_tree.store, n)
    proof = inclusion_proof(i, n, reader)
    assert proof == ref.inclusion(i, n)
    assert len(reader.calls) <= 1
    verify_inclusion(ref.leaf_hashes[i], i, n, proof, ref.root(n))
    assert root_hash(n, reader) == ref.root(n)


@HYPO
@given(size_and_index())
def test_consistency_large(big_tree: BigTree, sm: tuple[int, int]) -> None:
    n, m = sm
    m = max(m, 1)
    ref = big_tree.ref
    reader = CheckingReader(big_tree.store, n)
    proof = consistency_proof(m, n, reader)
    assert proof == ([] if m == n else ref.consistency(m, n))
    assert len(reader.calls) <= 1
    verify_consistency(m, n, ref.root(m), ref.root(n), proof)


def test_large_proofs_with_cache(big_tree: BigTree) -> None:
    ref, n = big_tree.ref, big_tree.size
    cache = TileHashCache(max_tiles=64, max_partial=4)
    root = ref.root(n)
    for i in range(0, n, 997):
        proof = inclusion_proof(i, n, big_tree.store, cache=cache)
        assert proof == ref.inclusion(i, n)
        verify_inclusion(ref.leaf_hashes[i], i, n, proof, root)
        assert consistency_proof(i + 1, n, big_tree.store, cache=cache) == (
            [] if i + 1 == n else ref.consistency(i + 1, n)
        )
    assert len(cache) <= 64 + 4
    assert cache.hits > 0


def test_warm_cache_reads_no_full_tiles(big_tree: BigTree) -> None:
    """In a tree of 65,536 leaves every tile a leaf's path needs is full: warm, it reads none."""
    n = 65_536
    cache = TileHashCache()
    reader = CheckingReader(big_tree.store, n)
    first = inclusion_proof(12_345, n, reader, cache=cache)
    assert len(reader.calls) == 1
    assert inclusion_proof(12_345, n, reader, cache=cache) == first
    assert inclusion_proof(12_300, n, reader, cache=cache) == big_tree.ref.inclusion(12_300, n)
    assert len(reader.calls) == 1
