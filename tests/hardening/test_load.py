"""Mixed reads and writes at a fixed offered rate against a real node: no errors, no
acknowledged write lost, memory flat. ``make loadtest`` runs the full 2,000 requests/s for
10 minutes; the suite runs a short version (IPLEDGER_LOAD_RATE, IPLEDGER_LOAD_SECONDS)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from bench.common import percentile
from bench.hammer import Hammer

from ipledger.identity import NoteVerifier
from ipledger.ledger.receipts import verify_receipt
from tests.integration.node_process import NodeProcess, ipledger

SECONDS = float(os.environ.get("IPLEDGER_LOAD_SECONDS", "20"))
RATE = float(os.environ.get("IPLEDGER_LOAD_RATE", "500"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(int(SECONDS * 2 + 300))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_mixed_load_no_errors_nothing_lost_memory_flat(tmp_path: Path) -> None:
    rate, seconds = RATE, SECONDS
    with NodeProcess(tmp_path / "node") as node:
        assert node.proc is not None
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not stop.wait(0.5):
                samples.append((time.monotonic() - start, rss_kib(node.proc.pid)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            result = asyncio.run(Hammer(node.url, rate, seconds, write_fraction=0.2).run())
        finally:
            stop.set()
            sampler.join()
        warm = [kib for t, kib in samples if t >= seconds / 4]
        print(json.dumps({  # the run's figures, for the record (pytest -s shows them)
            "offered_per_s": rate, "seconds": round(result.seconds, 1), "sent": result.sent,
            "statuses": dict(result.statuses), "writes_acknowledged": len(result.receipts),
            "read_p99_ms": round(percentile(result.read_ms, 0.99), 1),
            "write_p99_ms": round(percentile(result.write_ms, 0.99), 1),
            "rss_kib_after_warmup": warm[:1], "rss_kib_max": max(warm, default=0)}))
        assert result.failed == 0, (result.statuses, result.errors[:5])
        assert result.sent >= rate * seconds * 0.95
        assert len(result.receipts) > rate * seconds * 0.15
        # Nothing acknowledged is lost: every receipt verifies and its entry is stored.
        verifier = NoteVerifier.from_vkey(node.vkey)
        with httpx.Client(timeout=30) as client:
            for receipt in result.receipts:
                verify_receipt(receipt, [verifier])
            size = client.get(f"{node.url}/v1/log").json()["tree_size"]
        assert size >= len(result.receipts)
        # Memory flat: after the first quarter (caches warm), growth stays small.
        assert warm, samples
        assert max(warm) <= warm[0] * 1.25 + 16_384, (warm[0], max(warm))
    assert ipledger("log", "fsck", "--data", str(tmp_path / "node")).returncode == 0
