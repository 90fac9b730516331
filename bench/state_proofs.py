"""Benchmarks of the state tree (registry/smt.py): build, updates, state proofs, verification.

Prints one JSON object per line: {"bench", "value", "unit", "ceiling", "ratio", ...}.
``ceiling`` comes from hashlib's own SHA-256 speed on the tree's 84-byte node inputs, measured in
the same run:
- throughput benches: the rate if the SHA-256 calls the work needs were all it cost
  (hashes per op counted in the run), so ``ratio`` <= 1;
- latency benches: the time of the SHA-256 calls a verifier needs for a proof of that depth
  (a floor; ``ratio`` = value / floor, so here it is >= 1).

Usage: .venv/bin/python -m bench.state_proofs [--size N] [--batch B] [--proofs K]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import time
from collections.abc import Callable, Mapping
from functools import partial

from bench.common import emit, percentile, sha256_per_second
from ipledger.registry.smt import (
    MemoryNodeStore,
    StateTree,
    record_key,
    record_value_hash,
    verify_state_proof,
)


class CountingStore(MemoryNodeStore):
    """A memory store that counts node writes (each new node cost exactly one SHA-256)."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        """Store nodes and count them."""
        self.written += len(nodes)
        super().put_nodes(nodes)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def value_for(i: int, rev: int = 0) -> bytes:
    """The value hash of record ``i`` at revision ``rev``."""
    return record_value_hash(b'{"id":"right/%d","rev":%d}' % (i, rev))


def main() -> None:
    """Run every benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=200, help="checkpoint batches to time")
    parser.add_argument("--update-size", type=int, default=1_000)
    args = parser.parse_args()
    size, batch = args.size, args.batch
    rng = random.Random(1_000_000)
    hash_rate = sha256_per_second(b"ipledger/smt/v1/node" + b"\x11" * 64)
    emit("sha256_84B", hash_rate, "hash/s", hash_rate, note="ceiling source")

    keys = [record_key(f"right/{i}") for i in range(size)]
    values = [value_for(i) for i in range(size)]

    # Build in batches, one version per batch (as checkpoints would).
    store = CountingStore()
    tree = StateTree(store)
    start = time.perf_counter()
    for version, lo in enumerate(range(0, size, batch), start=1):
        tree.update(dict(zip(keys[lo : lo + batch], values[lo : lo + batch], strict=True)), version)
    elapsed = time.perf_counter() - start
    per_key = store.written / size
    emit(
        "state_build",
        size / elapsed,
        "keys/s",
        hash_rate / per_key,
        size=size,
        batch=batch,
        seconds=round(elapsed, 2),
        hashes_per_key=round(per_key, 2),
        versions=tree.version,
        stored_nodes=len(store.nodes),
    )
    first_version_root = tree.root_at(1)

    # Steady state: checkpoint-sized batches of changes into the full tree.
    written0 = store.written
    batch_times = []
    changed = 0
    for u in range(args.updates):
        changes: dict[bytes, bytes | None] = {}
        for _ in range(args.update_size):
            i = rng.randrange(size)
            changes[keys[i]] = value_for(i, u + 1)
        start = time.perf_counter()
        tree.update(changes)
        batch_times.append(time.perf_counter() - start)
        changed += len(changes)
    per_change = (store.written - written0) / changed
    emit(
        "state_update",
        changed / sum(batch_times),
        "keys/s",
        hash_rate / per_change,
        size=size,
        batch=args.update_size,
        p99_batch_ms=round(percentile(batch_times, 0.99) * 1e3, 3),
        hashes_per_key=round(per_change, 2),
    )

    # Proofs for random present and absent keys at the latest version.
    probes = []
    for n in range(args.proofs):
        if n % 2:
            probes.append(record_key(f"absent/{rng.randrange(10 * size)}"))
        else:
            probes.append(keys[rng.randrange(size)])
    proofs = []
    prove_times = []
    for k in probes:
        start = time.perf_counter()
        proof = tree.prove(k)
        prove_times.append(time.perf_counter() - start)
        proofs.append(proof)
    depth = sum(len(p.siblings) for p in proofs) / len(proofs)
    max_depth = max(len(p.siblings) for p in proofs)
    verify_floor_ms = (depth + 1) / hash_rate * 1e3
    emit(
        "state_proof",
        percentile(prove_times, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        p50_ms=round(percentile(prove_times, 0.5) * 1e3, 4),
        size=size,
        samples=len(prove_times),
        mean_depth=round(depth, 2),
        max_depth=max_depth,
        target_ms=5,
    )

    # A register extract as an API would serve it: value lookup, proof, JSON text.
    def extract(k: bytes) -> str:
        proof = tree.prove(k)
        value = proof.value_hash_for(k)
        return json.dumps(
            {
                "key": base64.b64encode(k).decode(),
                "value_hash": None if value is None else base64.b64encode(value).decode(),
                "version": tree.version,
                "root": base64.b64encode(tree.root).decode(),
                "proof": proof.to_json(),
            }
        )

    extract_times = [timed(partial(extract, k)) for k in probes[: args.proofs // 2]]
    emit(
        "state_extract",
        percentile(extract_times, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        p50_ms=round(percentile(extract_times, 0.5) * 1e3, 4),
        size=size,
        samples=len(extract_times),
        target_ms=5,
    )

    # Proofs as of the first checkpoint (version 1): old roots stay provable.
    old_times = [timed(partial(tree.prove, k, version=1)) for k in probes[:5_000]]
    old = tree.prove(keys[0], version=1)
    verify_state_proof(first_version_root, keys[0], values[0], old)
    emit(
        "state_proof_v1",
        percentile(old_times, 0.99) * 1e3,
        "ms",
        verify_floor_ms,
        size_at_version=min(batch, size),
        samples=len(old_times),
    )

    # Verification throughput (what a light client does).
    root = tree.root
    expected = [tree.get(k) for k in probes]
    start = time.perf_counter()
    for k, v, p in zip(probes, expected, proofs, strict=True):
        verify_state_proof(root, k, v, p)
    rate = len(proofs) / (time.perf_counter() - start)
    emit("state_verify", rate, "proofs/s", hash_rate / (depth + 1), size=size)
    sizes = [len(p.to_bytes()) for p in proofs]
    emit(
        "state_proof_bytes",
        sum(sizes) / len(sizes),
        "bytes",
        32 * (depth + 2),
        max_bytes=max(sizes),
        note="ceiling: uncompressed siblings + leaf",
    )


if __name__ == "__main__":
    main()
