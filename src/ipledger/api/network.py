"""A shared ledger's network view: its description, finality proofs, divergence evidence."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import int_param
from ipledger.api.problems import problem_responses
from ipledger.api.waiting import SizeWaiter
from ipledger.ledger import Rejection
from ipledger.network.shared_ledger import SharedLedger

MAX_WAIT_S = 30.0


def shared_ledger(request: Request) -> SharedLedger:
    ledger = request.app.state.ledger
    if not isinstance(ledger, SharedLedger):
        raise Rejection("not-shared", "this node keeps its own ledger, not a shared one")
    return ledger


def finality_waiter(ledger: SharedLedger,
                    loop: asyncio.AbstractEventLoop) -> SizeWaiter[str | None]:
    waiter: SizeWaiter[str | None] = SizeWaiter(ledger.finality.latest, loop)
    ledger.finality.listeners.append(waiter.published_threadsafe)
    return waiter


async def get_network(request: Request) -> Response:
    ledger = shared_ledger(request)
    final_size, _ = ledger.finality.latest()
    return JSONResponse({
        "network": ledger.network.to_json(),
        "member": ledger.finality.signer.name,
        "connected": ledger.connected.is_set() and ledger.nats_connected(),
        "stream_seq": ledger.applied_seq(),
        "tree_size": ledger.sequencer.tree_size,
        "final_size": final_size,
        "divergences": len(ledger.finality.divergences),
    })


async def get_finality(request: Request) -> Response:
    """The finality proof (a cosigned checkpoint note) covering ``size`` entries."""
    ledger = shared_ledger(request)
    size, wait = int_param(request, "size", 1), int_param(request, "wait", 0)
    if size < 1:
        raise Rejection("bad-parameter", "'size' must be at least 1", "/size")
    if wait > MAX_WAIT_S:
        raise Rejection("bad-parameter", f"'wait' is at most {MAX_WAIT_S:g} s", "/wait")
    final_size, note = ledger.finality.latest()
    if final_size < size:
        note = None
        if wait:
            with contextlib.suppress(TimeoutError):
                note = await request.app.state.finality.wait_for(size, float(wait))
    if note is None:
        raise Rejection("not-final", f"no checkpoint covering {size} entries is final yet "
                        f"(final: {ledger.finality.final_size})", "/size")
    return PlainTextResponse(note, headers={"Cache-Control": "no-store"})


async def get_divergences(request: Request) -> Response:
    ledger = shared_ledger(request)
    return JSONResponse([d.to_json() for d in ledger.finality.divergences])


routes = [
    Route("/v1/network", get_network, methods=["GET"]),
    Route("/v1/network/finality", get_finality, methods=["GET"]),
    Route("/v1/network/divergences", get_divergences, methods=["GET"]),
]


_NETWORK_STATUS = {"type": "object", "properties": {
    "network": {"type": "object", "description": "network.json: ledger, stream, genesis, "
                "members (name, cosigner vkey), quorum, replicas"},
    "member": {"type": "string"}, "connected": {"type": "boolean"},
    "stream_seq": {"type": "integer"}, "tree_size": {"type": "integer"},
    "final_size": {"type": "integer"}, "divergences": {"type": "integer"}}}
_DIVERGENCE = {"type": "object", "properties": {
    "member": {"type": "string"}, "size": {"type": "integer"},
    "ours": {"type": "string", "description": "this node's checkpoint body"},
    "theirs": {"type": "string", "description": "the member's body with its cosignature"}}}
_FINALITY_EXAMPLE = (
    "network.ipledger.localhost/shared\n1\nwMjTIBA9qslnrCYEEkTyE8h8D5280RZusxtf+wu+HGQ=\n"
    "ipledger-state-root 2XjFqJDW1851gnBekAkukF8UWoS3M6xzK8eYjl9tO1M=\n"
    "ipledger-stream-seq 1\n\n— office-a igPPEQAAAABr...==\n— office-b 6gVqaAAAAABr...==\n"
    "— office-d MyPq0QAAAABr...==\n")

OPENAPI_PATHS: dict[str, Any] = {
    "/v1/network": {"get": {
        "summary": "This office node's view of its shared ledger's network (docs/network.md)",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": _NETWORK_STATUS}}}, **problem_responses(404)}}},
    "/v1/network/finality": {"get": {
        "summary": "A finality proof: the checkpoint covering `size` entries cosigned by a "
                   "quorum of member offices (C2SP tlog-cosignature lines)",
        "description": "Verify offline with `ipledger network verify PROOF --network "
                       "network.json`.",
        "parameters": [
            {"name": "size", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": 1}},
            {"name": "wait", "in": "query", "required": False,
             "description": "seconds to wait for finality (0-30)",
             "schema": {"type": "integer", "minimum": 0, "maximum": 30, "default": 0}}],
        "responses": {"200": {"description": "a signed note", "content": {"text/plain": {
            "schema": {"type": "string"}, "example": _FINALITY_EXAMPLE}}},
            **problem_responses(400, 404)}}},
    "/v1/network/divergences": {"get": {
        "summary": "Evidence: members that cosigned another checkpoint than this node's "
                   "for the same size",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "array", "items": _DIVERGENCE}}}}, **problem_responses(404)}}},
}
