"""Acknowledged entries survive SIGKILL: receipts keep verifying, checkpoints stay consistent."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ipledger.codec import b64_decode, canonicalize
from ipledger.identity import NoteVerifier, open_note
from ipledger.ledger import verify_receipt
from ipledger.log import Checkpoint, leaf_hash, verify_consistency, verify_inclusion
from tests.integration.node_process import NodeProcess, ipledger

pytestmark = pytest.mark.slow


def parse_note(note: str, verifier: NoteVerifier) -> Checkpoint:
    return Checkpoint.parse(open_note(note, [verifier]).text)


class CheckpointWatcher(threading.Thread):
    """Records every distinct checkpoint the node serves."""

    def __init__(self, node: NodeProcess) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.notes: set[str] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=1) as client:
            while not self.stop.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    self.notes.add(client.get(f"{self.node.url}/tlog/checkpoint").text)
                time.sleep(0.02)


def test_receipts_and_checkpoints_survive_repeated_sigkill(tmp_path: Path,
                                                          store_spec: str | None) -> None:
    rng = random.Random(20261121)
    node = NodeProcess(tmp_path / "node", store=store_spec).start()
    verifier = NoteVerifier.from_vkey(node.vkey)
    watcher = CheckpointWatcher(node)
    watcher.start()
    files_dir = tmp_path / "files"
    files_dir.mkdir()
    env = {"IPLEDGER_KEY": str(tmp_path / "stamper.key")}
    ipledger("keygen", "--out", env["IPLEDGER_KEY"])
    n_files = 0
    orphans: set[int] = set()
    try:
        for _ in range(5):
            paths = []
            for _ in range(200):
                p = files_dir / f"doc-{n_files:05d}.txt"
                p.write_text(f"document {n_files} {rng.random()}\n")
                paths.append(str(p))
                n_files += 1
            stamper = subprocess.Popen(
                [sys.executable, "-m", "ipledger.cli", "stamp", *paths, "--node", node.url,
                 "--batch-size", "10", "--quiet"],
                env={**os.environ, **env}, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            # Kill mid-run: once this round has receipts (however loaded the machine is),
            # after a random extra delay, while later batches are still in flight.
            before = len(list(files_dir.glob("*.receipt.json")))
            deadline = time.monotonic() + 30
            while (len(list(files_dir.glob("*.receipt.json"))) == before
                   and time.monotonic() < deadline and stamper.poll() is None):
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
            workers = node.children()
            node.kill()  # mid-run: some batches acknowledged, one maybe in flight
            orphans.update(workers)
            stamper.wait(60)
            node.start()
    finally:
        watcher.stop.set()
        watcher.join()
    time.sleep(1.5)
    alive = [pid for pid in orphans if Path(f"/proc/{pid}").exists()
             and "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert orphans, "the node should have started validation workers"
    assert not alive, f"validation workers outlived their killed node: {alive}"
    try:
        receipts = sorted(files_dir.glob("*.receipt.json"))
        assert len(receipts) >= 20, "the stamper should have got some receipts acknowledged"
        latest = httpx.get(f"{node.url}/tlog/checkpoint").text
        newest = parse_note(latest, verifier)
        for receipt_path in receipts:
            receipt = json.loads(receipt_path.read_text())
            verify_receipt(receipt, [verifier])  # still valid on its own
            index = receipt["index"]
            stored = httpx.get(f"{node.url}/v1/entries/{index}").content
            assert stored == canonicalize(receipt["entry"]), "an acknowledged entry changed"
            proof = httpx.get(f"{node.url}/v1/entries/{index}/proof",
                              params={"size": newest.tree_size}).json()
            verify_inclusion(leaf_hash(stored), index, newest.tree_size,
                             [b64_decode(h) for h in proof["inclusion_proof"]], newest.root_hash)
        for receipt_path in rng.sample(receipts, 3):  # the CLI agrees, offline
            original = Path(str(receipt_path).removesuffix(".receipt.json"))
            assert ipledger("verify", str(original), "--vkey", node.vkey).returncode == 0
        assert len(watcher.notes) > 3
        for note in watcher.notes | {latest}:
            old = parse_note(note, verifier)
            if old.tree_size == 0:
                continue
            cons = httpx.get(f"{node.url}/v1/proofs/consistency",
                             params={"from": old.tree_size, "to": newest.tree_size})
            assert cons.status_code == 200, cons.text
            verify_consistency(old.tree_size, newest.tree_size, old.root_hash, newest.root_hash,
                               [b64_decode(h) for h in cons.json()["proof"]])
    finally:
        node.stop()
