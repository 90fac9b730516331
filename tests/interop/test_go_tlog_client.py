"""A standard tlog-tiles client (golang.org/x/mod/sumdb/tlog + note) accepts our node."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from tests.integration.node_process import NodeProcess
from tests.interop.conftest import ROOT

pytestmark = pytest.mark.interop


def run_client(tlogclient: str, node: NodeProcess, olds: list[Path]) -> dict:
    args = [tlogclient, "-url", f"{node.url}/tlog/", "-vkey", node.vkey, "-entries", "all",
            "-proofs", "all"]
    for old in olds:
        args += ["-old", str(old)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"x/mod client refused the log: {done.stdout} {done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_xmod_client_verifies_checkpoint_tiles_bundles_and_proofs(
    tmp_path: Path, tlogclient: str
) -> None:
    key = SigningKey.generate()
    olds: list[Path] = []
    with NodeProcess(tmp_path / "node") as node, httpx.Client(timeout=30) as client:
        origin = client.get(f"{node.url}/v1/log").json()["origin"]
        empty = tmp_path / "checkpoint-0"
        empty.write_text(client.get(f"{node.url}/tlog/checkpoint").text)
        n = 0
        # Sizes chosen to cross tile boundaries at level 0 and level 1.
        for batch in (1, 254, 1, 1, 300, 1000, 1000, 1000, 1000, 200):
            lines = [
                canonicalize(make_envelope(key, origin, "evidence.stamp",
                                           {"sha256": f"{n + i:064x}"}))
                for i in range(batch)
            ]
            n += batch
            resp = client.post(f"{node.url}/v1/entries/batch", content=b"\n".join(lines),
                               headers={"Content-Type": "application/x-ndjson"})
            assert resp.json()["accepted"] == batch
            cp = tmp_path / f"checkpoint-{n}"
            cp.write_text(client.get(f"{node.url}/tlog/checkpoint").text)
            olds.append(cp)
        summary = run_client(tlogclient, node, [empty, *olds[:-1]])
    assert summary["ok"] is True
    assert summary["size"] == n == 4757
    assert summary["entries_checked"] == n
    assert summary["consistency_checked"] == len(olds)
    assert summary["root_recomputed"] is True


def test_xmod_client_catches_tampering_in_its_own_fixtures() -> None:
    """The checker is not a rubber stamp: its self-test forges tiles, bundles and notes."""
    done = subprocess.run([str(ROOT / "interop" / "go-tlog-client" / "selftest.sh")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
