"""SQLite backend (WAL, synchronous=FULL): the embedded default store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ipledger.storage.base import StorageError
from ipledger.storage.sql import (
    RECORD_VERSIONS_BY_SIZE,
    Connections,
    Cursor,
    SQLStore,
)
from ipledger.storage.witness import WITNESS_SCHEMA

_SCHEMA_V1 = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tiles (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entry_keys ("
    " key BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS nonces (key BLOB PRIMARY KEY, created_ms INTEGER NOT NULL)"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces (created_ms)",
    "CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state_nodes (hash BLOB PRIMARY KEY, data BLOB NOT NULL)"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS state_roots (size INTEGER PRIMARY KEY, root BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS record_versions ("
    " id TEXT NOT NULL, size INTEGER NOT NULL, data BLOB, PRIMARY KEY (id, size))",
)


class SQLiteStore(SQLStore):
    """A :class:`~ipledger.storage.base.LedgerStore` in one SQLite file.

    One writer connection (used under a lock by the sequencer), one reader
    connection per thread; WAL lets readers run while a batch commits.
    """

    MIGRATIONS = ((1, _SCHEMA_V1), (2, WITNESS_SCHEMA), (3, RECORD_VERSIONS_BY_SIZE))
    META_EXISTS = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self._local = threading.local()
        self._connections = Connections[sqlite3.Connection]()
        try:
            self._writer = self._connect()
            # The state tree's nodes go to random places of a large index: a bigger page
            # cache keeps its inner pages. (A background WAL checkpointer thread was tried:
            # it made a node on a nearly full disk 25 times slower, and stalled the writer
            # under many small commits.)
            self._writer.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            with self._write_transaction() as cur:
                self.schema_version = self._migrate(cur, self._current_version(cur))
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged batch survives
        # power loss, not only a process crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        return self._connections.add(conn)

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def _write_transaction(self) -> Iterator[Cursor]:
        cur = self._writer.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
            raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._reader().execute(sql, params).fetchall()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        conn = self._reader()
        conn.execute("BEGIN")  # WAL: the first read fixes what this transaction sees
        try:
            conn.execute("SELECT count(*) FROM meta").fetchone()
            yield
        finally:
            conn.execute("COMMIT")

    def _is_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)

    def close(self) -> None:
        self._connections.close_all()


WRITER_CACHE_KIB = 65_536
