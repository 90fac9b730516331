"""Appending leaf hashes to a tiled tree: new root and every hash tile that changed.

:class:`TreeAppender` keeps the right edge of the tree in memory: the partial tile of each
level and the compact range (the complete subtrees whose fold is the root). Appending a
leaf costs one SHA-256 on average (merging equal-height subtrees); a tile that fills up
hands its root, which that merge already computed, to the tile level above.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .cache import subtree_from_hashes
from .hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from .tiles import TILE_HEIGHT, TileError, TileReader, right_edge_tiles

__all__ = ["AppendResult", "TreeAppender", "append_leaves"]

_sha256 = hashlib.sha256


@dataclass(frozen=True)
class AppendResult:
    """The tree after an append: its size, root, and the new contents of every changed tile."""

    tree_size: int
    root_hash: bytes
    tiles: dict[tuple[int, int], bytes]
    """(level, index) -> full new tile body (256 hashes, or the partial width at tree_size)."""


class TreeAppender:
    """The right edge of a tiled tree, kept in memory so that appends read nothing."""

    def __init__(self) -> None:
        """Start an empty tree."""
        self._size = 0
        self._compact: list[bytes] = []  # complete subtrees of [0, size), largest first
        self._partial: list[list[bytes]] = [[]]  # per tile level: hashes of the partial tile

    @classmethod
    def from_reader(cls, reader: TileReader, tree_size: int) -> TreeAppender:
        """Load the right edge of a tree of ``tree_size`` leaves (one batched tile read)."""
        if tree_size < 0:
            raise ValueError("tree_size must be non-negative")
        appender = cls()
        appender._size = tree_size
        requests = right_edge_tiles(tree_size)
        blobs = reader.read_tiles(requests) if requests else []
        if len(blobs) != len(requests):
            raise TileError(f"tile reader returned {len(blobs)} tiles for {len(requests)}")
        levels = (tree_size.bit_length() + TILE_HEIGHT - 1) // TILE_HEIGHT
        appender._partial = [[] for _ in range(max(levels, 1))]
        by_level: dict[int, tuple[int, bytes]] = {}
        for (level, index, width), blob in zip(requests, blobs, strict=True):
            if len(blob) != width * HASH_SIZE:
                raise TileError(
                    f"tile ({level}, {index}) came back with {len(blob)} bytes, "
                    f"want {width * HASH_SIZE}"
                )
            appender._partial[level] = [
                blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)
            ]
            by_level[level] = (width, blob)
        # The compact range follows the bits of tree_size from the top: the bits of level L
        # are the width of the partial tile at level L.
        for level in sorted(by_level, reverse=True):
            width, blob = by_level[level]
            offset = 0
            for sub_height in range(TILE_HEIGHT - 1, -1, -1):
                if width >> sub_height & 1:
                    appender._compact.append(subtree_from_hashes(blob, offset, sub_height))
                    offset += 1 << sub_height
        return appender

    @property
    def tree_size(self) -> int:
        """Number of leaves in the tree."""
        return self._size

    @property
    def root_hash(self) -> bytes:
        """MTH of the whole tree (at most 63 SHA-256 calls)."""
        if not self._compact:
            return EMPTY_ROOT
        acc = self._compact[-1]
        for h in reversed(self._compact[:-1]):
            acc = node_hash(h, acc)
        return acc

    def clone(self) -> TreeAppender:
        """Return an independent copy (append to it, keep it once the tiles are stored)."""
        other = TreeAppender()
        other._size = self._size
        other._compact = list(self._compact)
        other._partial = [list(level) for level in self._partial]
        return other

    def append(self, leaf_hashes: Sequence[bytes]) -> AppendResult:
        """Append leaf hashes; return the new size, root and every changed tile."""
        for i, h in enumerate(leaf_hashes):
            if len(h) != HASH_SIZE:
                raise ValueError(f"leaf hash {i} is {len(h)} bytes, want {HASH_SIZE}")
        size = self._size
        compact = self._compact
        partial = self._partial
        tiles: dict[tuple[int, int], bytes] = {}
        top_touched = 0
        level0 = partial[0]
        for h in leaf_hashes:
            level0.append(bytes(h))
            node = bytes(h)
            height = 0
            carry = size
            # Each trailing 1 bit of size is a complete subtree of that height to merge with.
            while carry & 1:
                node = _sha256(b"\x01" + compact.pop() + node).digest()
                height += 1
                carry >>= 1
                if height % TILE_HEIGHT == 0:
                    level = height // TILE_HEIGHT
                    # The tile one level down just filled up; node is its root.
                    full = partial[level - 1]
                    tile_index = ((size + 1) >> (TILE_HEIGHT * level)) - 1
                    tiles[(level - 1, tile_index)] = b"".join(full)
                    full.clear()
                    if level == len(partial):
                        partial.append([])
                    partial[level].append(node)
                    top_touched = max(top_touched, level)
            compact.append(node)
            size += 1
        if leaf_hashes:
            for level in range(top_touched + 1):
                if partial[level]:
                    index = size >> (TILE_HEIGHT * (level + 1))
                    tiles[(level, index)] = b"".join(partial[level])
        self._size = size
        return AppendResult(tree_size=size, root_hash=self.root_hash, tiles=tiles)


def append_leaves(tree_size: int, leaf_hashes: Sequence[bytes], reader: TileReader) -> AppendResult:
    """Append ``leaf_hashes`` to the stored tree of ``tree_size`` leaves (reads its right edge)."""
    return TreeAppender.from_reader(reader, tree_size).append(leaf_hashes)
