"""Sparse Merkle tree over 256-bit keys: the register's versioned state root.

The register (parties, rights, licences, ...) is a map ``record id -> record``. It is committed by
the root of a sparse Merkle tree so that a light client, given a trusted root (from a signed
checkpoint), can check offline both "record R has value V" and "record R does not exist".

The design follows the Diem/Aptos Jellyfish Merkle Tree: a binary sparse Merkle tree of depth 256
in which every subtree holding exactly one key is replaced by that key's leaf ("shortcut" leaves)
and every subtree holding no key by a constant. A tree with n random keys thus has n leaves,
about 1.44 n internal nodes and depth about log2 n, and its proofs are plain sibling lists.

Specification (version 1; ``H`` is SHA-256, ``||`` concatenation, all sizes in bytes)
-------------------------------------------------------------------------------------

Keys and values::

    key        = H(UTF-8 bytes of the record id)                      32 bytes
    value_hash = H(canonical bytes of the record)                     32 bytes (given by the caller)

Bit ``i`` of a key (0 <= i < 256) is bit ``7 - i % 8`` of byte ``i // 8``: bit 0 is the most
significant bit of the first byte. At depth ``i``, bit ``i`` = 0 goes left, 1 goes right.

Hashes (the tags are ASCII, 20 bytes, no terminator; every hashed input has a fixed length)::

    EMPTY              = H("ipledger/smt/v1/empty")                   the empty subtree
    leaf_hash(k, v)    = H("ipledger/smt/v1/leaf" || k || v)          84-byte input
    node_hash(l, r)    = H("ipledger/smt/v1/node" || l || r)          84-byte input

    EMPTY = d978c5a890d6d7ce7582705e90092e905f145a84b733ac732bc7988e5f6d3b53

The hash ``T(S, d)`` of a set ``S`` of (key, value_hash) pairs whose keys share their first
``d`` bits is::

    T(S, d) = EMPTY                                  if S is empty
            = leaf_hash(k, v)                        if S = {(k, v)}
            = node_hash(T(S0, d + 1), T(S1, d + 1))  otherwise, S_b = pairs whose key has bit d = b

and the state root is ``T(S, 0)`` over the whole register; the empty register has root ``EMPTY``.
Note that an internal node may have one EMPTY child (when all its keys share the next bit) but
never an EMPTY child next to a leaf: a lone key is always lifted to the highest possible place.

Proofs. A proof for key ``K`` against root ``R`` is a list ``siblings[0..m-1]`` (m <= 256) and an
optional ``leaf = (K', V')``. Starting from the terminal hash ``h`` (``leaf_hash(K', V')`` if a
leaf is given, else ``EMPTY``), for ``i = m-1`` down to ``0``: ``h = node_hash(h, siblings[i])``
if bit ``i`` of ``K`` is 0, else ``node_hash(siblings[i], h)``. The proof holds iff ``h == R`` and:

- membership of (K, V): ``leaf`` is given and ``K' == K`` and ``V' == V``;
- absence of K: either no ``leaf`` (the path ends in an empty subtree), or ``K' != K`` and ``K'``
  has the same first ``m`` bits as ``K`` (the lone key of the subtree where ``K`` would be);
- always: if ``m > 0`` then ``siblings[m-1] != EMPTY`` (an honest tree has no such node).

Encodings. A proof as bytes: ``flags`` (1 byte: 0 = no leaf, 1 = leaf), ``m`` (uint16 big-endian),
a bitmap of ``ceil(m / 8)`` bytes (bit i, MSB first, set iff ``siblings[i] != EMPTY``; padding
bits zero), the non-EMPTY siblings (32 bytes each, in order), then ``K' || V'`` if flags = 1.
As JSON: ``{"siblings": [<base64 or null for EMPTY>, ...], "leaf": null | {"key": <base64>,
"value_hash": <base64>}}`` (standard, padded base64).

Storage (not hashed: roots and proofs do not depend on it). Nodes are immutable; versions share
structure (copy-on-write paths). The store maps a node's *reference* to its encoding. A node
written by the update of version ``v`` is referenced as ``uint64_be(v) || hash`` (40 bytes), so
the nodes of one update are neighbours in an ordered store (as Jellyfish keys nodes by version)
instead of being spread over it by their random hashes. A root is stored under its bare hash
(32 bytes), since readers start from a root hash; so is every node of stores written before
version references existed. Node encodings:

- leaf: ``0x00 || key || value_hash`` (65 bytes);
- internal: ``0x80 | left_ref40 << 6 | right_ref40 << 5 | (left_kind << 2) | right_kind`` then
  the references of the non-empty children in order, each 40 bytes if its ``ref40`` bit is set,
  else 32 (a bare hash); kind 0 = empty, 1 = leaf, 2 = internal.

Each ``update`` records ``version -> root``; old roots stay provable until the store drops them.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ipledger.codec.encoding import EncodingError, b64_decode, b64_encode

__all__ = [
    "EMPTY_HASH",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "KEY_BITS",
    "MemoryNodeStore",
    "NodeStore",
    "ProofLeaf",
    "StateProof",
    "StateProofError",
    "StateTree",
    "leaf_hash",
    "node_hash",
    "record_key",
    "record_value_hash",
    "verify_state_proof",
]

HASH_SIZE = 32
"""Size in bytes of keys, value hashes and node hashes."""
KEY_BITS = 256
"""Number of bits in a key: the maximum depth of the tree."""

_sha256 = hashlib.sha256
_LEAF_TAG = b"ipledger/smt/v1/leaf"
_NODE_TAG = b"ipledger/smt/v1/node"

EMPTY_HASH: bytes = _sha256(b"ipledger/smt/v1/empty").digest()
"""The hash of an empty subtree."""
EMPTY_ROOT: bytes = EMPTY_HASH
"""The root of the empty register."""

# Node kinds, as stored in internal-node encodings.
_EMPTY, _LEAF, _NODE = 0, 1, 2
_LEAF_ENC = 0x00
_NODE_ENC = 0x80
_LEFT_REF40, _RIGHT_REF40 = 0x40, 0x20  # the child's reference carries a version
_VERSIONED_REF = 8 + 32
_SHIFT = KEY_BITS - 1


def record_key(record_id: str) -> bytes:
    """Return the tree key of a record: SHA-256 of its id's UTF-8 bytes."""
    return _sha256(record_id.encode("utf-8")).digest()


def record_value_hash(canonical: bytes) -> bytes:
    """Return the value hash of a record: SHA-256 of its canonical bytes."""
    return _sha256(canonical).digest()


def leaf_hash(key: bytes, value_hash: bytes) -> bytes:
    """Return H("ipledger/smt/v1/leaf" || key || value_hash)."""
    return _sha256(_LEAF_TAG + key + value_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return H("ipledger/smt/v1/node" || left || right)."""
    return _sha256(_NODE_TAG + left + right).digest()


class StateProofError(ValueError):
    """A state proof is malformed or does not prove the claim."""


class NodeStore(Protocol):
    """Where a state tree keeps its nodes (by reference) and its roots (by version).

    Node writes are idempotent (a reference names one content). ``StateTree.update`` writes the
    nodes first, then the root, so a backend running both in one transaction gets an atomic
    update.
    """

    def get_node(self, node_hash: bytes) -> bytes | None:
        """Return the encoding of the node with this reference (a hash, or a version and a
        hash: see the module's "Storage"), or None."""
        ...

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        """Store nodes (reference -> encoding)."""
        ...

    def get_root(self, version: int) -> bytes | None:
        """Return the root recorded for ``version``, or None."""
        ...

    def put_root(self, version: int, root: bytes) -> None:
        """Record the root of ``version`` (greater than every version recorded before)."""
        ...

    def latest_version(self) -> int | None:
        """Return the greatest version recorded, or None if none is."""
        ...


class MemoryNodeStore:
    """A ``NodeStore`` in process memory."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}
        self.roots: dict[int, bytes] = {}
        self._latest: int | None = None

    def get_node(self, node_hash: bytes) -> bytes | None:
        """Return the encoding of the node with this hash, or None."""
        return self.nodes.get(node_hash)

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        """Store nodes (hash -> encoding)."""
        self.nodes.update(nodes)

    def get_root(self, version: int) -> bytes | None:
        """Return the root recorded for ``version``, or None."""
        return self.roots.get(version)

    def put_root(self, version: int, root: bytes) -> None:
        """Record the root of ``version``."""
        self.roots[version] = root
        if self._latest is None or version > self._latest:
            self._latest = version

    def latest_version(self) -> int | None:
        """Return the greatest version recorded, or None if none is."""
        return self._latest


@dataclass(frozen=True)
class ProofLeaf:
    """The leaf a proof path ends at: the queried key's own, or the lone other key there."""

    key: bytes
    value_hash: bytes


@dataclass(frozen=True)
class StateProof:
    """Proof that a key has a value, or no value, under some root (see the module spec).

    ``siblings[i]`` is the hash of the sibling, at depth ``i + 1``, of the key's path
    (``EMPTY_HASH`` for an empty subtree), from the root down.
    """

    siblings: tuple[bytes, ...]
    leaf: ProofLeaf | None

    def value_hash_for(self, key: bytes) -> bytes | None:
        """Return the value hash this proof claims for ``key`` (None = absent); unverified."""
        if self.leaf is not None and self.leaf.key == key:
            return self.leaf.value_hash
        return None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form: base64 hashes, null for EMPTY siblings and no leaf."""
        leaf = None
        if self.leaf is not None:
            leaf = {
                "key": b64_encode(self.leaf.key),
                "value_hash": b64_encode(self.leaf.value_hash),
            }
        return {
            "siblings": [None if s == EMPTY_HASH else b64_encode(s) for s in self.siblings],
            "leaf": leaf,
        }

    @classmethod
    def from_json(cls, obj: object) -> StateProof:
        """Parse the JSON form strictly; raise StateProofError if it is malformed."""
        if not isinstance(obj, dict) or set(obj) != {"siblings", "leaf"}:
            raise StateProofError('proof must be an object with exactly "siblings" and "leaf"')
        raw = obj["siblings"]
        if not isinstance(raw, list) or len(raw) > KEY_BITS:
            raise StateProofError(f"siblings must be a list of at most {KEY_BITS} items")
        siblings = tuple(
            EMPTY_HASH if s is None else _b64_hash(s, f"siblings[{i}]") for i, s in enumerate(raw)
        )
        leaf_obj = obj["leaf"]
        leaf = None
        if leaf_obj is not None:
            if not isinstance(leaf_obj, dict) or set(leaf_obj) != {"key", "value_hash"}:
                raise StateProofError('leaf must be null or {"key", "value_hash"}')
            leaf = ProofLeaf(
                _b64_hash(leaf_obj["key"], "leaf.key"),
                _b64_hash(leaf_obj["value_hash"], "leaf.value_hash"),
            )
        return cls(siblings, leaf)

    def to_bytes(self) -> bytes:
        """Return the compact binary form (see the module spec)."""
        m = len(self.siblings)
        bitmap = 0
        present = []
        for i, s in enumerate(self.siblings):
            if s != EMPTY_HASH:
                bitmap |= 1 << (8 * ((m + 7) // 8) - 1 - i)
                present.append(s)
        out = bytearray([1 if self.leaf is not None else 0])
        out += m.to_bytes(2, "big")
        out += bitmap.to_bytes((m + 7) // 8, "big")
        out += b"".join(present)
        if self.leaf is not None:
            out += self.leaf.key + self.leaf.value_hash
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> StateProof:
        """Parse the binary form strictly; raise StateProofError if it is malformed."""
        if len(data) < 3 or data[0] > 1:
            raise StateProofError("proof bytes: bad header")
        m = int.from_bytes(data[1:3], "big")
        if m > KEY_BITS:
            raise StateProofError(f"proof bytes: {m} siblings, at most {KEY_BITS} allowed")
        nbytes = (m + 7) // 8
        bitmap = int.from_bytes(data[3 : 3 + nbytes], "big")
        pad = 8 * nbytes - m
        if bitmap & ((1 << pad) - 1):
            raise StateProofError("proof bytes: non-zero padding bits in the sibling bitmap")
        count = bitmap.bit_count()
        expected = 3 + nbytes + HASH_SIZE * count + (2 * HASH_SIZE if data[0] else 0)
        if len(data) != expected:
            raise StateProofError(f"proof bytes: length {len(data)}, expected {expected}")
        pos = 3 + nbytes
        siblings = []
        for i in range(m):
            if bitmap >> (8 * nbytes - 1 - i) & 1:
                siblings.append(data[pos : pos + HASH_SIZE])
                pos += HASH_SIZE
            else:
                siblings.append(EMPTY_HASH)
        leaf = None
        if data[0]:
            leaf = ProofLeaf(data[pos : pos + HASH_SIZE], data[pos + HASH_SIZE :])
        return cls(tuple(siblings), leaf)


def _b64_hash(value: object, where: str) -> bytes:
    """Decode one base64 hash of a JSON proof."""
    if not isinstance(value, str):
        raise StateProofError(f"{where} must be a base64 string")
    try:
        raw = b64_decode(value)
    except EncodingError as exc:
        raise StateProofError(f"{where}: {exc}") from None
    if len(raw) != HASH_SIZE:
        raise StateProofError(f"{where} must be {HASH_SIZE} bytes, not {len(raw)}")
    if where.startswith("siblings") and raw == EMPTY_HASH:
        raise StateProofError(f"{where}: the empty hash must be written as null")
    return raw


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_state_proof(
    root: bytes, key: bytes, value_hash: bytes | None, proof: StateProof
) -> None:
    """Check that under ``root``, ``key`` maps to ``value_hash`` (None: is absent).

    Everything is recomputed from ``key``, ``value_hash`` and the proof's hashes; raise
    StateProofError saying what failed, return None if the proof holds.
    """
    if not _is_hash(root):
        raise StateProofError(f"root must be {HASH_SIZE} bytes")
    if not _is_hash(key):
        raise StateProofError(f"key must be {HASH_SIZE} bytes")
    if value_hash is not None and not _is_hash(value_hash):
        raise StateProofError(f"value hash must be {HASH_SIZE} bytes or None")
    if not isinstance(proof, StateProof) or not isinstance(proof.siblings, tuple):
        raise StateProofError("proof must be a StateProof with a tuple of siblings")
    siblings = proof.siblings
    m = len(siblings)
    if m > KEY_BITS:
        raise StateProofError(f"proof has {m} siblings, at most {KEY_BITS} allowed")
    for i, s in enumerate(siblings):
        if not _is_hash(s):
            raise StateProofError(f"sibling {i} is not a {HASH_SIZE}-byte hash")
    if m and siblings[-1] == EMPTY_HASH:
        raise StateProofError("proof is not minimal: its last sibling is an empty subtree")
    leaf = proof.leaf
    if leaf is not None and not (
        isinstance(leaf, ProofLeaf) and _is_hash(leaf.key) and _is_hash(leaf.value_hash)
    ):
        raise StateProofError("proof leaf must hold a 32-byte key and a 32-byte value hash")
    k = int.from_bytes(key, "big")
    if value_hash is not None:
        if leaf is None:
            raise StateProofError("proof shows the key is absent (empty subtree), not present")
        if leaf.key != key:
            raise StateProofError("proof shows the key is absent (another key's leaf), not present")
        if leaf.value_hash != value_hash:
            raise StateProofError("proof is for a different value hash of this key")
        h = leaf_hash(key, value_hash)
    elif leaf is None:
        h = EMPTY_HASH
    else:
        if leaf.key == key:
            raise StateProofError("proof shows the key is present, not absent")
        other = int.from_bytes(leaf.key, "big")
        if m and (k ^ other) >> (KEY_BITS - m):
            raise StateProofError(
                f"proof leaf's key does not share the first {m} bits of the key's path"
            )
        h = leaf_hash(leaf.key, leaf.value_hash)
    for i in range(m - 1, -1, -1):
        s = siblings[i]
        h = node_hash(s, h) if k >> (_SHIFT - i) & 1 else node_hash(h, s)
    if h != root:
        raise StateProofError("proof does not lead to the root")


def _check_hash(value: object, what: str) -> None:
    if not _is_hash(value):
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


class StateTree:
    """A versioned sparse Merkle tree over a ``NodeStore`` (see the module spec).

    The tree keeps no state of its own: it reads the latest version and its root from the store,
    so a new ``StateTree`` over an existing store continues where the last one stopped.
    """

    def __init__(self, store: NodeStore | None = None) -> None:
        self.store: NodeStore = store if store is not None else MemoryNodeStore()

    # ----- versions and roots

    @property
    def version(self) -> int | None:
        """The latest version, or None before the first update."""
        return self.store.latest_version()

    @property
    def root(self) -> bytes:
        """The root of the latest version (``EMPTY_ROOT`` before the first update)."""
        version = self.store.latest_version()
        return EMPTY_ROOT if version is None else self.root_at(version)

    def root_at(self, version: int) -> bytes:
        """Return the root of ``version``; raise KeyError if it was never recorded."""
        root = self.store.get_root(version)
        if root is None:
            raise KeyError(f"no state tree version {version}")
        return root

    def _root_for(self, version: int | None) -> bytes:
        return self.root if version is None else self.root_at(version)

    # ----- reads

    def _load(self, h: bytes) -> bytes:
        enc = self.store.get_node(h)
        if enc is None:
            raise LookupError(f"state tree node {h.hex()} is missing from the store")
        return enc

    def _kind(self, h: bytes) -> int:
        if h == EMPTY_HASH:
            return _EMPTY
        return _LEAF if self._load(h)[0] == _LEAF_ENC else _NODE

    def _walk(self, key: bytes, version: int | None) -> tuple[list[bytes], bytes | None]:
        """Return the siblings along ``key``'s path and the terminal leaf encoding (or None)."""
        _check_hash(key, "key")
        h = self._root_for(version)
        siblings: list[bytes] = []
        k = int.from_bytes(key, "big")
        depth = 0
        while h != EMPTY_HASH:
            enc = self._load(h)
            tag = enc[0]
            if tag == _LEAF_ENC:
                return siblings, enc
            left, right = _children(enc)
            if k >> (_SHIFT - depth) & 1:
                siblings.append(left[-HASH_SIZE:])
                h = right
            else:
                siblings.append(right[-HASH_SIZE:])
                h = left
            depth += 1
        return siblings, None

    def get(self, key: bytes, version: int | None = None) -> bytes | None:
        """Return the value hash of ``key`` (latest or given version), None if absent."""
        _, enc = self._walk(key, version)
        if enc is not None and enc[1:33] == key:
            return enc[33:]
        return None

    def prove(self, key: bytes, version: int | None = None) -> StateProof:
        """Return a proof of ``key``'s value hash, or of its absence, at a version."""
        siblings, enc = self._walk(key, version)
        leaf = None if enc is None else ProofLeaf(enc[1:33], enc[33:])
        return StateProof(tuple(siblings), leaf)

    def items(self, version: int | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Yield every (key, value_hash) of a version, in key order."""
        stack = [self._root_for(version)]
        while stack:
            h = stack.pop()
            if h == EMPTY_HASH:
                continue
            enc = self._load(h)
            if enc[0] == _LEAF_ENC:
                yield enc[1:33], enc[33:]
            else:
                left, right = _children(enc)
                stack.append(right)
                stack.append(left)

    # ----- writes

    def update(self, changes: Mapping[bytes, bytes | None], version: int | None = None) -> bytes:
        """Apply a batch of sets (value hash) and deletes (None) as a new version.

        ``version`` must be an int greater than the latest one (default: latest + 1, or 0).
        Returns the new root. Invalid input raises ValueError and changes nothing.
        """
        latest = self.store.latest_version()
        if version is None:
            version = 0 if latest is None else latest + 1
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 1 << 64:
            raise ValueError("version must be a non-negative int (64 bits)")
        if latest is not None and version <= latest:
            raise ValueError(f"version {version} is not greater than the latest, {latest}")
        for key, value in changes.items():
            _check_hash(key, "key")
            if value is not None:
                _check_hash(value, "value hash")
        old_root = EMPTY_ROOT if latest is None else self.root_at(latest)
        batch = _Batch(self.store, changes, version)
        new_ref, _ = batch.apply(old_root, self._kind(old_root), 0, 0, len(batch.keys))
        new_root = new_ref[-HASH_SIZE:]
        if new_ref != new_root:  # readers find a root by its bare hash
            enc = batch.new_nodes.pop(new_ref, None) or self._load(new_ref)
            batch.new_nodes[new_root] = enc
        if batch.new_nodes:
            self.store.put_nodes(batch.new_nodes)
        self.store.put_root(version, new_root)
        return new_root


def _children(enc: bytes) -> tuple[bytes, bytes]:
    """Return the (left, right) references of an internal node encoding (``EMPTY_HASH`` for
    an empty child); a reference's last 32 bytes are the child's hash."""
    tag = enc[0]
    left, end = EMPTY_HASH, 1
    if tag & 0x0C:
        end = 1 + (_VERSIONED_REF if tag & _LEFT_REF40 else HASH_SIZE)
        left = enc[1:end]
    if tag & 0x03:
        return left, enc[end : end + (_VERSIONED_REF if tag & _RIGHT_REF40 else HASH_SIZE)]
    return left, EMPTY_HASH


class _Batch:
    """One copy-on-write update: sorted changes, and the nodes it creates (by reference)."""

    def __init__(self, store: NodeStore, changes: Mapping[bytes, bytes | None],
                 version: int) -> None:
        self.store = store
        self.prefix = version.to_bytes(8, "big")
        self.keys = sorted(changes)
        self.ints = [int.from_bytes(k, "big") for k in self.keys]
        self.values = [changes[k] for k in self.keys]
        self.has_deletes = any(v is None for v in self.values)
        self.new_nodes: dict[bytes, bytes] = {}
        self.kept: dict[bytes, tuple[bytes, bytes]] = {}  # key -> (value, ref): leaves moved down

    def apply(self, h: bytes, kind: int, depth: int, lo: int, hi: int) -> tuple[bytes, int]:
        """Apply changes ``lo:hi`` (keys sharing ``depth`` bits) to subtree ``h``."""
        if lo == hi:
            return h, kind
        if kind == _EMPTY:
            if not self.has_deletes:
                return self.build(self.ints, self.keys, self.values, depth, lo, hi)
            return self.build_from(
                [(self.ints[i], self.keys[i], self.values[i]) for i in range(lo, hi)], depth
            )
        enc = self.store.get_node(h)
        if enc is None:
            raise LookupError(f"state tree node {h.hex()} is missing from the store")
        if kind == _LEAF:
            key = enc[1:33]
            if hi - lo == 1 and self.keys[lo] == key:  # the common case: this leaf changes
                value = self.values[lo]
                if value is None:
                    return EMPTY_HASH, _EMPTY
                return self.build([0], [key], [value], depth, 0, 1)
            k = int.from_bytes(key, "big")
            entries = [(self.ints[i], self.keys[i], self.values[i]) for i in range(lo, hi)]
            i = bisect_left(self.ints, k, lo, hi)
            if i == hi or self.ints[i] != k:
                entries.insert(i - lo, (k, key, enc[33:]))
                self.kept[key] = (enc[33:], h)  # the same leaf: keep its stored node
            return self.build_from(entries, depth)
        tag = enc[0]
        left, right = _children(enc)
        lkind, rkind = tag >> 2 & 3, tag & 3
        ints = self.ints
        shift = _SHIFT - depth
        mid = bisect_left(ints, (ints[lo] >> shift | 1) << shift, lo, hi)
        # Only descend into children that have changes.
        nl, nlk = self.apply(left, lkind, depth + 1, lo, mid) if mid > lo else (left, lkind)
        nr, nrk = self.apply(right, rkind, depth + 1, mid, hi) if mid < hi else (right, rkind)
        if nl == left and nr == right:
            return h, _NODE
        return self.join(nl, nlk, nr, nrk)

    @staticmethod
    def split(ints: list[int], depth: int, lo: int, hi: int) -> int:
        """Return the first index in ``lo:hi`` whose key has bit ``depth`` set."""
        shift = _SHIFT - depth
        pivot = (ints[lo] >> shift | 1) << shift
        return bisect_left(ints, pivot, lo, hi)

    def build_from(
        self, entries: list[tuple[int, bytes, bytes | None]], depth: int
    ) -> tuple[bytes, int]:
        """Build a subtree from sorted entries, dropping deletes."""
        kept = [e for e in entries if e[2] is not None]
        ints = [e[0] for e in kept]
        keys = [e[1] for e in kept]
        values = [e[2] for e in kept]
        return self.build(ints, keys, values, depth, 0, len(kept))

    def build(
        self,
        ints: list[int],
        keys: list[bytes],
        values: list[bytes | None],
        depth: int,
        lo: int,
        hi: int,
    ) -> tuple[bytes, int]:
        """Build the subtree of entries ``lo:hi`` (no deletes) at ``depth``."""
        n = hi - lo
        if n == 0:
            return EMPTY_HASH, _EMPTY
        if n == 1:
            key, value = keys[lo], values[lo]
            assert value is not None
            kept = self.kept.get(key)
            if kept is not None and kept[0] == value:
                return kept[1], _LEAF
            ref = self.prefix + _sha256(_LEAF_TAG + key + value).digest()
            self.new_nodes[ref] = b"\x00" + key + value
            return ref, _LEAF
        mid = self.split(ints, depth, lo, hi)
        nl, nlk = self.build(ints, keys, values, depth + 1, lo, mid)
        nr, nrk = self.build(ints, keys, values, depth + 1, mid, hi)
        return self.join(nl, nlk, nr, nrk)

    def join(self, left: bytes, lkind: int, right: bytes, rkind: int) -> tuple[bytes, int]:
        """Return the subtree with these two children, lifting a lone leaf."""
        if lkind == _EMPTY and rkind != _NODE:
            return right, rkind
        if rkind == _EMPTY and lkind != _NODE:
            return left, lkind
        tag = (_NODE_ENC | lkind << 2 | rkind
               | (_LEFT_REF40 if len(left) == _VERSIONED_REF else 0)
               | (_RIGHT_REF40 if len(right) == _VERSIONED_REF else 0))
        enc = bytes([tag]) + (b"" if lkind == _EMPTY else left) + (
            b"" if rkind == _EMPTY else right)
        ref = self.prefix + _sha256(_NODE_TAG + left[-HASH_SIZE:] + right[-HASH_SIZE:]).digest()
        self.new_nodes[ref] = enc
        return ref, _NODE
