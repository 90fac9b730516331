"""Offline verification of a register credential: proof, issuer DID, revocation status.

Nothing is fetched: contexts are the bundled ones, the issuer's DID document and the status
list credential are files the verifier obtained (``ipledger credential get`` saves both).
Each failure names the check that failed (:class:`ProofError` ``step``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ipledger.credentials.eddsa_rdfc_2022 import ProofError, verify_proof
from ipledger.credentials.loader import OfflineLoader
from ipledger.credentials.multikey import assertion_key
from ipledger.credentials.status_list import StatusListError, bit_at, decode_bits
from ipledger.identity import DidError
from ipledger.ledger import parse_rfc3339_ms


@dataclass(frozen=True)
class Verified:
    credential_id: str | None
    issuer: str
    verification_method: str
    types: list[str]
    status: str  # "active", "revoked" or "not checked"


def _issuer_of(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise ProofError("issuer", "the credential names no issuer")
    return issuer


def _key_resolver(issuer: str, did_document: dict[str, Any] | None) -> Any:
    def public_key_for(method: str) -> bytes:
        if method.split("#", 1)[0] != issuer:
            raise ProofError("verification-method", f"the proof is signed with "
                             f"{method[:120]}, which is not a key of the issuer {issuer}")
        if did_document is None:
            raise ProofError("did-document", f"no DID document of {issuer} was given "
                             "(--did-document)")
        try:
            return assertion_key(did_document, method)
        except DidError as exc:
            raise ProofError("verification-method", str(exc)) from None
    return public_key_for


def _check_validity(credential: dict[str, Any], now_ms: int, what: str) -> None:
    """``validFrom`` <= now < ``validUntil`` (each when present)."""
    for field in ("validFrom", "validUntil"):
        value = credential.get(field)
        if value is None:
            continue
        try:
            at_ms = parse_rfc3339_ms(str(value))
        except ValueError:
            raise ProofError("validity", f"{what}: {field} is not an RFC 3339 UTC time "
                             "(…Z)") from None
        if field == "validFrom" and at_ms > now_ms:
            raise ProofError("validity", f"{what} is not valid yet: validFrom {value}")
        if field == "validUntil" and at_ms <= now_ms:
            raise ProofError("validity", f"{what} has expired: validUntil {value}")


def verify_credential(credential: object, did_document: dict[str, Any] | None,
                      status_list: dict[str, Any] | None = None,
                      loader: OfflineLoader | None = None,
                      now_ms: int | None = None) -> Verified:
    """Verify ``credential`` offline, its validity period judged at ``now_ms`` (default:
    now); raise :class:`ProofError` at the first failing check."""
    if not isinstance(credential, dict):
        raise ProofError("format", "the credential is not a JSON object")
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise ProofError("format", "type must be a list naming VerifiableCredential")
    issuer = _issuer_of(credential)
    proof = verify_proof(credential, _key_resolver(issuer, did_document), loader)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    _check_validity(credential, now_ms, "the credential")
    status = "not checked"
    entry = credential.get("credentialStatus")
    if entry is not None and status_list is not None:
        status = "revoked" if _status_bit(entry, status_list, issuer, did_document,
                                          loader, now_ms) else "active"
    return Verified(credential.get("id"), issuer, proof.verification_method,
                    [str(t) for t in types], status)


def _status_bit(entry: object, status_list: dict[str, Any], issuer: str,
                did_document: dict[str, Any] | None, loader: OfflineLoader | None,
                now_ms: int) -> bool:
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise ProofError("status", "credentialStatus is not a BitstringStatusListEntry")
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or not raw_index.isascii() or not raw_index.isdigit():
        raise ProofError("status", "statusListIndex is not a base-10 integer string")
    index = int(raw_index)
    if status_list.get("id") != entry.get("statusListCredential"):
        raise ProofError("status", f"the status list given is {status_list.get('id')}, the "
                         f"credential's is {entry.get('statusListCredential')}")
    try:
        verify_proof(status_list, _key_resolver(issuer, did_document), loader)
    except ProofError as exc:
        raise ProofError("status-list", f"the status list credential does not verify: "
                         f"{exc}") from None
    if _issuer_of(status_list) != issuer:
        raise ProofError("status-list", "the status list has another issuer")
    _check_validity(status_list, now_ms, "the status list")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise ProofError("status-list", "its credentialSubject is not a BitstringStatusList")
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        raise ProofError("status-list", "its statusPurpose differs from the credential's")
    try:
        return bit_at(decode_bits(subject.get("encodedList")), index)
    except StatusListError as exc:
        raise ProofError("status-list", str(exc)) from None
