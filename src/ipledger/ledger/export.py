"""The whole truth of a ledger as portable files, and reading such files back.

An export is a directory laid out exactly as the C2SP tlog-tiles read API (so any
static file server serves it and any tlog-tiles client checks it):

    checkpoint                       the latest signed checkpoint (what the export covers)
    tile/<L>/<N>[.p/<W>]             every hash tile at that size
    tile/entries/<N>[.p/<W>]         every entry bundle
    checkpoints/<size>               every earlier signed checkpoint (for consistency)
    ledger.json                      {"origin", "tree_size", "meta"}: how to replay it

Nothing in it is trusted on reading: :class:`ExportedLog` serves the files to the
same fsck and replay that check a live store, which re-derive every tile, root,
checkpoint and state root from the entries and the verifier key. :class:`TiledLog`
does the same for any tlog-tiles source: a directory, or another node's ``/tlog/``
over HTTP (mirroring, ``ipledger.network.mirror``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.ledger.tile_source import DirectoryTiles, TileSource
from ipledger.log import (
    TILE_WIDTH,
    Checkpoint,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    tile_path,
    tile_width_at,
    tiles_for_size,
)
from ipledger.storage.base import AppendBatch, LedgerStore, StorageError, StoredCheckpoint

LEDGER_FILE = "ledger.json"


@dataclass(frozen=True)
class ExportSummary:
    tree_size: int
    tiles: int
    bundles: int
    checkpoints: int


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_log(store: LedgerStore, origin: str, out: Path,
               meta: Sequence[str] = ()) -> ExportSummary:
    """Write everything up to the latest checkpoint of ``store`` into the directory ``out``,
    with the store's ``meta`` values of those names (e.g. the register's genesis key)."""
    latest = store.latest_checkpoint()
    if latest is None:
        raise StorageError("the log has no checkpoint yet: start the node once")
    size = latest.tree_size
    tiles = 0
    for level, index, width in tiles_for_size(size):
        (data,) = store.read_tiles([(level, index, width)])
        _write(out / tile_path(level, index, width), data)
        tiles += 1
    bundles = 0
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = tile_width_at(0, index, size)
        start = index * TILE_WIDTH
        _write(out / entries_path(index, width),
               encode_entry_bundle(store.read_entries(start, start + width)))
        bundles += 1
    earlier = [s for s in store.checkpoint_sizes() if s < size]
    for s in earlier:
        checkpoint = store.checkpoint_at(s)
        assert checkpoint is not None
        _write(out / "checkpoints" / str(s), checkpoint.note.encode())
    values = {name: value for name in meta if (value := store.get_meta(name)) is not None}
    _write(out / LEDGER_FILE, json.dumps(
        {"origin": origin, "tree_size": size, "meta": values}, indent=2).encode())
    _write(out / "checkpoint", latest.note.encode())  # last: a complete export has it
    return ExportSummary(size, tiles, bundles, len(earlier))


def _state_root(checkpoint: StoredCheckpoint) -> bytes | None:
    text = checkpoint.note.split("\n\n", 1)[0] + "\n"
    try:
        return checkpoint_state_root(Checkpoint.parse(text))
    except ValueError:
        return None


class TiledLog:
    """A tlog-tiles log from a :class:`TileSource` as a read-only store, for fsck and replay.

    It holds a log and its checkpoints, no materialised register state: the state roots
    come from the checkpoints' ``ipledger-state-root`` lines, records from replay. The
    checkpoints given are not verified here: fsck (or a mirror sync) verifies each
    signature, and a forged root line fails the replay's comparison.
    """

    def __init__(self, source: TileSource, latest: StoredCheckpoint,
                 earlier: Mapping[int, StoredCheckpoint] | None = None,
                 meta: Mapping[str, object] | None = None, *, bundles: int = 64) -> None:
        self.source = source
        self._size = latest.tree_size
        self._latest = latest
        self._meta = dict(meta or {})
        self._checkpoints = dict(earlier or {})
        other = self._checkpoints.get(self._size)
        if other is not None and other != self._latest:
            raise StorageError(f"{source.describe()} holds two different checkpoints of size "
                               f"{self._size}")
        self._checkpoints[self._size] = self._latest  # what a tlog-tiles client reads
        self._state_roots = {size: root for size, cp in sorted(self._checkpoints.items())
                             if (root := _state_root(cp)) is not None}
        self._bundle = lru_cache(maxsize=bundles)(self._read_bundle)

    def _file(self, relative: str) -> bytes:
        return self.source.read(relative)

    def _read_bundle(self, index: int) -> list[bytes]:
        width = tile_width_at(0, index, self._size)
        try:
            return decode_entry_bundle(self._file(entries_path(index, width)), width)
        except ValueError as exc:
            raise StorageError(f"entry bundle {index}: {exc}") from exc

    # -- the LedgerStore reads fsck and replay use ----------------------------------

    def tree_size(self) -> int:
        return self._size

    def root_hash(self) -> bytes | None:
        return None  # the checkpoints carry the roots; fsck checks each of them

    def read_entries(self, start: int, end: int) -> list[bytes]:
        if not 0 <= start <= end <= self._size:
            raise StorageError(f"entries [{start}, {end}) are not in the log")
        out: list[bytes] = []
        for index in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            base = index * TILE_WIDTH
            out += self._bundle(index)[max(start - base, 0):end - base]
        return out

    def read_tiles(self, requests: Sequence[tuple[int, int, int]]) -> list[bytes]:
        out = []
        for level, index, width in requests:
            have = tile_width_at(level, index, self._size)
            if width > have:
                raise StorageError(f"tile {level}/{index} has {have} hashes, {width} requested")
            data = self._file(tile_path(level, index, have))
            if len(data) != have * 32:
                raise StorageError(f"tile {level}/{index} is {len(data)} bytes, not {have * 32}")
            out.append(data[: width * 32])
        return out

    def checkpoint_sizes(self) -> list[int]:
        return sorted(self._checkpoints)

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        return self._checkpoints.get(tree_size)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return self._latest

    def state_root_sizes(self) -> list[int]:
        return list(self._state_roots)

    def state_root_at(self, tree_size: int) -> bytes | None:
        return self._state_roots.get(tree_size)

    def get_meta(self, name: str) -> str | None:
        value = self._meta.get(name)
        return value if isinstance(value, str) else None

    def record_ids(self, prefix: str) -> list[str]:
        return []  # no materialised state: replay derives it

    def read_record(self, record_id: str) -> bytes | None:
        return None

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        return None

    def read_state_node(self, node_hash: bytes) -> bytes | None:
        return None

    def lookup_key(self, key: bytes) -> list[int]:
        return []

    def seen_nonces(self, keys: Sequence[bytes]) -> set[bytes]:
        return set()

    # -- a tiled log is read-only -------------------------------------------------------

    def append(self, batch: AppendBatch) -> None:
        raise StorageError("a tiled log is read-only")

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        raise StorageError("a tiled log is read-only")

    def set_meta(self, name: str, value: str) -> None:
        raise StorageError("a tiled log is read-only")

    def close(self) -> None:
        self._bundle.cache_clear()
        self.source.close()


class ExportedLog(TiledLog):
    """An export directory (``ledger.json``, ``checkpoint``, ``checkpoints/``, tiles)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        source = DirectoryTiles(directory)
        try:
            self.ledger = json.loads(source.read(LEDGER_FILE))
            size = int(self.ledger["tree_size"])
            latest = StoredCheckpoint(size, source.read("checkpoint").decode())
        except (OSError, ValueError, KeyError, TypeError, StorageError) as exc:
            raise StorageError(f"{directory} is not a complete export: {exc}") from exc
        earlier: dict[int, StoredCheckpoint] = {}
        folder = directory / "checkpoints"
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if path.name.isdigit():
                earlier[int(path.name)] = StoredCheckpoint(int(path.name), path.read_text())
        meta = self.ledger.get("meta")
        super().__init__(source, latest, earlier, meta if isinstance(meta, dict) else {})

