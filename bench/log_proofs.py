"""Benchmarks of the log layer: appends, proof generation and verification on a 1M-leaf tree.

Prints one JSON object per line: {"bench", "value", "unit", "ceiling", "ratio", ...}.
``ceiling`` is measured in the same run from hashlib's own SHA-256 speed:
- throughput benches: the rate if the SHA-256 calls the work needs were all it cost;
- latency benches: the time of the SHA-256 calls a verifier needs for that proof length
  (a floor; ``ratio`` = value / floor, so here it is >= 1).

Usage: .venv/bin/python -m bench.log_proofs [--size N] [--proofs K]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from bench.common import emit, percentile, sha256_per_second
from ipledger.log import (
    MemoryTileStore,
    TileHashCache,
    TreeAppender,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Run every benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    size, count, batch = args.size, args.proofs, args.batch
    rng = random.Random(9162)
    hash_rate = sha256_per_second(b"\x01" + b"\x11" * 64)

    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]

    # Appends: steady state (right edge in memory) and from storage each batch.
    store = MemoryTileStore()
    appender = TreeAppender()
    start = time.perf_counter()
    for lo in range(0, size, batch):
        store.write_tiles(appender.append(leaves[lo : lo + batch]).tiles)
    elapsed = time.perf_counter() - start
    emit("log_append", size / elapsed, "leaves/s", hash_rate, batch=batch, mode="TreeAppender")
    reload_store = MemoryTileStore()
    start = time.perf_counter()
    n = 0
    limit = min(size, 200_000)
    for lo in range(0, limit, batch):
        result = append_leaves(n, leaves[lo : lo + batch], reload_store)
        reload_store.write_tiles(result.tiles)
        n = result.tree_size
    elapsed = time.perf_counter() - start
    emit("log_append_leaves", limit / elapsed, "leaves/s", hash_rate, batch=batch, mode="reader")

    root = root_hash(size, store)
    assert root == appender.root_hash
    indices = [rng.randrange(size) for _ in range(count)]
    proof_len = len(inclusion_proof(indices[0], size, store))
    verify_floor_ms = proof_len / hash_rate * 1e3

    # Inclusion proofs, cold (no cache) and warm (cache holding every full tile).
    def cold_proof(i: int) -> float:
        return timed(lambda: inclusion_proof(i, size, store))

    cold = [cold_proof(i) for i in indices[:2_000]]
    emit(
        "proof_cold",
        percentile(cold, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        p50_ms=round(percentile(cold, 0.5) * 1e3, 4),
        tree_size=size,
        samples=len(cold),
    )
    cache = TileHashCache(max_tiles=8192)
    for t in range(0, size, 256):
        inclusion_proof(t, size, store, cache=cache)

    def warm_proof(i: int) -> float:
        return timed(lambda: inclusion_proof(i, size, store, cache=cache))

    warm = [warm_proof(i) for i in indices]
    emit(
        "proof",
        percentile(warm, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        p50_ms=round(percentile(warm, 0.5) * 1e3, 4),
        tree_size=size,
        samples=len(warm),
        cache="warm",
    )

    # Verification throughput.
    proofs = [(i, inclusion_proof(i, size, store, cache=cache)) for i in indices[:5_000]]
    start = time.perf_counter()
    for i, proof in proofs:
        verify_inclusion(leaves[i], i, size, proof, root)
    rate = len(proofs) / (time.perf_counter() - start)
    emit("proof_verify", rate, "proofs/s", hash_rate / proof_len, tree_size=size)

    # Consistency proofs against random older sizes, warm cache.
    olds = [rng.randrange(1, size) for _ in range(2_000)]
    roots = {m: root_hash(m, store, cache=cache) for m in olds}

    def warm_consistency(m: int) -> float:
        return timed(lambda: consistency_proof(m, size, store, cache=cache))

    cons = [warm_consistency(m) for m in olds]
    emit(
        "consistency_proof",
        percentile(cons, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        p50_ms=round(percentile(cons, 0.5) * 1e3, 4),
        tree_size=size,
        samples=len(cons),
        cache="warm",
    )
    start = time.perf_counter()
    for m in olds:
        verify_consistency(m, size, roots[m], root, consistency_proof(m, size, store, cache=cache))
    emit(
        "consistency_generate_verify",
        len(olds) / (time.perf_counter() - start),
        "proofs/s",
        hash_rate / (2 * proof_len),
        tree_size=size,
    )


if __name__ == "__main__":
    main()
