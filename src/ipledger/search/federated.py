"""One search over many registers: the node's own and every register it mirrors.

Each register has its own index, refreshed to the register's latest signed checkpoint
before it is searched; a hit names its register (origin), the right and that tree size,
so the extract at that checkpoint proves the hit with the office's own signature.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ipledger.ledger import Ledger
from ipledger.search.fields import IndexedRight
from ipledger.search.index import ChangeFeed, RegisterIndex
from ipledger.search.query import SearchQuery

SEARCH_DIR = "search"
OWN_INDEX = "own.sqlite"


@dataclass(frozen=True)
class Register:
    origin: str
    mirror: str | None  # the mirror's name; None for the node's own register
    ledger: Ledger
    index: RegisterIndex


@dataclass(frozen=True)
class Hit:
    register: Register
    right: IndexedRight
    sort_key: str
    tree_size: int  # the checkpoint the hit is true at
    score: float = 0.0  # ranked matches: similarity to the query (search/similarity.py)
    how: str = ""  # ranked matches: exact, contains, phonetic or fuzzy


# (origin, mirror name, ledger) of every mirrored register.
MirrorLister = Callable[[], list[tuple[str, str, Ledger]]]


class Registers:
    """The registers a node searches, each with its index (opened once, kept)."""

    def __init__(self, data: Path, own: Ledger, mirrors: MirrorLister | None = None) -> None:
        self.data, self.own, self.mirrors = data, own, mirrors
        self._lock = threading.Lock()
        self._indexes: dict[str, RegisterIndex] = {}

    def _index(self, key: str, path: Path) -> RegisterIndex:
        with self._lock:
            if key not in self._indexes:
                self._indexes[key] = RegisterIndex(path)
            return self._indexes[key]

    def all(self) -> list[Register]:
        own = Register(self.own.origin, None, self.own,
                       self._index("", self.data / SEARCH_DIR / OWN_INDEX))
        out = [own]
        for origin, name, ledger in self.mirrors() if self.mirrors else []:
            out.append(Register(origin, name, ledger, self._index(
                name, self.data / SEARCH_DIR / "mirrors" / f"{name}.sqlite")))
        return out

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.close()
            self._indexes.clear()


def refresh(register: Register) -> int | None:
    """Bring the register's index to its latest checkpoint; the checkpoint's tree size
    (None if the register has no checkpoint yet, e.g. a mirror never synced)."""
    latest = register.ledger.store.latest_checkpoint()
    if latest is None:
        return None
    store = register.ledger.store
    if not hasattr(store, "changed_record_ids"):
        raise TypeError(f"the store of {register.origin} cannot list changed records")
    feed: ChangeFeed = store  # type: ignore[assignment]
    register.index.refresh(feed, latest.tree_size)
    return latest.tree_size


def search(registers: list[Register], query: SearchQuery) -> list[Hit]:
    """The first ``query.limit`` hits over ``registers``, by title, register, record (a
    ranked match: by score first)."""
    hits: list[Hit] = []
    for register in registers:
        if query.register not in (None, register.origin, register.mirror):
            continue
        size = refresh(register)
        if size is None:
            continue
        hits += [Hit(register, found.right, found.sort_key, size, found.score, found.how)
                 for found in register.index.search(query)]
    hits.sort(key=lambda h: (-h.score, h.sort_key, h.register.origin, h.right.record_id))
    return hits[: query.limit]
