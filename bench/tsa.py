"""``tsa``: RFC 3161 tokens per second (parse, evidence entry made durable, TSTInfo signed),
against the same-run ECDSA P-256 signing ceiling of ``cryptography`` on as many threads."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import ORIGIN, emit, note, scratch_dir
from ipledger.node import init_node, open_ledger
from ipledger.services.tsa import TimeStampAuthority
from ipledger.services.tsa_protocol import make_request

CLIENTS = 32  # concurrent requests, so the sequencer can group-commit their entries


def p256_sign_ceiling(threads: int, seconds: float = 2.0) -> float:
    """ECDSA P-256 / SHA-256 signatures per second with ``threads`` threads."""
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"\x31" * 200  # about the size of a token's signed attributes

    def signer(_: int) -> int:
        n, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            key.sign(message, ec.ECDSA(hashes.SHA256()))
            n += 1
        return n

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(signer, range(threads)))
    return total / (time.perf_counter() - start)


def run(n: int = 3000) -> None:
    threads = os.cpu_count() or 1
    ceiling = p256_sign_ceiling(threads)
    data = scratch_dir() / "node"
    init_node(data, ORIGIN)
    ledger = open_ledger(data)  # validation as the node runs it (configured mode)
    try:
        tsa = TimeStampAuthority.open(ledger, data)
        requests = [make_request(hashlib.sha256(b"%d" % i).digest(), i + 1) for i in range(n)]
        tsa.respond(requests[0])  # warm up: workers, key, caches
        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            replies = list(pool.map(tsa.respond, requests[1:]))
        elapsed = time.perf_counter() - start
        assert all(len(r) > 400 for r in replies)  # granted tokens, not rejections
        assert ledger.store.tree_size() == n
    finally:
        ledger.close()
        ledger.store.close()
        shutil.rmtree(data.parent, ignore_errors=True)
    emit("tsa", (n - 1) / elapsed, "tokens/s", ceiling, threads=threads, clients=CLIENTS,
         tokens=n - 1, ceiling_is=f"ECDSA P-256 signatures/s (cryptography, {threads} "
         "threads)", note="each token: request parsed, evidence.stamp entry validated and "
         "durable in SQLite, TSTInfo signed")


if __name__ == "__main__":
    note("tsa")
    run()
