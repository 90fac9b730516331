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
credential: no session is needed. On top of the general per-client request limits of
``api/hardening.py`` and of the on-ledger lock, wrong codes drain a token bucket of the
client and one of the deposit (``AccessConfig.failed_access_codes``): while either is
empty the node answers 429 with ``Retry-After`` before sequencing anything, so a refusal
by rate limit is not an entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import entry_of_type, read_body
from ipledger.api.documents import document_store
from ipledger.api.hardening import AccessControl
from ipledger.api.problems import problem_responses
from ipledger.codec import parse_json
from ipledger.identity import SigningKey
from ipledger.ledger import MAX_SUBMITTED_BYTES, Ledger, Rejection, make_envelope
from ipledger.registry.families.priority import MAX_FAILED, access_code_hash, public_status
from ipledger.registry.records import priority_record


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
    body = entry_of_type(raw, "priority.access").get("body")
    path = (request.path_params["office"], request.path_params["number"])
    if not isinstance(body, dict) or (body.get("office"), body.get("number")) != path:
        raise Rejection("invalid-value", "the entry must name the deposit of the path "
                        f"({path[0]} {path[1]})", "/body/number")


class RateLimited(Rejection):
    """A 429 problem that says when to try again (``Retry-After``, RFC 9110)."""

    def __init__(self, detail: str, wait_s: float, pointer: str = "") -> None:
        retry = max(1, math.ceil(wait_s))
        super().__init__("rate-limited", f"{detail}; retry in {retry} s", pointer, status=429)
        self.headers = {"Retry-After": str(retry)}


async def retrieve(request: Request) -> Response:
    raw = await read_body(request, MAX_SUBMITTED_BYTES, ("application/json",))
    _access_envelope(request, raw)
    deposit = _deposit(request)
    control: AccessControl = request.app.state.access
    deposit_key = priority_record(deposit["office"], deposit["number"])
    wait = control.code_wait(request.scope, deposit_key)
    if wait:  # before sequencing: a refusal by rate limit is not an entry
        raise RateLimited("too many wrong access codes for this deposit or from this client",
                          wait, "/body/code_hash")
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
        control.code_failed(request.scope, deposit_key)
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
                 "description": d, "example": e}
                for n, d, e in (("office", "the depositing office (ST.3)", "EM"),
                                ("number", "the application number", "018000001"))]
_SALT_EXAMPLE = "5a17" * 8
_STATUS_EXAMPLE = {
    "office": "EM", "number": "018000001", "filing_date": "2026-03-02", "kind": "trademark",
    "sha256": "9f2c" * 16, "media_type": "application/pdf",
    "applicants": ["P4A1F2C3D4E5F60718293"], "salt": _SALT_EXAMPLE,
    "deposited": {"index": 41, "time_ms": 1_790_000_000_000, "by": "P0123456789ABCDEF0123"},
    "authorized": ["US"], "authorizations": [{"offices": ["US"], "by": "P4A1F2C3D4E5F60718293",
                                              "index": 42, "time_ms": 1_790_000_060_000}],
    "failed_attempts": 1, "locked": False,
    "accesses": [{"office": "US", "by": "P9F8E7D6C5B4A39281706", "ok": False, "index": 43,
                  "time_ms": 1_790_000_120_000}]}


def _access_example() -> dict[str, Any]:
    """A real, signed priority.access envelope (fixed key, nonce and time) for the docs."""
    body = {"office": "EM", "number": "018000001", "accessing_office": "US",
            "code_hash": access_code_hash(_SALT_EXAMPLE, "K7Q2-M9XW-4TRB-8HZP")}
    return make_envelope(SigningKey.from_seed(bytes(32)), "office.example/register",
                         "priority.access", body, nonce="doc-example-0002",
                         created_ms=1_790_000_180_000)


def _problem_example(status: int, rule: str, detail: str, pointer: str,
                     headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response = problem_responses(status)[str(status)]
    response["content"]["application/problem+json"]["example"] = {
        **Rejection(rule, detail, pointer, status=status).problem(
            "/v1/priority/EM/018000001/retrieve")}
    return {str(status): {**response, **({"headers": headers} if headers else {})}}
OPENAPI_PATHS: dict[str, Any] = {
    "/v1/priority/{office}/{number}": {"get": {
        "summary": "A priority document deposit's public status (WIPO DAS model)",
        "description": "SHA-256 and media type of the document, applicants, authorized "
        "accessing offices and their authorizations, the salt of the access code, every "
        "access (office, registrar, ok, entry index, ledger time), failed_attempts and "
        "locked. Never the access code's hash (docs/priority-documents.md).",
        "parameters": _PATH_PARAMS,
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object"}, "example": _STATUS_EXAMPLE}}},
            **problem_responses(404)}}},
    "/v1/priority/{office}/{number}/retrieve": {"post": {
        "summary": "Retrieve a priority document (registrar of an authorized accessing "
        "office): the body is a signed priority.access entry",
        "description": "The entry carries SHA-256(salt || access code). It is sequenced "
        "whatever the outcome, so every attempt is in the register. A matching code answers "
        "the document, re-hashed against the deposit; a wrong code 403 wrong-access-code, "
        f"counted; after {MAX_FAILED} wrong codes 423 locked until the applicant authorizes "
        "again. X-Ipledger-Entry names the access entry's index. Wrong codes also drain "
        "a per-client and a per-deposit token bucket: while either is empty the answer is "
        "429 rate-limited with Retry-After, and nothing is recorded.",
        "parameters": _PATH_PARAMS,
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Envelope"},
            "example": _access_example()}}},
        "responses": {"200": {"description": "The document's bytes, in its media type",
                              "content": {"*/*": {"schema": {"type": "string",
                                                             "format": "binary"}}}},
                      **problem_responses(400, 404, 409, 413, 415, 422, 423),
                      **_problem_example(403, "wrong-access-code", "the access code does not "
                                         "match (recorded as entry 43); 4 attempts left "
                                         "before the deposit locks", "/body/code_hash"),
                      **_problem_example(429, "rate-limited", "too many wrong access codes "
                                         "for this deposit or from this client; retry in "
                                         "60 s", "/body/code_hash", {"Retry-After": {
                                             "description": "seconds to wait",
                                             "schema": {"type": "integer"}, "example": 60}})}}},
}
