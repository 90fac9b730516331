"""Copy a whole store into an empty one of any backend (e.g. SQLite -> PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from ipledger.storage.base import StorageError
from ipledger.storage.sql import SQLStore

# Each store keeps its own schema version.
_NOT_COPIED_META = frozenset({"schema_version"})


def copy_store(source: SQLStore, target: SQLStore,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table of ``source``, as of one instant, into the empty ``target``.

    The source may keep writing (the copy reads one snapshot); returns rows per table.
    """
    if not target.is_empty():
        raise StorageError("the target store is not empty")
    counts: dict[str, int] = {}
    with source.snapshot():
        for table, _ in SQLStore.TABLES:
            counts[table] = 0
            for rows in source.dump_rows(table):
                if table == "meta":
                    rows = [r for r in rows if r[0] not in _NOT_COPIED_META]
                target.load_rows(table, rows)
                counts[table] += len(rows)
                if progress is not None:
                    progress(table, counts[table])
    return counts
