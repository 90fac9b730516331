"""Canonical JSON (RFC 8785), strict JSON parsing, encodings and hashes."""

from ipledger.codec.encoding import (
    EncodingError,
    b64_decode,
    b64_encode,
    b64url_decode,
    b64url_encode,
    base58btc_decode,
    base58btc_encode,
    sha256,
)
from ipledger.codec.jcs import MAX_SAFE_INTEGER, CanonicalizationError, canonicalize, format_number
from ipledger.codec.strict_json import JsonError, parse_canonical, parse_json

__all__ = [
    "MAX_SAFE_INTEGER",
    "CanonicalizationError",
    "EncodingError",
    "JsonError",
    "b64_decode",
    "b64_encode",
    "b64url_decode",
    "b64url_encode",
    "base58btc_decode",
    "base58btc_encode",
    "canonicalize",
    "format_number",
    "parse_canonical",
    "parse_json",
    "sha256",
]
