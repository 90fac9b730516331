"""The LedgerStore contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ipledger.log import TreeAppender, leaf_hash
from ipledger.storage.base import (
    AppendBatch,
    LedgerStore,
    StateWrite,
    StorageError,
    StoredCheckpoint,
)
from ipledger.storage.copy import copy_store
from ipledger.storage.postgresql import PostgreSQLStore
from ipledger.storage.sql import SQLStore
from ipledger.storage.sqlite import SQLiteStore
from tests.storage.conftest import Backend


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


def state_of(records: dict[str, bytes | None], root: bytes = b"r" * 32,
             nodes: tuple[tuple[bytes, bytes], ...] = ()) -> StateWrite:
    return StateWrite(records=records, nodes=list(nodes), root=root)


def test_register_state_versions_and_prefix_order(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    # Ids with non-ASCII characters: every backend must order them by code point.
    ids = ["right/EM/tm/2", "right/EM/tm/10", "right/EM/tm/é", "right/EM/tm/Z",
           "right/EM/tm/\U0001f600", "right/EM/tm/ä", "right/EN/x"]
    store.append(batch_of(tree, 0, 2, state=state_of(
        {i: b'{"v":1}' for i in ids}, root=b"1" * 32, nodes=((b"h" * 32, b"node-1"),))))
    store.append(batch_of(tree, 2, 1, state=state_of(
        {"right/EM/tm/2": b'{"v":2}', "right/EM/tm/Z": None}, root=b"2" * 32,
        nodes=((b"h" * 32, b"node-1"), (b"g" * 32, b"node-2")))))
    assert store.record_ids("right/EM/tm/") == sorted(i for i in ids if i.startswith(
        "right/EM/tm/") and i != "right/EM/tm/Z")
    assert store.read_record("right/EM/tm/2") == b'{"v":2}'
    assert store.read_record("right/EM/tm/Z") is None
    assert store.read_record_at("right/EM/tm/2", 2) == b'{"v":1}'
    assert store.read_record_at("right/EM/tm/2", 3) == b'{"v":2}'
    assert store.read_record_at("right/EM/tm/Z", 2) == b'{"v":1}'
    assert store.read_record_at("right/EM/tm/Z", 3) is None  # deleted at size 3
    assert store.read_record_at("right/EM/tm/2", 1) is None  # before it existed
    assert store.state_root_sizes() == [2, 3]
    assert store.state_root_at(2) == b"1" * 32
    assert store.state_root_at(100) == b"2" * 32
    assert store.state_root_at(1) is None
    assert store.read_state_node(b"g" * 32) == b"node-2"
    assert store.read_state_node(b"x" * 32) is None


def test_many_nonces_and_tiles_in_one_read(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    nonces = [(b"%016d" % i, i) for i in range(1_200)]  # more than one IN (...) chunk
    store.append(batch_of(tree, 0, 1_200, nonces=nonces))
    asked = [n for n, _ in nonces[::2]] + [b"unknown-nonce-00"]
    assert store.seen_nonces(asked) == {n for n, _ in nonces[::2]}
    tiles = store.read_tiles([(0, i, 256) for i in range(4)] + [(0, 4, 176), (1, 0, 4)])
    assert [len(t) for t in tiles] == [8192] * 4 + [176 * 32, 4 * 32]


def test_a_failing_state_write_leaves_nothing(open_store: Backend) -> None:
    store = open_store()
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 1, nonces=[(b"a" * 16, 1)],
                          state=state_of({"party/P1": b"{}"})))
    with pytest.raises(StorageError):
        store.append(batch_of(tree.clone(), 1, 1, nonces=[(b"a" * 16, 2)],
                              state=state_of({"party/P2": b"{}"}, root=b"x" * 32)))
    assert store.record_ids("party/") == ["party/P1"]
    assert store.state_root_sizes() == [1]


def test_copy_into_the_other_backend_is_exact(open_store: Backend, tmp_path: Path,
                                              request: pytest.FixtureRequest) -> None:
    source = open_store()
    tree = TreeAppender()
    store_rows(source, tree)
    target: SQLStore = (SQLiteStore(tmp_path / "copy.sqlite")
                        if isinstance(source, PostgreSQLStore)
                        else PostgreSQLStore(request.getfixturevalue("postgres_dsn")))
    assert isinstance(source, SQLStore)
    counts = copy_store(source, target)
    assert counts["entries"] == 300 and counts["records"] == 2
    for table, _ in SQLStore.TABLES:
        mine = [r for page in source.dump_rows(table, page=7) for r in page]
        theirs = [r for page in target.dump_rows(table, page=1000) for r in page]
        if table == "meta":  # each store keeps its own schema version
            mine = [r for r in mine if r[0] != "schema_version"]
            theirs = [r for r in theirs if r[0] != "schema_version"]
        assert mine == theirs, table
    with pytest.raises(StorageError, match="not empty"):
        copy_store(source, target)
    target.close()


def store_rows(store: LedgerStore, tree: TreeAppender) -> None:
    store.append(batch_of(tree, 0, 300, keys=[(b"k", 3), (b"k", 1), (b"j", 2)],
                          nonces=[(b"n" * 16, 5)],
                          state=state_of({"a/1": b"1", "a/\u00e9": b"2"},
                                         nodes=((b"h" * 32, b"n"),))))
    store.add_checkpoint(StoredCheckpoint(300, "note"))
    store.set_meta("genesis", "did:key:x")


def test_reopening_keeps_the_schema_version(open_store: Backend) -> None:
    first = open_store()
    assert isinstance(first, SQLStore)
    version = first.schema_version
    assert version == max(v for v, _ in first.MIGRATIONS)
    first.close()
    again = open_store()
    assert isinstance(again, SQLStore)
    assert again.schema_version == version
    assert again.get_meta("schema_version") == str(version)


def test_a_snapshot_does_not_see_later_batches(open_store: Backend) -> None:
    store = open_store()
    assert isinstance(store, SQLStore)
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 5, state=state_of({"a/1": b"1"})))
    with store.snapshot():
        store.append(batch_of(tree, 5, 5, state=state_of({"a/2": b"2"})))  # the writer
        assert store.tree_size() == 5
        assert store.record_ids("a/") == ["a/1"]
        with pytest.raises(StorageError):
            store.read_entries(5, 6)
    assert store.tree_size() == 10
    assert store.record_ids("a/") == ["a/1", "a/2"]
