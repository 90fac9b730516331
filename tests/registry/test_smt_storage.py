"""How the state tree stores its nodes: version references, roots by hash, older stores."""

from __future__ import annotations

import random
from collections.abc import Mapping

from ipledger.registry.smt import (
    EMPTY_HASH,
    MemoryNodeStore,
    StateTree,
    leaf_hash,
    node_hash,
    verify_state_proof,
)
from tests.registry.test_smt import hashed_keys, ref_root, value_of


def _bit(key: bytes, i: int) -> int:
    return key[i // 8] >> (7 - i % 8) & 1


def legacy_nodes(nodes: dict[bytes, bytes], state: Mapping[bytes, bytes],
                 depth: int = 0) -> tuple[bytes, int]:
    """Store ``state``'s subtree as stores did before version references: every node under
    its bare hash, children named by their hashes. Returns (hash, kind)."""
    if not state:
        return EMPTY_HASH, 0
    if len(state) == 1:
        ((k, v),) = state.items()
        nodes[leaf_hash(k, v)] = b"\x00" + k + v
        return leaf_hash(k, v), 1
    left, lk = legacy_nodes(nodes, {k: v for k, v in state.items() if not _bit(k, depth)},
                            depth + 1)
    right, rk = legacy_nodes(nodes, {k: v for k, v in state.items() if _bit(k, depth)},
                             depth + 1)
    enc = bytes([0x80 | lk << 2 | rk]) + (left if lk else b"") + (right if rk else b"")
    nodes[node_hash(left, right)] = enc
    return node_hash(left, right), 2


def check(tree: StateTree, state: Mapping[bytes, bytes], absent: list[bytes],
          version: int) -> None:
    root = tree.root_at(version)
    assert root == ref_root(state)
    for key in [*state, *absent]:
        value = state.get(key)
        assert tree.get(key, version) == value
        verify_state_proof(root, key, value, tree.prove(key, version))


def test_an_update_stores_its_nodes_under_its_version_and_the_root_under_its_hash() -> None:
    store = MemoryNodeStore()
    tree = StateTree(store)
    keys = hashed_keys(7, 300)
    tree.update({k: value_of(k) for k in keys[:200]}, version=5)
    first = dict(store.nodes)
    tree.update({k: value_of(k, 1) for k in keys[150:300]}, version=9)
    new = {ref: enc for ref, enc in store.nodes.items() if ref not in first}
    roots = {tree.root_at(5), tree.root_at(9)}
    # Only the 150 changed keys get new leaves: a leaf moved down keeps its stored node.
    assert sum(1 for enc in new.values() if enc[0] == 0) == 150
    assert tree.root_at(9) in new
    assert {ref for ref in store.nodes if len(ref) == 32} == roots
    assert all(ref[:8] == (9).to_bytes(8, "big") for ref in new if ref not in roots)
    assert all(ref[:8] == (5).to_bytes(8, "big") for ref in first if ref not in roots)
    # The second version shares the first's untouched subtrees, named by version 5.
    shared = {enc[1:][i:i + 40] for enc in new.values() if enc[0] & 0x80
              for i in (0, 40)}
    assert any(ref[:8] == (5).to_bytes(8, "big") for ref in shared)
    state = {k: value_of(k) for k in keys[:150]} | {k: value_of(k, 1) for k in keys[150:]}
    check(tree, state, hashed_keys(8, 50), 9)
    check(tree, {k: value_of(k) for k in keys[:200]}, keys[200:], 5)


def test_a_lifted_leaf_that_becomes_the_root_is_stored_under_its_hash() -> None:
    store = MemoryNodeStore()
    tree = StateTree(store)
    a, b, c = hashed_keys(3, 3)
    tree.update({a: value_of(a), b: value_of(b), c: value_of(c)}, version=1)
    tree.update({b: None, c: None}, version=2)  # a's leaf (version 1) is now the root
    assert tree.root_at(2) == leaf_hash(a, value_of(a))
    assert store.nodes[tree.root_at(2)] == b"\x00" + a + value_of(a)
    check(tree, {a: value_of(a)}, [b, c], 2)
    tree.update({b: value_of(b)}, version=3)  # the root leaf becomes a child again
    check(tree, {a: value_of(a), b: value_of(b)}, [c], 3)


def test_a_store_written_before_version_references_is_read_and_extended() -> None:
    rng = random.Random(11)
    keys = hashed_keys(12, 400)
    old = {k: value_of(k) for k in keys[:300]}
    store = MemoryNodeStore()
    old_root, _ = legacy_nodes(store.nodes, old)
    store.put_root(0, old_root)
    tree = StateTree(store)
    check(tree, old, keys[300:], 0)
    changes: dict[bytes, bytes | None] = {k: value_of(k, 2) for k in rng.sample(keys, 120)}
    changes |= dict.fromkeys(rng.sample(keys[:300], 40))
    tree.update(changes, version=7)
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    new = {k: v for k, v in new.items() if changes.get(k, b"") is not None}
    check(tree, new, [k for k in keys if k not in new], 7)
    check(tree, old, keys[300:], 0)  # the old root stays provable
    # New nodes name untouched old subtrees by their bare hashes.
    tags = [enc[0] for ref, enc in store.nodes.items() if len(ref) == 40 and enc[0] & 0x80]
    bare_child = [(tag & 0x0C and not tag & 0x40) or (tag & 0x03 and not tag & 0x20)
                  for tag in tags]
    assert any(bare_child)
