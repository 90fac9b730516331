"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C "Data Integrity EdDSA
Cryptosuites v1.0", section 3.2).

Transformation: RDFC-1.0 canonical N-Quads of the document without ``proof``, and of the
proof options (the proof without ``proofValue``) with the document's ``@context``. Hashing:
SHA-256 of each; the signed message is the proof-options hash followed by the document hash.
Signature: Ed25519 (RFC 8032). ``proofValue``: ``z`` + base58btc of the 64-byte signature.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipledger.codec import EncodingError, base58btc_decode, base58btc_encode
from ipledger.credentials.loader import ContextError, OfflineLoader
from ipledger.credentials.rdfc import CanonicalizationError, canonical_nquads
from ipledger.identity import SigningKey, verify_signature
from ipledger.ledger.errors import VerificationError

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PURPOSE = "assertionMethod"
# XML Schema dateTime with an explicit UTC offset or Z (Data Integrity: "created").
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


class ProofError(VerificationError):
    """A proof could not be created or did not verify; ``step`` names the check."""


@dataclass(frozen=True)
class ProofHashes:
    """The spec's intermediate values (its test vectors give each of them)."""

    canonical_proof_config: str
    canonical_document: str

    @property
    def proof_config_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_proof_config.encode()).digest()

    @property
    def document_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_document.encode()).digest()

    @property
    def hash_data(self) -> bytes:
        return self.proof_config_hash + self.document_hash


def _canonical(document: dict[str, Any], what: str, loader: OfflineLoader | None) -> str:
    try:
        return canonical_nquads(document, loader)
    except ContextError as exc:
        raise ProofError("context", str(exc)) from None
    except CanonicalizationError as exc:
        raise ProofError("transformation", f"{what}: {exc}") from None


def proof_hashes(unsecured: dict[str, Any], proof_options: dict[str, Any],
                 loader: OfflineLoader | None = None) -> ProofHashes:
    """Transform and hash ``unsecured`` and the ``proof_options`` (without proofValue)."""
    if proof_options.get("type") != PROOF_TYPE or proof_options.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("proof-type", f"the proof is not a {PROOF_TYPE} with cryptosuite "
                         f"{CRYPTOSUITE}")
    created = proof_options.get("created")
    if created is not None and not (isinstance(created, str) and _DATETIME.fullmatch(created)):
        raise ProofError("proof-created", "created is not an XML Schema dateTime with offset")
    config = {**proof_options, "@context": unsecured.get("@context")}
    return ProofHashes(_canonical(config, "proof options", loader),
                       _canonical(unsecured, "document", loader))


def add_proof(document: dict[str, Any], key: SigningKey, verification_method: str,
              created: str, loader: OfflineLoader | None = None) -> dict[str, Any]:
    """``document`` (without a proof) secured by one eddsa-rdfc-2022 assertion proof."""
    if "proof" in document:
        raise ProofError("proof", "the document already carries a proof")
    options = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": created,
               "verificationMethod": verification_method, "proofPurpose": PURPOSE}
    signature = key.sign(proof_hashes(document, options, loader).hash_data)
    return {**document, "proof": {**options, "proofValue": "z" + base58btc_encode(signature)}}


@dataclass(frozen=True)
class VerifiedProof:
    verification_method: str
    created: str | None
    hashes: ProofHashes


def verify_proof(document: object, public_key_for: Callable[[str], bytes],
                 loader: OfflineLoader | None = None) -> VerifiedProof:
    """Check ``document``'s one eddsa-rdfc-2022 proof; ``public_key_for`` resolves the
    verification method to a key (and raises :class:`ProofError` if it cannot)."""
    if not isinstance(document, dict):
        raise ProofError("format", "the credential is not a JSON object")
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("proof", "the credential carries no proof (or several)")
    if proof.get("proofPurpose") != PURPOSE:
        raise ProofError("proof-purpose", f"proofPurpose must be {PURPOSE}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ProofError("verification-method", "verificationMethod must be a string")
    value = proof.get("proofValue")
    try:
        if not isinstance(value, str) or not value.startswith("z"):
            raise EncodingError("not a base58btc multibase value ('z…')")
        signature = base58btc_decode(value[1:])
    except EncodingError as exc:
        raise ProofError("proof-value", f"proofValue: {exc}") from None
    if len(signature) != 64:
        raise ProofError("proof-value", f"proofValue holds {len(signature)} bytes, not the "
                         "64 of an Ed25519 signature")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # The proof options may repeat the context; it must begin the document's.
        ctx, doc_ctx = options.pop("@context"), document.get("@context")
        ctx_list = ctx if isinstance(ctx, list) else [ctx]
        doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if doc_list[:len(ctx_list)] != ctx_list:
            raise ProofError("context", "the proof's @context does not begin the document's")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    hashes = proof_hashes(unsecured, options, loader)
    public_key = public_key_for(method)
    if not verify_signature(public_key, hashes.hash_data, signature):
        raise ProofError("signature", "the Ed25519 signature does not match the credential "
                         "and its proof options (changed after signing, or signed by "
                         "another key)")
    return VerifiedProof(method, proof.get("created"), hashes)
