"""The LedgerStore contract, run against every backend (SQLite today; PostgreSQL next)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ipledger.log import TreeAppender, leaf_hash
from ipledger.storage.base import AppendBatch, LedgerStore, StorageError, StoredCheckpoint
from ipledger.storage.sqlite import SQLiteStore

Backend = Callable[[], LedgerStore]


@pytest.fixture(params=["sqlite"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    stores: list[LedgerStore] = []

    def factory() -> LedgerStore:
        store = SQLiteStore(tmp_path / "store.sqlite")
        stores.append(store)
        return store

    yield factory
    for store in stores:
        store.close()


def batch_of(tree: TreeAppender, first: int, n: int, **extra) -> AppendBatch:
    entries = [b"entry-%d" % i for i in range(first, first + n)]
    result = tree.append([leaf_hash(e) for e in entries])
    return AppendBatch(first_index=first, entries=entries, tiles=result.tiles,
                       root_hash=result.root_hash, **extra)


def test_append_read_and_reopen(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 300, keys=[(b"k1", 5), (b"k1", 7)],
                          nonces=[(b"n" * 16, 1000)]))
    assert store.tree_size() == 300
    assert store.root_hash() == tree.root_hash
    assert store.read_entries(298, 300) == [b"entry-298", b"entry-299"]
    full, partial = store.read_tiles([(0, 0, 256), (0, 1, 44)])
    assert len(full) == 256 * 32
    assert len(partial) == 44 * 32
    assert full[:32] == leaf_hash(b"entry-0")
    assert store.read_tiles([(0, 1, 3)])[0] == partial[: 3 * 32]  # shorter widths slice
    assert store.lookup_key(b"k1") == [5, 7]
    assert store.seen_nonces([b"n" * 16, b"m" * 16]) == {b"n" * 16}
    store.close()
    again = open_store()
    assert again.tree_size() == 300
    assert again.root_hash() == tree.root_hash


def test_append_at_the_wrong_index_changes_nothing(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 10))
    with pytest.raises(StorageError):
        store.append(batch_of(tree.clone(), 9, 5))
    assert store.tree_size() == 10
    with pytest.raises(StorageError):
        store.read_entries(10, 11)


def test_a_failing_batch_is_all_or_nothing(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 5, nonces=[(b"a" * 16, 1)]))
    # The nonce insert fails (duplicate key) after the entries were inserted.
    bad = batch_of(tree.clone(), 5, 5, nonces=[(b"a" * 16, 2)])
    with pytest.raises(StorageError):
        store.append(bad)
    assert store.tree_size() == 5
    assert store.read_tiles([(0, 0, 5)])[0] == b"".join(
        leaf_hash(b"entry-%d" % i) for i in range(5))
    with pytest.raises(StorageError):
        store.read_tiles([(0, 0, 6)])


def test_nonces_are_pruned_by_time(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 1, nonces=[(b"old-nonce-000000", 100)]))
    store.append(batch_of(tree, 1, 1, nonces=[(b"new-nonce-000000", 900)],
                          prune_nonces_before_ms=500))
    assert store.seen_nonces([b"old-nonce-000000", b"new-nonce-000000"]) == {b"new-nonce-000000"}


def test_checkpoints_and_meta(open_store: Backend) -> None:
    store = open_store()
    assert store.latest_checkpoint() is None
    store.add_checkpoint(StoredCheckpoint(0, "zero"))
    store.add_checkpoint(StoredCheckpoint(7, "seven"))
    assert store.latest_checkpoint() == StoredCheckpoint(7, "seven")
    assert store.checkpoint_at(0) == StoredCheckpoint(0, "zero")
    assert store.checkpoint_at(3) is None
    store.set_meta("x", "1")
    assert store.get_meta("x") == "1"


def test_sqlite_is_durable_at_commit(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: every commit fsyncs the WAL (survives power loss)."""
    store = SQLiteStore(tmp_path / "s.sqlite")
    conn = store._reader()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._writer.execute("PRAGMA synchronous").fetchone()[0] == 2
    store.close()


def test_a_read_only_database_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite"
    SQLiteStore(path).close()
    store = SQLiteStore(path)
    store._writer.close()
    store._writer = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                    check_same_thread=False)
    with pytest.raises(StorageError, match="append failed"):
        store.append(batch_of(TreeAppender(), 0, 1))
    assert store.tree_size() == 0
    store.close()
