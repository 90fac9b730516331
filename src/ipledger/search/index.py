"""A register's published rights in a SQLite side file, searchable, kept in step.

The index is derived data (delete the file and it is rebuilt). It records the tree size
of the signed checkpoint it reflects; :meth:`RegisterIndex.refresh` re-reads only the
rights that batches after it changed (``record_versions``), and the rights of parties
whose names changed, as of the new checkpoint: a hit names that tree size, so its
extract proves exactly what was found.

Text matching uses normalised keys (:func:`~ipledger.search.fields.text_key`): exact and
prefix on an ordinary index, contains through an FTS5 trigram index (two characters or
fewer fall back to a scan). Ranked matches (``similar``, ``fuzzy``, ``phonetic``) take
candidates sharing the query's rarest trigrams (most shared, rarity-weighted, first) or its
phonetic key, then score them with :mod:`~ipledger.search.similarity`, best bounds first,
stopping once no unscored candidate can reach the results.
"""

from __future__ import annotations

import heapq
import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ipledger.codec import parse_json
from ipledger.registry.records import owned_record, party_record
from ipledger.search.fields import IndexedRight, indexed_right, text_key
from ipledger.search.query import RANKED, SearchQuery
from ipledger.search.similarity import best_possible, phonetic_key, similarity
from ipledger.storage.side_index import (
    ensure_schema,
    indexed_tree_size,
    open_side_index,
    write_transaction,
)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rights (id INTEGER PRIMARY KEY, record_id TEXT UNIQUE NOT NULL,"
    " office TEXT NOT NULL, kind TEXT NOT NULL, number TEXT NOT NULL, status TEXT NOT NULL,"
    " title TEXT NOT NULL, title_key TEXT NOT NULL, owners TEXT NOT NULL,"
    " owner_names TEXT NOT NULL, owners_key TEXT NOT NULL, classes TEXT NOT NULL,"
    " filing_date TEXT NOT NULL, sound_key TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rights_by_title ON rights (title_key, record_id)",
    "CREATE INDEX IF NOT EXISTS rights_by_sound ON rights (sound_key)",
    "CREATE INDEX IF NOT EXISTS rights_by_number ON rights (number)",
    # A status criterion without text reads that status's rights in title order.
    "CREATE INDEX IF NOT EXISTS rights_by_status ON rights (status, title_key, record_id)",
    "CREATE TABLE IF NOT EXISTS right_classes (class INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (class, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS right_owners (party TEXT NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (party, id)) WITHOUT ROWID",
    "CREATE VIRTUAL TABLE IF NOT EXISTS rights_text USING fts5(title, owners,"
    " tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS rights_grams USING fts5vocab(rights_text, 'col')",
)
_TABLES = ("meta", "rights", "right_classes", "right_owners", "rights_grams", "rights_text")
SCHEMA_VERSION = "3"  # an index file of another version is rebuilt from the register
_PREFIX_END = "\U0010ffff"
_TRIGRAM = 3
CANDIDATES = 500  # trigram candidates scored per ranked query
# Ranked queries look for candidates through their rarest trigrams, as many as keep the
# titles to weigh under this (listing and weighing them costs in proportion to their number).
GRAM_BUDGET = 40 * CANDIDATES


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
    score: float = 0.0  # ranked matches only: the similarity (search/similarity.py)
    how: str = ""  # ranked matches only: exact, contains, phonetic or fuzzy


def _fts_phrase(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def _like(key: str) -> str:
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class RegisterIndex:
    """The searchable published rights of one register, in the SQLite file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._gram_counts: dict[str, int] = {}  # trigram -> titles having it (_gram_docs)
        self._changed = 0  # rights re-read since those counts were taken
        self._db = open_side_index(path)
        ensure_schema(self._db, SCHEMA_VERSION, _TABLES, _SCHEMA)

    @property
    def tree_size(self) -> int:
        """The tree size of the checkpoint the index reflects."""
        return indexed_tree_size(self._db)

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

            with write_transaction(self._db) as db:
                for record_id in sorted(ids):
                    raw = store.read_record_at(record_id, tree_size)
                    right = None if raw is None else dict(parse_json(raw))
                    self._put(db, record_id, indexed_right(record_id, right, read_party))
                db.execute("INSERT INTO meta VALUES ('tree_size', ?) ON CONFLICT (name) "
                           "DO UPDATE SET value = excluded.value", (str(tree_size),))
            self._changed += len(ids)
            if self._changed * 20 > self._db.execute(
                    "SELECT coalesce(max(id), 0) FROM rights").fetchone()[0]:
                self._gram_counts.clear()
                self._changed = 0
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
        rowid = db.execute("SELECT coalesce(max(id), 0) + 1 FROM rights").fetchone()[0]
        _insert(db, [(rowid, record_id, right)])

    def load(self, rights: Iterable[tuple[str, IndexedRight]], tree_size: int,
             batch: int = 20_000) -> int:
        """Fill an empty index with ``rights`` (record id, fields) as of ``tree_size``, in
        bulk: for a register loaded in bulk (an import, a benchmark); return the count."""
        with self._lock, _big_cache(self._db), write_transaction(self._db) as db:
            if db.execute("SELECT 1 FROM rights LIMIT 1").fetchone() is not None:
                raise ValueError("load() fills an empty index; refresh() updates one")
            done = 0
            chunk: list[tuple[int, str, IndexedRight]] = []
            for record_id, right in rights:
                done += 1
                chunk.append((done, record_id, right))
                if len(chunk) == batch:
                    _insert(db, chunk)
                    chunk = []
            _insert(db, chunk)
            db.execute("INSERT INTO meta VALUES ('tree_size', ?) ON CONFLICT (name) "
                       "DO UPDATE SET value = excluded.value", (str(tree_size),))
        return done

    def search(self, query: SearchQuery, limit: int | None = None) -> list[IndexHit]:
        """The rights matching ``query``: by title then record id, or for a ranked match
        by score (best first), then title and record id."""
        where: list[str] = []
        params: list[Any] = []
        fts: list[str] = []
        source = "rights r"
        sound = phonetic_key(query.text) if query.text is not None else ""
        if query.text is not None and query.ranked:
            # Candidates first (a bounded set), then the other criteria on them.
            candidates = self._spelled_like(query.text)
            if candidates:
                spelled = "SELECT value AS id FROM json_each(?)"
                params.append(json.dumps(candidates))
            elif len(query.text) < _TRIGRAM:
                spelled = "SELECT id FROM rights WHERE title_key LIKE ? ESCAPE '\\' LIMIT ?"
                params += [_like(query.text), CANDIDATES]
            else:  # no title has any of its trigrams: only sound-alikes can match
                spelled = "SELECT id FROM rights WHERE 0"
            # Only fixed fragments are joined; every value is a parameter.
            source = (f"(SELECT * FROM ({spelled}) UNION SELECT * FROM (SELECT id FROM "  # noqa: S608
                      "rights WHERE sound_key = ? LIMIT ?)) c JOIN rights r ON r.id = c.id")
            params += [sound, CANDIDATES]
        elif query.text is not None:
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
            # Checked row by row (the rows come in title order, or are the candidates),
            # not as a list of every right of the class (a fifth of a register).
            where.append("EXISTS (SELECT 1 FROM right_classes k WHERE k.class = ? "
                         "AND k.id = r.id)")
            params.append(query.nice_class)
        for column, value in (("status", query.status), ("office", query.office),
                              ("kind", query.kind), ("number", query.number)):
            if value is not None:
                # With text, its matches are fewer: "+" keeps SQLite from reading a
                # whole status in title order instead.
                driven = "+" if query.text is not None or fts else ""
                where.append(f"{driven}r.{column} = ?")
                params.append(value)
        if query.filed_from is not None:
            where.append("r.filing_date >= ?")
            params.append(query.filed_from)
        if query.filed_to is not None:
            where.append("r.filing_date != '' AND r.filing_date <= ?")
            params.append(query.filed_to)
        # Only fixed fragments are joined; every value is a parameter.
        sql = ("SELECT r.record_id, r.office, r.kind, r.number, r.status, r.title, r.owners, "  # noqa: S608
               "r.owner_names, r.classes, r.title_key, r.filing_date, r.sound_key FROM "
               + source
               + (" WHERE " + " AND ".join(where) if where else "")
               + ("" if query.ranked else " ORDER BY r.title_key, r.record_id LIMIT ?"))
        wanted = limit if limit is not None else query.limit
        if not query.ranked:
            params.append(wanted)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        def hit(r: tuple[Any, ...], score: float = 0.0, how: str = "") -> IndexHit:
            return IndexHit(IndexedRight(
                record_id=r[0], office=r[1], kind=r[2], number=r[3], status=r[4], title=r[5],
                owners=tuple(json.loads(r[6])), owner_names=tuple(json.loads(r[7])),
                classes=tuple(json.loads(r[8])), filing_date=r[10]), r[9], score, how)

        if not query.ranked or query.text is None:
            return [hit(r) for r in rows]
        modes = RANKED[query.match]
        bounded = sorted(((best_possible(query.text, r[9], modes, sound, r[11]), r)
                          for r in rows), key=lambda b: -b[0])
        scored: list[tuple[float, str, str, str, tuple[Any, ...]]] = []
        best: list[float] = []  # the best `wanted` scores so far, a min-heap
        for bound, r in bounded:
            # Unscored titles score at most their bound: below the wanted-th best, none
            # of them can be among the results.
            if bound <= 0.0 or (len(best) == wanted and bound < best[0]):
                break
            found = similarity(query.text, r[9], modes, sound, r[11])
            if found is not None:
                scored.append((-found.score, r[9], r[0], found.how, r))
                (heapq.heappush if len(best) < wanted else heapq.heappushpop)(best, found.score)
        scored.sort(key=lambda s: s[:3])
        return [hit(r, -score, how) for score, _, _, how, r in scored[:wanted]]

    def _spelled_like(self, text: str) -> list[int]:
        """Up to CANDIDATES titles sharing the most of the rarest trigrams of ``text``
        (each gram weighted by its rarity, as bm25's idf does; ties: the older right)."""
        grams = self._rarest_grams(text)
        if not grams:
            return []
        titles = max(1, self._size())
        params: list[Any] = []
        for gram, docs in grams:
            params += [math.log(1 + titles / docs), "title : " + _fts_phrase(gram)]
        one = "SELECT rowid AS id, ? AS w FROM rights_text WHERE rights_text MATCH ?"
        # Only fixed fragments are joined; every value is a parameter.
        sql = ("SELECT id FROM (" + " UNION ALL ".join([one] * len(grams))  # noqa: S608
               + ") GROUP BY id ORDER BY sum(w) DESC, id LIMIT ?")
        with self._lock:
            return [rowid for (rowid,) in self._db.execute(sql, [*params, CANDIDATES])]

    def _rarest_grams(self, text: str) -> list[tuple[str, int]]:
        """The trigrams of ``text`` that some title has, with the titles having each,
        rarest first, as many as keep the titles having any of them within GRAM_BUDGET
        (at least the two rarest)."""
        grams = sorted({text[i:i + _TRIGRAM] for i in range(len(text) - _TRIGRAM + 1)})
        if not grams:
            return []
        counts = [(gram, self._gram_docs(gram)) for gram in grams]
        chosen: list[tuple[str, int]] = []
        total = 0
        for gram, docs in sorted(counts, key=lambda c: (c[1], c[0])):
            if docs == 0:  # no title has it
                continue
            if len(chosen) >= 2 and total + docs > GRAM_BUDGET:
                break
            chosen.append((gram, docs))
            total += docs
        return chosen

    def _gram_docs(self, gram: str) -> int:
        """How many titles have ``gram``: remembered, since counting reads the gram's
        whole list; forgotten once a twentieth of the index changed (they only choose
        which grams find the candidates, so slightly old counts do no harm)."""
        docs = self._gram_counts.get(gram)
        if docs is None:
            with self._lock:
                row = self._db.execute("SELECT doc FROM rights_grams WHERE col = 'title' "
                                       "AND term = ?", (gram,)).fetchone()
            docs = self._gram_counts[gram] = int(row[0]) if row else 0
        return docs

    def _size(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT coalesce(max(id), 0) FROM rights").fetchone()[0])

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM rights").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _insert(db: sqlite3.Connection, rows: list[tuple[int, str, IndexedRight]]) -> None:
    """Insert rights (row id, record id, fields) that the index does not have yet."""
    main, text, classes, owners = [], [], [], []
    for rowid, record_id, right in rows:
        title_key = text_key(right.title)
        owners_key = " | ".join(text_key(n) for n in right.owner_names)
        main.append((rowid, record_id, right.office, right.kind, right.number, right.status,
                     right.title, title_key, json.dumps(right.owners),
                     json.dumps(right.owner_names), owners_key, json.dumps(right.classes),
                     right.filing_date, phonetic_key(title_key)))
        text.append((rowid, title_key, owners_key))
        classes += [(c, rowid) for c in right.classes]
        owners += [(p, rowid) for p in right.owners]
    db.executemany(
        "INSERT INTO rights (id, record_id, office, kind, number, status, title, title_key, "
        "owners, owner_names, owners_key, classes, filing_date, sound_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", main)
    db.executemany("INSERT INTO rights_text (rowid, title, owners) VALUES (?, ?, ?)", text)
    db.executemany("INSERT INTO right_classes VALUES (?, ?)", classes)
    db.executemany("INSERT OR IGNORE INTO right_owners VALUES (?, ?)", owners)


@contextmanager
def _big_cache(db: sqlite3.Connection, mib: int = 256) -> Iterator[None]:
    """A larger page cache while loading: the title, sound and number indexes and the
    trigram index are written all over, and re-reading their pages is what loading costs."""
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {-mib * 1024}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(before)}")

