"""Shared pieces of the benchmarks: JSON-lines output, a scratch ledger, signed entries."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger, make_envelope
from ipledger.node import entry_types
from ipledger.storage.base import LedgerStore
from ipledger.storage.sqlite import SQLiteStore

ORIGIN = "bench.ipledger.localhost/log"


def emit(bench: str, value: float, unit: str, ceiling: float, **extra: Any) -> None:
    """One result line: value, the same-run ceiling, and their ratio."""
    line = {"bench": bench, "value": round(value, 6), "unit": unit,
            "ceiling": round(ceiling, 6), "ratio": round(value / ceiling, 4) if ceiling else None,
            "cores": os.cpu_count(), **extra}
    print(json.dumps(line), flush=True)


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of the samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sha256_per_second(data: bytes, n: int = 100_000, rounds: int = 3) -> float:
    """hashlib's SHA-256 rate over ``data``-sized inputs, best of ``rounds``."""
    sha = hashlib.sha256
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            sha(data).digest()
        best = max(best, n / (time.perf_counter() - start))
    return best


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ipledger-bench-"))


def open_ledger(store: Path | LedgerStore, **options: Any) -> Ledger:
    """A started ledger on a SQLite file (a path) or on the given store."""
    key = SigningKey.from_seed(b"\x07" * 32)
    options.setdefault("validation_processes", True)  # as the node runs it
    opened = SQLiteStore(store) if isinstance(store, Path) else store
    return Ledger(opened, ORIGIN, key, entry_types(), **options).start()


def postgres_database() -> str:
    """The URL of a new database on the private PostgreSQL server (scripts/postgres)."""
    import psycopg

    root = Path(__file__).resolve().parent.parent
    server = subprocess.run([str(root / "scripts" / "postgres"), "start"], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]
    name = f"bench_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def signed_stamps(n: int, start: int = 0, keys: int = 64) -> list[bytes]:
    """``n`` distinct evidence.stamp entries from ``keys`` different stampers."""
    signers = [SigningKey.from_seed(bytes([k % 256, k // 256]) * 16) for k in range(keys)]
    return [
        canonicalize(make_envelope(
            signers[i % keys], ORIGIN, "evidence.stamp",
            {"sha256": f"{i:064x}", "media_type": "application/pdf",
             "name_sha256": f"{i * 7919:064x}"},
        ))
        for i in range(start, start + n)
    ]


@contextmanager
def served_node(data: Path) -> Iterator[str]:
    """``ipledger serve --data DATA`` on a free loopback port: its URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    with (data / "serve.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "ipledger.cli", "serve", "--data", str(data), "--port",
             str(port), "--log-level", "warning"], stdout=log, stderr=log)
    try:
        for _ in range(400):
            try:
                httpx.get(f"{url}/tlog/checkpoint", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)
