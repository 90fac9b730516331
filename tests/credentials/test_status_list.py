"""Bitstring Status List v1.0 encoding against the spec's own example, and bad lists."""

from __future__ import annotations

import gzip

import pytest

from ipledger.codec import b64url_encode
from ipledger.credentials.status_list import (
    MIN_BITS,
    StatusListError,
    bit_at,
    decode_bits,
    encode_bits,
)

# The encodedList of the spec's example status list credential: 131,072 bits, all zero.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_the_spec_example_decodes_to_the_minimum_empty_list() -> None:
    assert decode_bits(SPEC_EXAMPLE) == bytes(MIN_BITS // 8)
    assert decode_bits(encode_bits(set())) == bytes(MIN_BITS // 8)


def test_bit_zero_is_the_leftmost_bit_and_encoding_is_deterministic() -> None:
    encoded = encode_bits({0, 9, MIN_BITS - 1})
    raw = decode_bits(encoded)
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    assert [bit_at(raw, i) for i in (0, 1, 8, 9, MIN_BITS - 1)] == [True, False, False,
                                                                     True, True]
    assert encode_bits({MIN_BITS - 1, 9, 0}) == encoded
    assert len(decode_bits(encode_bits({MIN_BITS}))) * 8 == MIN_BITS + 8  # grows past it


@pytest.mark.parametrize(("encoded", "message"), [
    ("zH4sI", "multibase base64url"),
    ("u!!!", "not base64url of GZIP"),
    ("u" + b64url_encode(b"not gzip at all"), "not base64url of GZIP"),
    ("u" + b64url_encode(gzip.compress(bytes(1024), mtime=0)), "fewer than the 131072"),
    ("u" + b64url_encode(gzip.compress(bytes(1 << 24), mtime=0)), "more than the largest"),
], ids=["not-multibase", "not-base64url", "not-gzip", "too-short", "too-long"])
def test_malformed_lists_are_refused(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        decode_bits(encoded)


def test_an_index_outside_the_list_is_refused() -> None:
    with pytest.raises(StatusListError, match="outside"):
        bit_at(decode_bits(SPEC_EXAMPLE), MIN_BITS)
