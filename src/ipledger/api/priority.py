"""``/v1/priority/{office}/{number}``: priority documents between offices (WIPO DAS model).

``GET`` answers a deposit's public status (``registry/families/priority.py:
public_status``): document hash and media type, applicants, authorized offices, the
access history and whether it is locked; never the access code's hash.

``POST .../retrieve`` is for a registrar of an accessing office. The body is that
registrar's signed ``priority.access`` envelope (the presented code as SHA-256(salt ||
code), the salt being public in the status). The node sequences it, so every attempt is an
entry whatever its outcome; the register's rules compare the hashes. A matching code
answers the document's bytes, re-hashed against the deposit's SHA-256; a wrong one answers
403 ``wrong-access-code``, counted in the register, which locks the deposit (423) after
``MAX_FAILED`` misses until the applicant authorizes again. The signature is the
credential: no session is needed, and the general per-client request limits of
``api/hardening.py`` apply as to every route.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import read_body
from ipledger.api.documents import document_store
from ipledger.api.problems import problem_responses
from ipledger.codec import JsonError, parse_json
from ipledger.ledger import MAX_SUBMITTED_BYTES, Ledger, Rejection
from ipledger.registry.families.priority import MAX_FAILED, priority_record, public_status


def _deposit(request: Request) -> dict[str, Any]:
    ledger: Ledger = request.app.state.ledger
    office, number = request.path_params["office"], request.path_params["number"]
    raw = ledger.store.read_record(priority_record(office, number))
    if raw is None:
        raise Rejection("not-found", f"no priority document deposited as {office} {number}",
                        "/number", status=404)
    return dict(parse_json(raw))


async def get_status(request: Request) -> Response:
    return JSONResponse(public_status(_deposit(request)))


def _access_envelope(request: Request, raw: bytes) -> None:
    """The body must be a ``priority.access`` entry for the deposit the path names."""
    try:
        envelope = parse_json(raw)
    except JsonError as exc:
        raise Rejection(exc.rule, exc.detail, exc.pointer) from None
    if not isinstance(envelope, dict) or envelope.get("type") != "priority.access":
        raise Rejection("invalid-value", "the body must be a signed priority.access entry",
                        "/type")
    body = envelope.get("body")
    path = (request.path_params["office"], request.path_params["number"])
    if not isinstance(body, dict) or (body.get("office"), body.get("number")) != path:
        raise Rejection("invalid-value", "the entry must name the deposit of the path "
                        f"({path[0]} {path[1]})", "/body/number")


async def retrieve(request: Request) -> Response:
    raw = await read_body(request, MAX_SUBMITTED_BYTES, ("application/json",))
    _access_envelope(request, raw)
    deposit = _deposit(request)
    store = document_store(request)
    if not store.exists(deposit["sha256"]):  # checked first: no entry for a missing file
        raise Rejection("not-found", "the depositing office has not stored the document "
                        "yet", "/number", status=404)
    ledger: Ledger = request.app.state.ledger
    sequenced = await asyncio.wrap_future(ledger.submit(raw))
    record = _deposit(request)
    (attempt,) = [a for a in record["accesses"] if a["index"] == sequenced.index]
    headers = {"X-Ipledger-Entry": str(sequenced.index), "Cache-Control": "no-store"}
    if not attempt["ok"]:
        left = MAX_FAILED - record["failed_attempts"]
        raise Rejection("wrong-access-code", f"the access code does not match (recorded as "
                        f"entry {sequenced.index}); {left} attempts left before the deposit "
                        "locks", "/body/code_hash", status=403)
    data = b"".join([chunk async for chunk in store.read(deposit["sha256"])])
    if hashlib.sha256(data).hexdigest() != deposit["sha256"]:
        raise Rejection("hash-mismatch", "the stored document does not hash to the "
                        "deposited SHA-256", "/number", status=500)
    return Response(data, media_type=deposit["media_type"],
                    headers={**headers, "ETag": f'"{deposit["sha256"]}"',
                             "X-Content-Type-Options": "nosniff"})


routes = [
    Route("/v1/priority/{office}/{number}", get_status, methods=["GET"]),
    Route("/v1/priority/{office}/{number}/retrieve", retrieve, methods=["POST"]),
]

_PATH_PARAMS = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"},
                 "description": d} for n, d in (("office", "the depositing office (ST.3)"),
                                                ("number", "the application number"))]
OPENAPI_PATHS: dict[str, Any] = {
    "/v1/priority/{office}/{number}": {"get": {
        "summary": "A priority document deposit's public status (WIPO DAS model)",
        "description": "SHA-256 and media type of the document, applicants, authorized "
        "accessing offices and their authorizations, the salt of the access code, every "
        "access (office, registrar, ok, entry index, ledger time), failed_attempts and "
        "locked. Never the access code's hash (docs/priority-documents.md).",
        "parameters": _PATH_PARAMS,
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object"}}}}, **problem_responses(404)}}},
    "/v1/priority/{office}/{number}/retrieve": {"post": {
        "summary": "Retrieve a priority document (registrar of an authorized accessing "
        "office): the body is a signed priority.access entry",
        "description": "The entry carries SHA-256(salt || access code). It is sequenced "
        "whatever the outcome, so every attempt is in the register. A matching code answers "
        "the document, re-hashed against the deposit; a wrong code 403 wrong-access-code, "
        f"counted; after {MAX_FAILED} wrong codes 423 locked until the applicant authorizes "
        "again. X-Ipledger-Entry names the access entry's index.",
        "parameters": _PATH_PARAMS,
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Envelope"}}}},
        "responses": {"200": {"description": "The document's bytes, in its media type",
                              "content": {"*/*": {"schema": {"type": "string",
                                                             "format": "binary"}}}},
                      **problem_responses(400, 403, 404, 409, 413, 415, 422, 423)}}},
}
