"""The storage interface every backend implements (SQLite now, PostgreSQL later)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Protocol


class StorageError(Exception):
    """The store could not complete an operation (disk full, read-only, corrupt...)."""


@dataclass(frozen=True)
class StateWrite:
    """A batch's effect on the register state, persisted atomically with its entries."""

    records: Mapping[str, bytes | None]  # record id -> canonical JSON; None deletes
    nodes: Sequence[tuple[bytes, bytes]]  # state-tree nodes to keep: (reference, encoding)
    root: bytes  # the state root after the batch
    # Set while the state tree works in another process (registry/tree_process.py): that
    # process stores the nodes itself, and ``root`` is known once settled.
    pending_root: Future[bytes] | None = field(default=None, compare=False)

    def settled(self) -> StateWrite:
        """This write with its root known: waits for a state tree working elsewhere (before
        the write's transaction begins: that tree stores its nodes first)."""
        if self.pending_root is None:
            return self
        return replace(self, root=self.pending_root.result(), pending_root=None)


@dataclass(frozen=True)
class AppendBatch:
    """Everything one group commit writes, atomically, in one transaction.

    ``entries`` are the sequenced entry bytes for indexes ``first_index`` onwards;
    ``tiles`` the new contents of every hash tile that changed; ``keys`` secondary
    lookup keys (e.g. an evidence digest) pointing at entry indexes; ``nonces`` replay
    keys with the entry's ``created`` time in milliseconds.
    """

    first_index: int
    entries: Sequence[bytes]
    tiles: Mapping[tuple[int, int], bytes]
    root_hash: bytes
    keys: Sequence[tuple[bytes, int]] = ()
    nonces: Sequence[tuple[bytes, int]] = ()
    prune_nonces_before_ms: int | None = None
    meta: Mapping[str, str] = field(default_factory=dict)
    state: StateWrite | None = None


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    note: str


class LedgerStore(Protocol):
    """A node's durable state: entries, hash tiles, checkpoints, replay keys."""

    def tree_size(self) -> int: ...

    def root_hash(self) -> bytes | None: ...

    def append(self, batch: AppendBatch) -> None:
        """Write the batch in one transaction and make it durable before returning."""
        ...

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        """Hash tiles (level, index, width) -> exactly ``width * 32`` bytes each."""
        ...

    def read_entries(self, start: int, end: int) -> list[bytes]:
        """Entries with ``start <= index < end`` (all must exist)."""
        ...

    def lookup_key(self, key: bytes) -> list[int]: ...

    def read_record(self, record_id: str) -> bytes | None:
        """The committed value of a state record (canonical JSON), or None."""
        ...

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        """The record as it stood once the log had ``tree_size`` entries."""
        ...

    def read_state_node(self, node_hash: bytes) -> bytes | None: ...

    def record_ids(self, prefix: str) -> list[str]:
        """Ids of the committed records starting with ``prefix``, in order."""
        ...

    def state_root_sizes(self) -> list[int]:
        """Tree sizes at which a batch recorded a state root, ascending."""
        ...

    def state_root_at(self, tree_size: int) -> bytes | None:
        """The state root after the batch that ended at ``tree_size`` entries."""
        ...

    def seen_nonces(self, keys: Sequence[bytes]) -> set[bytes]: ...

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None: ...

    def latest_checkpoint(self) -> StoredCheckpoint | None: ...

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None: ...

    def checkpoint_sizes(self) -> list[int]: ...

    def get_meta(self, name: str) -> str | None: ...

    def set_meta(self, name: str, value: str) -> None: ...

    def close(self) -> None: ...


def record_ids_after(committed: Iterable[str], prefix: str,
                     *changes: Mapping[str, bytes | None]) -> list[str]:
    """The ids starting with ``prefix`` once ``changes`` (``None``: deleted) apply, in
    order, to the ``committed`` ones; sorted."""
    ids = set(committed)
    for change in changes:
        for record_id, value in change.items():
            if record_id.startswith(prefix):
                if value is None:
                    ids.discard(record_id)
                else:
                    ids.add(record_id)
    return sorted(ids)
