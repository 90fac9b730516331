"""The stateless half of validation: bytes -> a checked, signature-verified entry.

The stateful half (replay window, nonce reuse) runs in the sequencer, where the
ledger time and the set of used nonces are known.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from ipledger.codec import EncodingError, JsonError, b64url_decode, canonicalize, parse_canonical
from ipledger.identity import DidError, public_key_from_did, verify_signature
from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.envelope import (
    MAX_SUBMITTED_BYTES,
    check_envelope_shape,
    endorsement_payload,
    signing_payload,
)
from ipledger.ledger.errors import Rejection
from ipledger.ledger.state import SYSTEM_ACTOR
from ipledger.ledger.timefmt import parse_rfc3339_ms


class ValidatedEntry(NamedTuple):
    """A submitted envelope that passed every check that needs no ledger state.

    A small tuple of bytes and ints, so it crosses process boundaries cheaply.
    ``seq_offset`` is where the sequencer splices ``"seq":{...}`` into ``raw``.
    """

    raw: bytes
    entry_type: str
    seq_offset: int
    created: str
    created_ms: int
    nonce_key: bytes
    index_keys: tuple[bytes, ...]


def nonce_key(actor: str, nonce: str) -> bytes:
    """The replay key of (actor, nonce): 16 bytes of SHA-256, enough against collisions."""
    return hashlib.sha256(f"{actor}\n{nonce}".encode()).digest()[:16]


@lru_cache(maxsize=65_536)
def _actor_key(actor: str) -> bytes:
    return public_key_from_did(actor)


def resolve_actor_key(actor: str, pointer: str) -> bytes:
    """The Ed25519 key an actor DID URL names (did:key for now)."""
    if "#" not in actor:
        raise Rejection(
            "invalid-actor", "actor must be a DID URL naming a key (did:...#fragment)", pointer
        )
    try:
        return _actor_key(actor)
    except DidError as exc:
        raise Rejection("invalid-actor", str(exc), pointer) from None


class Validator:
    """Checks raw entry bytes against one ledger's rules and entry types."""

    def __init__(self, origin: str, entry_types: Mapping[str, EntryType]) -> None:
        self.origin = origin
        self.entry_types = dict(entry_types)

    def validate(self, raw: bytes) -> ValidatedEntry:
        if len(raw) > MAX_SUBMITTED_BYTES:
            raise Rejection(
                "too-large", f"entry is {len(raw)} bytes; at most {MAX_SUBMITTED_BYTES}", ""
            )
        try:
            env = parse_canonical(raw)
        except JsonError as exc:
            raise Rejection(exc.rule, exc.detail, exc.pointer) from None
        check_envelope_shape(env, self.origin)
        entry_type = self.entry_types.get(env["type"])
        if entry_type is None:
            known = ", ".join(sorted(self.entry_types))
            raise Rejection("unknown-type", f"'{env['type']}' is not one of: {known}", "/type")
        body = env["body"]
        entry_type.check_body(body)
        offset = seq_offset(raw, env)
        # The signed payload is the canonical envelope minus its ',"sig":"…"' member,
        # which in canonical key order sits right at the seq offset.
        sig_member = len(b',"sig":"') + len(env["sig"]) + 1
        verify_entry_signatures(env, raw[:offset] + raw[offset + sig_member :])
        return ValidatedEntry(
            raw=raw,
            entry_type=env["type"],
            seq_offset=offset,
            created=env["created"],
            created_ms=parse_rfc3339_ms(env["created"]),
            nonce_key=nonce_key(env["actor"], env["nonce"]),
            index_keys=tuple(entry_type.index_keys(body)),
        )

    def validate_many(self, raws: Sequence[bytes]) -> list[ValidatedEntry | Rejection]:
        out: list[ValidatedEntry | Rejection] = []
        for raw in raws:
            try:
                out.append(self.validate(raw))
            except Rejection as exc:
                out.append(exc)
        return out


def seq_offset(raw: bytes, env: Mapping[str, Any]) -> int:
    """Where ``"seq"`` goes in canonical ``raw``: before the last keys ``sig``, ``type``, ``v``.

    In RFC 8785 key order (actor, body, created, endorsements, ledger, nonce, seq, sig,
    type, v) the tail of a canonical envelope is fully determined by those three values.
    """
    tail = b',"sig":' + canonicalize(env["sig"]) + b',"type":' + canonicalize(env["type"]) + (
        b',"v":' + canonicalize(env["v"]) + b"}"
    )
    if not raw.endswith(tail):  # pragma: no cover - guaranteed by schema + canonical form
        raise Rejection("not-canonical", "envelope keys are not in canonical order")
    return len(raw) - len(tail)


def splice_seq(entry: ValidatedEntry, index: int, time: str) -> bytes:
    """The sequenced entry: exactly ``canonicalize({**envelope, "seq": {...}})``."""
    seq = b',"seq":{"index":%d,"time":"%s"}' % (index, time.encode())
    return entry.raw[: entry.seq_offset] + seq + entry.raw[entry.seq_offset :]


def verify_entry_signatures(env: Mapping[str, Any], payload: bytes | None = None) -> None:
    """The actor's signature and every endorsement; raises Rejection naming the bad one.

    ``payload`` is the signed payload when the caller already has it.
    """
    if env.get("actor") == SYSTEM_ACTOR and str(env.get("type", "")).startswith("system."):
        return  # system entries are vouched for by the checkpoint and checked by replay
    key = resolve_actor_key(env["actor"], "/actor")
    message = payload if payload is not None else signing_payload(env)
    if not verify_signature(key, message, _signature_bytes(env["sig"], "/sig")):
        raise Rejection(
            "bad-signature", "'sig' is not the actor's Ed25519 signature of the entry", "/sig"
        )
    endorsements = env.get("endorsements") or []
    if endorsements:
        payload = endorsement_payload(env)
        for i, item in enumerate(endorsements):
            where = f"/endorsements/{i}"
            endorser = resolve_actor_key(item["actor"], f"{where}/actor")
            signature = _signature_bytes(item["sig"], f"{where}/sig")
            if not verify_signature(endorser, payload, signature):
                raise Rejection(
                    "bad-signature", "endorsement signature does not verify", f"{where}/sig"
                )


def _signature_bytes(value: str, pointer: str) -> bytes:
    try:
        return b64url_decode(value)
    except EncodingError:
        raise Rejection("invalid-value", "signature is not canonical base64url", pointer) from None
