"""Register extracts: a record, its state proof, its history's receipts, one signed checkpoint.

Everything in an extract is checked offline against the log's verifier key: the checkpoint
signature, the state root it commits to, the record's (non-)membership under that root, and
every history entry's inclusion in the same tree. Records the record relies on (the priority
deposits its priority claims reference) come along as ``related``, each with its state
proof under the same root, and the verifier checks each reference against them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import NoteError, NoteVerifier, open_note
from ipledger.ledger import Ledger, ReceiptError, verify_receipt
from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.ledger.errors import VerificationError
from ipledger.log import Checkpoint, CheckpointError
from ipledger.registry.records import lookup_key, priority_record
from ipledger.registry.smt import (
    StateProof,
    StateProofError,
    StateTree,
    record_key,
    record_value_hash,
    verify_state_proof,
)
from ipledger.storage.base import LedgerStore, StoredCheckpoint

EXTRACT_FORMAT = "ipledger-extract/1"
MAX_HISTORY = 200


class ExtractError(VerificationError):
    """An extract failed verification; ``step`` names the check."""


class _RootNodes:
    """A read-only node store pinned to one historical root."""

    def __init__(self, store: LedgerStore, root: bytes) -> None:
        self._store, self._root = store, root

    def get_node(self, node_hash: bytes) -> bytes | None:
        return self._store.read_state_node(node_hash)

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        raise TypeError("historical state is read-only")

    def get_root(self, version: int) -> bytes | None:
        return self._root if version == 0 else None

    def put_root(self, version: int, root: bytes) -> None:
        raise TypeError("historical state is read-only")

    def latest_version(self) -> int | None:
        return 0


def deposit_references(record: Mapping[str, Any] | None) -> dict[str, str]:
    """The priority deposits a right's claims reference: record id -> referenced SHA-256."""
    refs = (c["deposit"] for c in (record or {}).get("priority_claims", []) if "deposit" in c)
    return {priority_record(r["office"], r["number"]): r["sha256"] for r in refs}


def _proven_state(store: LedgerStore, tree: StateTree, record_id: str,
                  tree_size: int) -> dict[str, Any]:
    raw = store.read_record_at(record_id, tree_size)
    return {"record_id": record_id, "record": None if raw is None else parse_json(raw),
            "state_proof": tree.prove(record_key(record_id)).to_json()}


def make_extract(ledger: Ledger, record_id: str, checkpoint: StoredCheckpoint) -> dict[str, Any]:
    """The extract of ``record_id`` as of ``checkpoint`` (present or proven absent)."""
    store = ledger.store
    body = Checkpoint.parse(checkpoint.note.split("\n\n", 1)[0] + "\n")
    state_root = checkpoint_state_root(body)
    if state_root is None:
        raise ValueError("this checkpoint carries no state root")
    tree = StateTree(_RootNodes(store, state_root))
    main = _proven_state(store, tree, record_id, checkpoint.tree_size)
    history = [i for i in store.lookup_key(lookup_key(record_id)) if i < checkpoint.tree_size]
    doc = {
        "format": EXTRACT_FORMAT,
        **main,
        "tree_size": checkpoint.tree_size,
        "checkpoint": checkpoint.note,
        "history": ledger.receipts(history[-MAX_HISTORY:], checkpoint),
        "history_complete": len(history) <= MAX_HISTORY,
    }
    related = [_proven_state(store, tree, r, checkpoint.tree_size)
               for r in sorted(deposit_references(main["record"]))]
    if related:
        doc["related"] = related
    return doc


@dataclass(frozen=True)
class VerifiedExtract:
    record_id: str
    record: dict[str, Any] | None
    checkpoint: Checkpoint
    history: Sequence[dict[str, Any]]
    related: Mapping[str, dict[str, Any] | None]  # record id -> its proven value


def verify_extract(doc: Mapping[str, Any], verifiers: Sequence[NoteVerifier]) -> VerifiedExtract:
    """Check an extract end to end; raise :class:`ExtractError` at the first failing step."""
    if doc.get("format") != EXTRACT_FORMAT:
        raise ExtractError("format", f"not an {EXTRACT_FORMAT} document")
    record_id, record = doc.get("record_id"), doc.get("record")
    if not isinstance(record_id, str) or not (record is None or isinstance(record, dict)):
        raise ExtractError("format", "record_id must be a string and record an object or null")
    try:
        checkpoint = Checkpoint.parse(open_note(str(doc.get("checkpoint")), verifiers).text)
    except (NoteError, CheckpointError) as exc:
        raise ExtractError("checkpoint-signature", str(exc)) from None
    if checkpoint.tree_size != doc.get("tree_size"):
        raise ExtractError("checkpoint-size", "tree_size does not match the checkpoint")
    state_root = checkpoint_state_root(checkpoint)
    if state_root is None:
        raise ExtractError("state-root", "the checkpoint commits to no state root")
    _verify_state(state_root, record_id, record, doc.get("state_proof"), "state-proof")
    related = _verify_related(state_root, doc.get("related", []), deposit_references(record))
    history = doc.get("history", [])
    if not isinstance(history, list):
        raise ExtractError("format", "history must be a list")
    for i, receipt in enumerate(history):
        try:
            verified = verify_receipt(receipt, verifiers)
        except ReceiptError as exc:
            raise ExtractError("history", f"entry {i}: {exc}") from None
        if verified.checkpoint != checkpoint:
            raise ExtractError("history", f"entry {i} is proven against another checkpoint")
    return VerifiedExtract(record_id, record, checkpoint, history, related)


def _verify_state(state_root: bytes, record_id: str, record: Mapping[str, Any] | None,
                  proof_json: Any, step: str) -> None:
    value_hash = None if record is None else record_value_hash(canonicalize(record))
    try:
        proof = StateProof.from_json(proof_json)
        verify_state_proof(state_root, record_key(record_id), value_hash, proof)
    except (StateProofError, ValueError) as exc:
        raise ExtractError(step, f"{record_id}: {exc}" if step == "related" else str(exc)
                           ) from None


def _verify_related(state_root: bytes, items: Any,
                    deposits: Mapping[str, str]) -> dict[str, dict[str, Any] | None]:
    """Each related record proven under the same root; each referenced deposit among them,
    holding the SHA-256 the claim references."""
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("record_id"), str)
            and (i.get("record") is None or isinstance(i.get("record"), dict)) for i in items):
        raise ExtractError("format", "related must be a list of {record_id, record, "
                           "state_proof}")
    related: dict[str, dict[str, Any] | None] = {}
    for item in items:
        _verify_state(state_root, item["record_id"], item["record"], item.get("state_proof"),
                      "related")
        related[item["record_id"]] = item["record"]
    for record_id, sha256 in deposits.items():
        if record_id not in related:
            raise ExtractError("related", f"the referenced deposit {record_id} is not proven")
        deposit = related[record_id]
        if deposit is None or deposit.get("sha256") != sha256:
            raise ExtractError("related", f"the referenced deposit {record_id} does not hold "
                               f"the document {sha256}")
    return related
