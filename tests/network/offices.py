"""Four in-process office nodes of one shared ledger, for the network tests."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, read_private_key
from ipledger.ledger import make_envelope
from ipledger.ledger.sequencer import Sequenced
from ipledger.network.local import GENESIS_KEY, create_network
from ipledger.network.nats_cluster import NatsCluster
from ipledger.network.office_node import COSIGNER_KEY_FILE, open_shared_ledger
from ipledger.network.shared_ledger import SharedLedger

OFFICES = 4


class Offices:
    """Four in-process office nodes of one shared ledger."""

    def __init__(self, directory: Path, nats: NatsCluster, stream: str) -> None:
        self.directory = directory
        self.nats = nats
        self.network = create_network(directory, OFFICES, stream=stream)
        self.genesis = read_private_key(directory / GENESIS_KEY)
        self.nodes: list[SharedLedger | None] = [None] * OFFICES
        for i in range(OFFICES):
            self.open(i)

    def open(self, i: int) -> SharedLedger:
        node = open_shared_ledger(self.directory / self.network.members[i].name,
                                  self.nats.urls, validation_processes=False,
                                  checkpoint_interval_s=0.05)
        self.nodes[i] = node
        return node

    def node(self, i: int) -> SharedLedger:
        node = self.nodes[i]
        assert node is not None
        return node

    def close(self, i: int) -> None:
        node = self.nodes[i]
        if node is not None:
            node.close()
            node.store.close()
            self.nodes[i] = None

    def close_all(self) -> None:
        for i in range(OFFICES):
            self.close(i)

    def sign(self, key: SigningKey, entry_type: str, body: dict[str, Any]) -> bytes:
        return canonicalize(make_envelope(key, self.network.ledger, entry_type, body))

    def settled(self, size: int, timeout: float = 30) -> list[SharedLedger]:
        """Every open node once it has applied ``size`` entries."""
        deadline = time.monotonic() + timeout
        nodes = [n for n in self.nodes if n is not None]
        while any(n.sequencer.tree_size < size for n in nodes):
            assert time.monotonic() < deadline, [n.sequencer.tree_size for n in nodes]
            time.sleep(0.02)
        return nodes


def assert_identical(nodes: list[SharedLedger]) -> None:
    """Same size, same log root, same state root, same entries (byte for byte)."""
    sizes = {n.sequencer.tree_size for n in nodes}
    assert len(sizes) == 1, sizes
    size = sizes.pop()
    roots = {n.store.get_meta("root_hash") for n in nodes}
    assert len(roots) == 1, roots
    states = {n.store.state_root_at(size) for n in nodes}
    assert len(states) == 1, states
    logs = {hashlib.sha256(b"".join(n.store.read_entries(0, size))).hexdigest() for n in nodes}
    assert len(logs) == 1


def cosigner_key(offices: Offices, i: int) -> SigningKey:
    return read_private_key(offices.directory / offices.network.members[i].name /
                            COSIGNER_KEY_FILE)


def results(futures: list[Future[Sequenced]], timeout: float = 60) -> list[Sequenced]:
    return [f.result(timeout) for f in futures]
