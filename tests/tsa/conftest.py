"""Fixtures of the TSA tests: a real node directory, its ledger and its HTTP app, and
OpenSSL's ``ts`` command (the verifier nobody here wrote)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.ledger import Ledger
from ipledger.node import init_node, load_node_config, open_ledger

ORIGIN = "tsa.ipledger.localhost/log"
QUERY = {"Content-Type": "application/timestamp-query"}


def openssl(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                          check=check, timeout=60)


def verify(data_file: Path, reply: Path, node_dir: Path, ca: Path | None = None) -> str:
    """``openssl ts -verify`` of a reply against the node's CA; its stdout and stderr."""
    done = openssl("ts", "-verify", "-data", data_file, "-in", reply,
                   "-CAfile", ca or node_dir / "tsa-ca.pem",
                   "-untrusted", node_dir / "tsa.pem", check=False)
    return done.stdout + done.stderr


@dataclass
class TsaNode:
    data: Path
    ledger: Ledger
    client: TestClient
    work: Path

    def query(self, name: str, *options: str, content: bytes = b"hello, TSA\n") -> Path:
        """An ``openssl ts -query`` request for a new file ``name`` in the work directory."""
        target = self.work / name
        target.write_bytes(content)
        openssl("ts", "-query", "-data", target, *options, "-out", f"{target}.tsq")
        return target

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> bytes:
        resp = self.client.post("/tsa", content=body, headers=headers or QUERY)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "application/timestamp-reply"
        return resp.content

    def stamp(self, target: Path) -> Path:
        """POST ``target``'s query; the reply is written to ``target.tsr``."""
        reply = Path(f"{target}.tsr")
        reply.write_bytes(self.post(Path(f"{target}.tsq").read_bytes()))
        return reply

    def size(self) -> int:
        return self.ledger.store.tree_size()

    def state(self) -> tuple[int, bytes | None]:
        """The log size and the register's state root: bad input changes neither."""
        return self.size(), self.ledger.rules.root() if self.ledger.rules else None


@pytest.fixture
def tsa_node(tmp_path: Path) -> Iterator[TsaNode]:
    data = tmp_path / "node"
    init_node(data, ORIGIN)
    ledger = open_ledger(data, validation_processes=False)
    try:
        app = create_app(ledger)
        app.state.config = load_node_config(data)  # as 'ipledger serve' sets it
        work = tmp_path / "work"
        work.mkdir()
        with TestClient(app) as client:
            yield TsaNode(data, ledger, client, work)
    finally:
        ledger.close()
        ledger.store.close()
