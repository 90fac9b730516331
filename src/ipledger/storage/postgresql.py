"""PostgreSQL backend: the same store as SQLite for an office that outgrows one disk.

One writer connection (the sequencer's, under a lock), one autocommit reader
connection per thread. Durability is PostgreSQL's: a batch is acknowledged only
after its COMMIT returned, which with ``synchronous_commit = on`` (checked at open)
means its WAL record is flushed. A connection that breaks is dropped and the next
call opens a new one, so a restarted server or a killed backend heals by itself;
the batch that was in flight fails as a whole and is not acknowledged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from ipledger.storage.base import AppendBatch, StorageError
from ipledger.storage.sql import (
    RECORD_VERSIONS_BY_SIZE,
    Connections,
    Cursor,
    SQLStore,
)
from ipledger.storage.witness import WITNESS_SCHEMA

# Record ids sort by code point (COLLATE "C"), exactly as SQLite's BINARY does, so that
# every backend lists records in the same order (the register depends on it).
_SCHEMA_V1 = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tiles (id BIGINT PRIMARY KEY, data BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entry_keys ("
    " key BYTEA NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (key, idx))",
    "CREATE TABLE IF NOT EXISTS nonces (key BYTEA PRIMARY KEY, created_ms BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces (created_ms)",
    "CREATE TABLE IF NOT EXISTS checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (id TEXT COLLATE \"C\" PRIMARY KEY, data BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state_nodes (hash BYTEA PRIMARY KEY, data BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state_roots (size BIGINT PRIMARY KEY, root BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS record_versions ("
    " id TEXT COLLATE \"C\" NOT NULL, size BIGINT NOT NULL, data BYTEA,"
    " PRIMARY KEY (id, size))",
)

# pg_advisory_xact_lock key serialising schema migrations ("ipledger" in ASCII, truncated).
_MIGRATION_LOCK = 0x69706C6564676572


# synchronous_commit values under which a returned COMMIT is flushed to disk.
DURABLE_COMMIT = frozenset({"on", "remote_write", "remote_apply"})


def is_postgresql_url(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


class PostgreSQLStore(SQLStore):
    """A :class:`~ipledger.storage.base.LedgerStore` in a PostgreSQL database."""

    MIGRATIONS = ((1, _SCHEMA_V1), (2, WITNESS_SCHEMA), (3, RECORD_VERSIONS_BY_SIZE))
    paramstyle = "format"
    META_EXISTS = "SELECT to_regclass('meta') IS NOT NULL"

    def __init__(self, dsn: str, *, connect_timeout: int = 10) -> None:
        super().__init__()
        self.dsn = dsn
        self._connect_timeout = connect_timeout
        self._local = threading.local()
        self._connections = Connections[psycopg.Connection[Any]]()
        self._writer: psycopg.Connection[Any] | None = None
        try:
            with self._write_transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                self.schema_version = self._migrate(cur, self._current_version(cur))
            commit = self.setting("SHOW synchronous_commit")
        except psycopg.Error as exc:
            raise StorageError(f"cannot open PostgreSQL store: {exc}") from exc
        if commit not in DURABLE_COMMIT:
            raise StorageError(f"PostgreSQL has synchronous_commit={commit}: acknowledged "
                               "batches could be lost on a crash; set it to on")

    def _connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.dsn, autocommit=autocommit,
                               connect_timeout=self._connect_timeout,
                               application_name="ipledger")
        return self._connections.add(conn)

    def _forget(self, conn: psycopg.Connection[Any]) -> None:
        self._connections.discard(conn)
        conn.close()

    @contextmanager
    def _write_transaction(self) -> Iterator[Cursor]:
        if self._writer is None or self._writer.closed or self._writer.broken:
            if self._writer is not None:
                self._forget(self._writer)
            self._writer = None
            self._writer = self._connect(autocommit=True)  # transaction() brackets writes
        conn = self._writer
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError:
            self._forget(conn)  # the next write opens a fresh connection
            self._writer = None
            raise

    def append(self, batch: AppendBatch) -> None:
        """As :meth:`SQLStore.append`, resolving a lost connection's unknown outcome.

        If the connection broke, the batch either committed whole or not at all: the
        log's size and root say which. Not committed, it is retried once on a fresh
        connection (a server restart between batches goes unnoticed); committed, it
        succeeded. Either way no acknowledged batch is lost and none is written twice.
        """
        for attempt in (1, 2):
            try:
                super().append(batch)
                return
            except StorageError as exc:
                if not isinstance(exc.__cause__, psycopg.OperationalError):
                    raise
                if self._landed(batch):
                    return
                if attempt == 2:
                    raise

    def _landed(self, batch: AppendBatch) -> bool:
        try:
            size, root = self.tree_size(), self.root_hash()
        except StorageError:
            return False  # the server is gone: the caller reports the original failure
        return size == batch.first_index + len(batch.entries) and root == batch.root_hash

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        self._query("SELECT 1")  # this thread's reader, connected
        conn: psycopg.Connection[Any] = self._local.conn
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute("SELECT count(*) FROM meta")  # the first statement takes the snapshot
        self._local.pinned = True
        try:
            yield
        finally:
            self._local.pinned = False
            if not conn.closed and not conn.broken:
                conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        for attempt in (1, 2):
            conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
            if conn is None or conn.closed or conn.broken:
                conn = self._local.conn = self._connect(autocommit=True)
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except psycopg.OperationalError as exc:  # a broken connection: one fresh try
                self._forget(conn)
                self._local.conn = None
                if attempt == 2 or getattr(self._local, "pinned", False):
                    raise StorageError(f"read failed: {exc}") from exc
            except psycopg.Error as exc:
                raise StorageError(f"read failed: {exc}") from exc
        raise AssertionError("unreachable")

    def _is_error(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg.Error)

    def close(self) -> None:
        self._connections.close_all()
        self._writer = None
