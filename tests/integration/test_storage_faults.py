"""A real node on a real filesystem that fills up: writes are refused with a clear problem,
reads go on, and once the fault clears the node writes again, having lost nothing it
acknowledged. (A store that turns read-only: tests/storage/test_conformance.py; a database
connection killed mid-batch: tests/storage/test_postgresql.py. A mounted filesystem cannot be
remounted read-only under a node that holds its files open for writing.)"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import NoteVerifier, SigningKey
from ipledger.ledger import make_envelope
from ipledger.ledger.receipts import verify_receipt
from tests.integration.node_process import NodeProcess, ipledger

pytestmark = pytest.mark.slow


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs (root needed: the suite runs as root on CI machines)."""
    where = tmp_path / "disk"
    where.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(where)):
        if os.environ.get("CI") == "true":
            pytest.fail("cannot mount a tmpfs for the disk-fault test under CI")
        pytest.skip("mounting a tmpfs needs root")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def stamp(client: httpx.Client, node: NodeProcess, key: SigningKey, origin: str,
          n: int) -> httpx.Response:
    body = {"sha256": f"{n:064x}", "media_type": "text/plain"}
    env = make_envelope(key, origin, "evidence.stamp", body)
    return client.post(f"{node.url}/v1/entries", content=canonicalize(env),
                       headers={"Content-Type": "application/json"})


def test_disk_full_then_healed(small_disk: Path) -> None:
    key = SigningKey.generate()
    receipts: list[dict[str, object]] = []
    with NodeProcess(small_disk / "node") as node, httpx.Client(timeout=30) as client:
        origin = client.get(f"{node.url}/v1/log").json()["origin"]
        verifier = NoteVerifier.from_vkey(node.vkey)
        # Fill the disk: every acknowledged write is kept, the first refusal is clear.
        refusal = None
        for n in range(20_000):
            resp = stamp(client, node, key, origin, n)
            if resp.status_code != 201:
                refusal = resp
                break
            receipts.append(resp.json())
        assert refusal is not None, "a 3 MiB disk should fill up"
        assert refusal.status_code == 503, refusal.text
        problem = refusal.json()
        assert problem["rule"] == "unavailable"
        assert "full" in problem["detail"], problem
        acknowledged = len(receipts)
        # Reads go on while the disk is full.
        assert client.get(f"{node.url}/tlog/checkpoint").status_code == 200
        assert client.get(f"{node.url}/v1/entries/0").status_code == 200
        assert stamp(client, node, key, origin, 90_000).status_code == 503

        # The fault clears: the disk grows, and the node writes again at once.
        assert _mount("-o", "remount,size=64m", str(small_disk))
        done = stamp(client, node, key, origin, 90_001)
        assert done.status_code == 201, done.text
        assert done.json()["index"] == acknowledged
        for receipt in receipts[:: max(1, acknowledged // 50)]:
            verify_receipt(receipt, [verifier])
            index = receipt["index"]
            stored = client.get(f"{node.url}/v1/entries/{index}").content
            assert json.loads(stored) == receipt["entry"]
    assert ipledger("log", "fsck", "--data", str(small_disk / "node")).returncode == 0
