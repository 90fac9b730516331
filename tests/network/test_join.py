"""A new office joins a running network: admitted by governance, filled from a peer's tiles up
to a final checkpoint (verified, not trusted), then caught up from the stream."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, read_private_key
from ipledger.ledger import make_envelope
from ipledger.network.config import NETWORK_FILE, Member, NetworkConfig
from ipledger.network.local import LocalNetwork
from ipledger.network.office_node import COSIGNER_KEY_FILE
from tests.integration.node_process import ipledger

pytestmark = pytest.mark.slow


def post(url: str, raws: list[bytes]) -> list[int]:
    response = httpx.post(f"{url}/v1/entries/batch", content=b"\n".join(raws), timeout=60,
                          headers={"Content-Type": "application/x-ndjson"})
    results = response.json()["results"]
    assert all(r["status"] == 201 for r in results), results[:2]
    return [r["receipt"]["index"] for r in results]


def stamps(net: LocalNetwork, tag: bytes, count: int) -> list[bytes]:
    key = SigningKey.generate()
    return [canonicalize(make_envelope(key, net.network.ledger, "evidence.stamp", {
        "sha256": hashlib.sha256(tag + b"%d" % i).hexdigest()})) for i in range(count)]


def network_status(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/v1/network", timeout=10).json())


def test_a_new_office_joins_from_a_peer_and_the_stream(tmp_path: Path) -> None:
    net = LocalNetwork(tmp_path / "net", 4, base_port=18730)
    newcomer = tmp_path / "office-e"
    process = None
    try:
        net.start()
        post(net.offices[0].url, stamps(net, b"before", 300))
        vkey = ipledger("network", "init", "--data", str(newcomer), "--ledger",
                        net.network.ledger, "--office", "office-e", "--genesis",
                        net.network.genesis).stdout.strip()
        keys = [read_private_key(o.data / COSIGNER_KEY_FILE) for o in net.offices[:3]]
        admit = canonicalize(make_envelope(keys[0], net.network.ledger, "network.admit",
                                           {"name": "office-e", "cosigner": vkey},
                                           endorsers=keys[1:]))
        post(net.offices[1].url, [admit])
        indexes = post(net.offices[2].url, stamps(net, b"admitted", 50))
        httpx.get(f"{net.offices[0].url}/v1/network/finality",
                  params={"size": max(indexes) + 1, "wait": 20}, timeout=30).raise_for_status()

        # Without the new member in its network.json, the node refuses to trust anything...
        current = NetworkConfig.from_json({**net.network.to_json(), "members": [
            *net.network.to_json()["members"], {"name": "office-e", "cosigner": vkey}]})
        wrong = NetworkConfig.from_json({**current.to_json(), "quorum": 5})
        wrong.write(newcomer / NETWORK_FILE)
        refused = ipledger("network", "join", "--data", str(newcomer), "--from",
                           net.offices[0].url, check=False)
        assert refused.returncode == 1 and "quorum is 5" in refused.stderr, refused.stderr
        assert "office-e" in {m.name for m in current.members}
        current.write(newcomer / NETWORK_FILE)
        joined = ipledger("network", "join", "--data", str(newcomer), "--from",
                          net.offices[3].url)
        assert joined.stdout.startswith("joined at size "), joined.stdout
        size = int(joined.stdout.split()[3])
        assert size >= max(indexes) + 1

        process = subprocess.Popen(
            [sys.executable, "-m", "ipledger.cli", "network", "serve", "--data",
             str(newcomer), "--nats", net.nats.servers_url, "--port", "18739"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = "http://127.0.0.1:18739"
        indexes = post(net.offices[1].url, stamps(net, b"after", 100))
        deadline = time.monotonic() + 60
        while True:
            try:
                status = network_status(url)
                if status["tree_size"] > max(indexes):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the new office did not catch up"
            time.sleep(0.3)
        # The newcomer cosigns what the others cosign: no divergence anywhere, same body.
        final = max(indexes) + 1
        bodies = {httpx.get(f"{u}/v1/network/finality", params={"size": final, "wait": 20},
                            timeout=30).text.partition("\n\n")[0]
                  for u in [url, *(o.url for o in net.offices)]}
        sizes = {int(b.splitlines()[1]) for b in bodies}
        assert len(sizes) >= 1
        for u in [url, *(o.url for o in net.offices)]:
            assert network_status(u)["divergences"] == 0
        entries = {httpx.get(f"{u}/v1/entries/{final - 1}", timeout=10).content
                   for u in [url, net.offices[0].url]}
        assert len(entries) == 1
        assert json.loads(httpx.get(f"{url}/v1/state/network/members", timeout=10).text)[
            "record"]["members"][-1]["name"] == "office-e"
        assert Member("office-e", vkey) in current.members
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        net.stop()
