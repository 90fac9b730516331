"""SQLite files of derived indexes (search, work queues, product serials).

They are rebuilt from the log and the register, so a version mismatch simply drops their
tables; one connection per file is shared by threads behind the index's own lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def open_side_index(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` (its folder made), in WAL mode, autocommit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def indexed_tree_size(db: sqlite3.Connection) -> int:
    """The ledger size the index reflects (``meta.tree_size``; 0 before the first load)."""
    row = db.execute("SELECT value FROM meta WHERE name = 'tree_size'").fetchone()
    return int(row[0]) if row else 0


def ensure_schema(db: sqlite3.Connection, version: str, tables: Sequence[str],
                  schema: Sequence[str]) -> None:
    """Create ``schema`` at ``version`` (in table ``meta``), dropping ``tables`` first when
    the file was written at another version."""
    with write_transaction(db):
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        found = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() \
            if has_meta else None
        if found != (version,):
            for table in tables:
                db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in schema:
            db.execute(statement)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (version,))
