"""The SQLite writer's settings: its page cache, and WAL checkpoints on their own thread."""

from __future__ import annotations

import time
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


def test_wal_is_checkpointed_off_the_writer_and_the_thread_stops(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = SQLiteStore(path)
    assert store._writer.execute("PRAGMA cache_size").fetchone()[0] == -WRITER_CACHE_KIB
    checkpointer = store._checkpointer
    assert checkpointer is not None
    size_before = path.stat().st_size
    tree = TreeAppender()
    for first in range(0, 4000, 500):
        _append(store, tree, first, 500)
    # The writer's own automatic checkpoint needs 64 MiB of WAL; this is far less, so only
    # the checkpointer thread copies these pages into the database file.
    deadline = time.monotonic() + 10
    while path.stat().st_size == size_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > size_before
    assert store.read_state_node((3999).to_bytes(32, "big")) == b"\x00" * 65
    store.close()
    assert not checkpointer._thread.is_alive()
    reopened = SQLiteStore(path)
    assert reopened.tree_size() == 4000
    reopened.close()
