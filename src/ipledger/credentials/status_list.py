"""W3C Bitstring Status List v1.0: the bitstring, its ``encodedList``, and lookups.

The bitstring is at least 131,072 bits (16 KB, the spec's minimum for herd privacy); bit 0
is the most significant bit of the first byte. ``encodedList`` is the multibase base64url
(``u``, no padding) of the GZIP-compressed bitstring. Compression is deterministic (no
timestamp, fixed level), so the same bits always give the same credential bytes.
"""

from __future__ import annotations

import gzip
import zlib

from ipledger.codec import EncodingError, b64url_decode, b64url_encode

MIN_BITS = 131_072
MAX_COMPRESSED = 1 << 20  # a status list larger than this is refused, not decompressed
MAX_BITS = 1 << 26


class StatusListError(ValueError):
    """An encodedList is malformed, or an index lies outside it."""


def encode_bits(set_bits: set[int] | frozenset[int], length: int = MIN_BITS) -> str:
    """``encodedList`` of a bitstring of ``length`` bits where ``set_bits`` are 1."""
    length = max(length, MIN_BITS, max(set_bits, default=-1) + 1)
    raw = bytearray((length + 7) // 8)
    for index in set_bits:
        if index < 0:
            raise StatusListError(f"negative status index {index}")
        raw[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url_encode(gzip.compress(bytes(raw), compresslevel=9, mtime=0))


def decode_bits(encoded: object) -> bytes:
    """The bitstring of an ``encodedList`` (multibase base64url of GZIP)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList is not multibase base64url ('u…')")
    if len(encoded) > MAX_COMPRESSED * 4 // 3 + 2:
        raise StatusListError("encodedList is too large")
    try:
        compressed = b64url_decode(encoded[1:])
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        raw = decompressor.decompress(compressed, MAX_BITS // 8 + 1)
    except (EncodingError, zlib.error) as exc:
        raise StatusListError(f"encodedList is not base64url of GZIP data: {exc}") from None
    if len(raw) > MAX_BITS // 8 or not decompressor.eof:
        raise StatusListError("encodedList decompresses to more than the largest list")
    if len(raw) * 8 < MIN_BITS:
        raise StatusListError(f"the bitstring has {len(raw) * 8} bits, fewer than the "
                              f"{MIN_BITS} the spec requires")
    return raw


def bit_at(bits: bytes, index: int) -> bool:
    """The status bit ``index`` (left-most bit of the first byte is 0)."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"statusListIndex {index} lies outside the list's "
                              f"{len(bits) * 8} bits")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
