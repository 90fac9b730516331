"""The serial index of product authenticity: commitment -> batch, in a SQLite side file.

Derived data, like the search index: a function of the committed ``authenticity.batch``
records and the commitment lists they name (delete the file and it is rebuilt the same).
:meth:`SerialIndex.refresh` reads only the batch records that batches of entries after the
last refresh wrote (``changed_record_ids``), in ledger order, and loads each one's list
from the document store, checking its SHA-256, its line count and its order. A batch whose
list is not stored yet is remembered as ``missing`` and tried again at every refresh; one
whose list is malformed as ``invalid`` (its items stay unknown). If two batches ever listed
the same commitment (a serial repeated with the same salt), the earlier entry keeps it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ipledger.registry.families.authenticity import batch_record
from ipledger.services.serials import SerialError, parse_list
from ipledger.storage.side_index import indexed_tree_size, open_side_index, write_transaction

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY, batch TEXT UNIQUE NOT NULL,"
    " entry_index INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS serials (commitment BLOB PRIMARY KEY, batch INTEGER NOT NULL)"
    " WITHOUT ROWID",
)
LOADED, MISSING, INVALID = "loaded", "missing", "invalid"
_PREFIX = batch_record("")
ListReader = Callable[[str], bytes | None]  # a commitment list's bytes by SHA-256, or None


class BatchFeed(Protocol):
    """The store reads the index needs (``storage.sql.SQLStore`` has them)."""

    def changed_record_ids(self, prefix: str, after_size: int, upto_size: int) -> list[str]: ...

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None: ...


@dataclass(frozen=True)
class BatchState:
    batch: str  # the commitment list's SHA-256
    entry_index: int
    state: str  # loaded, missing or invalid
    detail: str


class SerialIndex:
    """Which batch lists each commitment, in the SQLite file ``path``."""

    CACHE_KIB = 262_144  # page cache while loading: a 10M-row table stays mostly in memory

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_side_index(path)
        self._db.execute("PRAGMA synchronous=NORMAL")  # derived data: rebuilt if lost
        self._db.execute(f"PRAGMA cache_size=-{self.CACHE_KIB}")
        for statement in _SCHEMA:
            self._db.execute(statement)
        # Lookups read through their own connection: under WAL they never wait for a
        # batch being loaded through the writer's.
        self._reader = sqlite3.connect(str(path), isolation_level=None,
                                       check_same_thread=False)
        self._read_lock = threading.Lock()
        self._size = indexed_tree_size(self._db)
        self._pending = self._count_pending()

    def _count_pending(self) -> int:
        row = self._db.execute("SELECT count(*) FROM batches WHERE state = ?",
                               (MISSING,)).fetchone()
        return int(row[0])

    def is_current(self, tree_size: int) -> bool:
        """Whether a refresh to ``tree_size`` would have nothing to do (no database read)."""
        return tree_size <= self._size and not self._pending

    @property
    def tree_size(self) -> int:
        """The tree size of the register the index reflects."""
        return self._size

    def refresh(self, store: BatchFeed, tree_size: int, read_list: ListReader) -> int:
        """Bring the index to the register as of ``tree_size``; the batches loaded now."""
        with self._lock:
            done = indexed_tree_size(self._db)
            pending = self._db.execute(
                "SELECT batch, entry_index FROM batches WHERE state = ? ORDER BY entry_index",
                (MISSING,)).fetchall()
            if tree_size <= done and not pending:
                return 0
            todo: list[tuple[int, dict[str, Any]]] = []
            for record_id in store.changed_record_ids(_PREFIX, done, max(done, tree_size)):
                raw = store.read_record_at(record_id, tree_size)
                if raw is not None:
                    batch = json.loads(raw)
                    todo.append((int(batch["index"]), batch))
            for sha256, _ in pending:
                raw = store.read_record_at(batch_record(sha256), max(done, tree_size))
                if raw is not None:
                    batch = json.loads(raw)
                    todo.append((int(batch["index"]), batch))
            loaded = 0
            for _, batch in sorted(todo, key=lambda t: t[0]):
                loaded += self._load(batch, read_list)
            if tree_size > done:
                self._db.execute("INSERT INTO meta VALUES ('tree_size', ?) ON CONFLICT (name) "
                                 "DO UPDATE SET value = excluded.value", (str(tree_size),))
                self._size = tree_size
            self._pending = self._count_pending()
            return loaded

    def _load(self, batch: dict[str, Any], read_list: ListReader) -> int:
        sha256, index = str(batch["batch"]), int(batch["index"])
        row = self._db.execute("SELECT state FROM batches WHERE batch = ?", (sha256,)).fetchone()
        if row is not None and row[0] != MISSING:
            return 0
        data = read_list(sha256)
        state, detail, commitments = LOADED, "", []
        if data is None:
            state, detail = MISSING, "the commitment list is not in the document store"
        elif hashlib.sha256(data).hexdigest() != sha256:
            state, detail = INVALID, "the stored list does not hash to the batch's SHA-256"
        else:
            try:
                commitments = parse_list(data, int(batch["count"]))
            except SerialError as exc:
                state, detail = INVALID, str(exc)
        with write_transaction(self._db) as db:
            db.execute("INSERT INTO batches (batch, entry_index, state, detail) VALUES "
                       "(?, ?, ?, ?) ON CONFLICT (batch) DO UPDATE SET state = excluded.state,"
                       " detail = excluded.detail", (sha256, index, state, detail))
            (batch_id,) = db.execute("SELECT id FROM batches WHERE batch = ?",
                                     (sha256,)).fetchone()
            db.executemany("INSERT OR IGNORE INTO serials VALUES (?, ?)",
                           ((c, batch_id) for c in commitments))
        return int(state == LOADED)

    def lookup(self, commitment: bytes) -> str | None:
        """The SHA-256 of the batch that lists ``commitment``, or None."""
        with self._read_lock:
            row = self._reader.execute(
                "SELECT b.batch FROM serials s JOIN batches b ON b.id = s.batch "
                "WHERE s.commitment = ?", (commitment,)).fetchone()
        return None if row is None else str(row[0])

    def batches(self) -> list[BatchState]:
        with self._lock:
            rows = self._db.execute("SELECT batch, entry_index, state, detail FROM batches "
                                    "ORDER BY entry_index").fetchall()
        return [BatchState(str(b), int(i), str(s), str(d)) for b, i, s, d in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM serials").fetchone()[0])

    def close(self) -> None:
        self._reader.close()
        self._db.close()
