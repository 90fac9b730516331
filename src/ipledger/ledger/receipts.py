"""Receipts: an entry with its inclusion proof and a signed checkpoint, checkable offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ipledger.codec import EncodingError, b64_decode, b64_encode, canonicalize
from ipledger.identity import NoteError, NoteVerifier, open_note
from ipledger.ledger.errors import Rejection, VerificationError
from ipledger.ledger.validation import verify_entry_signatures
from ipledger.log import Checkpoint, CheckpointError, ProofError, leaf_hash, verify_inclusion

RECEIPT_FORMAT = "ipledger-receipt/1"


class ReceiptError(VerificationError):
    """A receipt failed verification; ``step`` names the check that failed."""


@dataclass(frozen=True)
class VerifiedReceipt:
    entry: dict[str, Any]
    index: int
    checkpoint: Checkpoint


def make_receipt(
    entry: bytes, entry_obj: Mapping[str, Any], index: int, proof: Sequence[bytes],
    tree_size: int, checkpoint_note: str,
) -> dict[str, Any]:
    del entry  # the receipt carries the object; its JCS is the entry's exact bytes
    return {
        "format": RECEIPT_FORMAT,
        "entry": dict(entry_obj),
        "index": index,
        "tree_size": tree_size,
        "inclusion_proof": [b64_encode(h) for h in proof],
        "checkpoint": checkpoint_note,
    }


def _field(receipt: Mapping[str, Any], name: str, kind: type) -> Any:
    value = receipt.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ReceiptError("format", f"'{name}' missing or not a {kind.__name__}")
    return value


def verify_receipt(
    receipt: Mapping[str, Any], verifiers: Sequence[NoteVerifier]
) -> VerifiedReceipt:
    """Check a receipt end to end; raise :class:`ReceiptError` at the first failing step."""
    if receipt.get("format") != RECEIPT_FORMAT:
        raise ReceiptError("format", f"not an {RECEIPT_FORMAT} document")
    entry = _field(receipt, "entry", dict)
    index = _field(receipt, "index", int)
    tree_size = _field(receipt, "tree_size", int)
    proof_b64 = _field(receipt, "inclusion_proof", list)
    note = _field(receipt, "checkpoint", str)

    try:
        opened = open_note(note, verifiers)
    except NoteError as exc:
        raise ReceiptError("checkpoint-signature", str(exc)) from None
    try:
        checkpoint = Checkpoint.parse(opened.text)
    except CheckpointError as exc:
        raise ReceiptError("checkpoint-format", str(exc)) from None
    if checkpoint.tree_size != tree_size:
        raise ReceiptError(
            "checkpoint-size",
            f"checkpoint is for size {checkpoint.tree_size}, receipt says {tree_size}",
        )
    if entry.get("ledger") != checkpoint.origin:
        raise ReceiptError(
            "ledger-binding",
            f"entry is for ledger {entry.get('ledger')!r}, checkpoint for {checkpoint.origin!r}",
        )
    seq = entry.get("seq")
    if not isinstance(seq, dict) or seq.get("index") != index:
        raise ReceiptError("entry-index", f"entry's seq.index does not say {index}")
    try:
        proof = [b64_decode(h) for h in proof_b64]
        verify_inclusion(leaf_hash(canonicalize(entry)), index, tree_size, proof,
                         checkpoint.root_hash)
    except (EncodingError, TypeError, ValueError) as exc:
        step = "inclusion-proof" if isinstance(exc, ProofError) else "format"
        raise ReceiptError(step, str(exc)) from None
    try:
        verify_entry_signatures(entry)
    except Rejection as exc:
        raise ReceiptError("entry-signature", f"{exc.pointer}: {exc.detail}") from None
    return VerifiedReceipt(entry=entry, index=index, checkpoint=checkpoint)
