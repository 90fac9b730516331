"""SQLite backend (WAL, synchronous=FULL): the embedded default store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from ipledger.storage.base import AppendBatch, StateWrite, StorageError, StoredCheckpoint

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tiles (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entry_keys (
    key BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (key BLOB PRIMARY KEY, created_ms INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces (created_ms);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state_nodes (hash BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_roots (size INTEGER PRIMARY KEY, root BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS record_versions (
    id TEXT NOT NULL, size INTEGER NOT NULL, data BLOB, PRIMARY KEY (id, size)
);
"""


def _tile_id(level: int, index: int) -> int:
    # One integer key per tile keeps the 8 KiB blobs in an ordinary rowid table.
    return (level << 56) | index


class SQLiteStore:
    """A :class:`~ipledger.storage.base.LedgerStore` in one SQLite file.

    One writer connection (used under a lock by the sequencer), one reader
    connection per thread; WAL lets readers run while a batch commits.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._all_connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            self._writer = self._connect()
            self._writer.executescript(_SCHEMA)
            self._writer.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged batch survives
        # power loss, not only a process crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        with self._connections_lock:
            self._all_connections.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    # -- writes -----------------------------------------------------------------

    def append(self, batch: AppendBatch) -> None:
        with self._write_lock:
            cur = self._writer.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                size = self._size(cur)
                if batch.first_index != size:
                    raise StorageError(
                        f"append at index {batch.first_index} but the log has {size} entries"
                    )
                cur.executemany(
                    "INSERT INTO entries (idx, data) VALUES (?, ?)",
                    zip(range(batch.first_index, batch.first_index + len(batch.entries)),
                        batch.entries, strict=True),
                )
                cur.executemany(
                    "INSERT OR REPLACE INTO tiles (id, data) VALUES (?, ?)",
                    [(_tile_id(lv, ix), data) for (lv, ix), data in batch.tiles.items()],
                )
                if batch.keys:
                    cur.executemany("INSERT OR IGNORE INTO entry_keys VALUES (?, ?)", batch.keys)
                if batch.nonces:
                    cur.executemany("INSERT INTO nonces VALUES (?, ?)", batch.nonces)
                if batch.prune_nonces_before_ms is not None:
                    cur.execute(
                        "DELETE FROM nonces WHERE created_ms < ?", (batch.prune_nonces_before_ms,)
                    )
                new_size = batch.first_index + len(batch.entries)
                if batch.state is not None:
                    self._write_state(cur, batch.state, new_size)
                cur.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("tree_size", str(new_size)), ("root_hash", batch.root_hash.hex()),
                     *batch.meta.items()],
                )
                cur.execute("COMMIT")
            except BaseException as exc:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"append failed: {exc}") from exc
                raise

    @staticmethod
    def _write_state(cur: sqlite3.Cursor, state: StateWrite, tree_size: int) -> None:
        cur.executemany(
            "INSERT OR REPLACE INTO records (id, data) VALUES (?, ?)",
            [(k, v) for k, v in state.records.items() if v is not None],
        )
        cur.executemany(
            "DELETE FROM records WHERE id = ?",
            [(k,) for k, v in state.records.items() if v is None],
        )
        cur.executemany(
            "INSERT OR REPLACE INTO record_versions VALUES (?, ?, ?)",
            [(k, tree_size, v) for k, v in state.records.items()],
        )
        cur.executemany("INSERT OR IGNORE INTO state_nodes VALUES (?, ?)", state.nodes)
        cur.execute("INSERT OR REPLACE INTO state_roots VALUES (?, ?)", (tree_size, state.root))

    def read_record(self, record_id: str) -> bytes | None:
        row = self._reader().execute(
            "SELECT data FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        row = self._reader().execute(
            "SELECT data FROM record_versions WHERE id = ? AND size <= ? "
            "ORDER BY size DESC LIMIT 1", (record_id, tree_size),
        ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def record_ids(self, prefix: str) -> list[str]:
        rows = self._reader().execute(
            "SELECT id FROM records WHERE id >= ? AND id < ? ORDER BY id",
            (prefix, prefix + "\U0010ffff"),
        )
        return [str(r[0]) for r in rows]

    def read_state_node(self, node_hash: bytes) -> bytes | None:
        row = self._reader().execute(
            "SELECT data FROM state_nodes WHERE hash = ?", (node_hash,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def state_root_sizes(self) -> list[int]:
        rows = self._reader().execute("SELECT size FROM state_roots ORDER BY size")
        return [int(r[0]) for r in rows]

    def state_root_at(self, tree_size: int) -> bytes | None:
        row = self._reader().execute(
            "SELECT root FROM state_roots WHERE size <= ? ORDER BY size DESC LIMIT 1",
            (tree_size,),
        ).fetchone()
        return bytes(row[0]) if row else None

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self._write_lock:
            try:
                self._writer.execute(
                    "INSERT OR IGNORE INTO checkpoints (size, note) VALUES (?, ?)",
                    (checkpoint.tree_size, checkpoint.note),
                )
            except sqlite3.Error as exc:
                raise StorageError(f"storing checkpoint failed: {exc}") from exc

    def set_meta(self, name: str, value: str) -> None:
        with self._write_lock:
            try:
                self._writer.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
            except sqlite3.Error as exc:
                raise StorageError(f"storing {name} failed: {exc}") from exc

    # -- reads ------------------------------------------------------------------

    @staticmethod
    def _size(cur: sqlite3.Cursor) -> int:
        row = cur.execute("SELECT value FROM meta WHERE name = 'tree_size'").fetchone()
        return int(row[0]) if row else 0

    def tree_size(self) -> int:
        return self._size(self._reader().cursor())

    def root_hash(self) -> bytes | None:
        value = self.get_meta("root_hash")
        return bytes.fromhex(value) if value else None

    def get_meta(self, name: str) -> str | None:
        row = self._reader().execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        if not requests:
            return []
        ids = sorted({_tile_id(level, index) for level, index, _ in requests})
        marks = ",".join("?" * len(ids))
        rows = dict(
            self._reader().execute(f"SELECT id, data FROM tiles WHERE id IN ({marks})", ids)  # noqa: S608
        )
        out: list[bytes] = []
        for level, index, width in requests:
            data = rows.get(_tile_id(level, index))
            if data is None or len(data) < width * 32:
                have = 0 if data is None else len(data) // 32
                raise StorageError(f"tile {level}/{index} has {have} hashes, {width} requested")
            out.append(bytes(data[: width * 32]))
        return out

    def read_entries(self, start: int, end: int) -> list[bytes]:
        rows = self._reader().execute(
            "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (start, end)
        ).fetchall()
        if len(rows) != max(0, end - start):
            raise StorageError(f"entries [{start}, {end}) are not all stored")
        return [bytes(data) for _, data in rows]

    def lookup_key(self, key: bytes) -> list[int]:
        rows = self._reader().execute(
            "SELECT idx FROM entry_keys WHERE key = ? ORDER BY idx", (key,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def seen_nonces(self, keys: Sequence[bytes]) -> set[bytes]:
        if not keys:
            return set()
        seen: set[bytes] = set()
        conn = self._reader()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            seen.update(
                bytes(r[0])
                for r in conn.execute(f"SELECT key FROM nonces WHERE key IN ({marks})", chunk)  # noqa: S608
            )
        return seen

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._reader().execute(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return StoredCheckpoint(int(row[0]), str(row[1])) if row else None

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        row = self._reader().execute(
            "SELECT size, note FROM checkpoints WHERE size = ?", (tree_size,)
        ).fetchone()
        return StoredCheckpoint(int(row[0]), str(row[1])) if row else None

    def checkpoint_sizes(self) -> list[int]:
        rows = self._reader().execute("SELECT size FROM checkpoints ORDER BY size")
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._all_connections:
                conn.close()
            self._all_connections.clear()
