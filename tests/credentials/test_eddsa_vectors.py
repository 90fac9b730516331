"""eddsa-rdfc-2022 reproduces the W3C spec's test vector (appendix B.1) byte for byte."""

from __future__ import annotations

import hashlib

import pytest

from ipledger.codec import base58btc_decode
from ipledger.credentials.eddsa_rdfc_2022 import (
    ProofError,
    add_proof,
    proof_hashes,
    verify_proof,
)
from ipledger.credentials.loader import OfflineLoader
from ipledger.credentials.multikey import public_key_from_multikey
from ipledger.identity import SigningKey
from tests.credentials.conftest import vector


def _hashes() -> dict[str, str]:
    return dict(line.split() for line in vector("alumni-hashes.txt").splitlines())


def _key() -> SigningKey:
    raw = base58btc_decode(vector("key-pair.json")["privateKeyMultibase"][1:])
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return SigningKey.from_seed(raw[2:])


def test_transformation_and_hashes_match_the_vector(examples_loader: OfflineLoader) -> None:
    signed = vector("alumni-signed.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    options = {k: v for k, v in vector("alumni-proof-options.json").items() if k != "@context"}
    hashes = proof_hashes(unsecured, options, examples_loader)
    assert hashes.canonical_document == vector("alumni-document-canon.nq")
    assert hashes.canonical_proof_config == vector("alumni-proof-canon.nq")
    expected = _hashes()
    assert hashes.proof_config_hash.hex() == expected["proofHash"]
    assert hashes.hash_data.hex() == expected["combinedHash"]
    assert hashlib.sha256(vector("alumni-document-canon.nq").encode()).digest() == \
        hashes.document_hash


def test_signing_reproduces_the_proof_value(examples_loader: OfflineLoader) -> None:
    signed = vector("alumni-signed.json")
    key = _key()
    public = public_key_from_multikey(vector("key-pair.json")["publicKeyMultibase"])
    assert key.public_key == public
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    made = add_proof(unsecured, key, signed["proof"]["verificationMethod"],
                     signed["proof"]["created"], examples_loader)
    assert made == signed  # the proofValue too, byte for byte
    assert made["proof"]["proofValue"] == _hashes()["sigBTC58"]
    verified = verify_proof(signed, lambda method: public, examples_loader)
    assert verified.verification_method == signed["proof"]["verificationMethod"]


def test_the_vector_fails_once_changed(examples_loader: OfflineLoader) -> None:
    signed = vector("alumni-signed.json")
    public = _key().public_key
    changed = {**signed, "credentialSubject": {**signed["credentialSubject"],
                                               "alumniOf": "Another School"}}
    with pytest.raises(ProofError) as info:
        verify_proof(changed, lambda method: public, examples_loader)
    assert info.value.step == "signature"
    with pytest.raises(ProofError) as info:
        verify_proof(signed, lambda method: public)  # the examples context is not bundled
    assert info.value.step == "context"
    assert "https://www.w3.org/ns/credentials/examples/v2" in info.value.detail
