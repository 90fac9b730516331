"""Proof of existence: ``evidence.stamp`` entries record a file's SHA-256, never the file."""

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
# RFC 6838 type/subtype, restricted-name characters, optional parameters not allowed.
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\Z"
)
_FIELDS = {"sha256", "media_type", "name_sha256"}


class EvidenceStamp:
    """The ``evidence.stamp`` entry type: ``{"sha256", "media_type"?, "name_sha256"?}``."""

    name = STAMP_TYPE

    def check_body(self, body: Mapping[str, Any]) -> None:
        for field in body:
            if field not in _FIELDS:
                raise Rejection(
                    "unknown-field", f"'{field}' is not a field of {STAMP_TYPE}", f"/body/{field}"
                )
        if "sha256" not in body:
            raise Rejection("missing-field", "'sha256' is required", "/body/sha256")
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
        return [evidence_key(body["sha256"])]


def evidence_key(sha256_hex: str) -> bytes:
    return KEY_PREFIX + bytes.fromhex(sha256_hex)


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
