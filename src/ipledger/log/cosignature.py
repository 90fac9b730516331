"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature), Ed25519 type, byte for byte.

A cosignature is a signed-note signature line on a checkpoint whose key ID uses
signature type 0x04 and whose signature is a ``timestamped_signature``::

    key ID (4) || u64 big-endian POSIX timestamp (8) || Ed25519 signature (64)

over the message ``"cosignature/v1\\ntime <T>\\n" + checkpoint note body``.

This module fixes the bytes only: the clock (the timestamp) and the Ed25519
primitives are passed in, so the log layer stays deterministic and imports
nothing of ipledger's. Signature lines themselves are parsed and written by the
signed-note code (:mod:`ipledger.identity.signednote`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "COSIGNATURE_ALG",
    "COSIGNATURE_SIZE",
    "MAX_TIMESTAMP",
    "Cosignature",
    "CosignatureError",
    "Ed25519Signer",
    "cosigner_key_id",
    "cosigner_vkey",
    "parse_cosigner_vkey",
    "sign_cosignature",
    "signed_message",
    "verify_cosignature",
]

COSIGNATURE_ALG = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = (1 << 63) - 1
_ED25519_SIG = 64
_KEY_ID = 4
_TIMESTAMPED = 8 + _ED25519_SIG
#: Bytes of a cosignature line's payload: key ID, timestamp, signature.
COSIGNATURE_SIZE = _KEY_ID + _TIMESTAMPED
_HEX8 = re.compile(r"[0-9a-f]{8}")

#: ``verify(public_key, message, signature) -> bool`` (strict Ed25519, never raises).
Verify = Callable[[bytes, bytes, bytes], bool]


class CosignatureError(ValueError):
    """A cosignature, its payload or a cosigner key is malformed."""


class Ed25519Signer(Protocol):
    """What signing needs of a key (``ipledger.identity.SigningKey`` is one)."""

    @property
    def public_key(self) -> bytes: ...

    def sign(self, msg: bytes) -> bytes: ...


def _check_name(name: str) -> None:
    # The signed-note key-name rule: non-empty, no '+', no white space.
    if not name or "+" in name or any(c.isspace() for c in name):
        raise CosignatureError(f"invalid cosigner name {name!r}")


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """``SHA-256(name || "\\n" || 0x04 || public key)[:4]``."""
    if len(public_key) != 32:
        raise CosignatureError("an Ed25519 cosigner public key is 32 bytes")
    data = name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_ALG]) + public_key
    return hashlib.sha256(data).digest()[:_KEY_ID]


def cosigner_vkey(name: str, public_key: bytes) -> str:
    """The vkey ``<name>+<hex key ID>+<base64(0x04 || public key)>``."""
    _check_name(name)
    body = base64.b64encode(bytes([COSIGNATURE_ALG]) + public_key).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{body}"


def parse_cosigner_vkey(vkey: str) -> tuple[str, bytes]:
    """``(name, public key)`` of a type-0x04 vkey, checked strictly (key ID included)."""
    parts = vkey.strip().split("+", 2)  # base64 may itself contain '+'
    if len(parts) != 3:
        raise CosignatureError("a cosigner vkey is <name>+<key ID>+<key>")
    name, hex8, b64 = parts
    _check_name(name)
    if not _HEX8.fullmatch(hex8):
        raise CosignatureError("the vkey's key ID must be 8 lowercase hex digits")
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error:
        raise CosignatureError("the vkey's key is not valid base64") from None
    if len(raw) != 33 or raw[0] != COSIGNATURE_ALG:
        raise CosignatureError("not a cosignature/v1 (type 0x04) Ed25519 vkey")
    public_key = raw[1:]
    if cosigner_key_id(name, public_key).hex() != hex8:
        raise CosignatureError("the vkey's key ID does not match its name and key")
    return name, public_key


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosigner signs: header, time line, whole note body."""
    _check_timestamp(timestamp)
    if not checkpoint_text.endswith("\n"):
        raise CosignatureError("the checkpoint body must end with a newline")
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {timestamp!r} is not in [0, 2^63-1]")


@dataclass(frozen=True)
class Cosignature:
    """One cosignature: who (name and type-0x04 key ID), when, and the Ed25519 signature."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.key_id) != _KEY_ID:
            raise CosignatureError("a key ID is 4 bytes")
        _check_timestamp(self.timestamp)
        if len(self.signature) != _ED25519_SIG:
            raise CosignatureError("an Ed25519 signature is 64 bytes")

    def timestamped_signature(self) -> bytes:
        """The note signature after the key ID: u64 big-endian timestamp || signature."""
        return self.timestamp.to_bytes(8, "big") + self.signature

    def payload(self) -> bytes:
        """What the signature line base64-encodes: key ID || timestamped signature."""
        return self.key_id + self.timestamped_signature()

    @classmethod
    def from_note_signature(cls, name: str, key_id: bytes, signature: bytes) -> Cosignature:
        """Read a note signature (split into key ID and the rest) as a cosignature."""
        if len(signature) != _TIMESTAMPED:
            raise CosignatureError(
                f"a cosignature/v1 signature is {_TIMESTAMPED} bytes, not {len(signature)}")
        return cls(name, bytes(key_id), int.from_bytes(signature[:8], "big"), signature[8:])

    @classmethod
    def from_payload(cls, name: str, payload: bytes) -> Cosignature:
        """Parse key ID || timestamp || signature (the decoded base64 of a line)."""
        if len(payload) != COSIGNATURE_SIZE:
            raise CosignatureError(
                f"a cosignature/v1 payload is {COSIGNATURE_SIZE} bytes, not {len(payload)}")
        return cls.from_note_signature(name, payload[:_KEY_ID], payload[_KEY_ID:])


def sign_cosignature(
    key: Ed25519Signer, name: str, checkpoint_text: str, timestamp: int
) -> Cosignature:
    """Cosign a checkpoint body as of ``timestamp`` (POSIX seconds, supplied by the caller)."""
    public_key = key.public_key
    signature = key.sign(signed_message(checkpoint_text, timestamp))
    return Cosignature(name, cosigner_key_id(name, public_key), timestamp, signature)


def verify_cosignature(
    verify: Verify, name: str, public_key: bytes, checkpoint_text: str, cosig: Cosignature
) -> bool:
    """True iff ``cosig`` is ``name``/``public_key``'s valid cosignature of the body."""
    if cosig.name != name or cosig.key_id != cosigner_key_id(name, public_key):
        return False
    try:
        message = signed_message(checkpoint_text, cosig.timestamp)
    except CosignatureError:
        return False
    return verify(public_key, message, cosig.signature)
