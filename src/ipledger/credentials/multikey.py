"""Ed25519 keys as W3C Multikey, and the office's ``did:web`` with its DID document.

A Multikey ``publicKeyMultibase`` is ``z`` + base58btc(0xed 0x01 || key), the same value a
did:key carries (identity/didkey.py). ``did:web`` (W3C CCG did:web method): the host of the
node's public origin, a port encoded as ``%3A``; the DID document is served at
``/.well-known/did.json``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ipledger.identity import DidError, did_key, public_key_from_did

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
WELL_KNOWN_DID = "/.well-known/did.json"


def multikey(public_key: bytes) -> str:
    """``publicKeyMultibase`` of an Ed25519 public key (``z6Mk…``)."""
    return did_key(public_key).removeprefix("did:key:")


def public_key_from_multikey(value: object) -> bytes:
    """The Ed25519 public key of a ``publicKeyMultibase`` value."""
    if not isinstance(value, str) or not value.startswith("z6Mk"):
        raise DidError("publicKeyMultibase is not an Ed25519 Multikey (z6Mk…)")
    return public_key_from_did("did:key:" + value)


def did_web(origin: str) -> str:
    """The did:web of a public origin (``https://register.example:8443`` ->
    ``did:web:register.example%3A8443``)."""
    parts = urlsplit(origin)
    if not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"not an origin: {origin!r}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return "did:web:" + (host if parts.port is None else f"{host}%3A{parts.port}")


def key_id(did: str, public_key: bytes) -> str:
    """The verification method id: the DID and the key's multibase as fragment."""
    return f"{did}#{multikey(public_key)}"


def did_document(did: str, public_keys: list[bytes]) -> dict[str, Any]:
    """The DID document: each key a Multikey, listed for ``assertionMethod``."""
    methods = [{"id": key_id(did, k), "type": "Multikey", "controller": did,
                "publicKeyMultibase": multikey(k)} for k in public_keys]
    ids = [m["id"] for m in methods]
    return {"@context": [DID_V1, MULTIKEY_V1], "id": did, "verificationMethod": methods,
            "assertionMethod": ids, "authentication": ids}


def assertion_key(document: object, verification_method: str) -> bytes:
    """The public key a DID document lists under ``verification_method`` for
    ``assertionMethod`` (raise :class:`DidError` saying why not)."""
    if not isinstance(document, dict):
        raise DidError("the DID document is not a JSON object")
    did = verification_method.split("#", 1)[0]
    if document.get("id") != did:
        raise DidError(f"the DID document is for {str(document.get('id'))[:100]!r}, "
                       f"not {did[:100]!r}")
    assertion = document.get("assertionMethod", [])
    if not isinstance(assertion, list) or verification_method not in assertion:
        raise DidError(f"{verification_method[:120]} is not an assertionMethod of {did}")
    for method in document.get("verificationMethod", []):
        if isinstance(method, dict) and method.get("id") == verification_method:
            if method.get("type") != "Multikey" or method.get("controller") != did:
                raise DidError(f"{verification_method[:120]} is not a Multikey of {did}")
            return public_key_from_multikey(method.get("publicKeyMultibase"))
    raise DidError(f"the DID document lists no key {verification_method[:120]}")
