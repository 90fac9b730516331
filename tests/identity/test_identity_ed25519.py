"""Ed25519 keys: RFC 8032 vectors, cross-check with cryptography, never-raising verify."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.identity import SigningKey, ed25519_verify_ceiling, verify_signature

# RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "pk", "msg", "sig"), RFC8032)
def test_rfc8032(seed: str, pk: str, msg: str, sig: str) -> None:
    key = SigningKey.from_seed(bytes.fromhex(seed))
    assert key.seed == bytes.fromhex(seed)
    assert key.public_key == bytes.fromhex(pk)
    assert key.sign(bytes.fromhex(msg)) == bytes.fromhex(sig)
    assert verify_signature(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig))


def test_generate_distinct() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    assert a.seed != b.seed
    assert len(a.public_key) == 32
    assert "seed" not in repr(a)
    assert a.seed.hex() not in repr(a)


@pytest.mark.parametrize("seed", [b"", b"x" * 31, b"x" * 33, "x" * 32])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKey.from_seed(seed) if isinstance(seed, bytes) else SigningKey(seed)


@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32))
@settings(max_examples=50)
def test_agrees_with_cryptography(msg: bytes, seed: bytes) -> None:
    ours = SigningKey.from_seed(seed)
    theirs = Ed25519PrivateKey.from_private_bytes(seed)
    sig = ours.sign(msg)
    assert sig == theirs.sign(msg)
    Ed25519PublicKey.from_public_bytes(ours.public_key).verify(sig, msg)
    assert verify_signature(ours.public_key, msg, sig)
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert not verify_signature(ours.public_key, msg, bad)
    assert not verify_signature(ours.public_key, msg + b"!", sig)


@pytest.mark.parametrize(
    ("pk", "msg", "sig"),
    [
        (b"", b"m", b"s" * 64),
        (b"k" * 31, b"m", b"s" * 64),
        (b"k" * 32, b"m", b"s" * 63),
        (b"k" * 32, b"m", b"s" * 65),
        (None, b"m", b"s" * 64),
        (b"k" * 32, None, b"s" * 64),
        ("k" * 32, b"m", "s" * 64),
        (b"\0" * 32, b"m", b"\0" * 64),  # small-order key, zero signature
        (b"\xff" * 32, b"", b"\xff" * 64),
    ],
)
def test_verify_never_raises(pk: Any, msg: Any, sig: Any) -> None:
    assert verify_signature(pk, msg, sig) is False


def test_verify_accepts_bytes_like() -> None:
    key = SigningKey.from_seed(b"\1" * 32)
    sig = key.sign(b"hello")
    assert verify_signature(bytearray(key.public_key), memoryview(b"hello"), bytearray(sig))  # type: ignore[arg-type]


def test_verify_rejects_non_canonical_s() -> None:
    # S + L (group order) verifies under lax checks; libsodium must refuse it.
    key = SigningKey.from_seed(b"\2" * 32)
    sig = key.sign(b"m")
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + order
    assert s < 2**256
    assert not verify_signature(key.public_key, b"m", sig[:32] + s.to_bytes(32, "little"))


def test_ceiling_positive() -> None:
    assert ed25519_verify_ceiling(0.05, 1) > 100
    assert ed25519_verify_ceiling(0.05, 2) > 100
