"""Hashing the subtrees inside a tile, and an LRU cache of those hashes per (immutable) tile."""

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
    """Return every complete-subtree hash inside a tile of 1..256 hashes, level by level.

    ``pyramid[k]`` holds the ``width >> k`` hashes of height k; a full tile costs 255 SHA-256.
    """
    if not tile or len(tile) % HASH_SIZE or len(tile) > TILE_WIDTH * HASH_SIZE:
        raise TileError(f"a tile is 1..{TILE_WIDTH} hashes, got {len(tile)} bytes")
    levels = [bytes(tile)]
    for _ in range(TILE_HEIGHT):
        below = levels[-1]
        levels.append(_hash_pairs(below[: len(below) // _PAIR * _PAIR]))
    return tuple(levels)


class TileHashCache:
    """Thread-safe LRU of :func:`tile_pyramid` results, keyed by tile (level, index, width).

    Full tiles never change. A partial tile of a given width never changes either (tlog-tiles:
    it is a prefix of every later version), so partial tiles are cached too, in a separate
    small LRU so that they never push full tiles out. Sound as long as the reader returns
    only tiles that will not be rolled back. Use one cache per log: keys do not name the log.
    About 16 KiB per full tile.
    """

    def __init__(self, max_tiles: int = 4096, max_partial: int = 64) -> None:
        """Create a cache of at most ``max_tiles`` full and ``max_partial`` partial tiles."""
        if max_tiles < 1 or max_partial < 0:
            raise ValueError("need max_tiles >= 1 and max_partial >= 0")
        self.max_tiles = max_tiles
        self.max_partial = max_partial
        self._full: OrderedDict[tuple[int, int, int], Pyramid] = OrderedDict()
        self._partial: OrderedDict[tuple[int, int, int], Pyramid] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _lru(self, width: int) -> tuple[OrderedDict[tuple[int, int, int], Pyramid], int]:
        if width == TILE_WIDTH:
            return self._full, self.max_tiles
        return self._partial, self.max_partial

    def get(self, level: int, index: int, width: int = TILE_WIDTH) -> Pyramid | None:
        """Return the cached pyramid of tile (level, index) at ``width`` hashes, or None."""
        key = (level, index, width)
        items, _ = self._lru(width)
        with self._lock:
            pyramid = items.get(key)
            if pyramid is None:
                self.misses += 1
                return None
            items.move_to_end(key)
            self.hits += 1
            return pyramid

    def put(self, level: int, index: int, tile: bytes) -> Pyramid:
        """Compute, store and return the pyramid of tile (level, index) with body ``tile``."""
        pyramid = tile_pyramid(tile)
        width = len(tile) // HASH_SIZE
        key = (level, index, width)
        items, limit = self._lru(width)
        with self._lock:
            items[key] = pyramid
            items.move_to_end(key)
            while len(items) > limit:
                items.popitem(last=False)
        return pyramid

    def clear(self) -> None:
        """Forget every cached tile."""
        with self._lock:
            self._full.clear()
            self._partial.clear()

    def __len__(self) -> int:
        """Return how many tiles (full and partial) are cached."""
        with self._lock:
            return len(self._full) + len(self._partial)
