"""``proof`` and ``verify`` on a 1,000,000-entry log stored in SQLite (the node's own store)."""

from __future__ import annotations

import random
import time

from bench.common import emit, note, scratch_dir, sha256_per_second
from ipledger.log import (
    TileHashCache,
    TreeAppender,
    inclusion_proof,
    leaf_hash,
    tile_width_at,
    verify_inclusion,
)
from ipledger.storage.base import AppendBatch
from ipledger.storage.sqlite import SQLiteStore


def build_log(size: int) -> SQLiteStore:
    """A store of ``size`` small synthetic entries, appended in 64 Ki batches."""
    store = SQLiteStore(scratch_dir() / "proofs.sqlite")
    tree = TreeAppender()
    step = 65_536
    for start in range(0, size, step):
        entries = [b"entry %d" % i for i in range(start, min(size, start + step))]
        result = tree.append([leaf_hash(e) for e in entries])
        store.append(AppendBatch(first_index=start, entries=entries, tiles=result.tiles,
                                 root_hash=result.root_hash))
    return store


def run(size: int = 1_000_000, samples: int = 5_000) -> None:
    t = time.perf_counter()
    store = build_log(size)
    note(f"built a {size}-entry SQLite log in {time.perf_counter() - t:.1f} s")
    root = store.root_hash()
    assert root is not None
    cache = TileHashCache()
    rng = random.Random(1)
    indexes = [rng.randrange(size) for _ in range(samples)]
    for i in indexes[:500]:  # warm the full-tile cache the way a serving node would be
        inclusion_proof(i, size, store, cache=cache)
    times = []
    proofs = []
    for i in indexes:
        t = time.perf_counter()
        proofs.append(inclusion_proof(i, size, store, cache=cache))
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    # Floor: one batched SQLite read of the tiles a proof touches (the storage round trip).
    t = time.perf_counter()
    for i in indexes[:1000]:
        store.read_tiles([(lv, ix, tile_width_at(lv, ix, size))
                          for lv, ix in ((0, i >> 8), (1, i >> 16), (2, i >> 24))])
    floor = (time.perf_counter() - t)  # seconds for 1000 reads = ms per read
    emit("proof", p99, "ms", floor, p50_ms=round(p50, 4), tree_size=size, samples=samples,
         ceiling_is="one batched SQLite read of the tiles a proof touches (ms)", target=1.0)
    leaves = [leaf_hash(b"entry %d" % i) for i in indexes]
    t = time.perf_counter()
    for i, leaf, proof in zip(indexes, leaves, proofs, strict=True):
        verify_inclusion(leaf, i, size, proof, root)
    rate = samples / (time.perf_counter() - t)
    hashes_per_proof = len(proofs[0]) + 1
    ceiling = sha256_per_second(b"\x01" + b"\xab" * 64) / hashes_per_proof
    emit("verify", rate, "proofs/s", ceiling, tree_size=size,
         ceiling_is="hashlib SHA-256/s divided by the hashes one proof needs")
    store.close()
