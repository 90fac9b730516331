"""A real node (init + open) with the register's rules, on a controllable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, read_private_key
from ipledger.ledger import Ledger, Rejection, Sequenced, make_envelope
from ipledger.node import GENESIS_KEY_FILE, init_node, open_ledger
from tests.conftest import T0, FakeClock

ORIGIN = "registry.test/ledger"


class Node:
    def __init__(self, data: Path, clock: FakeClock, tree_process: bool = False) -> None:
        self.data = data
        self.clock = clock
        self.ledger: Ledger = open_ledger(data, validation_processes=False, clock_ms=clock,
                                          checkpoint_interval_s=0.01, tree_process=tree_process)
        self.genesis = read_private_key(data / GENESIS_KEY_FILE)
        self.n = 0

    def envelope(self, key: SigningKey, entry_type: str, body: dict[str, Any],
                 endorsers: list[SigningKey] | None = None) -> bytes:
        self.n += 1
        return canonicalize(make_envelope(key, ORIGIN, entry_type, body, nonce=f"n{self.n:09d}",
                                          created_ms=self.clock.now_ms,
                                          endorsers=endorsers or []))

    def submit(self, key: SigningKey, entry_type: str, body: dict[str, Any],
               endorsers: list[SigningKey] | None = None) -> Sequenced:
        return self.ledger.submit(self.envelope(key, entry_type, body, endorsers)).result(10)

    def refuse(self, key: SigningKey, entry_type: str, body: dict[str, Any],
               endorsers: list[SigningKey] | None = None) -> Rejection:
        size = self.ledger.store.tree_size()
        root = self.ledger.rules.root() if self.ledger.rules else None
        with pytest.raises(Rejection) as info:
            self.submit(key, entry_type, body, endorsers)
        assert self.ledger.store.tree_size() == size, "a refused entry reached the log"
        assert (self.ledger.rules.root() if self.ledger.rules else None) == root
        return info.value

    def close(self) -> None:
        self.ledger.close()
        self.ledger.store.close()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    init_node(tmp_path / "node", ORIGIN)
    n = Node(tmp_path / "node", FakeClock(T0))
    yield n
    n.close()


@pytest.fixture
def reopen(tmp_path: Path) -> Callable[[Node], Node]:
    def again(old: Node) -> Node:
        old.close()
        return Node(old.data, old.clock)
    return again
