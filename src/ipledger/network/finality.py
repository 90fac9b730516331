"""Cosigned finality: a shared ledger's checkpoint is final once a quorum of offices cosigned it.

Every office node cosigns (C2SP tlog-cosignature/v1) the checkpoint after each batch it
applies: origin, size, root, and two extension lines, the register's state root and the
stream position. Batches are stream messages, so every node cosigns the same sizes and
bodies; a body that differs between nodes means a node diverged, and the other nodes
keep both signed bodies as evidence. A *finality proof* is that checkpoint body with the
cosignatures of a quorum of members: a signed note anyone can verify offline with
``network.json``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipledger.codec import b64_encode
from ipledger.identity import (
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    NoteSignature,
    note_signatures,
)
from ipledger.ledger.checkpoints import STATE_ROOT_EXTENSION
from ipledger.log import Checkpoint, CheckpointError
from ipledger.network.config import NetworkConfig

log = logging.getLogger(__name__)

STREAM_EXTENSION = "ipledger-stream-seq "
FINAL_META = "network.final"
KEEP_SIZES = 4096  # cosigned bodies remembered while waiting for a quorum


class FinalityError(ValueError):
    """A finality proof does not prove finality (names what is missing or wrong)."""


def cosigned_body(origin: str, size: int, root: bytes, state_root: bytes | None,
                  stream_seq: int) -> str:
    """The checkpoint body every node cosigns after the batch ending at ``size``."""
    extensions = ([] if state_root is None else [STATE_ROOT_EXTENSION + b64_encode(state_root)])
    extensions.append(f"{STREAM_EXTENSION}{stream_seq}")
    return Checkpoint(origin, size, root, tuple(extensions)).to_text()


def member_verifiers(network: NetworkConfig) -> dict[str, CosignatureVerifier]:
    return verifiers_of([(m.name, m.cosigner) for m in network.members])


def verifiers_of(members: list[tuple[str, str]]) -> dict[str, CosignatureVerifier]:
    return {name: CosignatureVerifier.from_vkey(vkey) for name, vkey in members}


@dataclass(frozen=True)
class Membership:
    """Who cosigns, and how many make final, from tree size ``since`` on."""

    since: int
    verifiers: dict[str, CosignatureVerifier]
    quorum: int


def body_stream_seq(checkpoint: Checkpoint) -> int | None:
    for line in checkpoint.extensions:
        if line.startswith(STREAM_EXTENSION):
            return int(line.removeprefix(STREAM_EXTENSION))
    return None


def verify_finality(proof: str, network: NetworkConfig) -> tuple[Checkpoint, list[str]]:
    """The final checkpoint and the members whose cosignatures verified, or FinalityError."""
    try:
        text, signatures = note_signatures(proof)
        checkpoint = Checkpoint.parse(text)
    except (NoteError, CheckpointError) as exc:
        raise FinalityError(f"not a signed checkpoint: {exc}") from None
    if checkpoint.origin != network.ledger:
        raise FinalityError(f"checkpoint of {checkpoint.origin!r}, not of {network.ledger!r}")
    verifiers = member_verifiers(network)
    signed: set[str] = set()
    for sig in signatures:
        verifier = verifiers.get(sig.name)
        if verifier is None or verifier.key_id != sig.key_id:
            continue  # another key (the serving node's log key, a witness): not counted
        if not verifier.verify(text.encode(), sig.signature):
            raise FinalityError(f"the cosignature of {sig.name} does not verify")
        signed.add(sig.name)
    if len(signed) < network.quorum:
        raise FinalityError(f"{len(signed)} member cosignatures ({', '.join(sorted(signed))}), "
                            f"the quorum is {network.quorum}")
    return checkpoint, sorted(signed)


@dataclass(frozen=True)
class Divergence:
    """A member cosigned a different checkpoint body than ours for the same size."""

    member: str
    size: int
    ours: str
    theirs: str  # their body with their cosignature line: proof they signed it

    def to_json(self) -> dict[str, Any]:
        return {"member": self.member, "size": self.size, "ours": self.ours,
                "theirs": self.theirs}


class Finality:
    """Cosigns this node's batches, collects the members' cosignatures, tracks finality."""

    def __init__(self, network: NetworkConfig, signer: CosignatureSigner,
                 publish: Callable[[bytes], None], final_note: str | None = None) -> None:
        if signer.name not in {m.name for m in network.members}:
            raise ValueError(f"{signer.name!r} is not a member of the network")
        self.network = network
        self.signer = signer
        self._publish = publish
        self._memberships = [Membership(0, member_verifiers(network), network.quorum)]
        self._bodies: dict[int, str] = {}  # size -> our body
        self._cosigs: dict[int, dict[str, NoteSignature]] = {}
        self._parked: dict[int, list[tuple[str, str, NoteSignature]]] = {}
        self._cond = threading.Condition()
        self.divergences: list[Divergence] = []
        # Cosignatures of bodies unlike ours, by size and body: a quorum of them means
        # this node, not the others, diverged.
        self._foreign: dict[int, dict[str, set[str]]] = {}
        self.diverged_at: int | None = None
        self.final_size = 0
        self.final_note: str | None = None
        self.last_announcement: bytes | None = None
        self.listeners: list[Callable[[int, str], None]] = []  # (final size, proof)
        if final_note is not None:
            checkpoint, _ = verify_finality(final_note, network)
            self.final_size, self.final_note = checkpoint.tree_size, final_note

    # -- membership (network governance entries change it) -------------------------------

    def membership(self, size: int) -> Membership:
        return next(m for m in reversed(self._memberships) if m.since <= size)

    def update_membership(self, since: int, members: list[tuple[str, str]],
                          quorum: int) -> None:
        """From tree size ``since`` on, these members cosign and ``quorum`` makes final."""
        with self._cond:
            if since > self._memberships[-1].since:
                self._memberships.append(Membership(since, verifiers_of(members), quorum))

    def _is_signer(self, size: int) -> bool:
        verifier = self.membership(size).verifiers.get(self.signer.name)
        return verifier is not None and verifier.key_id == self.signer.key_id

    # -- our own batches ----------------------------------------------------------------

    def committed(self, size: int, root: bytes, state_root: bytes | None,
                  stream_seq: int) -> None:
        """After a batch is durable: cosign it and tell the other members."""
        body = cosigned_body(self.network.ledger, size, root, state_root, stream_seq)
        signing = self.diverged_at is None and self._is_signer(size)
        # Never cosign on top of a copy the network disowned, nor once removed or rotated.
        sig = self.signer.sign(body) if signing else None
        announcement = None if sig is None else json.dumps(
            {"member": self.signer.name, "body": body, "line": sig.line()}).encode()
        with self._cond:
            self._bodies[size] = body
            self._forget_old()
            parked = self._parked.pop(size, [])
            if sig is not None:
                self._count(size, self.signer.name, sig)
            for member, their_body, their_sig in parked:
                self._check(member, size, their_body, their_sig)
            if announcement is not None:
                self.last_announcement = announcement
        if announcement is not None:
            self._publish(announcement)

    # -- the other members' cosignatures ------------------------------------------------

    def receive(self, announcement: bytes) -> None:
        """A member's cosignature as published on the network (verified before use)."""
        try:
            msg = json.loads(announcement)
            member, body, line = str(msg["member"]), str(msg["body"]), str(msg["line"])
            _, (sig,) = note_signatures(body + "\n" + line)
            checkpoint = Checkpoint.parse(body)
        except (ValueError, KeyError, TypeError, NoteError, CheckpointError) as exc:
            log.warning("ignored a malformed cosignature announcement: %s", exc)
            return
        if sig.name != member or checkpoint.origin != self.network.ledger:
            log.warning("ignored a cosignature announcement not by %s", member)
            return
        with self._cond:
            size = checkpoint.tree_size
            if size <= self.final_size and size not in self._bodies:
                return  # already final here
            if size not in self._bodies:
                if size in self._parked or len(self._parked) < KEEP_SIZES:  # bounded
                    self._parked.setdefault(size, []).append((member, body, sig))
                return
            self._check(member, size, body, sig)

    def _check(self, member: str, size: int, body: str, sig: NoteSignature) -> None:
        """Count a member's cosignature of ``size`` (our body is known by now)."""
        verifier = self.membership(size).verifiers.get(member)
        if verifier is None or verifier.key_id != sig.key_id \
                or not verifier.verify(body.encode(), sig.signature):
            log.warning("ignored a cosignature of size %d that no member %s made", size, member)
            return
        ours = self._bodies[size]
        if body != ours:
            evidence = Divergence(member, size, ours, body + "\n" + sig.line())
            self.divergences.append(evidence)
            log.error("member %s cosigned a different checkpoint of size %d", member, size)
            signers = self._foreign.setdefault(size, {}).setdefault(body, set())
            signers.add(member)
            if len(signers) >= self.membership(size).quorum and self.diverged_at is None:
                self.diverged_at = size
                log.critical("a quorum cosigned another checkpoint of size %d than this "
                             "node's: this node's copy diverged; it stops cosigning", size)
            return
        self._count(size, member, sig)

    def _count(self, size: int, member: str, sig: NoteSignature) -> None:
        cosigs = self._cosigs.setdefault(size, {})
        cosigs[member] = sig
        if len(cosigs) >= self.membership(size).quorum and size > self.final_size:
            lines = "".join(cosigs[m].line() for m in sorted(cosigs))
            self.final_size = size
            self.final_note = self._bodies[size] + "\n" + lines
            self._cond.notify_all()
            for listener in self.listeners:
                listener(size, self.final_note)

    def _forget_old(self) -> None:
        if len(self._bodies) > KEEP_SIZES:
            for size in sorted(self._bodies)[: len(self._bodies) - KEEP_SIZES]:
                del self._bodies[size]
                self._cosigs.pop(size, None)
        for size in [s for s in self._parked if s < self.final_size - KEEP_SIZES]:
            del self._parked[size]

    # -- readers ------------------------------------------------------------------------

    def latest(self) -> tuple[int, str | None]:
        with self._cond:
            return self.final_size, self.final_note

    def wait_final(self, size: int, timeout: float | None = None) -> str:
        """The finality proof of the first final checkpoint covering ``size`` entries."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.final_size >= size, timeout):
                raise TimeoutError(f"no final checkpoint covers {size} entries yet "
                                   f"(final: {self.final_size})")
            assert self.final_note is not None
            return self.final_note
