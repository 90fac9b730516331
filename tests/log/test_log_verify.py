"""Verification rejects every corruption, with a message saying what failed."""

from __future__ import annotations

import pytest
from logref import BigTree, RefTree, build_store, entry

from ipledger.log import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

SIZE = 40
REF = RefTree([entry(i) for i in range(SIZE)])
STORE = build_store(REF.leaf_hashes)
OTHER = bytes(32)


def flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def replace(proof: list[bytes], i: int, h: bytes) -> list[bytes]:
    return [*proof[:i], h, *proof[i + 1 :]]


def test_every_inclusion_proof_rejects_corruptions() -> None:
    for n in range(1, SIZE + 1):
        root = REF.root(n)
        for i in range(n):
            proof = inclusion_proof(i, n, STORE)
            leaf = REF.leaf_hashes[i]
            verify_inclusion(leaf, i, n, proof, root)
            bad: list[tuple[bytes, int, int, list[bytes], bytes]] = [
                (flip(leaf, (i * 7) % 256), i, n, proof, root),
                (leaf, i, n, proof, flip(root, 255)),
                (leaf, i, n, [*proof, OTHER], root),
                (leaf, i, n, [OTHER, *proof], root),
                (leaf, i, n, [*proof, root], root),
                (leaf, n, n, proof, root),
            ]
            bad += [(leaf, i, n, proof[:-1], root)] if proof else []
            bad += [(leaf, j, n, proof, root) for j in (i - 1, i + 1, i ^ 2) if 0 <= j < n != 1]
            for k, p in enumerate(proof):
                bad += [(leaf, i, n, replace(proof, k, flip(p, (k * 37 + i) % 256)), root)]
            # A different size whose proof has another length must fail too.
            for m in (n * 2, n // 2, n + 1, n - 1):
                if i < m <= SIZE and len(REF.inclusion(i, m)) != len(proof):
                    bad.append((leaf, i, m, proof, root))
            for args in bad:
                with pytest.raises(ProofError):
                    verify_inclusion(*args)


def test_every_consistency_proof_rejects_corruptions() -> None:
    for n in range(2, SIZE + 1):
        new_root = REF.root(n)
        for m in range(1, n):
            old_root = REF.root(m)
            proof = consistency_proof(m, n, STORE)
            verify_consistency(m, n, old_root, new_root, proof)
            bad: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
                (m, n, flip(old_root, 3), new_root, proof),
                (m, n, old_root, flip(new_root, 3), proof),
                (m, n, new_root, old_root, proof),
                (m, n, old_root, new_root, []),
                (m, n, old_root, new_root, proof[:-1]),
                (m, n, old_root, new_root, [*proof, OTHER]),
                (m, n, old_root, new_root, [OTHER, *proof]),
                (m, n, old_root, new_root, [proof[0], *proof]),
                (n, m, old_root, new_root, proof),
            ]
            for k, p in enumerate(proof):
                bad.append(
                    (m, n, old_root, new_root, replace(proof, k, flip(p, (k * 41 + m) % 256)))
                )
            for m2 in (m - 1, m + 1, m ^ 2):
                if 0 < m2 < n and m2 != m:
                    bad.append((m2, n, old_root, new_root, proof))
            for args in bad:
                with pytest.raises(ProofError):
                    verify_consistency(*args)


def test_every_bit_of_a_large_proof_matters(big_tree: BigTree) -> None:
    ref, store, n = big_tree.ref, big_tree.store, big_tree.size
    i = 12_345
    proof = inclusion_proof(i, n, store)
    assert len(proof) >= 16
    for k, p in enumerate(proof):
        for bit in range(256):
            with pytest.raises(ProofError, match="root mismatch"):
                verify_inclusion(
                    ref.leaf_hashes[i], i, n, replace(proof, k, flip(p, bit)), ref.root(n)
                )
    m = 65_537
    cproof = consistency_proof(m, n, store)
    for k, p in enumerate(cproof):
        for bit in range(0, 256, 5):
            with pytest.raises(ProofError, match="root mismatch"):
                verify_consistency(m, n, ref.root(m), ref.root(n), replace(cproof, k, flip(p, bit)))


def test_messages_say_what_failed() -> None:
    leaf, root = REF.leaf_hashes[3], REF.root(10)
    proof = inclusion_proof(3, 10, STORE)
    with pytest.raises(ProofError, match="leaf index 10 is out of range for tree size 10"):
        verify_inclusion(leaf, 10, 10, proof, root)
    with pytest.raises(ProofError, match="too long"):
        verify_inclusion(leaf, 3, 10, [*proof, OTHER], root)
    with pytest.raises(ProofError, match="too short"):
        verify_inclusion(leaf, 3, 10, proof[:-1], root)
    with pytest.raises(ProofError, match="root mismatch"):
        verify_inclusion(leaf, 3, 10, proof, OTHER)
    with pytest.raises(ProofError, match=r"proof\[1\] is 31 bytes"):
        verify_inclusion(leaf, 3, 10, replace(proof, 1, b"x" * 31), root)
    with pytest.raises(ProofError, match="leaf hash is 0 bytes"):
        verify_inclusion(b"", 3, 10, proof, root)
    with pytest.raises(ProofError, match="non-negative"):
        verify_inclusion(leaf, -1, 10, proof, root)

    cproof = consistency_proof(3, 10, STORE)
    old = REF.root(3)
    with pytest.raises(ProofError, match="old size 11 is larger than new size 10"):
        verify_consistency(11, 10, old, root, cproof)
    with pytest.raises(ProofError, match="empty consistency proof"):
        verify_consistency(3, 10, old, root, [])
    with pytest.raises(ProofError, match="too long"):
        verify_consistency(3, 10, old, root, [*cproof, OTHER])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(3, 10, old, root, cproof[:-1])
    with pytest.raises(ProofError, match="old root"):
        verify_consistency(3, 10, OTHER, root, cproof)
    with pytest.raises(ProofError, match="new root"):
        verify_consistency(3, 10, old, OTHER, cproof)
    with pytest.raises(ProofError, match="equal tree sizes"):
        verify_consistency(10, 10, old, root, [])
    with pytest.raises(ProofError, match="equal sizes take no hashes"):
        verify_consistency(10, 10, root, root, [OTHER])
    with pytest.raises(ProofError, match="empty-tree root"):
        verify_consistency(0, 10, old, root, [])
    with pytest.raises(ProofError, match="old size 0 takes no hashes"):
        verify_consistency(0, 10, EMPTY_ROOT, root, [OTHER])
    verify_consistency(0, 10, EMPTY_ROOT, root, [])


def test_bytearray_and_memoryview_inputs_are_accepted() -> None:
    proof = inclusion_proof(3, 10, STORE)
    leaf, root = bytearray(REF.leaf_hashes[3]), bytearray(REF.root(10))
    views = [memoryview(p) for p in proof]
    verify_inclusion(leaf, 3, 10, views, root)  # type: ignore[arg-type]
