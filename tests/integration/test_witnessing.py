"""Two offices witness each other's registers: real ``ipledger serve`` processes.

Each node witnesses the other's log (``witness add-log``) and asks the other to cosign
its own (``witness add-witness``); then a second holder of office B's log key signs a
fork, which office A refuses, keeps across a restart and exposes.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import (
    CosignatureVerifier,
    NoteSigner,
    NoteVerifier,
    open_note,
    read_private_key,
)
from ipledger.ledger import make_envelope
from ipledger.ledger.checkpoints import signed_checkpoint
from ipledger.log import Checkpoint
from ipledger.network.witness_client import add_checkpoint_body
from tests.integration.node_process import NodeProcess, ipledger

pytestmark = pytest.mark.slow

A, B = "office-a.example/log", "office-b.example/log"


def stamp(node: NodeProcess, origin: str, n: int, key_path: Path) -> None:
    key = read_private_key(key_path)
    lines = [canonicalize(make_envelope(key, origin, "evidence.stamp",
                                        {"sha256": f"{time.time_ns() + i:064x}"}))
             for i in range(n)]
    resp = httpx.post(f"{node.url}/v1/entries/batch", content=b"\n".join(lines),
                      headers={"Content-Type": "application/x-ndjson"}, timeout=30)
    assert resp.json()["accepted"] == n, resp.text


def wait_cosigned(node: NodeProcess, log_vkey: str, witness_vkey: str, min_size: int) -> str:
    """The node's /tlog/checkpoint once it is at least ``min_size`` and cosigned."""
    verifiers = [NoteVerifier.from_vkey(log_vkey), CosignatureVerifier.from_vkey(witness_vkey)]
    deadline = time.monotonic() + 30
    while True:
        note = httpx.get(f"{node.url}/tlog/checkpoint", timeout=5).text
        opened = open_note(note, verifiers)
        if len(opened.verified) == 2 and Checkpoint.parse(opened.text).tree_size >= min_size:
            return note
        assert time.monotonic() < deadline, f"not cosigned in 30 s: {note}"
        time.sleep(0.1)


def test_two_offices_witness_each_other_and_a_fork_is_caught(tmp_path: Path,
                                                             store_spec: str | None) -> None:
    a = NodeProcess(tmp_path / "a", A, store=store_spec)
    b = NodeProcess(tmp_path / "b", B)
    a_wkey = (a.data / "witness.vkey").read_text().strip()  # made by init
    b_wkey = (b.data / "witness.vkey").read_text().strip()
    for me, other, other_origin, other_wkey in ((a, b, B, b_wkey), (b, a, A, a_wkey)):
        ipledger("witness", "add-log", "--data", str(me.data), "--origin", other_origin,
                 "--vkey", str(other.data / "log.vkey"))
        ipledger("witness", "add-witness", "--data", str(me.data),
                 "--url", f"{other.url}/witness", "--vkey", other_wkey)
    listing = ipledger("witness", "list", "--data", str(a.data)).stdout
    assert B in listing and f"{b.url}/witness" in listing and a_wkey in listing
    ipledger("keygen", "--out", str(tmp_path / "stamper.key"))

    with a, b:
        assert httpx.get(f"{a.url}/witness/vkey").text.strip() == a_wkey
        stamp(a, A, 5, tmp_path / "stamper.key")
        stamp(b, B, 7, tmp_path / "stamper.key")
        a_note = wait_cosigned(a, a.vkey, b_wkey, 5)
        b_note = wait_cosigned(b, b.vkey, a_wkey, 7)
        stamp(b, B, 300, tmp_path / "stamper.key")  # growth: B proves consistency to A
        b_note = wait_cosigned(b, b.vkey, a_wkey, 307)
        assert a_note.startswith(A) and b_note.startswith(B)
        logs = {log["origin"]: log for log in httpx.get(f"{a.url}/witness/logs").json()["logs"]}
        assert logs[B]["size"] >= 307

        # A second holder of B's log key signs another root at the size A cosigned.
        size = logs[B]["size"]
        b_signer = NoteSigner(B, read_private_key(b.data / "keys" / "log.key"))
        fork = signed_checkpoint(B, size, b"\x66" * 32, b_signer)
        resp = httpx.post(f"{a.url}/witness/add-checkpoint",
                          content=add_checkpoint_body(size, [], fork))
        assert resp.status_code == 409
        assert resp.headers["content-type"].startswith("application/problem+json")
        a.stop()
        a.start()  # the evidence is durable
        (record,) = httpx.get(f"{a.url}/witness/evidence").json()["evidence"]
        assert record["kind"] == "same-size-different-root"
        assert record["offered_checkpoint"] == fork
        recorded = open_note(record["recorded_checkpoint"], [NoteVerifier.from_vkey(b.vkey)])
        assert Checkpoint.parse(recorded.text).tree_size == size
        metrics = httpx.get(f"{a.url}/metrics").text
        assert "ipledger_witness_evidence_kept 1.0" in metrics
        # B's honest log keeps being witnessed after the refusal and the restart.
        stamp(b, B, 3, tmp_path / "stamper.key")
        wait_cosigned(b, b.vkey, a_wkey, size + 3)
