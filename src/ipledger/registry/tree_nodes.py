"""The state tree's nodes as the register keeps them: in the ledger store, with new ones pending."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from itertools import islice
from typing import Protocol

from ipledger.registry.smt import EMPTY_ROOT, StateTree
from ipledger.storage.base import LedgerStore, StateWrite


class StoreNodes:
    """The state tree's node store: committed nodes in the ledger store, new ones pending.

    ``take_pending`` hands out a batch's new nodes: the inline tree puts them in the batch's
    ``StateWrite`` (one transaction with its entries); the tree's worker process stores
    them itself, before it answers with the root (registry/tree_process.py).
    """

    CACHE_NODES = 262_144  # committed nodes are immutable (one content per reference)

    def __init__(self, store: LedgerStore, root: bytes | None) -> None:
        self._store = store
        self._cache: dict[bytes, bytes] = {}
        self._pending: dict[bytes, bytes] = {}
        # The nodes of the last two applied batches, which may not be stored yet (one is
        # being written while the next is prepared); the cache may drop them, these not.
        self._unstored: deque[dict[bytes, bytes]] = deque(maxlen=2)
        self._roots: dict[int, bytes] = {} if root is None else {0: root}

    def get_node(self, node_hash: bytes) -> bytes | None:
        node = self._pending.get(node_hash) or self._cache.get(node_hash)
        if node is None:
            for nodes in self._unstored:
                if (node := nodes.get(node_hash)) is not None:
                    return node
            node = self._store.read_state_node(node_hash)
            if node is not None:
                self._make_room(1)
                self._cache[node_hash] = node
        return node

    def _make_room(self, n: int) -> None:
        """Keep the cache bounded: drop the oldest half (dicts keep insertion order; the hot
        upper levels are rewritten, so re-inserted, by every batch)."""
        if len(self._cache) + n > self.CACHE_NODES:
            keep = max(0, min(len(self._cache), self.CACHE_NODES - n) // 2)
            self._cache = dict(islice(self._cache.items(), len(self._cache) - keep, None))

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        self._pending.update(nodes)

    def get_root(self, version: int) -> bytes | None:
        return self._roots.get(version)

    def put_root(self, version: int, root: bytes) -> None:
        self._roots[version] = root

    def latest_version(self) -> int | None:
        return max(self._roots) if self._roots else None

    def take_pending(self) -> list[tuple[bytes, bytes]]:
        pending = self._pending
        nodes = [(ref, pending[ref]) for ref in sorted(pending)]  # key order: neighbours
        self._make_room(len(self._pending))
        self._cache.update(self._pending)  # about to be written with the batch
        self._unstored.append(self._pending)
        self._pending = {}
        if len(self._roots) > 2:  # a batch is rolled back to the one before it, never further
            self._roots = {v: self._roots[v] for v in sorted(self._roots)[-2:]}
        return nodes

    def rollback(self, version: int | None) -> None:
        """Forget every version after ``version`` (a batch that was never committed)."""
        self._pending.clear()
        self._roots = {} if version is None else {version: self._roots[version]}


class RegisterTree(Protocol):
    """The register's state tree as the rules update it: one version per batch."""

    applied_version: int | None  # of the newest applied batch

    def write(self, records: Mapping[str, bytes | None],
              changes: Mapping[bytes, bytes | None], first_index: int) -> StateWrite:
        """A batch's StateWrite: ``changes`` (tree key -> value hash, None deletes) become
        a new version numbered at least ``first_index`` (versions only grow)."""
        ...

    def applied(self) -> None:
        """The newest written version is the base of the next batch."""
        ...

    def discard_unapplied(self) -> None:
        """Forget versions written since the newest applied one (a batch that never ended)."""
        ...

    def root(self) -> bytes:
        """The root of the newest applied version."""
        ...

    def close(self) -> None: ...


def next_version(latest: int | None, first_index: int) -> int:
    """The version of a batch whose first entry is ``first_index``: it grows from batch to
    batch and across restarts, so each batch's nodes are stored next to each other."""
    return max(first_index, -1 if latest is None else latest + 1)


class InlineTree:
    """The state tree updated in the caller's thread; a batch's new nodes go with its write."""

    def __init__(self, store: LedgerStore, root: bytes | None) -> None:
        self.nodes = StoreNodes(store, root)
        self.tree = StateTree(self.nodes)
        self.applied_version = self.nodes.latest_version()

    def write(self, records: Mapping[str, bytes | None],
              changes: Mapping[bytes, bytes | None], first_index: int) -> StateWrite:
        if changes:
            root = self.tree.update(changes, next_version(self.tree.version, first_index))
        else:
            root = self.root()
        return StateWrite(records=records, nodes=self.nodes.take_pending(), root=root)

    def applied(self) -> None:
        self.applied_version = self.nodes.latest_version()

    def discard_unapplied(self) -> None:
        self.nodes.rollback(self.applied_version)

    def root(self) -> bytes:
        if self.applied_version is None:
            return EMPTY_ROOT
        return self.tree.root_at(self.applied_version)

    def close(self) -> None:
        pass
