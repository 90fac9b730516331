"""Proof verification, step by step as RFC 9162 §2.1.3.2 and §2.1.4.2 write it."""

from __future__ import annotations

from collections.abc import Sequence

from .hashing import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = ["ProofError", "verify_consistency", "verify_inclusion"]


class ProofError(ValueError):
    """A proof does not verify, or cannot be made, for the stated reason."""


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray | memoryview) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray | memoryview) else "not"
        raise ProofError(f"{name} is {size} bytes, want {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)


def _lsb(x: int) -> bool:
    return bool(x & 1)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` with ``root_hash``.

    Returns None on success; raises :class:`ProofError` saying what failed.
    """
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root_hash)
    _check_proof(proof)
    if index < 0 or tree_size < 0:
        raise ProofError("leaf index and tree size must be non-negative")
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is out of range for tree size {tree_size}")
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, tree_size - 1
    # 3. Set r to hash.
    r = bytes(leaf_hash)
    # 4. For each value p in the inclusion_path array:
    for p in proof:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError(f"wrong proof length: {len(proof)} hashes is too long")
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if _lsb(fn) or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(bytes(p), r)
            # ii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set
            #     or fn is 0.
            while not _lsb(fn) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: set r to HASH(0x01 || r || p).
            r = node_hash(r, bytes(p))
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0 and r against the root hash.
    if sn != 0:
        raise ProofError(f"wrong proof length: {len(proof)} hashes is too short")
    if r != root_hash:
        raise ProofError("root mismatch: the proof does not lead to the given root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (new_size, new_root) extends the tree (old_size, old_root).

    Returns None on success; raises :class:`ProofError` saying what failed. Two cases
    outside RFC 9162's 0 < first < second need nothing proved, and take an empty proof:
    equal sizes (the roots must then be equal) and ``old_size == 0`` (``old_root`` must
    then be the empty-tree root; every tree extends the empty tree).
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_proof(proof)
    if old_size < 0 or new_size < 0:
        raise ProofError("tree sizes must be non-negative")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError(f"wrong proof length: equal sizes take no hashes, got {len(proof)}")
        if old_root != new_root:
            raise ProofError("root mismatch: equal tree sizes with different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError(f"wrong proof length: old size 0 takes no hashes, got {len(proof)}")
        if old_root != EMPTY_ROOT:
            raise ProofError("root mismatch: old root is not the empty-tree root")
        return

    first, second = old_size, new_size
    # 1. If consistency_path is an empty array, stop and fail.
    if not proof:
        raise ProofError("wrong proof length: empty consistency proof")
    path = [bytes(p) for p in proof]
    # 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError(f"wrong proof length: {len(proof)} hashes is too long")
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if _lsb(fn) or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr); set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            #     is set or fn is 0.
            while not _lsb(fn) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Check fr against first_hash, sr against second_hash, and that sn is 0.
    if sn != 0:
        raise ProofError(f"wrong proof length: {len(proof)} hashes is too short")
    if fr != old_root:
        raise ProofError("root mismatch: the proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("root mismatch: the proof does not lead to the new root hash")
