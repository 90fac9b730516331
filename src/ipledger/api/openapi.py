"""The OpenAPI 3.1 description served at ``/openapi.json``."""

from __future__ import annotations

import hashlib
from typing import Any

from ipledger import __version__
from ipledger.api.authenticity import OPENAPI_PATHS as AUTHENTICITY_PATHS
from ipledger.api.certificates import openapi_paths as certificate_paths
from ipledger.api.credentials import OPENAPI_PATHS as CREDENTIAL_PATHS
from ipledger.api.filing import OPENAPI_PATHS as FILING_PATHS
from ipledger.api.gazette import OPENAPI_PATHS as GAZETTE_PATHS
from ipledger.api.network import OPENAPI_PATHS as NETWORK_PATHS
from ipledger.api.priority import OPENAPI_PATHS as PRIORITY_PATHS
from ipledger.api.problems import problem_responses
from ipledger.api.search import OPENAPI_PATHS as SEARCH_PATHS
from ipledger.api.tsa import OPENAPI_PATHS as TSA_PATHS
from ipledger.api.witness import OPENAPI_PATHS as WITNESS_PATHS
from ipledger.identity import SigningKey
from ipledger.ledger import PROBLEM_TITLES, make_envelope
from ipledger.registry.engine import entry_type_catalogue

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, where: str, description: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": {"type": "integer", "minimum": 0} if name != "sha256"
            else {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


_B64_LIST = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
_RECEIPT = {"$ref": "#/components/schemas/Receipt"}

def _register_paths() -> dict[str, Any]:
    right = [_param("office", "path", "ST.3 office code"), _param("kind", "path", "right kind"),
             _param("number", "path", "application or registration number")]
    for p in right:
        p["schema"] = {"type": "string"}
    as_of = [_param("size", "query", "as of the checkpoint of this tree size", False),
             {"name": "at", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "as of this RFC 3339 time (the last checkpoint not after it)"}]
    extract = _json({"$ref": "#/components/schemas/Extract"}, "Extract (verify offline with "
                    "`ipledger verify extract FILE --vkey VKEY`)")
    return {
        "/v1/types": {"get": {
            "summary": "Every entry type the node accepts, with the JSON Schema of its body",
            "responses": {"200": _json({"type": "object"})}}},
        "/v1/state/{record_id}": {"get": {
            "summary": "Extract of any register record (party/…, office/…, role/…)",
            "parameters": [{"name": "record_id", "in": "path", "required": True,
                            "schema": {"type": "string"}, "example": "party/P0123456789ABCDEF0123"},
                           *as_of],
            "responses": {"200": extract, **problem_responses(400, 404)}}},
        "/v1/rights/{office}/{kind}/{number}": {"get": {
            "summary": "A published right as JSON (with its ST.96 record for trademarks); "
            "append .xml to the number for ST.96 XML",
            "description": "Unpublished rights are 404, except to a session (bearer token) "
            "of a party to the file (applicant/owner, representative) or of staff of its "
            "office: they get the JSON marked `\"confidential\": true`.",
            "parameters": right, "security": [{}, {"bearer": []}],
            "responses": {"200": _json({"type": "object"}), **problem_responses(401, 404)}}},
        "/v1/rights/{office}/{kind}/{number}/extract": {"get": {
            "summary": "Extract of a published right: state proof, history receipts, checkpoint",
            "parameters": [*right, *as_of],
            "responses": {"200": extract, **problem_responses(400, 404)}}},
        "/v1/rights/{office}/{kind}/{number}/legal-status.xml": {"get": {
            "summary": "A published patent's or utility model's legal status: ST.96 "
                       "pat:PatentLegalStatus with WIPO ST.27 codes (Patent_V6_0.xsd)",
            "parameters": right,
            "responses": {"200": {"description": "ST.96 XML", "content": {
                "application/xml": {"schema": {"type": "string"}}}}, **problem_responses(404)}}},
        **certificate_paths(right, as_of),
    }


def _mirror_paths() -> dict[str, Any]:
    from ipledger.api.mirrors import openapi_paths

    tlog = {"/tlog/checkpoint": SPEC["paths"]["/tlog/checkpoint"],
            "/tlog/tile/{path}": SPEC["paths"]["/tlog/tile/{path}"]}
    # Certificates are issued by the office's own node only, not for mirrored registers.
    register = {p: v for p, v in _register_paths().items() if not p.endswith(".pdf")}
    return openapi_paths(register, tlog)


def _auth_paths() -> dict[str, Any]:
    """Sessions by signing a challenge (api/auth.py); every one may answer 429."""
    no_store = "Never cached (Cache-Control: no-store)."
    token = {"type": "object", "properties": {
        "token": {"type": "string", "description": "opaque bearer token (base64url)"},
        "token_type": {"const": "Bearer"}, "party": {"type": "string"},
        "did": {"type": "string"}, "expires": {"type": "string", "format": "date-time"},
        "expires_in": {"type": "integer", "description": "seconds"}}}
    whoami = {"type": "object", "properties": {
        "party": {"type": "string"}, "did": {"type": "string"},
        "expires": {"type": "string", "format": "date-time"},
        "roles": {"type": "object", "description": "office (ST.3) -> staff roles there, read "
                  "from the register now", "additionalProperties": {
                      "type": "array", "items": {"type": "string"}}}}}
    return {
        "/v1/auth/challenge": {"post": {
            "summary": "A random, single-use challenge (32 bytes, base64url) bound to this "
            "node's origin, valid 2 minutes",
            "description": "No body (or `{}`). Sign `b\"ipledger-auth-v1\\n\" + origin + "
            "b\"\\n\" + challenge` with the party's Ed25519 key and send it to "
            "`POST /v1/auth/session`. " + no_store,
            "responses": {"201": _json({"type": "object", "properties": {
                "challenge": {"type": "string"}, "origin": {"type": "string"},
                "expires": {"type": "string", "format": "date-time"},
                "algorithm": {"const": "Ed25519"}, "sign": {"type": "string"}}}),
                **problem_responses(400, 413, 415, 422, 429)}}},
        "/v1/auth/session": {
            "post": {
                "summary": "Log in: the signed challenge -> a bearer session token (1 hour)",
                "description": "The key (`did`, a did:key URL) must be a party key valid now "
                "in the register; a rotated-out key is refused. Every failed login (401) "
                "drains the client's failed-login allowance. " + no_store,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"type": "object", "additionalProperties": False,
                               "required": ["did", "challenge", "signature"], "properties": {
                                   "did": {"type": "string"}, "challenge": {"type": "string"},
                                   "signature": {"type": "string",
                                                 "description": "base64url Ed25519"}}}}}},
                "responses": {"201": _json(token, "Session"),
                              **problem_responses(400, 401, 413, 415, 422, 429)}},
            "delete": {
                "summary": "Log out: end this session", "security": [{"bearer": []}],
                "responses": {"204": {"description": "Ended"}, **problem_responses(401, 429)}}},
        "/v1/auth/whoami": {"get": {
            "summary": "The party of this session and its staff roles, read from the register",
            "security": [{"bearer": []}],
            "responses": {"200": _json(whoami), **problem_responses(401, 429)}}},
    }


def _document_paths() -> dict[str, Any]:
    """The document store (api/documents.py): content-addressed, confidential until published."""
    name = _param("sha256", "path", "the document's SHA-256 (lowercase hex): its name")
    binary = {"type": "string", "format": "binary"}
    headers = {
        "ETag": {"description": "the SHA-256, quoted", "schema": {"type": "string"}},
        "Cache-Control": {"description": "`public, max-age=31536000, immutable` for a "
                          "published document, `private, no-store` for a confidential one",
                          "schema": {"type": "string"}},
        "Content-Disposition": {"description": "`attachment; filename=\"<sha256>.<ext>\"`",
                                "schema": {"type": "string"}},
        "X-Content-Type-Options": {"schema": {"const": "nosniff"}}}
    read = {
        "parameters": [name], "security": [{}, {"bearer": []}],
        "description": "Anyone may read a document that a published right (content "
        "disclosed) lists (`right.add_document`). Otherwise only a session of a party to "
        "the file of a right listing it (applicant/owner, representative), of staff "
        "(registrar, examiner) of that right's office, or of a party that uploaded it; "
        "anyone else gets the same 404 as for a hash nothing is stored under. "
        "`If-None-Match` with the ETag: 304.",
        "responses": {"200": {"description": "The document's bytes, with its media type",
                              "headers": headers,
                              "content": {"*/*": {"schema": binary}}},
                      "304": {"description": "Not modified (If-None-Match)"},
                      **problem_responses(400, 401, 404)}}
    stored = {"type": "object", "properties": {
        "sha256": {"type": "string"}, "size": {"type": "integer"},
        "media_type": {"type": "string"},
        "created": {"type": "boolean", "description": "false: the uploader could read these "
                    "bytes already (idempotent re-upload)"}}}
    return {"/v1/documents/{sha256}": {
        "put": {
            "summary": "Upload a document (streamed; hashed on the fly; stored once per "
            "content)",
            "description": "Needs a session. The body is the file, `Content-Type` its media "
            "type, which must be accepted (`[documents] allowed_media_types`) and agree with "
            "the content's magic bytes (PDF, PNG, JPEG, GIF, TIFF, WebP, SVG/XML, ZIP "
            "containers, MP4/MOV, MP3, WAV, Ogg, glTF; `text/plain` must be UTF-8 without "
            "NUL); the body must hash to the path and be at most `[documents] max_bytes`. "
            "Refused uploads leave nothing stored. The ledger records the document with "
            "`right.add_document` (its SHA-256 and media type).",
            "parameters": [name], "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"*/*": {"schema": binary}}},
            "responses": {"201": _json(stored, "Stored (new to this uploader)"),
                          "200": _json(stored, "Already stored for this uploader"),
                          **problem_responses(400, 401, 413, 415, 422)}},
        "get": {"summary": "Download a document (streamed)", **read},
        "head": {"summary": "A document's headers (size, media type, ETag)", **read},
    }}


def _operations_paths() -> dict[str, Any]:
    """Metrics and probes for operators (api/observability.py); never cached."""
    check = {"type": "object", "required": ["status"], "properties": {
        "status": {"enum": ["ok", "fail"]}, "detail": {"type": "string"}},
        "additionalProperties": True}
    checks = {"type": "object", "properties": {name: check for name in
                                               ("store", "sequencer", "checkpoint")}}
    return {
        "/metrics": {"get": {
            "summary": "Prometheus metrics (text exposition format 0.0.4): entries appended "
            "by family, batches and commit time, rejections by rule, queue depth, validation "
            "backlog, tree size, checkpoint age and lag, proof latency, HTTP requests by "
            "route template, method and status",
            "responses": {"200": {"description": "Prometheus text format", "content": {
                "text/plain; version=0.0.4": {"schema": {"type": "string"}}}}}}},
        "/healthz": {"get": {
            "summary": "Liveness: the process answers",
            "responses": {"200": _json({"type": "object", "properties": {
                "status": {"const": "ok"}}})}}},
        "/readyz": {"get": {
            "summary": "Readiness: the store answers a read, the sequencer runs, and durable "
            "entries have not waited too long (10 s) for a signed checkpoint",
            "description": "503 is a `not-ready` problem whose `failed` lists the checks "
            "that failed and whose `checks` holds every check's result.",
            "responses": {"200": _json({"type": "object", "properties": {
                "status": {"const": "ready"}, "checks": checks}}),
                "503": {"description": "RFC 9457 problem document (rule `not-ready`)",
                        "content": {"application/problem+json": {"schema": {"allOf": [
                            _PROBLEM, {"type": "object", "properties": {
                                "failed": {"type": "array", "items": {"type": "string"}},
                                "checks": checks}}]}}}}}}},
    }


def _example_envelope() -> dict[str, Any]:
    """A real, signed evidence.stamp envelope (fixed key, nonce and time) for the docs."""
    key = SigningKey.from_seed(bytes(32))
    body = {"sha256": hashlib.sha256(b"").hexdigest(), "media_type": "application/pdf"}
    return make_envelope(key, "office.example/evidence", "evidence.stamp", body,
                         nonce="doc-example-0001", created_ms=1_790_000_000_000)


def _body_schemas() -> dict[str, Any]:
    """One schema per register entry type's body, each with a valid example."""
    out = {}
    for name, entry in entry_type_catalogue().items():
        schema = {**entry["body"], "description": entry["summary"]}
        if "example" in entry:
            schema["examples"] = [entry["example"]]
        out[f"Body.{name}"] = schema
    return out


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "ipledger node",
        "version": __version__,
        "description": "A verifiable register of IP rights. Every write is a signed entry in an "
        "RFC 9162 Merkle log; every answer can be checked offline against the log's "
        "signed checkpoint (C2SP tlog-checkpoint, signed note).",
    },
    "paths": {
        "/v1/entries": {"post": {
            "summary": "Submit one signed entry envelope; returns its receipt once durable "
            "and covered by a signed checkpoint",
            "description": "The envelope's `body` follows the schema of its `type`: see "
            "`GET /v1/types` and the `Body.<type>` schemas below.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Envelope"},
                "example": _example_envelope()}}},
            "responses": {"201": _json(_RECEIPT, "Receipt"), **problem_responses(400, 409, 413, 415,
                                                                          422, 503)},
        }},
        "/v1/entries/batch": {"post": {
            "summary": "Submit up to 1000 envelopes, one RFC 8785 canonical JSON per line",
            "parameters": [{"name": "receipts", "in": "query", "required": False,
                            "description": "`full` (default): a receipt per accepted entry, "
                            "once a checkpoint covers it; `none`: its index as soon as it "
                            "is durable",
                            "schema": {"type": "string", "enum": ["full", "none"]}}],
            "requestBody": {"required": True, "content": {"application/x-ndjson": {
                "schema": {"type": "string"}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "status": {"type": "integer"}, "receipt": _RECEIPT,
                    "index": {"type": "integer"}, "problem": _PROBLEM}}},
            }}), **problem_responses(400, 413, 415, 422)},
        }},
        "/v1/entries/{index}": {"get": {
            "summary": "The entry's exact bytes (canonical JSON, including seq)",
            "parameters": [_param("index", "path", "entry index")],
            "responses": {"200": _json({"$ref": "#/components/schemas/Envelope"}),
                          **problem_responses(400, 404)},
        }},
        "/v1/entries/{index}/proof": {"get": {
            "summary": "RFC 9162 inclusion proof of an entry in the tree of the given size",
            "parameters": [_param("index", "path", "entry index"),
                           _param("size", "query", "tree size (default: latest)", False)],
            "responses": {"200": _json({"type": "object", "properties": {
                "index": {"type": "integer"}, "tree_size": {"type": "integer"},
                "leaf_hash": {"type": "string"}, "inclusion_proof": _B64_LIST,
                "checkpoint": {"type": ["string", "null"]}}}), **problem_responses(400, 404)},
        }},
        "/v1/entries/{index}/receipt": {"get": {
            "summary": "A receipt for the entry against the latest checkpoint",
            "parameters": [_param("index", "path", "entry index")],
            "responses": {"200": _json(_RECEIPT), **problem_responses(400, 404)},
        }},
        "/v1/proofs/consistency": {"get": {
            "summary": "RFC 9162 consistency proof between two tree sizes",
            "parameters": [_param("from", "query", "older tree size"),
                           _param("to", "query", "newer tree size (default: latest)", False)],
            "responses": {"200": _json({"type": "object", "properties": {
                "from": {"type": "integer"}, "to": {"type": "integer"}, "proof": _B64_LIST}}),
                **problem_responses(400)},
        }},
        "/v1/evidence/{sha256}": {"get": {
            "summary": "Every evidence.stamp of a SHA-256, with receipts",
            "parameters": [_param("sha256", "path", "lowercase hex SHA-256 of the file")],
            "responses": {"200": _json({"type": "object", "properties": {
                "sha256": {"type": "string"}, "count": {"type": "integer"},
                "receipts": {"type": "array", "items": _RECEIPT}}}), **problem_responses(400)},
        }},
        **_register_paths(),
        **SEARCH_PATHS,
        **_auth_paths(),
        **_document_paths(),
        **_operations_paths(),
        "/v1/log": {"get": {"summary": "Origin, size, latest checkpoint, verifier key",
                            "responses": {"200": _json({"type": "object"})}}},
        "/tlog/checkpoint": {"get": {
            "summary": "C2SP tlog-checkpoint in a signed note",
            "responses": {"200": {"description": "signed note",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }},
        **WITNESS_PATHS,
        **TSA_PATHS,
        **CREDENTIAL_PATHS,
        **GAZETTE_PATHS,
        **PRIORITY_PATHS,
        **AUTHENTICITY_PATHS,
        **NETWORK_PATHS,
        **FILING_PATHS,
        "/tlog/tile/{path}": {"get": {
            "summary": "C2SP tlog-tiles hash tile (tile/<L>/<N>[.p/<W>]) or entry bundle "
            "(tile/entries/<N>[.p/<W>])",
            "parameters": [{"name": "path", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "tile bytes", "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}},
                **problem_responses(404)},
        }},
    },
    "components": {"securitySchemes": {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "A session token from POST /v1/auth/session (sign a challenge)"}},
        "schemas": {
        **_body_schemas(),
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "instance": {"type": "string"}, "pointer": {"type": "string"},
            "rule": {"type": "string", "enum": sorted(PROBLEM_TITLES)}}},
        "Envelope": {"type": "object", "required": ["v", "ledger", "type", "actor", "nonce",
                                                     "created", "body", "sig"],
                     "properties": {
                         "v": {"const": 1}, "ledger": {"type": "string"},
                         "type": {"type": "string"}, "actor": {"type": "string"},
                         "nonce": {"type": "string"}, "created": {"type": "string"},
                         "body": {"type": "object"},
                         "endorsements": {"type": "array"}, "sig": {"type": "string"},
                         "seq": {"type": "object"}}},
        "Extract": {"type": "object", "required": ["format", "record_id", "record",
                                                    "tree_size", "checkpoint", "state_proof"],
                    "properties": {
                        "format": {"const": "ipledger-extract/1"},
                        "record_id": {"type": "string"},
                        "record": {"type": ["object", "null"]},
                        "tree_size": {"type": "integer"}, "checkpoint": {"type": "string"},
                        "state_proof": {"type": "object"},
                        "history": {"type": "array", "items": _RECEIPT},
                        "history_complete": {"type": "boolean"}}},
        "Receipt": {"type": "object", "required": ["format", "entry", "index", "tree_size",
                                                    "inclusion_proof", "checkpoint"],
                    "properties": {
                        "format": {"const": "ipledger-receipt/1"},
                        "entry": {"$ref": "#/components/schemas/Envelope"},
                        "index": {"type": "integer"}, "tree_size": {"type": "integer"},
                        "inclusion_proof": _B64_LIST, "checkpoint": {"type": "string"}}},
    }},
}
SPEC["paths"].update(_mirror_paths())  # the register's read paths, per mirror
