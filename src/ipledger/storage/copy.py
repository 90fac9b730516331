"""Copy a whole store into an empty one of any backend (e.g. SQLite -> PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from ipledger.storage.base import StorageError
from ipledger.storage.sql import SQLStore

# Each store keeps its own schema version.
_NOT_COPIED_META = frozenset({"schema_version"})


def copy_store(source: SQLStore, target: SQLStore,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table of ``source`` into the empty ``target``; rows copied per table.

    The source must not be written meanwhile (stop the node): its size is checked
    before and after.
    """
    if target.tree_size() or target.latest_checkpoint() is not None \
            or target.state_root_sizes():
        raise StorageError("the target store is not empty")
    size = source.tree_size()
    counts: dict[str, int] = {}
    for table, _ in SQLStore.TABLES:
        counts[table] = 0
        for rows in source.dump_rows(table):
            if table == "meta":
                rows = [r for r in rows if r[0] not in _NOT_COPIED_META]
            target.load_rows(table, rows)
            counts[table] += len(rows)
            if progress is not None:
                progress(table, counts[table])
    if source.tree_size() != size:
        raise StorageError("the source store was written during the copy: stop the node "
                           "and copy again into an empty target")
    return counts
