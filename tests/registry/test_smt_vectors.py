"""Hand-computed vectors that pin the sparse Merkle tree spec (see the smt module docstring).

Every expected value is written out from the documented hash rules with hashlib alone, and the
resulting hex is pinned too, so a change of tags, bit order or lifting rule shows up here.
"""

from __future__ import annotations

import base64
import hashlib

from ipledger.registry.smt import (
    EMPTY_HASH,
    EMPTY_ROOT,
    ProofLeaf,
    StateProof,
    StateTree,
    leaf_hash,
    node_hash,
    record_key,
    record_value_hash,
    verify_state_proof,
)


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def L(key: bytes, value: bytes) -> bytes:
    return H(b"ipledger/smt/v1/leaf" + key + value)


def N(left: bytes, right: bytes) -> bytes:
    return H(b"ipledger/smt/v1/node" + left + right)


E = H(b"ipledger/smt/v1/empty")

# Keys chosen for their leading bits (bit 0 = most significant bit of byte 0).
A = bytes(32)  # 000...
B = b"\x80" + bytes(31)  # 1...
C = b"\x40" + bytes(31)  # 01...
D = b"\x20" + bytes(31)  # 001...
A1 = bytes(31) + b"\x01"  # differs from A in bit 255 only
VA = H(b'{"id":"A"}')
VB = H(b'{"id":"B"}')
VC = H(b'{"id":"C"}')
VD = H(b'{"id":"D"}')


def tree(*pairs: tuple[bytes, bytes]) -> StateTree:
    t = StateTree()
    t.update(dict(pairs))
    return t


def test_hash_rules() -> None:
    assert EMPTY_HASH == EMPTY_ROOT == E
    assert E.hex() == "d978c5a890d6d7ce7582705e90092e905f145a84b733ac732bc7988e5f6d3b53"
    assert leaf_hash(A, VA) == L(A, VA)
    assert node_hash(A, B) == N(A, B)
    assert record_key("right/EM/018000001/Müller") == H("right/EM/018000001/Müller".encode())
    assert record_key("right/EM/018000001/Müller").hex() == (
        "05a1cdd22ffee9808cb28ffbb7edbd4445e5da37dbe095230e6ed356e172e985"
    )
    assert record_value_hash(b'{"id":"A"}') == VA


def test_empty_tree() -> None:
    t = StateTree()
    assert t.root == E and t.version is None
    proof = t.prove(A)
    assert proof == StateProof((), None)
    verify_state_proof(E, A, None, proof)
    assert t.update({}) == E and t.version == 0


def test_one_key() -> None:
    t = tree((A, VA))
    assert t.root == L(A, VA)
    assert t.root.hex() == "9aa3681431b167c6614da81732d80b23f0ccfc46d2cd8359947153a484677b3f"
    assert t.prove(A) == StateProof((), ProofLeaf(A, VA))
    # Absence of B: the root itself is A's leaf.
    assert t.prove(B) == StateProof((), ProofLeaf(A, VA))
    verify_state_proof(t.root, B, None, t.prove(B))


def test_two_keys() -> None:
    t = tree((A, VA), (B, VB))
    assert t.root == N(L(A, VA), L(B, VB))
    assert t.root.hex() == "3be2e86b9a4629ff1960bc4314186b897d0c6d33a652342b02ae9a973f2a4f47"
    assert t.prove(A) == StateProof((L(B, VB),), ProofLeaf(A, VA))
    assert t.prove(B) == StateProof((L(A, VA),), ProofLeaf(B, VB))


def test_three_keys() -> None:
    t = tree((A, VA), (B, VB), (C, VC))
    assert t.root == N(N(L(A, VA), L(C, VC)), L(B, VB))
    assert t.root.hex() == "67e5e7812fc46bdc9495f1d1c39ddd54cb36f9e398032977c46a1c5212ed9cb7"
    proof = t.prove(C)
    assert proof == StateProof((L(B, VB), L(A, VA)), ProofLeaf(C, VC))
    # Binary form: flags=1, m=2, bitmap 0b11000000, siblings, leaf.
    assert proof.to_bytes() == b"\x01\x00\x02\xc0" + L(B, VB) + L(A, VA) + C + VC
    b64 = base64.b64encode
    assert proof.to_json() == {
        "siblings": [b64(L(B, VB)).decode(), b64(L(A, VA)).decode()],
        "leaf": {"key": b64(C).decode(), "value_hash": b64(VC).decode()},
    }
    verify_state_proof(t.root, C, VC, proof)
    # Absence of D (001...): ends at A's leaf, which shares D's first two bits.
    assert t.prove(D) == StateProof((L(B, VB), L(C, VC)), ProofLeaf(A, VA))
    verify_state_proof(t.root, D, None, t.prove(D))


def test_chain_of_single_child_nodes() -> None:
    t = tree((A, VA), (D, VD))
    assert t.root == N(N(N(L(A, VA), L(D, VD)), E), E)
    assert t.root.hex() == "1f68702acb40b1bd41cf71bf6c7c0b3f1fabf6bef9f045f755727e0ba8dca233"
    assert t.prove(D).siblings == (E, E, L(A, VA))
    # Absence of B (1...): the right child of the root is empty.
    assert t.prove(B) == StateProof((N(N(L(A, VA), L(D, VD)), E),), None)
    assert t.prove(B).to_bytes() == b"\x00\x00\x01\x80" + N(N(L(A, VA), L(D, VD)), E)
    assert t.prove(B).to_json()["leaf"] is None
    verify_state_proof(t.root, B, None, t.prove(B))
    # Deleting D lifts A's leaf back to the root.
    assert t.update({D: None}) == L(A, VA)


def test_deepest_pair() -> None:
    t = tree((A, VA), (A1, VB))
    h = N(L(A, VA), L(A1, VB))
    for _ in range(255):
        h = N(h, E)
    assert t.root == h
    assert t.root.hex() == "3af23041bdadfb193392c777a0857b2c2c807a74b6fd5e23e2cf3410487871bb"
    proof = t.prove(A1)
    assert proof.siblings == (E,) * 255 + (L(A, VA),)
    assert len(proof.to_bytes()) == 3 + 32 + 32 + 64
    verify_state_proof(t.root, A1, VB, proof)
