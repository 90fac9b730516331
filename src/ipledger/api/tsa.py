"""HTTP of the RFC 3161 time-stamping authority: ``POST /tsa`` and ``GET /tsa/certs``.

RFC 3161 section 3.4: a DER ``TimeStampReq`` as ``application/timestamp-query``, the DER
``TimeStampResp`` as ``application/timestamp-reply``. A malformed or unacceptable request
is answered 200 with a ``TimeStampResp`` of status rejection (the client's TSA tooling reads
the failInfo); only transport errors (wrong Content-Type 415, body too large 413) are
RFC 9457 problem documents.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.bodies import read_body
from ipledger.api.hardening import TSA_MAX_BODY as MAX_BODY
from ipledger.api.problems import problem_responses
from ipledger.ledger import Rejection
from ipledger.services.tsa import TimeStampAuthority, node_tsa
from ipledger.services.tsa_protocol import POLICY_OID

QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"
NO_STORE = {"Cache-Control": "no-store"}


async def _tsa(request: Request) -> TimeStampAuthority:
    config = getattr(request.app.state, "config", None)
    data: Path | None = getattr(config, "data_dir", None)
    tsa = await asyncio.to_thread(node_tsa, request.app.state, request.app.state.ledger, data)
    if tsa is None:
        raise Rejection("not-found", "this node serves no time-stamping authority", status=404)
    return tsa


async def post_tsa(request: Request) -> Response:
    await request.body()  # the size limit first, counted while reading (api/hardening.py)
    body = await read_body(request, MAX_BODY, (QUERY,))
    tsa = await _tsa(request)
    reply = await asyncio.to_thread(tsa.respond, body)
    return Response(reply, media_type=REPLY, headers=NO_STORE)


async def get_certs(request: Request) -> Response:
    tsa = await _tsa(request)
    return Response(tsa.identity.chain_pem(), media_type="application/pem-certificate-chain")


routes = [
    Route("/tsa", post_tsa, methods=["POST"]),
    Route("/tsa/certs", get_certs, methods=["GET"]),
]

#: This module's part of ``/openapi.json`` (api/openapi.py merges it).
OPENAPI_PATHS: dict[str, Any] = {
    "/tsa": {"post": {
        "summary": "RFC 3161 time-stamping: a DER TimeStampReq in, a DER TimeStampResp out",
        "description": "SHA-256, SHA-384 or SHA-512 imprints; reqPolicy absent or "
        f"{POLICY_OID}; no extensions. Each granted token's imprint is first recorded as "
        "an evidence.stamp entry: the token's serialNumber is its index and its genTime "
        "its ledger time (docs/tsa.md). A request the TSA refuses is still answered 200 "
        "with a TimeStampResp of status rejection and its failInfo (badAlg, "
        "badDataFormat, unacceptedPolicy, unacceptedExtension); nothing is recorded.",
        "requestBody": {"required": True, "content": {QUERY: {
            "schema": {"type": "string", "format": "binary", "maxLength": MAX_BODY}}}},
        "responses": {
            "200": {"description": "DER TimeStampResp (granted, or rejection with failInfo)",
                    "content": {REPLY: {"schema": {"type": "string", "format": "binary"}}}},
            **problem_responses(404, 413, 415)}}},
    "/tsa/certs": {"get": {
        "summary": "The TSA certificate then its issuing CA chain, PEM "
        "(openssl ts -verify -CAfile the root -untrusted the TSA certificate)",
        "responses": {"200": {"description": "PEM certificates", "content": {
            "application/pem-certificate-chain": {"schema": {"type": "string"}, "example": (
                "-----BEGIN CERTIFICATE-----\nMIIB…(the TSA certificate)\n"
                "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIB…(its CA)\n"
                "-----END CERTIFICATE-----\n")}}},
            **problem_responses(404)}}},
}
