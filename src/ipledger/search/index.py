"""A register's published rights in a SQLite side file, searchable, kept in step.

The index is derived data (delete the file and it is rebuilt). It records the tree size
of the signed checkpoint it reflects; :meth:`RegisterIndex.refresh` re-reads only the
rights that batches after it changed (``record_versions``), and the rights of parties
whose names changed, as of the new checkpoint: a hit names that tree size, so its
extract proves exactly what was found.

Text matching uses normalised keys (:func:`~ipledger.search.fields.text_key`): exact and
prefix on an ordinary index, contains through an FTS5 trigram index (two characters or
fewer fall back to a scan).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ipledger.codec import parse_json
from ipledger.registry.records import owned_record, party_record
from ipledger.search.fields import IndexedRight, indexed_right, text_key
from ipledger.search.query import SearchQuery

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rights (id INTEGER PRIMARY KEY, record_id TEXT UNIQUE NOT NULL,"
    " office TEXT NOT NULL, kind TEXT NOT NULL, number TEXT NOT NULL, status TEXT NOT NULL,"
    " title TEXT NOT NULL, title_key TEXT NOT NULL, owners TEXT NOT NULL,"
    " owner_names TEXT NOT NULL, owners_key TEXT NOT NULL, classes TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rights_by_title ON rights (title_key, record_id)",
    "CREATE TABLE IF NOT EXISTS right_classes (class INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (class, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS right_owners (party TEXT NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (party, id)) WITHOUT ROWID",
    "CREATE VIRTUAL TABLE IF NOT EXISTS rights_text USING fts5(title, owners,"
    " tokenize='trigram')",
)
_PREFIX_END = "\U0010ffff"
_TRIGRAM = 3


class ChangeFeed(Protocol):
    """The store reads an index needs (``storage.sql.SQLStore`` has them)."""

    def changed_record_ids(self, prefix: str, after_size: int, upto_size: int) -> list[str]: ...

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None: ...

    def record_ids(self, prefix: str) -> list[str]: ...


@dataclass(frozen=True)
class IndexHit:
    """A right found, with the key results are ordered by (its title, folded)."""

    right: IndexedRight
    sort_key: str


def _fts_phrase(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def _like(key: str) -> str:
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class RegisterIndex:
    """The searchable published rights of one register, in the SQLite file ``path``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        with self._transaction() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    @property
    def tree_size(self) -> int:
        """The tree size of the checkpoint the index reflects."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'tree_size'").fetchone()
        return int(row[0]) if row else 0

    def refresh(self, store: ChangeFeed, tree_size: int) -> int:
        """Bring the index to the register as of ``tree_size``; return the rights re-read."""
        with self._lock:
            done = self.tree_size
            if tree_size <= done:
                return 0
            ids = set(store.changed_record_ids("right/", done, tree_size))
            for party_id in store.changed_record_ids("party/", done, tree_size):
                party = party_id.removeprefix("party/")
                prefix = owned_record(party, "")
                ids.update(r.removeprefix(prefix) for r in store.record_ids(prefix))
                ids.update(r for (r,) in self._db.execute(
                    "SELECT r.record_id FROM right_owners o JOIN rights r ON r.id = o.id "
                    "WHERE o.party = ?", (party,)))

            def read_party(party: str) -> dict[str, Any] | None:
                raw = store.read_record_at(party_record(party), tree_size)
                return None if raw is None else dict(parse_json(raw))

            with self._transaction() as db:
                for record_id in sorted(ids):
                    raw = store.read_record_at(record_id, tree_size)
                    right = None if raw is None else dict(parse_json(raw))
                    self._put(db, record_id, indexed_right(record_id, right, read_party))
                db.execute("INSERT INTO meta VALUES ('tree_size', ?) ON CONFLICT (name) "
                           "DO UPDATE SET value = excluded.value", (str(tree_size),))
            return len(ids)

    @staticmethod
    def _put(db: sqlite3.Connection, record_id: str, right: IndexedRight | None) -> None:
        row = db.execute("SELECT id FROM rights WHERE record_id = ?", (record_id,)).fetchone()
        if row is not None:
            for table in ("right_classes", "right_owners"):
                db.execute(f"DELETE FROM {table} WHERE id = ?", row)  # noqa: S608
            db.execute("DELETE FROM rights_text WHERE rowid = ?", row)
            db.execute("DELETE FROM rights WHERE id = ?", row)
        if right is None:  # absent, or not published: never findable
            return
        owners_key = " | ".join(text_key(n) for n in right.owner_names)
        cur = db.execute(
            "INSERT INTO rights (record_id, office, kind, number, status, title, title_key, "
            "owners, owner_names, owners_key, classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record_id, right.office, right.kind, right.number, right.status, right.title,
             text_key(right.title), json.dumps(right.owners), json.dumps(right.owner_names),
             owners_key, json.dumps(right.classes)))
        rowid = cur.lastrowid
        db.execute("INSERT INTO rights_text (rowid, title, owners) VALUES (?, ?, ?)",
                   (rowid, text_key(right.title), owners_key))
        db.executemany("INSERT INTO right_classes VALUES (?, ?)",
                       [(c, rowid) for c in right.classes])
        db.executemany("INSERT OR IGNORE INTO right_owners VALUES (?, ?)",
                       [(p, rowid) for p in right.owners])

    def search(self, query: SearchQuery, limit: int | None = None) -> list[IndexHit]:
        """The rights matching ``query``, by title then record id."""
        where: list[str] = []
        params: list[Any] = []
        fts: list[str] = []
        if query.text is not None:
            if query.match == "exact":
                where.append("r.title_key = ?")
                params.append(query.text)
            elif query.match == "prefix":
                where.append("r.title_key >= ? AND r.title_key < ?")
                params += [query.text, query.text + _PREFIX_END]
            elif len(query.text) >= _TRIGRAM:
                fts.append("title : " + _fts_phrase(query.text))
            else:
                where.append("r.title_key LIKE ? ESCAPE '\\'")
                params.append(_like(query.text))
        if query.owner is not None:
            if len(query.owner) >= _TRIGRAM:
                fts.append("owners : " + _fts_phrase(query.owner))
            else:
                where.append("r.owners_key LIKE ? ESCAPE '\\'")
                params.append(_like(query.owner))
        if fts:
            where.append("r.id IN (SELECT rowid FROM rights_text WHERE rights_text MATCH ?)")
            params.append(" AND ".join(fts))
        if query.nice_class is not None:
            where.append("r.id IN (SELECT id FROM right_classes WHERE class = ?)")
            params.append(query.nice_class)
        for column, value in (("status", query.status), ("office", query.office),
                              ("kind", query.kind)):
            if value is not None:
                where.append(f"r.{column} = ?")
                params.append(value)
        # Only fixed fragments are joined; every value is a parameter.
        sql = ("SELECT r.record_id, r.office, r.kind, r.number, r.status, r.title, r.owners, "  # noqa: S608
               "r.owner_names, r.classes, r.title_key FROM rights r"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY r.title_key, r.record_id LIMIT ?")
        params.append(limit if limit is not None else query.limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [IndexHit(IndexedRight(
            record_id=r[0], office=r[1], kind=r[2], number=r[3], status=r[4], title=r[5],
            owners=tuple(json.loads(r[6])), owner_names=tuple(json.loads(r[7])),
            classes=tuple(json.loads(r[8]))), sort_key=r[9]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM rights").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
