"""Root hashes, inclusion and consistency proofs computed from hash tiles (RFC 9162 §2.1).

Each function first works out, from sizes alone, which complete subtrees the answer needs
(RFC 9162 PATH and SUBPROOF, §2.1.3.1 and §2.1.4.1), then fetches all the tiles holding
them in ONE ``read_tiles`` call (tiles already in the optional :class:`TileHashCache` are
not read at all), then hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .cache import Pyramid, TileHashCache, subtree_from_hashes
from .hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from .tiles import TileError, TileReader
from .treemath import Node, locate_node, range_nodes, split_point
from .verify import ProofError, verify_consistency, verify_inclusion

__all__ = [
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

Range = tuple[int, int]
"""[lo, hi): the leaves whose MTH is one proof hash."""


def _inclusion_ranges(index: int, tree_size: int) -> list[Range]:
    """PATH(m, D[n]) as leaf ranges, in proof order (leaf side first)."""
    ranges: list[Range] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      for m < k
        #               = PATH(m - k, D[k:n]) : MTH(D[0:k])  for m >= k
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """SUBPROOF(m, D[n], true) as leaf ranges, in proof order, for 0 < m < n."""
    ranges: list[Range] = []
    lo, hi = 0, new_size
    have_root = True  # the b of SUBPROOF(m, D[lo:hi], b)
    while old_size != hi:
        # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          for m <= k
        #                      = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  for m > k
        k = split_point(hi - lo)
        if old_size - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            have_root = False
    # SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
    if not have_root:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def _node_hashes(
    nodes: Iterable[Node], tree_size: int, reader: TileReader, cache: TileHashCache | None
) -> dict[Node, bytes]:
    """Return the hash of each complete subtree, reading all missing tiles in one batch."""
    locations = {node: locate_node(node[0], node[1], tree_size) for node in nodes}
    pyramids: dict[tuple[int, int], Pyramid] = {}
    wanted: dict[tuple[int, int], int] = {}
    for loc in locations.values():
        key = (loc.tile_level, loc.tile_index)
        if key in pyramids or key in wanted:
            continue
        if cache is not None:
            pyramid = cache.get(loc.tile_level, loc.tile_index, loc.width)
            if pyramid is not None:
                pyramids[key] = pyramid
                continue
        wanted[key] = loc.width
    raw: dict[tuple[int, int], bytes] = {}
    if wanted:
        requests = [(level, index, width) for (level, index), width in wanted.items()]
        blobs = reader.read_tiles(requests)
        if len(blobs) != len(requests):
            raise TileError(f"tile reader returned {len(blobs)} tiles for {len(requests)}")
        for (level, index, width), blob in zip(requests, blobs, strict=True):
            if len(blob) != width * HASH_SIZE:
                raise TileError(
                    f"tile ({level}, {index}) came back with {len(blob)} bytes, "
                    f"want {width * HASH_SIZE}"
                )
            if cache is not None:
                pyramids[(level, index)] = cache.put(level, index, blob)
            else:
                raw[(level, index)] = blob
    out: dict[Node, bytes] = {}
    for node, loc in locations.items():
        key = (loc.tile_level, loc.tile_index)
        pyramid = pyramids.get(key)
        if pyramid is not None:
            start = (loc.offset >> loc.sub_height) * HASH_SIZE
            out[node] = pyramid[loc.sub_height][start : start + HASH_SIZE]
        else:
            out[node] = subtree_from_hashes(raw[key], loc.offset, loc.sub_height)
    return out


def _range_hashes(
    ranges: Sequence[Range], tree_size: int, reader: TileReader, cache: TileHashCache | None
) -> list[bytes]:
    """Return MTH(D[lo:hi]) for each range, folding the complete subtrees that make it up."""
    per_range = [range_nodes(lo, hi) for lo, hi in ranges]
    unique = dict.fromkeys(node for nodes in per_range for node in nodes)  # ordered, no repeats
    hashes = _node_hashes(unique, tree_size, reader, cache)
    out: list[bytes] = []
    for nodes in per_range:
        acc = hashes[nodes[-1]]
        for node in reversed(nodes[:-1]):
            acc = node_hash(hashes[node], acc)
        out.append(acc)
    return out


def root_hash(tree_size: int, reader: TileReader, *, cache: TileHashCache | None = None) -> bytes:
    """Return MTH(D[0:tree_size]); the empty tree has :data:`EMPTY_ROOT`."""
    if tree_size < 0:
        raise ProofError("tree size must be non-negative")
    if tree_size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, tree_size)], tree_size, reader, cache)[0]


def inclusion_proof(
    index: int, tree_size: int, reader: TileReader, *, cache: TileHashCache | None = None
) -> list[bytes]:
    """Return PATH(index, D[0:tree_size]) (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is out of range for tree size {tree_size}")
    return _range_hashes(_inclusion_ranges(index, tree_size), tree_size, reader, cache)


def consistency_proof(
    old_size: int, new_size: int, reader: TileReader, *, cache: TileHashCache | None = None
) -> list[bytes]:
    """Return PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1).

    Equal sizes and ``old_size == 0`` have nothing to prove: the proof is empty (see
    :func:`verify_consistency`).
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"need 0 <= old size <= new size, got {old_size} and {new_size}")
    if old_size in (0, new_size):
        return []
    return _range_hashes(_consistency_ranges(old_size, new_size), new_size, reader, cache)
