"""W3C Verifiable Credentials of the register, the issuer's DID document, status lists.

``/.well-known/did.json`` is the office's did:web document; under each published right:
``credential`` (registration certificate), ``licences/{licence}/credential``,
``assignments/{index}/credential`` (``index``: the entry that recorded it) and
``status-list`` (its Bitstring Status List credential). Credentials are as of the latest
checkpoint, or the one ``?size=``/``?at=`` names (api/registry.py).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.observability import timed_proof
from ipledger.api.problems import problem_responses
from ipledger.api.registers import ledger_of
from ipledger.api.registry import _checkpoint_as_of
from ipledger.credentials.issuer import Issuer, credential_key
from ipledger.credentials.multikey import WELL_KNOWN_DID
from ipledger.credentials.register import RightRef
from ipledger.ledger import Rejection

VC = "application/vc"
DID_JSON = "application/did+json"
_lock = threading.Lock()


def _issuer(request: Request) -> Issuer:
    """``app.state.issuer``, or made from the node's configuration on first use."""
    state = request.app.state
    with _lock:
        issuer: Issuer | None = getattr(state, "issuer", None)
        config = getattr(state, "config", None)
        if issuer is None and config is not None:
            ledger = state.ledger
            issuer = Issuer(ledger.store, credential_key(config.data_dir),
                            config.server.base_url(), ledger.origin)
            state.issuer = issuer
    if issuer is None:
        raise Rejection("not-found", "this node issues no credentials (it was started "
                        "without a data directory)", status=404)
    return issuer


def _json(doc: dict[str, Any], media_type: str) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                    media_type=media_type)


def _ref(request: Request) -> RightRef:
    p = request.path_params
    return RightRef(p["office"], p["kind"], p["number"])


async def get_did_document(request: Request) -> Response:
    return _json(_issuer(request).did_document(), DID_JSON)


async def _issue(request: Request, what: str, *args: Any) -> Response:
    issuer = _issuer(request)
    checkpoint = _checkpoint_as_of(request, ledger_of(request))
    make = getattr(issuer, what)
    doc = await timed_proof(request, "credential", make, _ref(request), *args,
                            checkpoint.tree_size)
    return _json(doc, VC)


async def get_registration(request: Request) -> Response:
    return await _issue(request, "registration")


async def get_licence(request: Request) -> Response:
    return await _issue(request, "licence", request.path_params["licence"])


async def get_assignment(request: Request) -> Response:
    raw = request.path_params["index"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
        raise Rejection("bad-parameter", "the assignment is named by the index of the entry "
                        "that recorded it (a non-negative integer)", "/index")
    return await _issue(request, "assignment", int(raw))


async def get_status_list(request: Request) -> Response:
    return await _issue(request, "status_list")


routes = [
    Route(WELL_KNOWN_DID, get_did_document, methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/credential", get_registration, methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/licences/{licence}/credential", get_licence,
          methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/assignments/{index}/credential",
          get_assignment, methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/status-list", get_status_list, methods=["GET"]),
]


def _param(name: str, description: str, where: str = "path", example: str | None = None,
           required: bool = True) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "required": required,
                             "description": description, "schema": {"type": "string"}}
    if example is not None:
        param["example"] = example
    return param


_RIGHT = [_param("office", "ST.3 office code", example="EM"),
          _param("kind", "right kind", example="trademark"),
          _param("number", "application or registration number", example="000000001")]
_AS_OF = [{"name": "size", "in": "query", "required": False,
           "description": "as of the checkpoint of this tree size",
           "schema": {"type": "integer", "minimum": 0}},
          _param("at", "as of this RFC 3339 time (the last checkpoint not after it)", "query",
                 required=False)]
_CREDENTIAL_SCHEMA = {"type": "object", "required": ["@context", "type", "issuer", "proof"],
                      "properties": {"@context": {"type": "array"}, "type": {"type": "array"},
                                     "issuer": {"type": "string"},
                                     "proof": {"type": "object"}}}
_SITE = "https://register.office.example"
_RIGHT_URL = f"{_SITE}/v1/rights/EM/trademark/000000001"
_ISSUER = "did:web:register.office.example"


def _example(path: str, kind: str, subject: dict[str, Any], bit: str) -> dict[str, Any]:
    """An example of the credential a route serves (proof values shortened)."""
    example: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/ipledger/v1"],
        "id": _RIGHT_URL + path, "type": ["VerifiableCredential", kind], "issuer": _ISSUER,
        "validFrom": "2026-12-23T01:00:00.000Z", "credentialSubject": subject,
        "credentialStatus": {"id": f"{_RIGHT_URL}/status-list#{bit}",
                             "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": bit,
                             "statusListCredential": f"{_RIGHT_URL}/status-list"},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                  "created": "2026-12-23T01:00:00.000Z",
                  "verificationMethod": f"{_ISSUER}#z6Mk…", "proofPurpose": "assertionMethod",
                  "proofValue": "z4StLazvz…"}}
    if kind == "BitstringStatusListCredential":
        example["@context"] = example["@context"][:1]
        del example["credentialStatus"]
    return example


def _vc(summary: str, description: str, params: list[dict[str, Any]],
        example: dict[str, Any]) -> dict[str, Any]:
    return {"get": {
        "summary": summary, "description": description + " Verify it offline with "
        "`ipledger credential verify FILE --did-document DID.json --status-list LIST.json` "
        "(docs/credentials.md). 404 also when the node runs without a data directory.",
        "parameters": [*_RIGHT, *params, *_AS_OF],
        "responses": {"200": {"description": "W3C Verifiable Credential 2.0 with an "
                              "eddsa-rdfc-2022 Data Integrity proof", "content": {VC: {
                                  "schema": _CREDENTIAL_SCHEMA, "example": example}}},
                      **problem_responses(400, 404, 409)}}}


#: This module's part of ``/openapi.json`` (api/openapi.py merges it).
OPENAPI_PATHS: dict[str, Any] = {
    WELL_KNOWN_DID: {"get": {
        "summary": "The office's did:web DID document: the credential key as a Multikey "
        "(assertionMethod)",
        "responses": {"200": {"description": "DID document", "content": {DID_JSON: {
            "schema": {"type": "object", "required": ["id", "verificationMethod"]},
            "example": {"@context": ["https://www.w3.org/ns/did/v1",
                                     "https://w3id.org/security/multikey/v1"],
                        "id": "did:web:register.office.example",
                        "verificationMethod": [{
                            "id": "did:web:register.office.example#z6Mk…",
                            "type": "Multikey", "controller": "did:web:register.office.example",
                            "publicKeyMultibase": "z6Mk…"}],
                        "assertionMethod": ["did:web:register.office.example#z6Mk…"]}}}},
            **problem_responses(404)}}},
    "/v1/rights/{office}/{kind}/{number}/credential": _vc(
        "Registration certificate of a published, registered (or granted) right as a "
        "Verifiable Credential",
        "409 (`not-registered`) for a right never registered or granted.", [],
        _example("/credential", "RegistrationCertificateCredential", {
            "id": _RIGHT_URL, "type": "RegisteredRight", "IPOfficeCode": "EM",
            "RegistrationNumber": "000000001", "RegistrationDate": "2026-12-23",
            "MarkVerbalElementText": "AURORA BREW", "ClassNumber": [30, 32]}, "0")),
    "/v1/rights/{office}/{kind}/{number}/licences/{licence}/credential": _vc(
        "A recorded licence (or sublicence) as a Verifiable Credential", "",
        [_param("licence", "licence id", example="L1")],
        _example("/licences/L1/credential", "LicenceCredential", {
            "id": f"{_SITE}/v1/state/licence/EM/trademark/000000001/L1", "type": "Licence",
            "LicenceIdentifier": "L1", "Right": _RIGHT_URL, "LicenceCategory": "exclusive",
            "Territory": ["DE"], "StartDate": "2027-01-01"}, "1")),
    "/v1/rights/{office}/{kind}/{number}/assignments/{index}/credential": _vc(
        "A recorded assignment (chain of title) as a Verifiable Credential",
        "`index` is the index of the entry that recorded the assignment.",
        [_param("index", "index of the entry that recorded the assignment", example="19")],
        _example("/assignments/19/credential", "AssignmentCredential", {
            "id": f"{_RIGHT_URL}/assignments/19", "type": "Assignment", "Right": _RIGHT_URL,
            "ShareFraction": "1/1", "RecordalDate": "2026-12-23"}, "65537")),
    "/v1/rights/{office}/{kind}/{number}/status-list": _vc(
        "The right's Bitstring Status List credential (statusPurpose revocation)",
        "Bit 0: the registration certificate (set once the right has ceased); bit n: "
        "licence Ln (set once it is no longer active); bit 65536+p: the assignment at "
        "position p of the chain of title (set once a later change of ownership is "
        "recorded).", [],
        _example("/status-list", "BitstringStatusListCredential", {
            "id": f"{_RIGHT_URL}/status-list#list", "type": "BitstringStatusList",
            "statusPurpose": "revocation", "encodedList": "uH4sIAAAAAAACA-3BMQEAAADCoPVPbQw…"},
            "0")),
}
