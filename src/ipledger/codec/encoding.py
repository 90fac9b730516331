"""Byte encodings: strict base64 / base64url, base58btc, and SHA-256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

__all__ = [
    "EncodingError",
    "b64_decode",
    "b64_encode",
    "b64url_decode",
    "b64url_encode",
    "base58btc_decode",
    "base58btc_encode",
    "sha256",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class EncodingError(ValueError):
    """Text is not a valid (canonical) encoding."""


def sha256(data: bytes) -> bytes:
    """Return the SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def b64url_encode(b: bytes) -> str:
    """Encode as base64url (RFC 4648 section 5) without padding."""
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_decode(s: str) -> bytes:
    """Decode unpadded base64url; reject padding, other characters, non-zero spare bits."""
    if not isinstance(s, str) or not _B64URL.fullmatch(s):
        raise EncodingError("not unpadded base64url text")
    if len(s) % 4 == 1:
        raise EncodingError("base64url text has an impossible length")
    out = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if b64url_encode(out) != s:
        raise EncodingError("base64url text has non-zero trailing bits")
    return out


def b64_encode(b: bytes) -> str:
    """Encode as standard base64 (RFC 4648 section 4) with padding."""
    return base64.b64encode(b).decode("ascii")


def b64_decode(s: str) -> bytes:
    """Decode padded standard base64; reject anything not canonical."""
    if not isinstance(s, str) or len(s) % 4 or not _B64.fullmatch(s):
        raise EncodingError("not padded standard base64 text")
    try:
        out = base64.b64decode(s, validate=True)
    except binascii.Error as exc:
        raise EncodingError(f"not padded standard base64 text: {exc}") from None
    if b64_encode(out) != s:
        raise EncodingError("base64 text has non-zero trailing bits")
    return out


def base58btc_encode(b: bytes) -> str:
    """Encode with the Bitcoin base58 alphabet (leading zero bytes become '1')."""
    zeros = len(b) - len(b.lstrip(b"\0"))
    n = int.from_bytes(b, "big")
    chars: list[str] = []
    while n:
        n, r = divmod(n, 58)
        chars.append(_B58_ALPHABET[r])
    return "1" * zeros + "".join(reversed(chars))


def base58btc_decode(s: str) -> bytes:
    """Decode Bitcoin base58; reject characters outside the alphabet."""
    if not isinstance(s, str):
        raise EncodingError("base58 input must be str")
    n = 0
    for c in s:
        i = _B58_INDEX.get(c)
        if i is None:
            raise EncodingError(f"{c!r} is not a base58btc character")
        n = n * 58 + i
    zeros = len(s) - len(s.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body
