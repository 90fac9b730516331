"""Serial commitments, batch commitment lists and the label URLs of product authenticity.

An item's commitment hides its serial behind a per-item random salt and binds it to one
trade mark::

    commitment = SHA-256("ipledger/authenticity/v1" 0x00 ‖ u16(len office) ‖ office
                         ‖ u16(len number) ‖ number ‖ u16(len serial) ‖ serial ‖ salt)

(lengths big-endian, strings UTF-8, ``salt`` the 16 random bytes). Length prefixes keep
``("A1", "23")`` and ``("A", "123")`` apart; the domain tag keeps these hashes apart from
every other SHA-256 of the system. Without the salt a commitment reveals nothing about the
serial (128 random bits); with serial and salt (what the item's label carries) anyone can
recompute it and look it up.

A batch's *commitment list* is the commitments in lowercase hex, sorted, one per line, each
line ending in ``\\n`` (``text/plain``: readable, and accepted by the document store as it
is); its SHA-256 is what the ``authenticity.batch`` entry records.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Iterable
from urllib.parse import urlencode

DOMAIN = b"ipledger/authenticity/v1\x00"
SALT_BYTES = 16
LINE_BYTES = 65  # 64 hex digits and a newline
SERIAL_PATTERN = r"[A-Za-z0-9._-]{1,64}"
SALT_PATTERN = r"[0-9a-f]{32}"
NUMBER_PATTERN = r"[A-Za-z0-9/.,-]{1,40}"
MEDIA_TYPE = "text/plain"
LABEL_PATH = "/authenticity/verify"

_SERIAL = re.compile(SERIAL_PATTERN)
_HEX_LINES = re.compile(rb"(?:[0-9a-f]{64}\n)*")


class SerialError(ValueError):
    """A serial, salt or commitment list that does not follow the format."""


def _field(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(2, "big") + data


def commitment(office: str, number: str, serial: str, salt: bytes) -> bytes:
    """The 32-byte commitment to ``serial`` of the mark ``office`` ``number``."""
    if len(salt) != SALT_BYTES:
        raise SerialError(f"a salt is {SALT_BYTES} bytes")
    return hashlib.sha256(DOMAIN + _field(office) + _field(number) + _field(serial)
                          + salt).digest()


def check_serial(serial: str) -> None:
    if not _SERIAL.fullmatch(serial):
        raise SerialError(f"serial {serial[:80]!r} is not 1-64 of A-Z a-z 0-9 . _ -")


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def encode_list(commitments: Iterable[bytes]) -> bytes:
    """The commitment list of a batch: sorted, lowercase hex lines (duplicates refused)."""
    ordered = sorted(commitments)
    for a, b in itertools.pairwise(ordered):
        if a == b:
            raise SerialError("two items have the same commitment (a serial repeated with "
                              "the same salt)")
    return b"".join(c.hex().encode() + b"\n" for c in ordered)


def parse_list(data: bytes, count: int | None = None) -> list[bytes]:
    """The commitments of a list, checking the format: ``count`` lines (if given), each 64
    lowercase hex digits and a newline, strictly ascending."""
    if len(data) % LINE_BYTES or (count is not None and len(data) != count * LINE_BYTES):
        have = len(data) / LINE_BYTES
        raise SerialError(f"the list holds {have:g} lines of {LINE_BYTES} bytes"
                          + (f", not {count}" if count is not None else ""))
    if not _HEX_LINES.fullmatch(data):
        raise SerialError("every line must be 64 lowercase hex digits and a newline")
    raw = bytes.fromhex(data.decode("ascii"))  # fromhex skips the newlines
    out = [raw[i:i + 32] for i in range(0, len(raw), 32)]
    if any(a >= b for a, b in itertools.pairwise(out)):
        raise SerialError("the list must be sorted ascending, without repeats")
    return out


def label_url(base_url: str, office: str, number: str, serial: str, salt: bytes) -> str:
    """The URL an item's QR code carries: the public verification page with its serial."""
    query = urlencode({"office": office, "number": number, "serial": serial,
                       "salt": salt.hex()})
    return f"{base_url.rstrip('/')}{LABEL_PATH}?{query}"
