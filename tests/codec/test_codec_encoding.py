"""Strict base64/base64url, base58btc and SHA-256."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.codec import (
    EncodingError,
    b64_decode,
    b64_encode,
    b64url_decode,
    b64url_encode,
    base58btc_decode,
    base58btc_encode,
    sha256,
)

# RFC 4648 section 10 test vectors.
RFC4648 = [
    (b"", ""),
    (b"f", "Zg=="),
    (b"fo", "Zm8="),
    (b"foo", "Zm9v"),
    (b"foob", "Zm9vYg=="),
    (b"fooba", "Zm9vYmE="),
    (b"foobar", "Zm9vYmFy"),
]


@pytest.mark.parametrize(("raw", "text"), RFC4648)
def test_rfc4648(raw: bytes, text: str) -> None:
    assert b64_encode(raw) == text
    assert b64_decode(text) == raw
    assert b64url_encode(raw) == text.rstrip("=")
    assert b64url_decode(text.rstrip("=")) == raw


def test_url_alphabet() -> None:
    assert b64url_encode(b"\xfb\xff") == "-_8"
    assert b64_encode(b"\xfb\xff") == "+/8="


@pytest.mark.parametrize(
    "bad", ["Zg==", "Zg=", "Zh", "Z", "Zm9v YQ", "+/8", "Zm9v\n", "é", "Zm9vYQ==x", 5]
)
def test_b64url_rejects(bad: object) -> None:
    with pytest.raises(EncodingError):
        b64url_decode(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ["Zg", "Zg=", "Zh==", "Zm9=", "-_8=", "Zm9v\n", " Zm9v", "Zg==Zg==", "=", "Zm9vY==="]
)
def test_b64_rejects(bad: str) -> None:
    with pytest.raises(EncodingError):
        b64_decode(bad)


# base58btc vectors from the IETF draft-msporny-base58 (section 5).
@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58btc(raw: bytes, text: str) -> None:
    assert base58btc_encode(raw) == text
    assert base58btc_decode(text) == raw


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "z6Mk "])
def test_base58_rejects(bad: str) -> None:
    with pytest.raises(EncodingError):
        base58btc_decode(bad)


@given(st.binary(max_size=80))
def test_roundtrips(raw: bytes) -> None:
    assert b64_decode(b64_encode(raw)) == raw
    assert b64url_decode(b64url_encode(raw)) == raw
    assert base58btc_decode(base58btc_encode(raw)) == raw


def test_sha256() -> None:
    assert sha256(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
