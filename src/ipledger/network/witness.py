"""The C2SP tlog-witness ``add-checkpoint`` logic (https://c2sp.org/tlog-witness), HTTP aside.

A node witnesses other offices' logs: for each configured origin it keeps the latest
checkpoint it cosigned, and cosigns a new one only if it is validly signed and
provably consistent with that one. Checking the old size and persisting the new
checkpoint happen atomically (a conditional update, retried if another request
won). Two checkpoints that cannot both be honest are refused and kept as evidence.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from ipledger.codec import EncodingError, b64_decode, b64_encode
from ipledger.identity import (
    CosignatureSigner,
    NoteError,
    NoteVerifier,
    note_signatures,
    open_note,
)
from ipledger.log import Checkpoint, CheckpointError, ProofError, verify_consistency
from ipledger.storage.witness import Evidence, WitnessedLog, WitnessStore

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "Witness",
    "WitnessRefusal",
    "parse_add_checkpoint",
]

MAX_PROOF_LINES = 63
SAME_SIZE = "same-size-different-root"
PROOF_FAILED = "consistency-proof-failed"
_ATTEMPTS = 8  # conditional-update retries under contention before answering 503


class WitnessRefusal(Exception):  # noqa: N818 - an answer, not a bug
    """Why add-checkpoint was refused: the HTTP status the spec prescribes and a reason.

    ``known_size`` is set on the 409 that must carry the witness's size as
    ``text/x.tlog.size``.
    """

    def __init__(self, status: int, rule: str, detail: str, known_size: int | None = None):
        super().__init__(detail)
        self.status = status
        self.rule = rule
        self.detail = detail
        self.known_size = known_size


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint request body."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str  # the signed checkpoint note, as sent
    text: str  # its body (origin, size, root, extensions)
    checkpoint: Checkpoint


def _bad(detail: str) -> WitnessRefusal:
    return WitnessRefusal(400, "malformed-request", detail)


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise _bad(f"{what} must be a decimal number without leading zeros")
    value = int(text)
    if value >= 1 << 64:
        raise _bad(f"{what} is above 2^64-1")
    return value


def _hash_line(line: str, i: int) -> bytes:
    try:
        raw = b64_decode(line)
    except EncodingError:
        raise _bad(f"consistency proof line {i + 1} is not base64") from None
    if len(raw) != 32 or b64_encode(raw) != line:
        raise _bad(f"consistency proof line {i + 1} is not one base64 SHA-256 hash")
    return raw


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse ``old <size>``, proof lines, an empty line and a signed checkpoint (or 400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _bad("no empty line between the old size and proof lines and the checkpoint")
    lines = head.split("\n")
    old, _, size_text = lines[0].partition(" ")
    if old != "old" or not size_text:
        raise _bad("the first line must be 'old <size>'")
    old_size = _decimal(size_text, "the old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _bad(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(_hash_line(line, i) for i, line in enumerate(lines[1:]))
    try:
        note_text, _ = note_signatures(note)
        checkpoint = Checkpoint.parse(note_text)
    except (NoteError, CheckpointError) as exc:
        raise _bad(f"the checkpoint: {exc}") from None
    return AddCheckpoint(old_size, proof, note, note_text, checkpoint)


class WitnessMetrics:
    """Counters of the witness, in the ledger's registry (served at ``/metrics``)."""

    def __init__(self, registry: CollectorRegistry | None, store: WitnessStore) -> None:
        r = registry or CollectorRegistry()
        self.cosigned = Counter(
            "ipledger_witness_cosigned", "Checkpoints of other logs this node cosigned as "
            "their witness", registry=r)
        self.refused = Counter(
            "ipledger_witness_refused", "add-checkpoint requests refused, by HTTP status",
            ["status"], registry=r)
        self.evidence = Counter(
            "ipledger_witness_evidence", "Inconsistent checkpoints refused and kept as "
            "evidence (GET /witness/evidence) by this process, by kind", ["kind"], registry=r)
        Gauge("ipledger_witness_evidence_kept", "Evidence records kept durably "
              "(GET /witness/evidence), across restarts", registry=r).set_function(
            store.evidence_count)


def rfc3339_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Witness:
    """Cosigns other logs' checkpoints under this node's cosigner key."""

    def __init__(self, store: WitnessStore, signer: CosignatureSigner,
                 registry: CollectorRegistry | None = None,
                 now: Callable[[], str] = rfc3339_now) -> None:
        self.store = store
        self.signer = signer
        self.metrics = WitnessMetrics(registry, store)
        self._now = now

    def add_checkpoint(self, body: bytes) -> str:
        """Check, persist and cosign; return the cosignature line(s) (or raise a refusal)."""
        try:
            return self._add_checkpoint(body)
        except WitnessRefusal as refusal:
            self.metrics.refused.labels(str(refusal.status)).inc()
            raise

    def _add_checkpoint(self, body: bytes) -> str:
        request = parse_add_checkpoint(body)
        checkpoint = request.checkpoint
        for _ in range(_ATTEMPTS):
            log = self.store.log(checkpoint.origin)
            if log is None:
                raise WitnessRefusal(404, "unknown-log",
                                     f"this witness does not witness {checkpoint.origin!r}")
            self._check_signature(log, request)
            if request.old_size > checkpoint.tree_size:
                raise _bad(f"old size {request.old_size} is above the checkpoint's size "
                           f"{checkpoint.tree_size}")
            if request.old_size == 0 and request.proof:
                raise _bad("the consistency proof must be empty when the old size is 0")
            self._check_consistency(log, request)
            if self.store.advance(log, checkpoint.tree_size, checkpoint.root_hash,
                                  request.note):
                self.metrics.cosigned.inc()
                return self.signer.sign(request.text).line()
            # Another request advanced this log between our read and our update: re-check.
        raise WitnessRefusal(503, "unavailable", "too many concurrent updates of this log; "
                             "retry")

    @staticmethod
    def _check_signature(log: WitnessedLog, request: AddCheckpoint) -> None:
        try:
            verifiers = [NoteVerifier.from_vkey(vkey) for vkey in log.vkeys]
            open_note(request.note, verifiers)
        except NoteError as exc:
            raise WitnessRefusal(403, "untrusted-checkpoint",
                                 f"no signature verifies against a key trusted for "
                                 f"{log.origin!r}: {exc}") from None

    def _check_consistency(self, log: WitnessedLog, request: AddCheckpoint) -> None:
        checkpoint = request.checkpoint
        if (log.note is not None and checkpoint.tree_size == log.size
                and checkpoint.root_hash != log.root):
            # Validly signed, same size, other root: a fork, whatever old size was claimed.
            self._keep(SAME_SIZE, log, request)
            raise WitnessRefusal(409, "inconsistent-checkpoint",
                                 f"the witness cosigned a different root at size {log.size}; "
                                 "the two checkpoints are kept as evidence")
        if request.old_size != log.size:
            raise WitnessRefusal(409, "old-size-mismatch",
                                 f"old size {request.old_size} is not the size this witness "
                                 f"last cosigned ({log.size})", known_size=log.size)
        if request.old_size == checkpoint.tree_size or request.old_size == 0:
            return  # same size: same root (checked above); from 0: nothing to prove
        assert log.root is not None
        try:
            verify_consistency(request.old_size, checkpoint.tree_size, log.root,
                               checkpoint.root_hash, request.proof)
        except ProofError as exc:
            self._keep(PROOF_FAILED, log, request)
            raise WitnessRefusal(422, "inconsistent-checkpoint",
                                 f"the consistency proof from size {request.old_size} does "
                                 f"not verify: {exc}; kept as evidence") from None

    def _keep(self, kind: str, log: WitnessedLog, request: AddCheckpoint) -> None:
        assert log.note is not None
        digest = hashlib.sha256("\0".join(
            [log.origin, kind, log.note, request.note, *(p.hex() for p in request.proof)]
        ).encode()).hexdigest()
        evidence = Evidence(digest, log.origin, kind, log.note, request.note,
                            request.old_size, request.proof, self._now())
        if self.store.add_evidence(evidence):
            self.metrics.evidence.labels(kind).inc()

    def evidence(self) -> list[Evidence]:
        return self.store.evidence()
