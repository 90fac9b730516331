"""The SQLite writer's settings: its page cache."""

from __future__ import annotations

from pathlib import Path

from ipledger.log import TreeAppender, leaf_hash
from ipledger.storage.base import AppendBatch, StateWrite
from ipledger.storage.sqlite import WRITER_CACHE_KIB, SQLiteStore


def _append(store: SQLiteStore, tree: TreeAppender, first: int, n: int) -> None:
    entries = [f"entry-{i}".encode() for i in range(first, first + n)]
    result = tree.append([leaf_hash(e) for e in entries])
    nodes = [(i.to_bytes(32, "big"), b"\x00" * 65) for i in range(first, first + n)]
    store.append(AppendBatch(first_index=first, entries=entries, tiles=result.tiles,
                             root_hash=result.root_hash,
                             state=StateWrite({}, nodes, b"\x01" * 32)))


def test_the_writer_keeps_a_large_page_cache_and_its_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = SQLiteStore(path)
    assert store._writer.execute("PRAGMA cache_size").fetchone()[0] == -WRITER_CACHE_KIB
    tree = TreeAppender()
    for first in range(0, 4000, 500):
        _append(store, tree, first, 500)
    assert store.read_state_node((3999).to_bytes(32, "big")) == b"\x00" * 65
    store.close()
    reopened = SQLiteStore(path)
    assert reopened.tree_size() == 4000
    assert reopened.read_state_node((17).to_bytes(32, "big")) == b"\x00" * 65
    reopened.close()
