"""Reading request bodies with hard size limits and content-type checks."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ipledger.codec import JsonError, parse_json
from ipledger.ledger import Rejection


async def read_body(request: Request, limit: int, media_types: tuple[str, ...] | None) -> bytes:
    """The body, refusing a wrong Content-Type (415; ``None``: any) or more than ``limit``
    bytes (413)."""
    # The size first: an oversized body is refused whatever it claims to be.
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Rejection("body-too-large", f"body is {declared} bytes; at most {limit}")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_types is not None and media_type not in media_types:
        raise Rejection(
            "unsupported-media-type",
            f"Content-Type must be {' or '.join(media_types)}, not {media_type or 'missing'!r}",
            status=415,
        )
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise Rejection("body-too-large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def int_param(request: Request, name: str, default: int | None = None) -> int:
    """A non-negative decimal query parameter, or a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise Rejection("bad-parameter", f"query parameter '{name}' is required", f"/{name}")
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
        raise Rejection(
            "bad-parameter", f"'{name}' must be a non-negative decimal integer", f"/{name}"
        )
    return int(raw)


def entry_of_type(raw: bytes, entry_type: str) -> dict[str, Any]:
    """``raw`` parsed as an entry envelope of ``entry_type`` (a route that takes one kind of
    signed entry), or a Rejection naming what is wrong; signatures are the ledger's to check."""
    try:
        envelope = parse_json(raw)
    except JsonError as exc:
        raise Rejection(exc.rule, exc.detail, exc.pointer) from None
    if not isinstance(envelope, dict) or envelope.get("type") != entry_type:
        raise Rejection("invalid-value", f"the body must be a signed {entry_type} entry",
                        "/type")
    return envelope
