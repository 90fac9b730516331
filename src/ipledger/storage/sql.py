"""The LedgerStore operations in SQL that SQLite and PostgreSQL both speak.

A backend supplies connections, transactions, its error types and its schema
migrations; every query lives here once, written with ``?`` placeholders (a backend
that uses another paramstyle rewrites them once, see :meth:`SQLStore._sql`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from ipledger.storage.base import AppendBatch, StateWrite, StorageError, StoredCheckpoint
from ipledger.storage.witness import WITNESS_TABLES

# Record ids are compared as code points (SQLite's BINARY, PostgreSQL's "C" collation).
_PREFIX_END = "\U0010ffff"
_CHUNK = 500  # parameters per IN (...) list
# Schema version 3 of every backend: what changed since a tree size (changed_record_ids).
RECORD_VERSIONS_BY_SIZE = (
    "CREATE INDEX IF NOT EXISTS record_versions_by_size ON record_versions (size)",)
_TWO_COLUMN_KEYS = ("entry_keys", "record_versions", "witness_cosignatures")
_INSERT_NODES = "INSERT INTO state_nodes VALUES (?, ?) ON CONFLICT DO NOTHING"


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, params: Any) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class _Closable(Protocol):
    def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)


class Connections(Generic[_C]):
    """Every connection a backend has opened (its writer, a reader per thread), thread-safely,
    so that ``close`` closes them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all: list[_C] = []

    def add(self, conn: _C) -> _C:
        with self._lock:
            self._all.append(conn)
        return conn

    def discard(self, conn: _C) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)

    def close_all(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


def tile_id(level: int, index: int) -> int:
    # One integer key per tile keeps the 8 KiB blobs in an ordinary keyed table.
    return (level << 56) | index


class SQLStore(ABC):
    """Every :class:`~ipledger.storage.base.LedgerStore` operation over a SQL backend."""

    #: ``(version, statements)``, applied in order, each version in one transaction.
    MIGRATIONS: Sequence[tuple[int, Sequence[str]]] = ()
    paramstyle = "qmark"
    #: A query whose one row's one column is true if the ``meta`` table exists.
    META_EXISTS: ClassVar[str]

    def __init__(self) -> None:
        self._write_lock = threading.Lock()

    # -- what a backend provides ------------------------------------------------

    @abstractmethod
    def _write_transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor in a transaction on the writer connection, holding the write lock of
        the database (no other writer until it ends); commits on success."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a read-only statement on this thread's reader connection."""

    @abstractmethod
    def _is_error(self, exc: BaseException) -> bool:
        """True for the backend's database errors (mapped to StorageError)."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Within it, every read of this thread sees the store as of one instant (for an
        online backup while the node keeps writing)."""

    @abstractmethod
    def close(self) -> None: ...

    # -- helpers ------------------------------------------------------------------

    @classmethod
    @cache
    def _sql(cls, sql: str) -> str:
        return sql.replace("?", "%s") if cls.paramstyle == "format" else sql

    def setting(self, sql: str) -> str | None:
        """The single value a statement such as ``SHOW fsync`` or ``PRAGMA synchronous``
        answers on this thread's reader connection."""
        row = self._one(sql)
        return None if row is None else str(row[0])

    def is_empty(self) -> bool:
        """Nothing written yet: no entries, checkpoints, state or metadata of a ledger."""
        return (self.tree_size() == 0 and not self.checkpoint_sizes()
                and not self.state_root_sizes()
                and not self._query("SELECT name FROM meta WHERE name NOT IN "
                                    "('schema_version', 'tree_size') LIMIT 1"))

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def _current_version(self, cur: Cursor) -> int:
        """The schema version recorded in ``meta``; 0 for an empty database."""
        cur.execute(self.META_EXISTS)
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT value FROM meta WHERE name = 'schema_version'")
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, cur: Cursor, current: int) -> int:
        """Apply the migrations after ``current``; return the new version."""
        for version, statements in self.MIGRATIONS:
            if version > current:
                for statement in statements:
                    cur.execute(statement)
                current = version
        cur.execute(self._sql("INSERT INTO meta VALUES ('schema_version', ?) "
                              "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                    (str(current),))
        cur.execute("INSERT INTO meta VALUES ('tree_size', '0') ON CONFLICT (name) DO NOTHING")
        return current

    # -- writes -----------------------------------------------------------------

    def append(self, batch: AppendBatch) -> None:
        q = self._sql
        try:
            with self._write_lock, self._write_transaction() as cur:
                cur.execute(q("SELECT value FROM meta WHERE name = 'tree_size'"))
                row = cur.fetchone()
                size = int(row[0]) if row else 0
                if batch.first_index != size:
                    raise StorageError(
                        f"append at index {batch.first_index} but the log has {size} entries")
                if batch.entries:
                    cur.executemany(q("INSERT INTO entries (idx, data) VALUES (?, ?)"), list(
                        zip(range(batch.first_index, batch.first_index + len(batch.entries)),
                            batch.entries, strict=True)))
                if batch.tiles:
                    cur.executemany(
                        q("INSERT INTO tiles (id, data) VALUES (?, ?) "
                          "ON CONFLICT (id) DO UPDATE SET data = excluded.data"),
                        [(tile_id(lv, ix), data) for (lv, ix), data in batch.tiles.items()])
                if batch.keys:
                    cur.executemany(q("INSERT INTO entry_keys VALUES (?, ?) "
                                      "ON CONFLICT DO NOTHING"), list(batch.keys))
                if batch.nonces:
                    cur.executemany(q("INSERT INTO nonces VALUES (?, ?)"), list(batch.nonces))
                if batch.prune_nonces_before_ms is not None:
                    cur.execute(q("DELETE FROM nonces WHERE created_ms < ?"),
                                (batch.prune_nonces_before_ms,))
                new_size = batch.first_index + len(batch.entries)
                if batch.state is not None:
                    self._write_state(cur, batch.state, new_size)
                cur.executemany(
                    q("INSERT INTO meta VALUES (?, ?) "
                      "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                    [("tree_size", str(new_size)), ("root_hash", batch.root_hash.hex()),
                     *batch.meta.items()])
        except StorageError:
            raise
        except Exception as exc:
            if self._is_error(exc):
                raise StorageError(f"append failed: {exc}") from exc
            raise

    def _write_state(self, cur: Cursor, state: StateWrite, tree_size: int) -> None:
        q = self._sql
        upserts = [(k, v) for k, v in state.records.items() if v is not None]
        deletes = [(k,) for k, v in state.records.items() if v is None]
        if upserts:
            cur.executemany(q("INSERT INTO records (id, data) VALUES (?, ?) "
                              "ON CONFLICT (id) DO UPDATE SET data = excluded.data"), upserts)
        if deletes:
            cur.executemany(q("DELETE FROM records WHERE id = ?"), deletes)
        if state.records:
            cur.executemany(
                q("INSERT INTO record_versions VALUES (?, ?, ?) "
                  "ON CONFLICT (id, size) DO UPDATE SET data = excluded.data"),
                [(k, tree_size, v) for k, v in state.records.items()])
        if state.nodes:
            cur.executemany(q(_INSERT_NODES), list(state.nodes))
        cur.execute(q("INSERT INTO state_roots VALUES (?, ?) "
                      "ON CONFLICT (size) DO UPDATE SET root = excluded.root"),
                    (tree_size, state.root))

    @contextmanager
    def transaction(self, what: str) -> Iterator[Cursor]:
        """A write transaction for tables kept by other modules (storage/witness.py);
        the backend's errors become StorageError naming ``what``."""
        try:
            with self._write_lock, self._write_transaction() as cur:
                yield cur
        except Exception as exc:
            if self._is_error(exc):
                raise StorageError(f"storing {what} failed: {exc}") from exc
            raise

    def put_state_nodes(self, nodes: Sequence[tuple[bytes, bytes]]) -> None:
        """Store state-tree nodes ahead of the batch whose state root names them (the tree
        of registry/tree_process.py, working in another process)."""
        with self.transaction("state-tree nodes") as cur:
            cur.executemany(self._sql(_INSERT_NODES), list(nodes))

    def sql(self, sql: str) -> str:
        """``sql`` (``?`` placeholders) in this backend's paramstyle."""
        return self._sql(sql)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a read-only statement written with ``?`` placeholders."""
        return self._query(self._sql(sql), params)

    def _write_one(self, what: str, sql: str, params: Sequence[Any]) -> None:
        try:
            with self._write_lock, self._write_transaction() as cur:
                cur.execute(self._sql(sql), params)
        except Exception as exc:
            if self._is_error(exc):
                raise StorageError(f"storing {what} failed: {exc}") from exc
            raise

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._write_one("checkpoint", "INSERT INTO checkpoints (size, note) VALUES (?, ?) "
                        "ON CONFLICT DO NOTHING", (checkpoint.tree_size, checkpoint.note))

    def set_meta(self, name: str, value: str) -> None:
        self._write_one(name, "INSERT INTO meta VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))

    # -- reads ------------------------------------------------------------------

    def tree_size(self) -> int:
        value = self.get_meta("tree_size")
        return int(value) if value else 0

    def root_hash(self) -> bytes | None:
        value = self.get_meta("root_hash")
        return bytes.fromhex(value) if value else None

    def get_meta(self, name: str) -> str | None:
        row = self._one(self._sql("SELECT value FROM meta WHERE name = ?"), (name,))
        return str(row[0]) if row else None

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        if not requests:
            return []
        ids = sorted({tile_id(level, index) for level, index, _ in requests})
        rows: dict[int, bytes] = {}
        for chunk in _chunks(ids):
            rows.update(self._query(self._sql(
                f"SELECT id, data FROM tiles WHERE id IN ({_marks(chunk)})"), chunk))  # noqa: S608
        out: list[bytes] = []
        for level, index, width in requests:
            data = rows.get(tile_id(level, index))
            if data is None or len(data) < width * 32:
                have = 0 if data is None else len(data) // 32
                raise StorageError(f"tile {level}/{index} has {have} hashes, {width} requested")
            out.append(bytes(data[: width * 32]))
        return out

    def read_entries(self, start: int, end: int) -> list[bytes]:
        rows = self._query(self._sql(
            "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"),
            (start, end))
        if len(rows) != max(0, end - start):
            raise StorageError(f"entries [{start}, {end}) are not all stored")
        return [bytes(data) for _, data in rows]

    def lookup_key(self, key: bytes) -> list[int]:
        rows = self._query(self._sql("SELECT idx FROM entry_keys WHERE key = ? ORDER BY idx"),
                           (key,))
        return [int(r[0]) for r in rows]

    def seen_nonces(self, keys: Sequence[bytes]) -> set[bytes]:
        seen: set[bytes] = set()
        for chunk in _chunks(list(keys)):
            seen.update(bytes(r[0]) for r in self._query(self._sql(
                f"SELECT key FROM nonces WHERE key IN ({_marks(chunk)})"), chunk))  # noqa: S608
        return seen

    def read_record(self, record_id: str) -> bytes | None:
        row = self._one(self._sql("SELECT data FROM records WHERE id = ?"), (record_id,))
        return bytes(row[0]) if row else None

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        row = self._one(self._sql(
            "SELECT data FROM record_versions WHERE id = ? AND size <= ? "
            "ORDER BY size DESC LIMIT 1"), (record_id, tree_size))
        return None if row is None or row[0] is None else bytes(row[0])

    def record_ids(self, prefix: str) -> list[str]:
        rows = self._query(self._sql(
            "SELECT id FROM records WHERE id >= ? AND id < ? ORDER BY id"),
            (prefix, prefix + _PREFIX_END))
        return [str(r[0]) for r in rows]

    def changed_record_ids(self, prefix: str, after_size: int, upto_size: int) -> list[str]:
        """Ids starting with ``prefix`` of the records that batches ending in
        ``(after_size, upto_size]`` wrote or deleted (for derived indexes: search)."""
        rows = self._query(self._sql(
            "SELECT DISTINCT id FROM record_versions WHERE size > ? AND size <= ? "
            "AND id >= ? AND id < ? ORDER BY id"),
            (after_size, upto_size, prefix, prefix + _PREFIX_END))
        return [str(r[0]) for r in rows]

    def read_state_node(self, node_hash: bytes) -> bytes | None:
        row = self._one(self._sql("SELECT data FROM state_nodes WHERE hash = ?"), (node_hash,))
        return bytes(row[0]) if row else None

    def state_root_sizes(self) -> list[int]:
        return [int(r[0]) for r in self._query("SELECT size FROM state_roots ORDER BY size")]

    def state_root_at(self, tree_size: int) -> bytes | None:
        row = self._one(self._sql(
            "SELECT root FROM state_roots WHERE size <= ? ORDER BY size DESC LIMIT 1"),
            (tree_size,))
        return bytes(row[0]) if row else None

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._one("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
        return StoredCheckpoint(int(row[0]), str(row[1])) if row else None

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        row = self._one(self._sql("SELECT size, note FROM checkpoints WHERE size = ?"),
                        (tree_size,))
        return StoredCheckpoint(int(row[0]), str(row[1])) if row else None

    def checkpoint_sizes(self) -> list[int]:
        return [int(r[0]) for r in self._query("SELECT size FROM checkpoints ORDER BY size")]

    # -- whole-store copy (migration between backends) --------------------------

    TABLES: Sequence[tuple[str, Sequence[str]]] = (
        ("meta", ("name", "value")),
        ("entries", ("idx", "data")),
        ("tiles", ("id", "data")),
        ("entry_keys", ("key", "idx")),
        ("nonces", ("key", "created_ms")),
        ("checkpoints", ("size", "note")),
        ("records", ("id", "data")),
        ("record_versions", ("id", "size", "data")),
        ("state_nodes", ("hash", "data")),
        ("state_roots", ("size", "root")),
        *WITNESS_TABLES,
    )

    def dump_rows(self, table: str, page: int = 5_000) -> Iterator[list[tuple[Any, ...]]]:
        """Every row of ``table`` in key order, a page at a time (keyset pagination)."""
        columns = dict(self.TABLES)[table]
        key = columns[:2] if table in _TWO_COLUMN_KEYS else columns[:1]
        select = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608
        order = f" ORDER BY {', '.join(key)} LIMIT {int(page)}"
        after: tuple[Any, ...] | None = None
        while True:
            if after is None:
                rows = self._query(select + order)
            else:
                rows = self._query(self._sql(
                    f"{select} WHERE ({', '.join(key)}) > ({_marks(key)}){order}"), after)
            if not rows:
                return
            page_rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                         for r in rows]
            yield page_rows
            after = page_rows[-1][: len(key)]

    def load_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows copied from another store (replacing what is there)."""
        columns = dict(self.TABLES)[table]
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
               f"VALUES ({_marks(columns)}) ON CONFLICT DO NOTHING")
        if table == "meta":
            sql = ("INSERT INTO meta (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        try:
            with self._write_lock, self._write_transaction() as cur:
                cur.executemany(self._sql(sql), list(rows))
        except Exception as exc:
            if self._is_error(exc):
                raise StorageError(f"loading {table} failed: {exc}") from exc
            raise


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
