"""The back office's work queues from an index, so counts and pages cost the same at a
million rights as at a hundred.

The index is derived data in a SQLite side file, like the search index
(``search/index.py``): it records the tree size it reflects, and :meth:`QueueIndex.refresh`
re-reads only the rights that later batches wrote (``record_versions``), and every right of
an office whose record changed (its profile decides the queues). Delete the file and it is
rebuilt from the register; it never writes to the ledger. A side file rather than a table
written in the ledger's own transaction keeps the write path (and ``storage/``) untouched on
SQLite and PostgreSQL alike, and the queue rules (``work_queues.queue_of``) free to change:
a new :data:`SCHEMA_VERSION` rebuilds the index.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ipledger.codec import parse_json
from ipledger.registry.families.rights import profile_named
from ipledger.registry.lifecycle import StateMachine, machine_for
from ipledger.registry.records import office_record
from ipledger.search.fields import title_of
from ipledger.services.work_queues import PAGE_SIZE, QUEUES, QueueItem, QueuePage, queue_of
from ipledger.storage.side_index import (
    ensure_schema,
    indexed_tree_size,
    open_side_index,
    write_transaction,
)

SCHEMA_VERSION = "2"  # an index file of another version is rebuilt from the register
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS queued (record_id TEXT PRIMARY KEY, queue TEXT NOT NULL,"
    " office TEXT NOT NULL, kind TEXT NOT NULL, number TEXT NOT NULL, title TEXT NOT NULL,"
    " state TEXT NOT NULL, filing_date TEXT NOT NULL, last_date TEXT NOT NULL,"
    " disclosed INTEGER NOT NULL, needle TEXT NOT NULL)",
    # A queue's page at one office is a range of this index, already in page order.
    "CREATE INDEX IF NOT EXISTS queued_in_order ON queued"
    " (queue, office, filing_date, kind, number)",
    # Kept with the rows: counts cost a few rows, not a scan of the queues.
    "CREATE TABLE IF NOT EXISTS counts (queue TEXT NOT NULL, office TEXT NOT NULL,"
    " kind TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (queue, office, kind))",
)
_TABLES = ("queued", "counts", "meta")
_INSERT = "INSERT INTO queued VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_CHUNK = 10_000


class QueueFeed(Protocol):
    """The store reads the index needs (``storage.sql.SQLStore`` has them)."""

    def changed_record_ids(self, prefix: str, after_size: int, upto_size: int) -> list[str]: ...

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None: ...

    def record_ids(self, prefix: str) -> list[str]: ...

    def tree_size(self) -> int: ...


class QueueIndex:
    """The rights waiting in a queue, by (queue, office, filing date, kind, number)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_side_index(path)
        ensure_schema(self._db, SCHEMA_VERSION, _TABLES, _SCHEMA)

    @property
    def tree_size(self) -> int:
        """The tree size of the register state the index reflects."""
        return indexed_tree_size(self._db)

    def refresh(self, store: QueueFeed, tree_size: int | None = None) -> int:
        """Bring the index to the register as of ``tree_size`` (default: all that is
        committed); return how many rights were re-read."""
        upto = store.tree_size() if tree_size is None else tree_size
        with self._lock:
            done = self.tree_size
            if upto <= done:
                return 0
            ids = set(store.changed_record_ids("right/", done, upto))
            for changed in store.changed_record_ids(office_record(""), done, upto):
                office = changed.removeprefix(office_record(""))
                ids.update(store.record_ids(f"right/{office}/"))
                ids.update(r for (r,) in self._db.execute(
                    "SELECT record_id FROM queued WHERE office = ?", (office,)))
            machines: dict[tuple[str, str], StateMachine | None] = {}

            def machine(office: str, kind: str) -> StateMachine | None:
                if (office, kind) not in machines:
                    raw = store.read_record_at(office_record(office), upto)
                    found = None
                    if raw is not None:
                        try:
                            found = machine_for(
                                profile_named(str(parse_json(raw)["profile"])), kind)
                        except (ValueError, KeyError):
                            found = None
                    machines[office, kind] = found
                return machines[office, kind]

            first_build = done == 0 and self._db.execute(
                "SELECT 1 FROM queued LIMIT 1").fetchone() is None
            ordered = sorted(ids)
            with write_transaction(self._db) as db:
                deltas: dict[tuple[str, str, str], int] = {}
                for start in range(0, len(ordered), _CHUNK):  # bounded memory at 1M rights
                    rows = []
                    for record_id in ordered[start:start + _CHUNK]:
                        raw = store.read_record_at(record_id, upto)
                        right = None if raw is None else dict(parse_json(raw))
                        rows.append((record_id, None if right is None else _row(
                            record_id, right, machine(right["office"], right["kind"]))))
                    if first_build:  # no earlier rows to take back
                        db.executemany(_INSERT, [r for _, r in rows if r is not None])
                    else:
                        self._replace(rows, deltas)
                if first_build:
                    db.execute("DELETE FROM counts")
                    db.execute("INSERT INTO counts SELECT queue, office, kind, count(*) "
                               "FROM queued GROUP BY queue, office, kind")
                db.executemany(
                    "INSERT INTO counts VALUES (?, ?, ?, ?) ON CONFLICT (queue, office, kind) "
                    "DO UPDATE SET n = n + excluded.n",
                    [(*key, n) for key, n in deltas.items() if n])
                db.execute("INSERT OR REPLACE INTO meta VALUES ('tree_size', ?)", (str(upto),))
            return len(ids)

    def _replace(self, rows: list[tuple[str, tuple[Any, ...] | None]],
                 deltas: dict[tuple[str, str, str], int]) -> None:
        """Replace the rows of these rights (None: in no queue), noting count changes."""
        for record_id, row in rows:
            old = self._db.execute("SELECT queue, office, kind FROM queued WHERE "
                                   "record_id = ?", (record_id,)).fetchone()
            if old is not None:
                deltas[old] = deltas.get(old, 0) - 1
                self._db.execute("DELETE FROM queued WHERE record_id = ?", (record_id,))
            if row is not None:
                key = (row[1], row[2], row[3])
                deltas[key] = deltas.get(key, 0) + 1
                self._db.execute(_INSERT, row)

    def counts(self, offices: Iterable[str]) -> dict[str, int]:
        """How many rights wait in each queue, at these offices."""
        wanted = sorted(set(offices))
        counts = dict.fromkeys(QUEUES, 0)
        with self._lock:
            for queue, count in self._db.execute(
                    "SELECT queue, sum(n) FROM counts WHERE office IN "
                    "(SELECT value FROM json_each(?)) GROUP BY queue", (json.dumps(wanted),)):
                counts[queue] = int(count)
        return counts

    def page(self, queue: str, offices: Iterable[str], *, kind: str = "", text: str = "",
             page: int = 1, size: int = PAGE_SIZE) -> QueuePage:
        """One page of a queue, oldest filing first, filtered by kind and text (a number,
        or part of the mark or title, any case): as ``WorkQueues.page``."""
        if queue not in QUEUES:
            raise KeyError(queue)
        where = ["queue = ?", "office IN (SELECT value FROM json_each(?))"]
        params: list[Any] = [queue, json.dumps(sorted(set(offices)))]
        if kind:
            where.append("kind = ?")
            params.append(kind)
        needle = text.strip().casefold()
        if "\x00" in needle:  # the separator in the needle column: no number or title has it
            where.append("0")
        elif needle:
            where.append("instr(needle, ?) > 0")
            params.append(needle)
        clause = " AND ".join(where)  # fixed fragments only; values are parameters
        # Without a text filter the total is in the counts table (the same conditions).
        counted = "SELECT coalesce(sum(n), 0) FROM counts WHERE " if not needle \
            else "SELECT count(*) FROM queued WHERE "
        with self._lock:
            total = int(self._db.execute(counted + clause, params).fetchone()[0])
            pages = max(1, -(-total // size))
            page = min(max(1, page), pages)
            rows = self._db.execute(
                "SELECT office, kind, number, title, state, filing_date, last_date, disclosed "  # noqa: S608
                f"FROM queued WHERE {clause} ORDER BY filing_date, office, kind, number "
                "LIMIT ? OFFSET ?", [*params, size, (page - 1) * size]).fetchall()
        items = [QueueItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows]
        return QueuePage(queue, items, total, page, pages)

    def close(self) -> None:
        self._db.close()


def _row(record_id: str, right: dict[str, Any],
         machine: StateMachine | None) -> tuple[Any, ...] | None:
    """The index row of a right, or None if it waits in no queue."""
    queue = None if machine is None else queue_of(right, machine)
    if queue is None:
        return None
    title = title_of(right)
    history = right.get("history", [])
    # Number and title, each folded, split by a character no search text holds.
    needle = right["number"].casefold() + "\x00" + title.casefold()
    return (record_id, queue, right["office"], right["kind"], right["number"], title,
            right["state"], right["dates"].get("filing_date", ""),
            history[-1]["date"] if history else "", int("data" in right), needle)
