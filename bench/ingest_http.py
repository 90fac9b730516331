"""``ingest_http``: signed entries/s through a real ``ipledger serve`` over loopback HTTP."""

from __future__ import annotations

import threading
import time

import httpx

from bench.common import emit, scratch_dir, served_node, signed_stamps
from ipledger.node import init_node


def bench_ingest_http(ceiling: float, n: int = 40_000, batch: int = 500, clients: int = 4) -> None:
    data = scratch_dir() / "node"
    # The entries must carry the node's origin: build the node with the bench origin.
    init_node(data, "bench.ipledger.localhost/log")
    with served_node(data) as url:
        entries = signed_stamps(n, start=20_000_000)
        bodies = [b"\n".join(entries[i : i + batch]) for i in range(0, n, batch)]
        accepted = [0] * clients

        def client(k: int) -> None:
            with httpx.Client(timeout=120) as c:
                for body in bodies[k::clients]:
                    resp = c.post(f"{url}/v1/entries/batch", content=body,
                                  headers={"Content-Type": "application/x-ndjson"})
                    accepted[k] += resp.json()["accepted"]

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    total = sum(accepted)
    if total != n:
        raise RuntimeError(f"only {total} of {n} entries were accepted")
    emit("ingest_http", total / elapsed, "entries/s", ceiling, entries=total, batch=batch,
         clients=clients, receipts="full receipt (inclusion proof + checkpoint) per entry",
         ceiling_is="Ed25519 verify/s, PyNaCl, all cores, same run", target=5_000)


def run(ceiling: float) -> None:
    bench_ingest_http(ceiling)
