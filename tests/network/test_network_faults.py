"""Faults under load: three NATS servers, four office node processes, clients writing all along.

kill -9 the stream's leader, kill -9 an office node, partition a NATS server; restart and
heal. Afterwards nothing acknowledged is lost, every office holds the same log and root,
and a new entry is final within 5 s. Then one office's key cosigns a forked checkpoint
(caught by every other office, with evidence) and one office's stored copy is corrupted
(it refuses to start).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import nats
import pytest

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import CosignatureSigner, SigningKey, read_private_key
from ipledger.ledger import make_envelope
from ipledger.network.finality import cosigned_body
from ipledger.network.local import LocalNetwork
from ipledger.network.office_node import COSIGNER_KEY_FILE

pytestmark = pytest.mark.slow


class Load:
    """Clients posting small NDJSON batches to the offices in turn; remembers every ack."""

    def __init__(self, net: LocalNetwork) -> None:
        self.net = net
        self.key = SigningKey.generate()
        self.acked: dict[int, bytes] = {}  # index -> sha256 of the signed entry
        self.errors = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(3)]

    def run(self, worker: int) -> None:
        n = 0
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                office = self.net.offices[(worker + n) % len(self.net.offices)]
                raws = [canonicalize(make_envelope(self.key, self.net.network.ledger,
                                                   "evidence.stamp", {"sha256": hashlib.sha256(
                                                       b"%d %d %d" % (worker, n, i)).hexdigest()}))
                        for i in range(10)]
                n += 1
                try:
                    response = client.post(f"{office.url}/v1/entries/batch",
                                           content=b"\n".join(raws),
                                           headers={"Content-Type": "application/x-ndjson"})
                except httpx.HTTPError:  # the office is down right now
                    self.errors += 1
                    time.sleep(0.1)
                    continue
                if response.status_code != 200:
                    self.errors += 1
                    continue
                for raw, result in zip(raws, response.json()["results"], strict=True):
                    if result["status"] == 201:
                        self.acked[result["receipt"]["index"]] = hashlib.sha256(raw).digest()
                time.sleep(0.02)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


def status(net: LocalNetwork, i: int) -> dict[str, int]:
    return dict(httpx.get(f"{net.offices[i].url}/v1/network", timeout=10).json())


def settle(net: LocalNetwork, timeout: float = 60) -> int:
    """Wait until every office has the same size and it is final; return it."""
    deadline = time.monotonic() + timeout
    while True:
        states = [status(net, i) for i in range(len(net.offices))]
        sizes = {s["tree_size"] for s in states}
        if len(sizes) == 1 and all(s["final_size"] == s["tree_size"] for s in states):
            return sizes.pop()
        assert time.monotonic() < deadline, states
        time.sleep(0.2)


def unsequenced_sha256(entry: bytes) -> bytes:
    """The SHA-256 of the entry as signed (without the sequencer's ``seq``)."""
    value = parse_json(entry)
    del value["seq"]
    return hashlib.sha256(canonicalize(value)).digest()


def test_kill_partition_restart_under_load_loses_nothing(tmp_path: Path) -> None:
    net = LocalNetwork(tmp_path / "net", 4, base_port=18700, partitionable=True)
    try:
        net.start()
        with Load(net) as load:
            time.sleep(2)
            leader = net.nats.wait_stream_leader(net.network.stream)
            net.nats.kill(leader)  # the stream's leader: kill -9
            time.sleep(3)
            net.nats.start(leader)
            net.kill_office(1)  # an office node: kill -9 ...
            time.sleep(2)
            net.start_office(1)  # ... and back: it catches up from the stream
            follower = (net.nats.wait_stream_leader(net.network.stream) + 1) % 3
            net.nats.partition(follower)
            time.sleep(3)
            net.nats.heal(follower)
            net.nats.wait_stream_caught_up(net.network.stream, timeout=60)
            time.sleep(2)
        assert len(load.acked) > 200, (len(load.acked), load.errors)
        size = settle(net)
        # Every office's newest final checkpoint: the same body (size, root, state root).
        bodies = {httpx.get(f"{o.url}/v1/network/finality", params={"size": size},
                            timeout=10).text.partition("\n\n")[0] for o in net.offices}
        assert len(bodies) == 1, bodies
        # Every acknowledged entry is in every office's log, at the index it was given.
        sample = sorted(load.acked)[:: max(1, len(load.acked) // 200)]
        for office in net.offices:
            with httpx.Client(timeout=10) as client:
                for index in sample:
                    entry = client.get(f"{office.url}/v1/entries/{index}").content
                    assert unsequenced_sha256(entry) == load.acked[index], (office.name, index)
        assert max(load.acked) < size

        # Healed: a new entry is final within 5 s.
        key = SigningKey.generate()
        raw = canonicalize(make_envelope(key, net.network.ledger, "evidence.stamp",
                                         {"sha256": hashlib.sha256(b"after").hexdigest()}))
        started = time.monotonic()
        receipt = httpx.post(f"{net.offices[2].url}/v1/entries", content=raw, timeout=30,
                             headers={"Content-Type": "application/json"}).json()
        final = httpx.get(f"{net.offices[3].url}/v1/network/finality",
                          params={"size": receipt["index"] + 1, "wait": 10}, timeout=30)
        assert final.status_code == 200, final.text
        assert time.monotonic() - started < 5.0

        # Office d's key cosigns a forked checkpoint (another root at a final size) and
        # announces it: every other office keeps the signed body as evidence.
        forked = cosigned_body(net.network.ledger, size, b"\x07" * 32, None, 1)
        signer = CosignatureSigner("office-d", read_private_key(
            net.offices[3].data / COSIGNER_KEY_FILE))
        announcement = json.dumps({"member": "office-d", "body": forked,
                                   "line": signer.sign(forked).line()}).encode()
        asyncio.run(announce(net.nats.servers_url, net.network.cosignature_subject,
                             announcement))
        for office in net.offices[:3]:
            deadline = time.monotonic() + 10
            while not (evidence := httpx.get(f"{office.url}/v1/network/divergences",
                                             timeout=10).json()):
                assert time.monotonic() < deadline, office.name
                time.sleep(0.2)
            assert evidence[0]["member"] == "office-d" and evidence[0]["size"] == size
            assert evidence[0]["theirs"].startswith(forked)

        # Office c's stored copy is corrupted while it is down: it refuses to start.
        net.stop_office(2)
        with sqlite3.connect(net.offices[2].data / "ledger.sqlite") as db:
            tile_id, tile = db.execute("SELECT id, data FROM tiles ORDER BY id DESC "
                                       "LIMIT 1").fetchone()
            db.execute("UPDATE tiles SET data = ? WHERE id = ?",
                       (bytes([tile[0] ^ 1]) + tile[1:], tile_id))
        with pytest.raises(RuntimeError, match="exited"):
            net.start_office(2, timeout=30)
        assert "the store is corrupt" in (net.offices[2].data / "node.log").read_text()
    finally:
        net.stop()


async def announce(servers: str, subject: str, payload: bytes) -> None:
    connection = await nats.connect(servers=servers.split(","))
    await connection.publish(subject, payload)
    await connection.flush()
    await connection.close()
