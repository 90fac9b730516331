"""A whole network of offices on one machine: NATS servers and office nodes, for demos and tests.

``DIR/network.json`` describes it, ``DIR/genesis.key`` is the shared register's genesis
key, ``DIR/<office>/`` is each office's node and ``DIR/nats/`` the NATS cluster. The
nodes are real ``ipledger network serve`` processes; the NATS servers are Debian's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, did_key, read_private_key, write_private_key
from ipledger.ledger import make_envelope
from ipledger.network.config import NETWORK_FILE, Member, NetworkConfig
from ipledger.network.nats_cluster import NatsCluster
from ipledger.network.office_node import init_office_node
from ipledger.registry.families.network import MEMBERS_RECORD

DEFAULT_LEDGER = "network.ipledger.localhost/shared"
GENESIS_KEY = "genesis.key"


@dataclass
class OfficeProcess:
    name: str
    data: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def office_names(count: int) -> list[str]:
    return [f"office-{chr(ord('a') + i)}" for i in range(count)]


def create_network(directory: Path, offices: int, *, quorum: int | None = None,
                   ledger: str = DEFAULT_LEDGER, replicas: int = 3,
                   stream: str = "SHARED") -> NetworkConfig:
    """Make every office's node and the network description (once)."""
    if (directory / NETWORK_FILE).exists():
        return NetworkConfig.load(directory / NETWORK_FILE)
    directory.mkdir(parents=True, exist_ok=True)
    genesis_key = SigningKey.generate()
    write_private_key(directory / GENESIS_KEY, genesis_key)
    genesis = did_key(genesis_key.public_key)
    members = tuple(Member(name, init_office_node(directory / name, ledger, name, genesis))
                    for name in office_names(offices))
    network = NetworkConfig(ledger=ledger, stream=stream, genesis=genesis, members=members,
                            quorum=quorum or offices // 2 + 1, replicas=replicas)
    for member in members:
        network.write(directory / member.name / NETWORK_FILE)
    network.write(directory / NETWORK_FILE)
    return network


class LocalNetwork:
    """Start and stop the NATS cluster and the office node processes under ``directory``."""

    def __init__(self, directory: Path, offices: int = 4, *, nats_servers: int = 3,
                 base_port: int = 8100, quorum: int | None = None,
                 partitionable: bool = False) -> None:
        self.directory = directory.resolve()
        self.network = create_network(self.directory, offices, quorum=quorum,
                                      replicas=1 if nats_servers < 3 else 3)
        self.nats = NatsCluster(self.directory / "nats", size=nats_servers,
                                partitionable=partitionable)
        self.offices = [OfficeProcess(m.name, self.directory / m.name, base_port + i)
                        for i, m in enumerate(self.network.members)]

    @property
    def genesis_key(self) -> SigningKey:
        return read_private_key(self.directory / GENESIS_KEY)

    def start(self, timeout: float = 60.0) -> LocalNetwork:
        self.nats.start(timeout=timeout)
        for i in range(len(self.offices)):
            self.start_office(i, wait=False)
        for i in range(len(self.offices)):
            self.wait_office(i, timeout)
        self.found()
        return self

    def found(self) -> None:
        """Record the founding members as the shared ledger's first entry (once)."""
        url = self.offices[0].url
        if httpx.get(f"{url}/v1/state/{MEMBERS_RECORD}", timeout=10).json().get("record"):
            return
        members = [{"name": m.name, "cosigner": m.cosigner} for m in self.network.members]
        raw = canonicalize(make_envelope(self.genesis_key, self.network.ledger,
                                         "network.genesis",
                                         {"members": members, "quorum": self.network.quorum}))
        response = httpx.post(f"{url}/v1/entries", content=raw, timeout=60,
                              headers={"Content-Type": "application/json"})
        response.raise_for_status()

    def start_office(self, i: int, *, wait: bool = True, timeout: float = 60.0) -> None:
        office = self.offices[i]
        log = (office.data / "node.log").open("ab")
        office.process = subprocess.Popen(
            [sys.executable, "-m", "ipledger.cli", "network", "serve", "--data",
             str(office.data), "--nats", self.nats.servers_url, "--port", str(office.port)],
            stdout=log, stderr=subprocess.STDOUT,
            # Several nodes share this machine: validation threads, not worker processes.
            env={"IPLEDGER_LEDGER_VALIDATION_MODE": "threads", **os.environ,
                 "PYTHONUNBUFFERED": "1"})
        log.close()
        if wait:
            self.wait_office(i, timeout)

    def wait_office(self, i: int, timeout: float = 60.0) -> None:
        office = self.offices[i]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if office.process is not None and office.process.poll() is not None:
                raise RuntimeError(f"{office.name} exited; see {office.data / 'node.log'}")
            try:
                if httpx.get(f"{office.url}/v1/network", timeout=2).json().get("connected"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{office.name} did not join the network in {timeout} s")

    def kill_office(self, i: int) -> None:
        self._signal_office(i, signal.SIGKILL)

    def stop_office(self, i: int) -> None:
        self._signal_office(i, signal.SIGTERM)

    def _signal_office(self, i: int, sig: signal.Signals) -> None:
        process = self.offices[i].process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        for i in range(len(self.offices)):
            self.stop_office(i)
        self.nats.close()

    def __enter__(self) -> LocalNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
