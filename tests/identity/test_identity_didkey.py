"""did:key with the W3C CCG did-method-key Ed25519 test vectors."""

from __future__ import annotations

import pytest

from ipledger.codec import base58btc_decode, base58btc_encode
from ipledger.identity import DidError, SigningKey, did_key, did_key_url, public_key_from_did

# w3c-ccg/did-method-key test-vectors/ed25519-x25519.json: seed -> (did, publicKeyBase58).
VECTORS = [
    (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000001",
        "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
        "6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000002",
        "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
        "8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000003",
        "did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ",
        "HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000004",
        "did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL",
        "J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x",
    ),
]


@pytest.mark.parametrize(("seed", "did", "pk58"), VECTORS)
def test_vectors(seed: str, did: str, pk58: str) -> None:
    key = SigningKey.from_seed(bytes.fromhex(seed))
    assert key.public_key == base58btc_decode(pk58)
    assert did_key(key.public_key) == did
    fragment = did.removeprefix("did:key:")
    assert did_key_url(key.public_key) == f"{did}#{fragment}"
    assert public_key_from_did(did) == key.public_key
    assert public_key_from_did(did_key_url(key.public_key)) == key.public_key


PK = base58btc_decode("4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS")
GOOD = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("did:web:example.com", "method"),
        ("did:example:123", "method"),
        ("dod:key:z6Mk", "not a DID"),
        ("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "not a DID"),
        ("did:key:" + "f" + "ed01" + PK.hex(), "base58btc"),
        ("did:key:u7QEAAAA", "base58btc"),
        ("did:key:z0OIl", "base58btc"),
        ("did:key:z" + base58btc_encode(b"\xec\x01" + PK), "multicodec"),  # x25519-pub
        ("did:key:z" + base58btc_encode(b"\x12\x20" + PK), "multicodec"),
        ("did:key:z" + base58btc_encode(b"\xed\x01" + PK[:31]), "32 bytes"),
        ("did:key:z" + base58btc_encode(b"\xed\x01" + PK + b"\0"), "32 bytes"),
        (GOOD + "#z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG", "fragment"),
        (GOOD + "#key-1", "fragment"),
        (GOOD + "#", "fragment"),
        (GOOD + "/path", "path"),
        (GOOD + "?q=1", "path"),
        ("did:key:", "base58btc"),
    ],
)
def test_rejects(value: str, reason: str) -> None:
    with pytest.raises(DidError, match=reason):
        public_key_from_did(value)


def test_bad_public_key_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        did_key(b"\0" * 31)
