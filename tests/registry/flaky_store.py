"""A SQLite store whose first state-tree node write fails (opened in a tree worker process)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ipledger.storage.base import StorageError
from ipledger.storage.sqlite import SQLiteStore


class FirstNodeWriteFails(SQLiteStore):
    failed = False  # per process: the worker fails its first node write only

    def put_state_nodes(self, nodes: Sequence[tuple[bytes, bytes]]) -> None:
        if not FirstNodeWriteFails.failed:
            FirstNodeWriteFails.failed = True
            raise StorageError("storing state-tree nodes failed: database is locked (injected)")
        super().put_state_nodes(nodes)


class OpenFirstNodeWriteFails:
    """A picklable opener of :class:`FirstNodeWriteFails` on ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> FirstNodeWriteFails:
        return FirstNodeWriteFails(self.path)
