"""The x/mod tlog client still accepts a checkpoint that carries witness cosignatures."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from tests.integration.node_process import NodeProcess, ipledger
from tests.integration.test_witnessing import wait_cosigned
from tests.interop.test_go_tlog_client import run_client

pytestmark = pytest.mark.interop


def test_xmod_client_accepts_a_cosigned_checkpoint(tmp_path: Path, tlogclient: str) -> None:
    node = NodeProcess(tmp_path / "node", "office-a.example/log")
    witness = NodeProcess(tmp_path / "witness", "office-b.example/log")
    witness_vkey = (witness.data / "witness.vkey").read_text().strip()
    ipledger("witness", "add-log", "--data", str(witness.data), "--origin",
             "office-a.example/log", "--vkey", node.vkey)
    ipledger("witness", "add-witness", "--data", str(node.data), "--url",
             f"{witness.url}/witness", "--vkey", witness_vkey)
    key = SigningKey.generate()
    with node, witness, httpx.Client(timeout=30) as client:
        lines = [canonicalize(make_envelope(key, "office-a.example/log", "evidence.stamp",
                                            {"sha256": f"{i:064x}"})) for i in range(300)]
        resp = client.post(f"{node.url}/v1/entries/batch", content=b"\n".join(lines),
                           headers={"Content-Type": "application/x-ndjson"})
        assert resp.json()["accepted"] == 300
        note = wait_cosigned(node, node.vkey, witness_vkey, 300)
        assert note.count("\n— ") == 2  # the log's signature and the witness's cosignature
        summary = run_client(tlogclient, node, [])
    assert summary["ok"] is True and summary["size"] == 300
