"""The C2SP tlog-tiles read API under ``/tlog/``: checkpoint, hash tiles, entry bundles."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.registers import ledger_of
from ipledger.ledger import Ledger, Rejection
from ipledger.log import (
    TILE_WIDTH,
    TilePathError,
    encode_entry_bundle,
    parse_tile_path,
    tile_width_at,
)

IMMUTABLE = "public, max-age=31536000, immutable"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


async def get_checkpoint(request: Request) -> Response:
    ledger = ledger_of(request)
    checkpoint = ledger.latest_checkpoint()
    note = checkpoint.note
    witnessing = getattr(request.app.state, "witnessing", None)
    if witnessing is not None and ledger is request.app.state.ledger:
        # This node's own log: with its witnesses' cosignature lines (api/witness.py).
        note = await asyncio.to_thread(witnessing.client.cosigned_note, checkpoint)
    return Response(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


def _read_tile(ledger: Ledger, path: str) -> bytes:
    try:
        ref = parse_tile_path(path)
    except TilePathError as exc:
        raise Rejection("not-found", f"not a tlog-tiles path: {exc}", "/path", status=404) from None
    size = ledger.tree_size()
    # An entry bundle N covers the same leaves as the level-0 hash tile N.
    available = tile_width_at(0 if ref.kind == "entries" else ref.level, ref.index, size)
    if ref.width > available:
        raise Rejection(
            "not-found",
            f"{path} is beyond the latest checkpoint (size {size}; this tile has {available})",
            "/path", status=404,
        )
    if ref.kind == "entries":
        start = ref.index * TILE_WIDTH
        return encode_entry_bundle(ledger.entries(start, start + ref.width))
    return ledger.store.read_tiles([(ref.level, ref.index, ref.width)])[0]


async def get_tile(request: Request) -> Response:
    ledger = ledger_of(request)
    data = await asyncio.to_thread(_read_tile, ledger, "tile/" + request.path_params["path"])
    return Response(data, media_type=OCTETS, headers={"Cache-Control": IMMUTABLE})


routes = [
    Route("/tlog/checkpoint", get_checkpoint, methods=["GET"]),
    Route("/tlog/tile/{path:path}", get_tile, methods=["GET"]),
]
