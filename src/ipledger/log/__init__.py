"""The log layer: RFC 9162 Merkle tree math over C2SP tlog-tiles, proofs and checkpoints.

Imports nothing else from ipledger. Modules:

- :mod:`.hashing`: leaf and node hashes, empty root.
- :mod:`.tiles`: tile geometry, tile and entry-bundle paths and bodies, :class:`TileReader`.
- :mod:`.append`: appending leaves, producing the new root and the changed tiles.
- :mod:`.proofs`: root hashes, inclusion and consistency proofs from tiles.
- :mod:`.verify`: proof verification (re-exported by :mod:`.proofs`).
- :mod:`.cache`: LRU of hashes inside full tiles.
- :mod:`.checkpoint`: the tlog-checkpoint note body.
- :mod:`.cosignature`: tlog-cosignature v1 bytes (message, key ID, payload, vkey).
"""

from .append import AppendResult, TreeAppender, append_leaves
from .cache import TileHashCache
from .checkpoint import Checkpoint, CheckpointError
from .cosignature import Cosignature, CosignatureError
from .hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from .proofs import consistency_proof, inclusion_proof, root_hash
from .tiles import (
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    MemoryTileStore,
    TileError,
    TilePathError,
    TileReader,
    TileRef,
    changed_tiles,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    parse_tile_path,
    right_edge_tiles,
    tile_path,
    tile_width_at,
    tiles_for_size,
)
from .verify import ProofError, verify_consistency, verify_inclusion

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "AppendResult",
    "Checkpoint",
    "CheckpointError",
    "Cosignature",
    "CosignatureError",
    "MemoryTileStore",
    "ProofError",
    "TileError",
    "TileHashCache",
    "TilePathError",
    "TileReader",
    "TileRef",
    "TreeAppender",
    "append_leaves",
    "changed_tiles",
    "consistency_proof",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "entries_path",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "parse_tile_path",
    "right_edge_tiles",
    "root_hash",
    "tile_path",
    "tile_width_at",
    "tiles_for_size",
    "verify_consistency",
    "verify_inclusion",
]
