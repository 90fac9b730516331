"""A store whose appends stay in memory until they are proven, then commit as one batch.

Replay writes batch by batch and reads back what it wrote (records, state-tree nodes,
tiles). A mirror must store nothing of a sync that fails verification, so it replays
into a :class:`StagedStore` over its real store and, once the new state root and log
root equal the signed ones, writes :meth:`StagedStore.merged` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from ipledger.storage.base import (
    AppendBatch,
    LedgerStore,
    StateWrite,
    StorageError,
    StoredCheckpoint,
    record_ids_after,
)


class StagedStore:
    """``base`` plus the batches appended since, kept in memory (reads see both)."""

    def __init__(self, base: LedgerStore) -> None:
        self.base = base
        self.first = base.tree_size()
        self._root_hash = base.root_hash()
        self._entries: list[bytes] = []
        self._tiles: dict[tuple[int, int], bytes] = {}
        self._keys: list[tuple[bytes, int]] = []
        self._nonces: list[tuple[bytes, int]] = []
        self._records: dict[str, bytes | None] = {}
        self._nodes: dict[bytes, bytes] = {}
        self._roots: dict[int, bytes] = {}

    # -- writes: kept ----------------------------------------------------------------

    def append(self, batch: AppendBatch) -> None:
        if batch.first_index != self.tree_size():
            raise StorageError(f"append at index {batch.first_index} but the log has "
                               f"{self.tree_size()} entries")
        self._entries += batch.entries
        self._tiles.update(batch.tiles)
        self._keys += batch.keys
        self._nonces += batch.nonces
        self._root_hash = batch.root_hash
        if batch.state is not None:
            self._records.update(batch.state.records)
            self._nodes.update(batch.state.nodes)
            self._roots[self.tree_size()] = batch.state.root

    def merged(self) -> AppendBatch | None:
        """Everything appended, as one batch for ``base`` (None if nothing was)."""
        if not self._entries:
            return None
        state = None
        if self._roots:
            state = StateWrite(records=dict(self._records), nodes=sorted(self._nodes.items()),
                               root=self._roots[max(self._roots)])
        assert self._root_hash is not None
        return AppendBatch(first_index=self.first, entries=list(self._entries),
                           tiles=dict(self._tiles), root_hash=self._root_hash,
                           keys=list(self._keys), nonces=list(self._nonces), state=state)

    @property
    def changed_tiles(self) -> dict[tuple[int, int], bytes]:
        """The new contents of every hash tile the staged entries changed."""
        return dict(self._tiles)

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        raise StorageError("a staged store takes entries only")

    def set_meta(self, name: str, value: str) -> None:
        raise StorageError("a staged store takes entries only")

    # -- reads: staged first, then the base ------------------------------------------

    def tree_size(self) -> int:
        return self.first + len(self._entries)

    def root_hash(self) -> bytes | None:
        return self._root_hash

    def read_entries(self, start: int, end: int) -> list[bytes]:
        if not 0 <= start <= end <= self.tree_size():
            raise StorageError(f"entries [{start}, {end}) are not all stored")
        below = self.base.read_entries(start, min(end, self.first)) if start < self.first else []
        return below + self._entries[max(start - self.first, 0):max(end - self.first, 0)]

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        out = []
        for level, index, width in requests:
            staged = self._tiles.get((level, index))
            if staged is None:
                out += self.base.read_tiles([(level, index, width)])
            elif len(staged) < width * 32:
                raise StorageError(f"tile {level}/{index} has {len(staged) // 32} hashes, "
                                   f"{width} requested")
            else:
                out.append(staged[: width * 32])
        return out

    def lookup_key(self, key: bytes) -> list[int]:
        return self.base.lookup_key(key) + sorted(i for k, i in self._keys if k == key)

    def seen_nonces(self, keys: Sequence[bytes]) -> set[bytes]:
        staged = {k for k, _ in self._nonces}
        return self.base.seen_nonces(keys) | (set(keys) & staged)

    def read_record(self, record_id: str) -> bytes | None:
        if record_id in self._records:
            return self._records[record_id]
        return self.base.read_record(record_id)

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        if tree_size >= self.tree_size() and record_id in self._records:
            return self._records[record_id]
        return self.base.read_record_at(record_id, tree_size)

    def record_ids(self, prefix: str) -> list[str]:
        return record_ids_after(self.base.record_ids(prefix), prefix, self._records)

    def read_state_node(self, node_hash: bytes) -> bytes | None:
        return self._nodes.get(node_hash) or self.base.read_state_node(node_hash)

    def state_root_sizes(self) -> list[int]:
        return self.base.state_root_sizes() + sorted(self._roots)

    def state_root_at(self, tree_size: int) -> bytes | None:
        sizes = sorted(s for s in self._roots if s <= tree_size)
        return self._roots[sizes[-1]] if sizes else self.base.state_root_at(tree_size)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return self.base.latest_checkpoint()

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        return self.base.checkpoint_at(tree_size)

    def checkpoint_sizes(self) -> list[int]:
        return self.base.checkpoint_sizes()

    def get_meta(self, name: str) -> str | None:
        return self.base.get_meta(name)

    def close(self) -> None:
        pass  # the base belongs to the caller

