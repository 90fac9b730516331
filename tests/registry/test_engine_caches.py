"""The rules engine's caches change no result: shared read-only records follow every change,
remembered time events equal computed ones, the node cache stays bounded and complete."""

from __future__ import annotations

from datetime import date
from typing import Any

from ipledger.codec import canonicalize
from ipledger.registry.context import EntryContext, Overlay
from ipledger.registry.families.rights import _pending_events, profile_named
from ipledger.registry.lifecycle import RightDates, due_time_events
from ipledger.registry.smt import StateTree
from ipledger.registry.tree_nodes import StoreNodes


def _context(overlay: Overlay) -> EntryContext:
    entry: dict[str, Any] = {"actor": "did:key:z6Mk#z6Mk", "body": {}}
    return EntryContext(overlay, entry, 7, 0, "did:key:z6Mk")


def test_peek_shares_one_value_until_the_record_changes() -> None:
    committed = {"office/EM": canonicalize({"profile": "euipo"})}
    reads: list[str] = []

    def read(record_id: str) -> bytes | None:
        reads.append(record_id)
        return committed.get(record_id)

    overlay = Overlay(read)
    first = _context(overlay)
    shared = first.peek("office/EM")
    assert shared == {"profile": "euipo"}
    assert _context(overlay).peek("office/EM") is shared  # decoded once per batch
    assert first.get("office/EM") is not shared  # get still hands out a copy to change
    assert reads == ["office/EM"]

    first.put("office/EM", {"profile": "generic"})
    assert first.peek("office/EM") == {"profile": "generic"}  # this entry's staged change
    assert _context(overlay).peek("office/EM") is shared  # not applied to the batch yet
    overlay.changes.update(first.staged)
    assert _context(overlay).peek("office/EM") == {"profile": "generic"}
    assert _context(overlay).peek("office/XX") is None


def test_remembered_time_events_equal_computed_ones() -> None:
    profile = profile_named("euipo")
    cases = [
        ("opposition_period", RightDates(filing_date=date(2026, 1, 5),
                                         publication_date=date(2026, 3, 2))),
        ("registered", RightDates(filing_date=date(2016, 1, 5),
                                  registration_date=date(2016, 7, 1))),
        ("registered", RightDates(filing_date=date(2016, 1, 5),
                                  registration_date=date(2016, 7, 1), renewals=1)),
    ]
    for state, dates in cases:
        expected = due_time_events(profile, "trademark", state, dates, 253_402_300_799_000)
        assert expected
        assert _pending_events(profile, "trademark", state, dates) == expected
        assert _pending_events(profile, "trademark", state, dates) == expected  # remembered


class _NodeStore:
    def __init__(self, nodes: dict[bytes, bytes]) -> None:
        self.nodes = nodes
        self.reads = 0

    def read_state_node(self, node_hash: bytes) -> bytes | None:
        self.reads += 1
        return self.nodes.get(node_hash)


def test_node_cache_is_bounded_and_still_answers_everything(monkeypatch: Any) -> None:
    monkeypatch.setattr(StoreNodes, "CACHE_NODES", 100)
    committed = {i.to_bytes(32, "big"): bytes([i % 256]) * 33 for i in range(1000)}
    store = _NodeStore(committed)
    nodes = StoreNodes(store, None)  # type: ignore[arg-type]
    for key, value in committed.items():
        assert nodes.get_node(key) == value
        assert len(nodes._cache) <= 100
    nodes.put_nodes({b"\xff" * 32: b"new"})
    assert nodes.take_pending() == [(b"\xff" * 32, b"new")]
    reads = store.reads
    assert nodes.get_node(b"\xff" * 32) == b"new"  # kept after its commit, no store read
    assert nodes.get_node((999).to_bytes(32, "big")) == committed[(999).to_bytes(32, "big")]
    assert store.reads == reads  # the newest nodes survive an eviction
    assert nodes.get_node((0).to_bytes(32, "big")) == committed[(0).to_bytes(32, "big")]
    assert store.reads == reads + 1  # the oldest were dropped, and are read again


def test_a_long_running_tree_keeps_only_the_roots_it_may_go_back_to() -> None:
    nodes = StoreNodes(_NodeStore({}), None)  # type: ignore[arg-type]
    tree = StateTree(nodes)
    roots = {}
    for version in range(1, 200):  # as the state-tree worker runs: no rollback per batch
        roots[version] = tree.update({version.to_bytes(32, "big"): b"\x01" * 32}, version)
        nodes.take_pending()
        assert sorted(nodes._roots) == ([version - 1] if version > 1 else []) + [version]
    nodes.rollback(198)  # the newest batch was never applied
    assert tree.version == 198 and tree.root_at(198) == roots[198]
