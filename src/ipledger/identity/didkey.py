"""did:key for Ed25519 (W3C CCG did:key method).

``did:key:z<base58btc(0xed 0x01 || public key)>``; the verification method id
is the DID followed by ``#`` and the same multibase value.
"""

from __future__ import annotations

from functools import lru_cache

from ipledger.codec import EncodingError, base58btc_decode, base58btc_encode

__all__ = ["DidError", "did_key", "did_key_url", "public_key_from_did"]

_PREFIX = "did:key:"
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub (0xed) as an unsigned varint


class DidError(ValueError):
    """A DID or DID URL is not an Ed25519 did:key."""


def _multibase(public_key: bytes) -> str:
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise ValueError("an Ed25519 public key is exactly 32 bytes")
    return _multibase_of(public_key)


@lru_cache(maxsize=1024)
def _multibase_of(public_key: bytes) -> str:
    # Signers name their key in every envelope: base58 of the same 34 bytes each time.
    return "z" + base58btc_encode(_ED25519_PUB + public_key)


def did_key(public_key: bytes) -> str:
    """Return ``did:key:z6Mk...`` for a 32-byte Ed25519 public key."""
    return _PREFIX + _multibase(public_key)


def did_key_url(public_key: bytes) -> str:
    """Return the verification method id ``did:key:z6Mk...#z6Mk...``."""
    mb = _multibase(public_key)
    return f"{_PREFIX}{mb}#{mb}"


def public_key_from_did(did_or_did_url: str) -> bytes:
    """Return the Ed25519 public key named by a did:key DID or its key's DID URL."""
    if not isinstance(did_or_did_url, str):
        raise DidError("a DID must be a string")
    did, sep, fragment = did_or_did_url.partition("#")
    if not did.startswith("did:"):
        raise DidError(f"not a DID: {did_or_did_url[:80]!r}")
    if not did.startswith(_PREFIX):
        method = did.split(":")[1]
        raise DidError(f"unsupported DID method {method[:40]!r} (only did:key)")
    mb = did[len(_PREFIX) :]
    if any(c in mb for c in ":/?;"):
        raise DidError("did:key has a path, query or extra colon (unsupported)")
    if not mb.startswith("z"):
        raise DidError("did:key must use base58btc multibase (prefix 'z')")
    try:
        raw = base58btc_decode(mb[1:])
    except EncodingError as exc:
        raise DidError(f"did:key is not valid base58btc: {exc}") from None
    if not raw.startswith(_ED25519_PUB):
        raise DidError("did:key multicodec is not ed25519-pub (0xed01)")
    key = raw[2:]
    if len(key) != 32:
        raise DidError(f"Ed25519 public key must be 32 bytes, got {len(key)}")
    if sep and fragment != mb:
        raise DidError("DID URL fragment does not match the did:key's key")
    return key
