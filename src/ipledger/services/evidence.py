"""Proof of existence: ``evidence.stamp`` entries record a file's SHA-256, never the file.

An RFC 3161 request may carry a SHA-384 or SHA-512 imprint instead; its entry then holds
that digest as ``sha384`` or ``sha512`` (exactly one digest field per entry).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ipledger.ledger import Rejection

STAMP_TYPE = "evidence.stamp"
KEY_PREFIX = b"ev"
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
#: The digest fields, with their length in hex digits; an entry has exactly one.
DIGEST_FIELDS = {"sha256": 64, "sha384": 96, "sha512": 128}
# RFC 6838 type/subtype, restricted-name characters, optional parameters not allowed.
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\Z"
)
_FIELDS = {*DIGEST_FIELDS, "media_type", "name_sha256"}


class EvidenceStamp:
    """The ``evidence.stamp`` entry type: ``{"sha256", "media_type"?, "name_sha256"?}``
    (or ``sha384`` / ``sha512`` in place of ``sha256``)."""

    name = STAMP_TYPE

    def check_body(self, body: Mapping[str, Any]) -> None:
        for field in body:
            if field not in _FIELDS:
                raise Rejection(
                    "unknown-field", f"'{field}' is not a field of {STAMP_TYPE}", f"/body/{field}"
                )
        digests = [f for f in DIGEST_FIELDS if f in body]
        if not digests:
            raise Rejection("missing-field", "'sha256' is required", "/body/sha256")
        if len(digests) > 1:
            raise Rejection("invalid-value", "exactly one of 'sha256', 'sha384', 'sha512'",
                            f"/body/{digests[1]}")
        if digests[0] != "sha256":
            _check_hex(body, digests[0], DIGEST_FIELDS[digests[0]])
        for field in ("sha256", "name_sha256"):
            if field in body:
                value = body[field]
                if not isinstance(value, str):
                    raise Rejection("wrong-type", f"'{field}' must be a string", f"/body/{field}")
                if not _HEX64.match(value):
                    raise Rejection(
                        "invalid-value",
                        f"'{field}' must be 64 lowercase hex digits (a SHA-256)",
                        f"/body/{field}",
                    )
        if "media_type" in body:
            value = body["media_type"]
            if not isinstance(value, str):
                raise Rejection("wrong-type", "'media_type' must be a string", "/body/media_type")
            if not _MEDIA_TYPE.match(value):
                raise Rejection(
                    "invalid-value", "'media_type' must be an RFC 6838 type/subtype",
                    "/body/media_type",
                )

    def index_keys(self, body: Mapping[str, Any]) -> list[bytes]:
        # Keys of different digests differ in length, so they never collide.
        return [evidence_key(next(body[f] for f in DIGEST_FIELDS if f in body))]


def _check_hex(body: Mapping[str, Any], field: str, digits: int) -> None:
    value = body[field]
    if not isinstance(value, str):
        raise Rejection("wrong-type", f"'{field}' must be a string", f"/body/{field}")
    if len(value) != digits or any(c not in "0123456789abcdef" for c in value):
        raise Rejection("invalid-value", f"'{field}' must be {digits} lowercase hex digits",
                        f"/body/{field}")


def evidence_key(digest_hex: str) -> bytes:
    return KEY_PREFIX + bytes.fromhex(digest_hex)


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def stamp_body(
    path: Path, media_type: str | None = None, *, include_name: bool = True
) -> dict[str, str]:
    """The body for stamping ``path``: computed locally, the file never leaves the machine."""
    body = {"sha256": file_sha256(path)}
    guessed = media_type or mimetypes.guess_type(path.name)[0]
    if guessed:
        body["media_type"] = guessed
    if include_name:
        body["name_sha256"] = hashlib.sha256(path.name.encode()).hexdigest()
    return body
