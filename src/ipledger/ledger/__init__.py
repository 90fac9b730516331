"""Ledger layer: entry envelope, validation, sequencer, checkpoints, receipts."""

from ipledger.ledger.core import Ledger
from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.envelope import (
    MAX_ENTRY_BYTES,
    MAX_SUBMITTED_BYTES,
    make_envelope,
    signing_payload,
)
from ipledger.ledger.errors import PROBLEM_TITLES, Rejection
from ipledger.ledger.receipts import ReceiptError, VerifiedReceipt, verify_receipt
from ipledger.ledger.sequencer import ReplayWindow, Sequenced
from ipledger.ledger.timefmt import format_rfc3339_ms, parse_rfc3339_ms

__all__ = [
    "MAX_ENTRY_BYTES",
    "MAX_SUBMITTED_BYTES",
    "PROBLEM_TITLES",
    "EntryType",
    "Ledger",
    "ReceiptError",
    "Rejection",
    "ReplayWindow",
    "Sequenced",
    "VerifiedReceipt",
    "format_rfc3339_ms",
    "make_envelope",
    "parse_rfc3339_ms",
    "signing_payload",
    "verify_receipt",
]
