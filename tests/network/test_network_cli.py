"""``ipledger network up`` / ``network verify`` end to end, as an operator would run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ipledger.network.nats_cluster import running_servers
from tests.integration.node_process import ipledger

pytestmark = pytest.mark.slow


def test_network_up_stamp_and_verify_finality_offline(tmp_path: Path) -> None:
    directory = tmp_path / "network"
    up = subprocess.Popen(
        [sys.executable, "-m", "ipledger.cli", "network", "up", "--offices", "4", "--dir",
         str(directory), "--base-port", "18610"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert up.stdout is not None
        lines = [up.stdout.readline() for _ in range(6)]
        assert lines[0].startswith("network network.ipledger.localhost/shared: 4 offices, "
                                   "quorum 3"), lines
        assert "office-d: http://127.0.0.1:18613" in "".join(lines)
        network = json.loads((directory / "network.json").read_text())
        assert [m["name"] for m in network["members"]] == [
            "office-a", "office-b", "office-c", "office-d"]

        document = tmp_path / "report.txt"
        document.write_text("shared evidence\n")
        key = tmp_path / "me.key"
        ipledger("keygen", "--out", str(key))
        ipledger("stamp", str(document), "--node", "http://127.0.0.1:18610", "--key", str(key))
        receipt = json.loads((tmp_path / "report.txt.receipt.json").read_text())
        size = receipt["index"] + 1
        proof = httpx.get("http://127.0.0.1:18612/v1/network/finality",
                          params={"size": size, "wait": 10}, timeout=30)
        assert proof.status_code == 200, proof.text
        proof_file = tmp_path / "final.txt"
        proof_file.write_text(proof.text)
        verified = ipledger("network", "verify", str(proof_file), "--network",
                            str(directory / "network.json"))
        assert verified.stdout.startswith("final: network.ipledger.localhost/shared size "), \
            verified.stdout
        assert "(quorum 3 of 4)" in verified.stdout

        # Keep only two cosignature lines: below the quorum, refused.
        body, _, lines_text = proof.text.partition("\n\n")
        short = body + "\n\n" + "".join(f"{line}\n" for line in lines_text.splitlines()[:2])
        proof_file.write_text(short)
        refused = ipledger("network", "verify", str(proof_file), "--network",
                           str(directory / "network.json"), check=False)
        assert refused.returncode == 1 and "NOT FINAL" in refused.stderr
        # Not final yet: a clear problem, not a hang.
        pending = httpx.get("http://127.0.0.1:18611/v1/network/finality",
                            params={"size": 10**6}, timeout=10)
        assert pending.status_code == 404 and pending.json()["rule"] == "not-final"
        bad = httpx.get("http://127.0.0.1:18611/v1/network/finality",
                        params={"size": "x"}, timeout=10)
        assert bad.status_code == 400 and bad.json()["rule"] == "bad-parameter"
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
    # SIGTERM stops everything it started: no NATS server, no office node is left.
    deadline = time.monotonic() + 10
    while running_servers(directory / "nats") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running_servers(directory / "nats")
    with pytest.raises(httpx.HTTPError):
        httpx.get("http://127.0.0.1:18610/v1/network", timeout=2)
