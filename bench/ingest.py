"""``ingest``, ``disk`` and ``checkpoint_latency``: the in-process write path."""

from __future__ import annotations

import os
import sqlite3
import time

from bench.common import emit, note, open_ledger, postgres_database, scratch_dir, signed_stamps
from ipledger.ledger import Ledger


def bench_ingest(ceiling: float, n: int = 60_000) -> None:
    db = scratch_dir() / "ingest.sqlite"
    n, _ = _ingest(open_ledger(db), n, ceiling)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = os.path.getsize(db)
    raw = sum(len(e) for e in signed_stamps(256)) / 256 + 50  # + the seq the sequencer adds
    emit("disk", size / n, "bytes/entry", raw, entries=n, database_bytes=size,
         ceiling_is="mean entry size (the bytes that must be kept)", target=1_500)


def bench_ingest_postgresql(ceiling: float, n: int = 60_000) -> None:
    """The same ingest on the PostgreSQL backend (a private server on this machine)."""
    from ipledger.storage.postgresql import PostgreSQLStore

    _ingest(open_ledger(PostgreSQLStore(postgres_database())), n, ceiling,
            name="ingest_postgresql", target=8_000)


def _ingest(ledger: Ledger, n: int, ceiling: float, name: str = "ingest",
            target: int = 20_000) -> tuple[int, float]:
    """Time ``n`` stamps from submission to durable; emit; entries stored and seconds."""
    entries = signed_stamps(n)
    try:
        warm, entries = entries[:256], entries[256:]  # start the validation workers
        for f in ledger.submit_many(warm):
            f.result(timeout=60)
        start = time.perf_counter()
        futures = ledger.submit_many(entries)
        for f in futures:
            f.result(timeout=300)
        elapsed = time.perf_counter() - start
        batches = ledger.sequencer.batches
    finally:
        ledger.close()
        ledger.store.close()
    emit(name, len(entries) / elapsed, "entries/s", ceiling,
         entries=len(entries), batches=batches, target=target,
         ceiling_is="Ed25519 verify/s, PyNaCl, all cores, same run")
    return n, elapsed


def bench_checkpoint_latency(rate: int = 2_000, seconds: float = 6.0) -> None:
    """p99 from submit to inclusion in a signed checkpoint at ``rate`` entries/s offered."""
    n = int(rate * seconds)
    entries = signed_stamps(n, start=10_000_000)
    ledger = open_ledger(scratch_dir() / "latency.sqlite")
    published: list[tuple[float, int]] = []
    ledger.checkpoints.add_listener(lambda cp: published.append((time.perf_counter(),
                                                                 cp.tree_size)))
    for f in ledger.submit_many(signed_stamps(64, start=9_000_000)):
        f.result(timeout=60)
    submitted: list[tuple[float, object]] = []
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    try:
        start = time.perf_counter()
        for i in range(0, n, per_tick):
            target = start + (i // per_tick) * tick
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            now = time.perf_counter()
            for fut in ledger.submit_many(entries[i : i + per_tick]):
                submitted.append((now, fut))
        indexed = [(t, f.result(timeout=60).index) for t, f in submitted]  # type: ignore[attr-defined]
        ledger.wait_for_checkpoint(max(i for _, i in indexed) + 1, timeout=10)
        offered = n / (time.perf_counter() - start)
    finally:
        ledger.close()
        ledger.store.close()
    latencies = []
    for t_submit, index in indexed:
        t_cp = next(t for t, size in published if size > index)
        latencies.append((t_cp - t_submit) * 1000)
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    interval_ms = 100.0
    emit("checkpoint_latency", p99, "ms", interval_ms, p50_ms=round(p50, 2),
         offered_per_s=round(offered), entries=n, target=150,
         ceiling_is="the checkpoint interval (a latency floor: ratio near 1 is ideal)")


def measure_fsync_commit_ms(samples: int = 50) -> float:
    """Median time of one durable (synchronous=FULL, WAL) SQLite commit on this disk."""
    conn = sqlite3.connect(scratch_dir() / "fsync.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (x BLOB)")
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        conn.execute("INSERT INTO t VALUES (randomblob(600))")
        times.append((time.perf_counter() - t) * 1000)
    conn.close()
    times.sort()
    return times[len(times) // 2]


def run(ceiling: float) -> None:
    note(f"fsync'd SQLite commit: {measure_fsync_commit_ms():.2f} ms median")
    bench_ingest(ceiling)
    bench_ingest_postgresql(ceiling)
    bench_checkpoint_latency()
