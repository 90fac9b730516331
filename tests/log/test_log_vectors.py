"""Known-answer tests from transparency-dev/merkle (testonly/constants.go, proof/*_test.go)."""

from __future__ import annotations

import pytest
from logref import build_store

from ipledger.log import (
    EMPTY_ROOT,
    ProofError,
    TreeAppender,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def hd(s: str) -> bytes:
    return bytes.fromhex(s)


# testonly.LeafInputs()
LEAVES = [
    hd(""),
    hd("00"),
    hd("10"),
    hd("2021"),
    hd("3031"),
    hd("40414243"),
    hd("5051525354555657"),
    hd("606162636465666768696a6b6c6d6e6f"),
]

# testonly.NodeHashes(): [level][index] of every complete subtree of the 8-leaf tree.
NODE_HASHES = [
    [
        hd("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        hd("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        hd("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        hd("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        hd("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        hd("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        hd("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        hd("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        hd("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        hd("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        hd("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        hd("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        hd("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        hd("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [hd("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# testonly.RootHashes(): index = tree size.
ROOTS = [
    hd("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    hd("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    hd("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    hd("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    hd("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    hd("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    hd("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    hd("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    hd("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# proof/verify_test.go inclusionProofs: (leaf number, 1-based; tree size; proof).
INCLUSION_1BASED = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# testonly/reference_test.go TestRefInclusionProof: (0-based index, size, proof).
INCLUSION_0BASED = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# proof/verify_test.go consistencyProofs and reference_test.go TestRefConsistencyProof.
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

N = NODE_HASHES
# l' = the ephemeral level-2 node of the 7-leaf tree: HashChildren(i, j) in proof_test.go.
L7 = node_hash(N[1][2], N[0][6])

# proof/proof_test.go TestInclusion / TestConsistency node lists, mapped to NodeHashes
# (a "rehash" range of node ids is folded into one ephemeral hash, as Nodes.Rehash does).
INCLUSION_NODES = [
    (0, 2, [N[0][1]]),
    (1, 2, [N[0][0]]),
    (1, 3, [N[0][0], N[0][2]]),
    (0, 7, [N[0][1], N[1][1], L7]),
    (1, 7, [N[0][0], N[1][1], L7]),
    (2, 7, [N[0][3], N[1][0], L7]),
    (3, 7, [N[0][2], N[1][0], L7]),
    (4, 7, [N[0][5], N[0][6], N[2][0]]),
    (5, 7, [N[0][4], N[0][6], N[2][0]]),
    (6, 7, [N[1][2], N[2][0]]),
    (2, 4, [N[0][3], N[1][0]]),
    (3, 5, [N[0][2], N[1][0], N[0][4]]),
    (3, 6, [N[0][2], N[1][0], N[1][2]]),
    (4, 6, [N[0][5], N[2][0]]),
]
CONSISTENCY_NODES = [
    (1, 2, [N[0][1]]),
    (1, 4, [N[0][1], N[1][1]]),
    (1, 6, [N[0][1], N[1][1], N[1][2]]),
    (2, 3, [N[0][2]]),
    (2, 8, [N[1][1], N[2][1]]),
    (3, 7, [N[0][2], N[0][3], N[1][0], L7]),
    (4, 7, [L7]),
    (5, 7, [N[0][4], N[0][5], N[0][6], N[2][0]]),
    (6, 7, [N[1][2], N[0][6], N[2][0]]),
    (7, 8, [N[0][6], N[0][7], N[1][2], N[2][0]]),
    (2, 4, [N[1][1]]),
    (3, 5, [N[0][2], N[0][3], N[1][0], N[0][4]]),
    (3, 6, [N[0][2], N[0][3], N[1][0], N[1][2]]),
    (4, 6, [N[1][2]]),
    (1, 7, [N[0][1], N[1][1], L7]),
]

STORE = build_store([leaf_hash(x) for x in LEAVES])


def test_leaf_hashes() -> None:
    assert [leaf_hash(x) for x in LEAVES] == NODE_HASHES[0]


def test_empty_root() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert root_hash(0, STORE) == ROOTS[0]
    assert TreeAppender().root_hash == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots(size: int) -> None:
    assert root_hash(size, STORE) == ROOTS[size]
    result = TreeAppender().append([leaf_hash(x) for x in LEAVES[:size]])
    assert result.tree_size == size
    assert result.root_hash == ROOTS[size]


def test_roots_one_leaf_at_a_time() -> None:
    appender = TreeAppender()
    for size, leaf in enumerate(LEAVES, start=1):
        assert appender.append([leaf_hash(leaf)]).root_hash == ROOTS[size]


def test_level0_tile_is_the_leaf_hashes() -> None:
    assert STORE.get(0, 0) == b"".join(NODE_HASHES[0])


@pytest.mark.parametrize(("index", "size", "want"), INCLUSION_0BASED)
def test_inclusion_reference_vectors(index: int, size: int, want: list[str]) -> None:
    proof = inclusion_proof(index, size, STORE)
    assert [p.hex() for p in proof] == want
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("leaf", "size", "want"), INCLUSION_1BASED)
def test_inclusion_verify_vectors(leaf: int, size: int, want: list[str]) -> None:
    index = leaf - 1
    proof = inclusion_proof(index, size, STORE)
    assert [p.hex() for p in proof] == want
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, [hd(p) for p in want], ROOTS[size])


@pytest.mark.parametrize(("index", "size", "want"), INCLUSION_NODES)
def test_inclusion_node_vectors(index: int, size: int, want: list[bytes]) -> None:
    proof = inclusion_proof(index, size, STORE)
    assert proof == want
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "want"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, want: list[str]) -> None:
    proof = consistency_proof(old, new, STORE)
    assert [p.hex() for p in proof] == want
    verify_consistency(old, new, ROOTS[old], ROOTS[new], [hd(p) for p in want])


@pytest.mark.parametrize(("old", "new", "want"), CONSISTENCY_NODES)
def test_consistency_node_vectors(old: int, new: int, want: list[bytes]) -> None:
    proof = consistency_proof(old, new, STORE)
    assert proof == want
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def test_equal_sizes_have_empty_proofs() -> None:
    for size in range(1, 9):
        assert consistency_proof(size, size, STORE) == []
        verify_consistency(size, size, ROOTS[size], ROOTS[size], [])


# --- corruption probes, as corruptInclusionProof / corruptConsistencyProof in verify_test.go

SOME_HASH = hd("abacaba000000000000000000000000000000000000000000060061e00123456")


def inclusion_probes(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    probes = [
        ("index - 1", index - 1, size, proof, root, leaf),
        ("index + 1", index + 1, size, proof, root, leaf),
        ("index ^ 2", index ^ 2, size, proof, root, leaf),
        ("size * 2", index, size * 2, proof, root, leaf),
        ("size / 2", index, size // 2, proof, root, leaf),
        ("wrong leaf", index, size, proof, root, b"WrongLeaf"),
        ("empty root", index, size, proof, EMPTY_ROOT, leaf),
        ("random root", index, size, proof, SOME_HASH, leaf),
        ("trailing garbage", index, size, [*proof, b""], root, leaf),
        ("trailing root", index, size, [*proof, root], root, leaf),
        ("preceding garbage", index, size, [b"", *proof], root, leaf),
        ("preceding root", index, size, [root, *proof], root, leaf),
    ]
    for i in range(len(proof)):
        for bit in range(256):
            bad = bytearray(proof[i])
            bad[bit // 8] ^= 1 << (bit % 8)
            probes.append(
                (
                    f"proof[{i}] bit {bit}",
                    index,
                    size,
                    [*proof[:i], bytes(bad), *proof[i + 1 :]],
                    root,
                    leaf,
                )
            )
    if proof:
        probes.append(("removed component", index, size, proof[:-1], root, leaf))
    if len(proof) > 1:
        probes.append(
            ("inserted component", index, size, [proof[0], SOME_HASH, *proof[1:]], root, leaf)
        )
    return probes


@pytest.mark.parametrize(("leaf", "size", "want"), INCLUSION_1BASED)
def test_inclusion_corruptions_fail(leaf: int, size: int, want: list[str]) -> None:
    index = leaf - 1
    proof = [hd(p) for p in want]
    for desc, i, n, p, root, lh in inclusion_probes(
        index, size, proof, ROOTS[size], leaf_hash(LEAVES[index])
    ):
        with pytest.raises(ProofError):
            verify_inclusion(lh, i, n, p, root)
            pytest.fail(f"verified with {desc}")


@pytest.mark.parametrize(("old", "new", "want"), [c for c in CONSISTENCY if c[2]])
def test_consistency_corruptions_fail(old: int, new: int, want: list[str]) -> None:
    proof = [hd(p) for p in want]
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        ("size1 - 1", old - 1, new, r1, r2, proof),
        ("size1 + 1", old + 1, new, r1, r2, proof),
        ("size1 ^ 2", old ^ 2, new, r1, r2, proof),
        ("size2 * 2", old, new * 2, r1, r2, proof),
        ("size2 / 2", old, new // 2, r1, r2, proof),
        ("wrong root1", old, new, b"WrongRoot", r2, proof),
        ("wrong root2", old, new, r1, b"WrongRoot", proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing root1", old, new, r1, r2, [*proof, r1]),
        ("trailing root2", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding root1", old, new, r1, r2, [r1, *proof]),
        ("preceding root2", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated proof", old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        for bit in range(256):
            bad = bytearray(proof[i])
            bad[bit // 8] ^= 1 << (bit % 8)
            probes.append(
                (
                    f"proof[{i}] bit {bit}",
                    old,
                    new,
                    r1,
                    r2,
                    [*proof[:i], bytes(bad), *proof[i + 1 :]],
                )
            )
    for desc, m, n, a, b, p in probes:
        with pytest.raises(ProofError):
            verify_consistency(m, n, a, b, p)
            pytest.fail(f"verified with {desc}")


def test_verify_consistency_trivial_cases() -> None:
    # verify_test.go TestVerifyConsistency, adapted: roots must be real 32-byte hashes here,
    # and an old size of 0 requires the empty-tree root (documented choice).
    r1, r2 = ROOTS[1], ROOTS[2]
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 1, EMPTY_ROOT, r1, [])
    verify_consistency(1, 1, r2, r2, [])
    bad = [
        (0, 0, r1, r2, []),
        (1, 1, r1, r2, []),
        (1, 0, r1, r2, []),
        (2, 1, r1, r2, []),
        (1, 2, r1, r2, []),
        (0, 0, EMPTY_ROOT, r2, []),
        (1, 1, EMPTY_ROOT, r2, []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (0, 1, r1, r2, []),  # old size 0 with a non-empty old root
    ]
    for m, n, a, b, p in bad:
        with pytest.raises(ProofError):
            verify_consistency(m, n, a, b, p)


def test_verify_inclusion_single_entry() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    for leaf, root in [(h, b""), (b"", h), (b"", b"")]:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, 0, 1, [], root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1)])
def test_verify_inclusion_out_of_range(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="out of range"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
