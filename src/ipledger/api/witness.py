"""HTTP of witnessing: C2SP tlog-witness ``POST /witness/add-checkpoint``, evidence, keys.

The submission and monitoring prefixes are both ``/witness``. Answers the spec fixes
are sent as it fixes them (cosignature lines; the 409 ``text/x.tlog.size``); every
other refusal is an RFC 9457 problem with the status the spec prescribes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import read_body
from ipledger.api.problems import problem_responses
from ipledger.codec import b64_encode
from ipledger.ledger import Rejection
from ipledger.network.witness import WitnessRefusal
from ipledger.network.witness_client import SIZE_MEDIA_TYPE
from ipledger.network.witnessing import Witnessing
from ipledger.storage.witness import Evidence

MAX_BODY = 64 * 1024  # 63 proof lines and a checkpoint with 100 signatures fit easily
TEXT = "text/plain; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store"}


def _witnessing(request: Request) -> Witnessing:
    witnessing: Witnessing | None = getattr(request.app.state, "witnessing", None)
    if witnessing is None:
        raise Rejection("no-witness", "this node was started without witnessing", status=404)
    return witnessing


async def post_add_checkpoint(request: Request) -> Response:
    body = await read_body(request, MAX_BODY, None)  # an oversize body: 413 in any case
    witnessing = _witnessing(request)
    try:
        lines = await asyncio.to_thread(witnessing.witness.add_checkpoint, body)
    except WitnessRefusal as refusal:
        if refusal.known_size is not None:
            # Exactly this Content-Type, no charset parameter (the spec fixes it).
            return Response(f"{refusal.known_size}\n", status_code=409,
                            headers={"Content-Type": SIZE_MEDIA_TYPE, **NO_STORE})
        raise Rejection(refusal.rule, refusal.detail, status=refusal.status) from None
    return PlainTextResponse(lines, media_type=TEXT, headers=NO_STORE)


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    """One evidence record as ``GET /witness/evidence`` lists it."""
    return {
        "id": evidence.id,
        "origin": evidence.origin,
        "kind": evidence.kind,
        "detected_at": evidence.detected_at,
        "recorded_checkpoint": evidence.recorded,
        "offered_checkpoint": evidence.offered,
        "old_size": evidence.old_size,
        "consistency_proof": [b64_encode(h) for h in evidence.proof],
    }


async def get_evidence(request: Request) -> Response:
    witnessing = _witnessing(request)
    records = await asyncio.to_thread(witnessing.store.evidence)
    return JSONResponse({"evidence": [evidence_json(e) for e in records]}, headers=NO_STORE)


async def get_logs(request: Request) -> Response:
    witnessing = _witnessing(request)
    logs = await asyncio.to_thread(witnessing.store.logs)
    return JSONResponse({"logs": [
        {"origin": log.origin, "vkeys": list(log.vkeys), "size": log.size,
         "root": None if log.root is None else b64_encode(log.root)}
        for log in logs]}, headers=NO_STORE)


async def get_vkey(request: Request) -> Response:
    return PlainTextResponse(_witnessing(request).vkey + "\n", media_type=TEXT)


routes = [
    Route("/witness/add-checkpoint", post_add_checkpoint, methods=["POST"]),
    Route("/witness/evidence", get_evidence, methods=["GET"]),
    Route("/witness/logs", get_logs, methods=["GET"]),
    Route("/witness/vkey", get_vkey, methods=["GET"]),
]


_TEXT_ANSWER = {"text/plain": {"schema": {"type": "string"}}}
_ADD_CHECKPOINT_EXAMPLE = (
    "old 3\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\noffice-b.example/log\n6\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— office-b.example/log AbCd...==\n")
_EVIDENCE = {"type": "object", "required": ["id", "origin", "kind", "recorded_checkpoint",
                                            "offered_checkpoint"], "properties": {
    "id": {"type": "string", "description": "SHA-256 (hex) of the record"},
    "origin": {"type": "string"},
    "kind": {"enum": ["same-size-different-root", "consistency-proof-failed"]},
    "detected_at": {"type": "string", "format": "date-time"},
    "recorded_checkpoint": {"type": "string", "description": "the signed checkpoint this "
                            "witness had cosigned"},
    "offered_checkpoint": {"type": "string", "description": "the validly signed checkpoint "
                           "it refused"},
    "old_size": {"type": "integer"},
    "consistency_proof": {"type": "array", "items": {"type": "string",
                                                     "contentEncoding": "base64"}}}}

#: This module's part of ``/openapi.json`` (api/openapi.py merges it).
OPENAPI_PATHS: dict[str, Any] = {
    "/witness/add-checkpoint": {"post": {
        "summary": "C2SP tlog-witness add-checkpoint: cosign a witnessed log's checkpoint",
        "description": "Body: 'old <size>', up to 63 base64 consistency proof lines, an empty "
        "line, the signed checkpoint (docs/witnessing.md). Any Content-Type.",
        "requestBody": {"required": True, "content": {"text/plain": {
            "schema": {"type": "string"}, "example": _ADD_CHECKPOINT_EXAMPLE}}},
        "responses": {
            "200": {"description": "cosignature line(s) (C2SP tlog-cosignature v1)",
                    "content": _TEXT_ANSWER},
            "409": {"description": "old size is not the size this witness last cosigned: "
                    "the body is that size and a newline (text/x.tlog.size); or, as a "
                    "problem document, the checkpoint has the cosigned size but another root "
                    "(kept as evidence)",
                    "content": {SIZE_MEDIA_TYPE: {"schema": {"type": "string"},
                                                  "example": "3\n"},
                                "application/problem+json": {
                                    "schema": {"$ref": "#/components/schemas/Problem"}}}},
            **problem_responses(400, 403, 404, 413, 422, 503)}}},
    "/witness/evidence": {"get": {
        "summary": "Inconsistent checkpoints this witness refused, kept as evidence",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object", "properties": {
                "evidence": {"type": "array", "items": _EVIDENCE}}}}}},
            **problem_responses(404)}}},
    "/witness/logs": {"get": {
        "summary": "Logs this node witnesses: origin, trusted keys, size and root cosigned",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object"}}}}, **problem_responses(404)}}},
    "/witness/vkey": {"get": {
        "summary": "This node's cosigner verifier key (type 0x04 vkey, DATA/witness.vkey)",
        "responses": {"200": {"description": "vkey", "content": _TEXT_ANSWER},
                      **problem_responses(404)}}},
}
