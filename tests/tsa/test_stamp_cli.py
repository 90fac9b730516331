"""``ipledger stamp --rfc3161`` against a real ``ipledger serve`` (whose data directory
predates the TSA: the chain is made on first use); OpenSSL verifies the .tsr."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx

from ipledger.services.tsa_ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    ENTRY_KEY_FILE,
    TSA_CERT_FILE,
    TSA_KEY_FILE,
)
from tests.integration.node_process import NodeProcess, ipledger
from tests.tsa.conftest import verify


def _evidence(url: str, digest: str) -> dict[str, Any]:
    """``GET /v1/evidence/<sha256>`` once a checkpoint covers the stamp."""
    deadline = time.monotonic() + 10
    while True:
        found: dict[str, Any] = httpx.get(f"{url}/v1/evidence/{digest}", timeout=10).json()
        if found["count"] or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_stamp_rfc3161_writes_a_tsr_that_openssl_verifies(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "node")
    for name in (CA_KEY_FILE, TSA_KEY_FILE, ENTRY_KEY_FILE, CA_CERT_FILE, TSA_CERT_FILE):
        (node.data / name).unlink()  # as on a node initialised before the TSA existed
    files = [tmp_path / "claims.pdf", tmp_path / "drawing.png"]
    for i, path in enumerate(files):
        path.write_bytes(f"document {i}\n".encode())
    with node:
        done = ipledger("stamp", "--rfc3161", *map(str, files), "--node", node.url)
        assert done.returncode == 0, done.stderr
        for index, path in enumerate(files):
            reply = Path(f"{path}.tsr")
            assert f"{reply}: RFC 3161 token, serial {index}" in done.stdout
            assert "Verification: OK" in verify(path, reply, node.data)
            # The imprint's entry, proven by the log alone: serial = its index.
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            evidence = _evidence(node.url, digest)
            assert [r["index"] for r in evidence["receipts"]] == [index]
            receipt = tmp_path / f"{index}.receipt.json"
            receipt.write_text(json.dumps(evidence["receipts"][0]))
            checked = ipledger("verify", "receipt", str(receipt), "--vkey", node.vkey,
                               check=False)
            assert checked.returncode == 0, checked.stdout + checked.stderr
        assert not Path(f"{files[0]}.receipt.json").exists()
        refused = ipledger("stamp", "--rfc3161", str(files[0]), "--node",
                           f"{node.url}/nowhere", check=False)
        assert refused.returncode == 1 and "HTTP 404" in refused.stderr
