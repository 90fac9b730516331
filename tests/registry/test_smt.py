"""Properties of the sparse Merkle state tree against a naive model of the documented spec."""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ipledger.registry.smt import (
    EMPTY_HASH,
    EMPTY_ROOT,
    MemoryNodeStore,
    ProofLeaf,
    StateProof,
    StateProofError,
    StateTree,
    verify_state_proof,
)

HYPO = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- a naive reference: T(S, d) straight from the module docstring -------------------------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _bit(key: bytes, i: int) -> int:
    return key[i // 8] >> (7 - i % 8) & 1


def ref_root(state: Mapping[bytes, bytes], depth: int = 0) -> bytes:
    """Root of ``state`` computed from the spec's recursive definition."""
    if not state:
        return _h(b"ipledger/smt/v1/empty")
    if len(state) == 1:
        ((k, v),) = state.items()
        return _h(b"ipledger/smt/v1/leaf" + k + v)
    left = {k: v for k, v in state.items() if _bit(k, depth) == 0}
    right = {k: v for k, v in state.items() if _bit(k, depth) == 1}
    return _h(b"ipledger/smt/v1/node" + ref_root(left, depth + 1) + ref_root(right, depth + 1))


# --- key sets -------------------------------------------------------------------------------


def hashed_keys(seed: int, n: int) -> list[bytes]:
    return [_h(f"{seed}/{i}".encode()) for i in range(n)]


def value_of(key: bytes, salt: int = 0) -> bytes:
    return _h(key + salt.to_bytes(4, "big"))


@st.composite
def keysets(draw: st.DrawFn, max_hashed: int = 3000) -> list[bytes]:
    """Either many random-looking keys or a few keys sharing long prefixes (deep, chained)."""
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**32))
        n = draw(st.one_of(st.integers(0, 40), st.integers(0, max_hashed)))
        return hashed_keys(seed, n)
    base = int.from_bytes(draw(st.binary(min_size=32, max_size=32)), "big")
    delta = st.builds(lambda pos, small: small << pos, st.integers(0, 255), st.integers(1, 7))
    deltas = draw(st.lists(delta, max_size=40))
    keys = {(base ^ d) % 2**256 for d in [0, 1, *deltas]}
    return sorted(k.to_bytes(32, "big") for k in keys)


def near_keys(keys: list[bytes]) -> list[bytes]:
    """Keys next to the given ones (one bit flipped at several depths): mostly absent."""
    out = []
    for k in keys[:200]:
        x = int.from_bytes(k, "big")
        for bit in (255, 200, 20, 3, 0):
            out.append((x ^ (1 << bit)).to_bytes(32, "big"))
    return out


def build(state: Mapping[bytes, bytes], batch: int | None = None) -> StateTree:
    t = StateTree()
    items = sorted(state.items())
    if batch is None:
        t.update(dict(items))
    else:
        for i in range(0, len(items), batch):
            t.update(dict(items[i : i + batch]))
    return t


def check_all(t: StateTree, state: Mapping[bytes, bytes], probes: list[bytes]) -> None:
    """Every member proves its value, every probe not in state proves absence."""
    root = t.root
    for k, v in state.items():
        proof = t.prove(k)
        verify_state_proof(root, k, v, proof)
        assert proof.value_hash_for(k) == v
        assert t.get(k) == v
    for k in probes:
        if k in state:
            continue
        proof = t.prove(k)
        verify_state_proof(root, k, None, proof)
        assert proof.value_hash_for(k) is None
        assert t.get(k) is None


# --- membership and absence -----------------------------------------------------------------


@HYPO
@given(keysets(), st.integers(0, 2**16))
def test_every_key_proves_and_absence_proves(keys: list[bytes], salt: int) -> None:
    state = {k: value_of(k, salt) for k in keys}
    t = build(state)
    assert t.root == ref_root(state)
    assert list(t.items()) == sorted(state.items())
    check_all(t, state, near_keys(keys) + hashed_keys(salt + 10**10, 50))


@HYPO
@given(keysets(max_hashed=600))
def test_proofs_round_trip_through_bytes_and_json(keys: list[bytes]) -> None:
    state = {k: value_of(k) for k in keys}
    t = build(state)
    for k in keys[:100] + near_keys(keys)[:100]:
        proof = t.prove(k)
        assert StateProof.from_bytes(proof.to_bytes()) == proof
        assert StateProof.from_json(proof.to_json()) == proof


# --- deletes, batches, order ----------------------------------------------------------------


@HYPO
@given(keysets(max_hashed=1500), st.data())
def test_deletes(keys: list[bytes], data: st.DataObject) -> None:
    state = {k: value_of(k) for k in keys}
    t = build(state)
    doomed = data.draw(st.sets(st.sampled_from(keys))) if keys else set()
    # deleting absent keys is a no-op (keysets may draw seed 7 too: those are not absent)
    absent = [k for k in hashed_keys(7, 5) if k not in state]
    root = t.update({k: None for k in [*doomed, *absent]})
    rest = {k: v for k, v in state.items() if k not in doomed}
    assert root == ref_root(rest) == build(rest).root
    check_all(t, rest, list(doomed) + near_keys(sorted(doomed)))
    assert t.update({k: None for k in rest}) == EMPTY_ROOT
    assert list(t.items()) == []


@HYPO
@given(keysets(max_hashed=1500), st.randoms(use_true_random=False), st.integers(1, 400))
def test_batch_equals_sequential_in_any_order(
    keys: list[bytes], rnd: random.Random, size: int
) -> None:
    state = {k: value_of(k) for k in keys}
    once = build(state).root
    shuffled = list(state.items())
    rnd.shuffle(shuffled)
    t = StateTree()
    for i in range(0, len(shuffled), size):
        t.update(dict(shuffled[i : i + size]))  # dict in shuffled insertion order
    assert t.root == once
    # One at a time for a prefix, with an overwrite and a delete of a fresh key in the mix.
    extra = hashed_keys(99, 1)[0]
    assume(extra not in state)  # the mix needs a key of its own
    t2 = StateTree()
    for k, v in shuffled[:150]:
        t2.update({k: value_of(k, 5)})
        t2.update({extra: v})
        t2.update({k: v, extra: None})
    assert t2.root == ref_root(dict(shuffled[:150]))


@HYPO
@given(keysets(max_hashed=800), st.data())
def test_mixed_batch_matches_model(keys: list[bytes], data: st.DataObject) -> None:
    state = {k: value_of(k) for k in keys}
    t = build(state, batch=97)
    model = dict(state)
    for round_ in range(3):
        changes: dict[bytes, bytes | None] = {}
        for k in data.draw(st.lists(st.sampled_from(keys), max_size=60)) if keys else []:
            changes[k] = None if data.draw(st.booleans()) else value_of(k, round_ + 1)
        for k in hashed_keys(1000 + round_, data.draw(st.integers(0, 30))):
            changes[k] = value_of(k)
        t.update(changes)
        for k, v in changes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        assert t.root == ref_root(model)
    check_all(t, model, keys[:50])


# --- versions -------------------------------------------------------------------------------


def test_old_versions_still_prove_old_values() -> None:
    keys = hashed_keys(1, 300)
    t = StateTree()
    history: list[tuple[int, dict[bytes, bytes]]] = []
    model: dict[bytes, bytes] = {}
    for step, version in enumerate([10, 11, 25, 26, 1000]):
        changes: dict[bytes, bytes | None] = {
            k: value_of(k, step) for k in keys[step * 40 : step * 40 + 100]
        }
        for k in keys[: step * 20]:
            changes[k] = None
        t.update(changes, version=version)
        for k, v in changes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        history.append((version, dict(model)))
    assert t.version == 1000
    for version, snapshot in history:
        root = t.root_at(version)
        assert root == ref_root(snapshot)
        for k in keys:
            proof = t.prove(k, version=version)
            verify_state_proof(root, k, snapshot.get(k), proof)
            assert t.get(k, version=version) == snapshot.get(k)
        assert dict(t.items(version)) == snapshot
    # A new StateTree over the same store carries on from the latest version.
    again = StateTree(t.store)
    assert again.version == 1000 and again.root == t.root
    assert again.update({}) == t.root and again.version == 1001


def test_version_rules() -> None:
    t = StateTree()
    assert t.update({}) == EMPTY_ROOT and t.version == 0
    t.update({hashed_keys(0, 1)[0]: value_of(b"x")}, version=5)
    with pytest.raises(ValueError, match="not greater"):
        t.update({}, version=5)
    with pytest.raises(ValueError, match="non-negative int"):
        t.update({}, version=True)
    with pytest.raises(KeyError):
        t.root_at(3)
    with pytest.raises(KeyError):
        t.prove(bytes(32), version=4)
    assert t.root_at(0) == EMPTY_ROOT


def test_bad_updates_change_nothing() -> None:
    store = MemoryNodeStore()
    t = StateTree(store)
    t.update({k: value_of(k) for k in hashed_keys(3, 20)})
    root, version, nodes = t.root, t.version, dict(store.nodes)
    good = hashed_keys(4, 1)[0]
    for changes in (
        {good: value_of(good), b"short": value_of(good)},
        {good: b"not a hash"},
        {good: value_of(good), bytes(33): None},
    ):
        with pytest.raises(ValueError, match="must be 32 bytes"):
            t.update(changes)  # type: ignore[arg-type]
    assert (t.root, t.version, store.nodes) == (root, version, nodes)
    with pytest.raises(ValueError, match="key must be 32 bytes"):
        t.get(b"short")


# --- tampering and forgery ------------------------------------------------------------------


def _fails(root: bytes, key: bytes, value: bytes | None, proof: StateProof) -> bool:
    try:
        verify_state_proof(root, key, value, proof)
    except StateProofError:
        return True
    return False


def _flip(b: bytes, bit: int) -> bytes:
    """Flip bit ``bit`` of ``b``, numbered as in the spec (0 = MSB of byte 0)."""
    out = bytearray(b)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def _sample_proofs() -> list[tuple[StateTree, bytes, bytes | None, StateProof]]:
    """A member, absent keys ending in an empty subtree or at another leaf, deep ones."""
    state = {k: value_of(k) for k in hashed_keys(5, 200)}
    t = build(state)
    member = next(iter(state))
    out: list[tuple[StateTree, bytes, bytes | None, StateProof]] = [
        (t, member, state[member], t.prove(member))
    ]
    kinds = set()
    for k in hashed_keys(6, 200):
        p = t.prove(k)
        if (p.leaf is None) not in kinds:
            kinds.add(p.leaf is None)
            out.append((t, k, None, p))
    assert kinds == {True, False}
    deep = build({bytes(32): value_of(b"a"), bytes(31) + b"\x01": value_of(b"b")})
    out.append((deep, bytes(31) + b"\x01", value_of(b"b"), deep.prove(bytes(31) + b"\x01")))
    deep_absent = bytes(31) + b"\x02"
    out.append((deep, deep_absent, None, deep.prove(deep_absent)))
    return out


def test_any_flipped_bit_in_a_proof_fails() -> None:
    for t, key, value, proof in _sample_proofs():
        verify_state_proof(t.root, key, value, proof)
        raw = proof.to_bytes()
        for bit in range(8 * len(raw)):
            try:
                tampered = StateProof.from_bytes(_flip(raw, bit))
            except StateProofError:
                continue
            assert _fails(t.root, key, value, tampered), (bit, len(raw))
        # The same on the object: every bit of every sibling and of the leaf.
        for i, s in enumerate(proof.siblings):
            if s == EMPTY_HASH and i % 17:
                continue  # a deep proof: bytes above cover every bit, sample the rest here
            for bit in range(256):
                sib = (*proof.siblings[:i], _flip(s, bit), *proof.siblings[i + 1 :])
                assert _fails(t.root, key, value, StateProof(sib, proof.leaf))
        if proof.leaf is not None:
            for bit in range(256):
                for leaf in (
                    ProofLeaf(_flip(proof.leaf.key, bit), proof.leaf.value_hash),
                    ProofLeaf(proof.leaf.key, _flip(proof.leaf.value_hash, bit)),
                ):
                    assert _fails(t.root, key, value, StateProof(proof.siblings, leaf))


def test_wrong_key_value_or_root_fails() -> None:
    for t, key, value, proof in _sample_proofs():
        for bit in range(0, 256, 7):
            if value is not None or bit < len(proof.siblings):
                assert _fails(t.root, _flip(key, bit), value, proof)
            elif proof.leaf is None or proof.leaf.key != _flip(key, bit):
                # Off the path: the same empty subtree / lone leaf proves this key absent too.
                verify_state_proof(t.root, _flip(key, bit), None, proof)
            assert _fails(_flip(t.root, bit), key, value, proof)
            if value is not None:
                assert _fails(t.root, key, _flip(value, bit), proof)
        assert _fails(t.root, key, value_of(b"other"), proof)
        # Dropping, adding or reordering siblings, dropping or inventing a leaf.
        s, leaf = proof.siblings, proof.leaf
        variants = [
            StateProof(s[1:], leaf),
            StateProof(s[:-1], leaf),
            StateProof((*s, EMPTY_HASH), leaf),
            StateProof((*s, t.root), leaf),
            StateProof((EMPTY_HASH, *s), leaf),
            StateProof(s[::-1], leaf),
            StateProof(s, None),
            StateProof(s, ProofLeaf(key, value_of(b"z"))),
        ]
        for v in variants:
            if v != proof:
                assert _fails(t.root, key, value, v)


def test_absence_cannot_be_forged_for_present_keys_and_vice_versa() -> None:
    state = {k: value_of(k) for k in hashed_keys(8, 64)}
    t = build(state)
    root = t.root
    present = list(state)
    absent = hashed_keys(9, 64)
    proofs = [t.prove(k) for k in present + absent]
    for k in present:
        for p in proofs:  # no proof at all says a present key is absent
            assert _fails(root, k, None, p)
    for k in absent:
        for p in proofs:  # nor gives an absent key any value, whichever leaf it shows
            for v in {value_of(k), *(() if p.leaf is None else (p.leaf.value_hash,))}:
                assert _fails(root, k, v, p)
    # Each present key's proof is only good for its own value; each absent key's only as absent.
    for k, p in zip(present, proofs, strict=False):
        for other in present[:8]:
            if other != k:
                assert _fails(root, other, state[k], p)
                assert _fails(root, other, state[other], p)


def test_absence_proof_with_a_leaf_off_the_path_fails() -> None:
    t = build({bytes(32): value_of(b"a"), b"\x80" + bytes(31): value_of(b"b")})
    key = b"\x40" + bytes(31)  # path 01...: ends at leaf 00... which shares bit 0
    proof = t.prove(key)
    verify_state_proof(t.root, key, None, proof)
    # A leaf that does not share the path prefix is rejected even with matching hashes.
    off = StateProof(proof.siblings, ProofLeaf(b"\x80" + bytes(31), value_of(b"b")))
    with pytest.raises(StateProofError, match="share the first 1 bits"):
        verify_state_proof(t.root, key, None, off)


def test_error_messages_say_what_failed() -> None:
    t = build({k: value_of(k) for k in hashed_keys(10, 10)})
    member = hashed_keys(10, 1)[0]
    outsider = hashed_keys(11, 1)[0]
    with pytest.raises(StateProofError, match="present, not absent"):
        verify_state_proof(t.root, member, None, t.prove(member))
    with pytest.raises(StateProofError, match="absent"):
        verify_state_proof(t.root, outsider, value_of(outsider), t.prove(outsider))
    with pytest.raises(StateProofError, match="different value"):
        verify_state_proof(t.root, member, value_of(b"x"), t.prove(member))
    with pytest.raises(StateProofError, match="root"):
        verify_state_proof(EMPTY_ROOT, member, value_of(member), t.prove(member))
    with pytest.raises(StateProofError, match="not minimal"):
        verify_state_proof(
            t.root,
            member,
            value_of(member),
            StateProof(
                (*t.prove(member).siblings, EMPTY_HASH), ProofLeaf(member, value_of(member))
            ),
        )
    with pytest.raises(StateProofError, match="at most 256"):
        verify_state_proof(t.root, member, None, StateProof((b"\x01" * 32,) * 257, None))
    with pytest.raises(StateProofError, match="key must be"):
        verify_state_proof(t.root, b"short", None, t.prove(member))
    with pytest.raises(StateProofError, match="sibling 0"):
        verify_state_proof(t.root, member, None, StateProof((b"short",), None))
    with pytest.raises(StateProofError, match="StateProof"):
        verify_state_proof(t.root, member, None, "proof")  # type: ignore[arg-type]


def test_malformed_encodings_are_rejected() -> None:
    good = StateTree()
    good.update({bytes(32): value_of(b"a"), b"\x80" + bytes(31): value_of(b"b")})
    proof = good.prove(bytes(32))
    js = proof.to_json()
    bad_json: list[object] = [
        None,
        [],
        {},
        {"siblings": []},
        {**js, "extra": 1},
        {**js, "siblings": "x"},
        {**js, "siblings": [1]},
        {**js, "siblings": ["AAAA"]},
        {**js, "siblings": ["not base64!"]},
        {**js, "siblings": [None] * 257},
        {**js, "siblings": [js["siblings"][0] + "="]},
        {**js, "leaf": {"key": js["leaf"]["key"]}},
        {**js, "leaf": "x"},
        {**js, "siblings": [base64.b64encode(EMPTY_HASH).decode()]},
    ]
    for obj in bad_json:
        with pytest.raises(StateProofError):
            StateProof.from_json(obj)
    raw = proof.to_bytes()
    for data in (
        b"",
        b"\x02" + raw[1:],
        raw[:-1],
        raw + b"\x00",
        b"\x00\x01\x01" + bytes(32),
        b"\x00\x01\x01",
        b"\x00\x01\x01\x00\x00",
        b"\x00\x01\x00",
    ):
        with pytest.raises(StateProofError):
            StateProof.from_bytes(data)
    # More than 256 siblings.
    with pytest.raises(StateProofError, match="at most 256"):
        StateProof.from_bytes(b"\x00\x01\x01" + bytes(33))


def test_large_tree_every_key_and_shape() -> None:
    keys = hashed_keys(2024, 4000)
    state = {k: value_of(k) for k in keys}
    store = MemoryNodeStore()
    t = StateTree(store)
    for i in range(0, len(keys), 500):
        t.update({k: state[k] for k in keys[i : i + 500]})
    assert t.root == ref_root(state)
    check_all(t, state, hashed_keys(2025, 500))
    # Shortcut leaves: n leaves, about 1.44 n internal nodes, depth about log2 n.
    fresh = build(state)
    assert isinstance(fresh.store, MemoryNodeStore)
    leaves = sum(1 for enc in fresh.store.nodes.values() if enc[0] == 0)
    internal = len(fresh.store.nodes) - leaves
    assert leaves == len(state)
    assert len(state) - 1 <= internal <= 1.6 * len(state)
    depths = [len(t.prove(k).siblings) for k in keys]
    assert sum(depths) / len(depths) < 12 + 3  # log2(4000) ~ 12
    assert max(depths) < 40
    doomed = keys[::3]
    t.update(dict.fromkeys(doomed))
    rest = {k: v for k, v in state.items() if k not in set(doomed)}
    assert t.root == ref_root(rest)
    check_all(t, rest, doomed)
