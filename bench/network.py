"""The network benchmarks: ``network_throughput`` and ``finality_latency``.

A real local network (``ipledger network up``'s machinery): three Debian nats-servers
forming a JetStream cluster, the shared ledger's stream replicated R=3, and four office
nodes (``ipledger network serve`` processes, SQLite, validation in worker processes),
all on this one machine. Clients post pre-signed ``evidence.stamp`` entries as NDJSON
batches over HTTP to the four offices in turn.

- ``network_throughput``: entries per second from the first submission until a finality
  proof (a checkpoint cosigned by the quorum, 3 of 4) covers every entry. Ceiling: the
  same-run Ed25519 verify rate of all cores divided by the verifications each entry
  needs (once by every office: the submitting office reuses its pre-publication check).
- ``finality_latency``: entries offered at a fixed rate (open loop, small batches); p50
  and p99 from the moment an entry is sent until the final size covers it (final size
  polled every 5 ms on one office). Ceiling: the target, 1 s.

Usage: .venv/bin/python -m bench.network [--entries N] [--rate R] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import emit, note, percentile, scratch_dir
from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, ed25519_verify_ceiling
from ipledger.ledger import make_envelope
from ipledger.network.local import LocalNetwork

OFFICES = 4


def signed_stamps(ledger: str, count: int, clients: int = 16) -> list[bytes]:
    keys = [SigningKey.generate() for _ in range(clients)]
    return [canonicalize(make_envelope(keys[i % clients], ledger, "evidence.stamp", {
        "sha256": hashlib.sha256(b"network bench %d %f" % (i, time.time())).hexdigest()}))
        for i in range(count)]


def post(client: httpx.Client, url: str, raws: list[bytes]) -> list[int]:
    """Indexes of the accepted entries (all must be accepted)."""
    response = client.post(f"{url}/v1/entries/batch", content=b"\n".join(raws),
                           params={"receipts": "none"},  # the finality proof is the receipt
                           headers={"Content-Type": "application/x-ndjson"}, timeout=120)
    response.raise_for_status()
    results = response.json()["results"]
    bad = [r for r in results if r["status"] != 201]
    assert not bad, bad[:3]
    return [r["index"] for r in results]


def wait_final(url: str, size: int, timeout: float = 120) -> float:
    response = httpx.get(f"{url}/v1/network/finality", params={"size": size, "wait": 30},
                         timeout=timeout)
    response.raise_for_status()
    return time.perf_counter()


def bench_throughput(net: LocalNetwork, ceiling: float, entries: int, batch: int = 500,
                     concurrency: int = 8) -> None:
    raws = signed_stamps(net.network.ledger, entries)
    urls = [o.url for o in net.offices]
    chunks = [raws[i:i + batch] for i in range(0, len(raws), batch)]
    with httpx.Client() as client, ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        indexes = [i for done in pool.map(lambda c: post(client, urls[c[0] % len(urls)], c[1]),
                                          enumerate(chunks)) for i in done]
        durable = time.perf_counter()
        final = wait_final(urls[0], max(indexes) + 1)
    seconds = final - start
    emit("network_throughput", entries / seconds, "entries/s", ceiling, entries=entries,
         offices=OFFICES, nats_servers=3, stream_replicas=3, quorum=net.network.quorum,
         seconds=round(seconds, 2), durable_at_submitters_s=round(durable - start, 2),
         batch=batch, concurrency=concurrency, target=3_000,
         ceiling_is=f"Ed25519 verify/s of all cores / {OFFICES} (each office verifies each "
                    "entry once), same run",
         client="NDJSON batches with ?receipts=none: a finality proof covers them all",
         timed="first submission -> a finality proof covers every entry")


def bench_finality_latency(net: LocalNetwork, rate: int, seconds: float,
                           per_request: int = 10) -> None:
    count = int(rate * seconds)
    raws = signed_stamps(net.network.ledger, count)
    urls = [o.url for o in net.offices]
    sent_at: dict[int, float] = {}  # entry index -> when it was sent
    finals: list[tuple[float, int]] = []  # (when seen, final size)

    async def offer() -> None:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:
            async def send(n: int, chunk: list[bytes]) -> None:
                at = time.perf_counter()
                response = await client.post(
                    f"{urls[n % len(urls)]}/v1/entries/batch", content=b"\n".join(chunk),
                    params={"receipts": "none"},  # the client waits for finality instead
                    headers={"Content-Type": "application/x-ndjson"})
                response.raise_for_status()
                for result in response.json()["results"]:
                    assert result["status"] == 201, result
                    sent_at[result["index"]] = at

            async def watch(stop: asyncio.Event) -> None:
                while not stop.is_set():
                    status = await client.get(f"{urls[0]}/v1/network")
                    finals.append((time.perf_counter(), status.json()["final_size"]))
                    await asyncio.sleep(0.005)

            stop = asyncio.Event()
            watcher = asyncio.create_task(watch(stop))
            start = time.perf_counter()
            tasks = []
            for n, lo in enumerate(range(0, count, per_request)):  # open loop: on schedule
                await asyncio.sleep(max(0.0, start + n * per_request / rate
                                        - time.perf_counter()))
                tasks.append(asyncio.create_task(send(n, raws[lo:lo + per_request])))
            await asyncio.gather(*tasks)
            final = await client.get(f"{urls[0]}/v1/network/finality",
                                     params={"size": max(sent_at) + 1, "wait": 30})
            final.raise_for_status()
            await asyncio.sleep(0.05)
            stop.set()
            await watcher

    asyncio.run(offer())
    latencies = []
    for index, at in sent_at.items():
        seen = next(t for t, size in finals if size > index)
        latencies.append((seen - at) * 1000)
    emit("finality_latency", percentile(latencies, 0.99), "ms", 1000.0,
         p50_ms=round(percentile(latencies, 0.5), 1), entries=len(latencies), offered_rate=rate,
         entries_per_request=per_request, seconds=seconds, offices=OFFICES,
         quorum=net.network.quorum, target_ms=1000, ceiling_is="the target (1 s)",
         timed="sent -> the final size covers the entry (polled every 5 ms)")


def run(ceiling: float, entries: int = 30_000, rate: int = 1_000, seconds: float = 20) -> None:
    directory = scratch_dir() / "network"
    net = LocalNetwork(Path(directory), OFFICES, base_port=18400)
    try:
        net.start()
        note(f"network_throughput ({entries} entries, {OFFICES} offices, 3 NATS servers)")
        bench_throughput(net, ceiling / OFFICES, entries)
        note(f"finality_latency ({rate}/s offered for {seconds:.0f} s)")
        bench_finality_latency(net, rate, seconds)
    finally:
        net.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=30_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    ceiling = ed25519_verify_ceiling(2.0, os.cpu_count() or 1)
    emit("ed25519_verify", ceiling, "verify/s", ceiling, threads=os.cpu_count())
    run(ceiling, args.entries, args.rate, args.seconds)


if __name__ == "__main__":
    main()
