"""LRU cache of the interior hashes of full (immutable) hash tiles, and tile subtree hashing."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from .hashing import HASH_SIZE
from .tiles import TILE_HEIGHT, TILE_WIDTH, TileError

__all__ = ["TileHashCache", "subtree_from_hashes", "tile_pyramid"]

Pyramid = tuple[bytes, ...]
"""pyramid[k] = the 256 >> k node hashes of height k above the tile's own level, concatenated."""

_sha256 = hashlib.sha256
_PAIR = 2 * HASH_SIZE


def _hash_pairs(blob: bytes) -> bytes:
    """Hash each adjacent pair of hashes in ``blob`` into its parent (one tree level up)."""
    return b"".join(
        [_sha256(b"\x01" + blob[i : i + _PAIR]).digest() for i in range(0, len(blob), _PAIR)]
    )


def subtree_from_hashes(data: bytes, offset: int, height: int) -> bytes:
    """Return the root of the 2**height hashes of ``data`` starting at hash ``offset``."""
    blob = data[offset * HASH_SIZE : (offset + (1 << height)) * HASH_SIZE]
    if len(blob) != HASH_SIZE << height:
        raise TileError("tile too short for the requested subtree")
    for _ in range(height):
        blob = _hash_pairs(blob)
    return blob


def tile_pyramid(tile: bytes) -> Pyramid:
    """Return every interior hash of a full tile, level by level (255 SHA-256 calls)."""
    if len(tile) != TILE_WIDTH * HASH_SIZE:
        raise TileError(f"a full tile is {TILE_WIDTH * HASH_SIZE} bytes, got {len(tile)}")
    levels = [bytes(tile)]
    for _ in range(TILE_HEIGHT):
        levels.append(_hash_pairs(levels[-1]))
    return tuple(levels)


class TileHashCache:
    """Thread-safe LRU of :func:`tile_pyramid` results, keyed by (level, index) of FULL tiles.

    Full tiles never change, so entries never go stale. Use one cache per log: keys do not
    name the log. About 16 KiB per tile.
    """

    def __init__(self, max_tiles: int = 4096) -> None:
        """Create a cache holding at most ``max_tiles`` full tiles."""
        if max_tiles < 1:
            raise ValueError("max_tiles must be at least 1")
        self.max_tiles = max_tiles
        self._items: OrderedDict[tuple[int, int], Pyramid] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, level: int, index: int) -> Pyramid | None:
        """Return the cached pyramid of full tile (level, index), or None."""
        key = (level, index)
        with self._lock:
            pyramid = self._items.get(key)
            if pyramid is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return pyramid

    def put(self, level: int, index: int, tile: bytes) -> Pyramid:
        """Compute, store and return the pyramid of full tile (level, index)."""
        pyramid = tile_pyramid(tile)
        key = (level, index)
        with self._lock:
            self._items[key] = pyramid
            self._items.move_to_end(key)
            while len(self._items) > self.max_tiles:
                self._items.popitem(last=False)
        return pyramid

    def clear(self) -> None:
        """Forget every cached tile."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        """Return how many tiles are cached."""
        with self._lock:
            return len(self._items)
