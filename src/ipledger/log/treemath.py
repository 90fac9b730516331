"""Index arithmetic for RFC 9162 trees stored in tiles (no hashing, no I/O).

A *node* is a complete subtree, named ``(height, index)``: it covers leaves
``[index * 2**height, (index + 1) * 2**height)``.
"""

from __future__ import annotations

from typing import NamedTuple

from .tiles import TILE_HEIGHT, TILE_WIDTH

__all__ = ["NodeLocation", "locate_node", "range_nodes", "split_point"]

Node = tuple[int, int]
"""(height, index) of a complete subtree."""


def split_point(n: int) -> int:
    """Return k, the largest power of two smaller than ``n`` (RFC 9162 §2.1.1), for n >= 2."""
    if n < 2:
        raise ValueError("split_point needs n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[Node]:
    """Return the complete subtrees whose fold is MTH(D[lo:hi]), largest first.

    ``lo`` must be aligned as it is for every range the RFC definitions produce (a multiple
    of the smallest power of two >= hi - lo); MTH(D[lo:hi]) is then the right-to-left fold
    ``node_hash(n1, node_hash(n2, ... nk))`` of the returned nodes.
    """
    if not 0 <= lo < hi:
        raise ValueError(f"empty or negative range [{lo}, {hi})")
    nodes: list[Node] = []
    while lo < hi:
        height = (hi - lo).bit_length() - 1
        if lo & ((1 << height) - 1):
            raise ValueError(f"range [{lo}, {hi}) is not a Merkle tree range")
        nodes.append((height, lo >> height))
        lo += 1 << height
    return nodes


class NodeLocation(NamedTuple):
    """Where a node's hash comes from: tile (level, index), and 2**sub_height of its hashes."""

    tile_level: int
    tile_index: int
    width: int
    """Hashes the tile holds at the tree size asked about (256: full and immutable)."""
    sub_height: int
    """Height of the node above tree level 8 * level (0..7)."""
    offset: int
    """Position in the tile of the first of the 2**sub_height hashes the node covers."""


def locate_node(height: int, index: int, tree_size: int) -> NodeLocation:
    """Return where to find node (height, index) of a tree of ``tree_size`` leaves."""
    if (index + 1) << height > tree_size:
        raise ValueError(f"node ({height}, {index}) is not complete in a tree of {tree_size}")
    level, sub_height = divmod(height, TILE_HEIGHT)
    position = index << sub_height
    tile_index = position >> TILE_HEIGHT
    count = tree_size >> (TILE_HEIGHT * level)
    width = min(TILE_WIDTH, count - tile_index * TILE_WIDTH)
    return NodeLocation(level, tile_index, width, sub_height, position & (TILE_WIDTH - 1))
