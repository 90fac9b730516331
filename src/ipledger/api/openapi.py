"""The OpenAPI 3.1 description served at ``/openapi.json``."""

from __future__ import annotations

import hashlib
from typing import Any

from ipledger import __version__
from ipledger.identity import SigningKey
from ipledger.ledger import PROBLEM_TITLES, make_envelope
from ipledger.registry.engine import entry_type_catalogue

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {"description": "RFC 9457 problem document",
                 "content": {"application/problem+json": {"schema": _PROBLEM}}}
        for s in statuses
    }


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
            "responses": {"200": extract, **_problems(400, 404)}}},
        "/v1/rights/{office}/{kind}/{number}": {"get": {
            "summary": "A published right as JSON (with its ST.96 record for trademarks); "
            "append .xml to the number for ST.96 XML",
            "parameters": right,
            "responses": {"200": _json({"type": "object"}), **_problems(404)}}},
        "/v1/rights/{office}/{kind}/{number}/extract": {"get": {
            "summary": "Extract of a published right: state proof, history receipts, checkpoint",
            "parameters": [*right, *as_of],
            "responses": {"200": extract, **_problems(400, 404)}}},
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
            "responses": {"201": _json(_RECEIPT, "Receipt"), **_problems(400, 409, 413, 415,
                                                                          422, 503)},
        }},
        "/v1/entries/batch": {"post": {
            "summary": "Submit up to 1000 envelopes, one RFC 8785 canonical JSON per line",
            "requestBody": {"required": True, "content": {"application/x-ndjson": {
                "schema": {"type": "string"}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "status": {"type": "integer"}, "receipt": _RECEIPT, "problem": _PROBLEM}}},
            }}), **_problems(400, 413, 415)},
        }},
        "/v1/entries/{index}": {"get": {
            "summary": "The entry's exact bytes (canonical JSON, including seq)",
            "parameters": [_param("index", "path", "entry index")],
            "responses": {"200": _json({"$ref": "#/components/schemas/Envelope"}),
                          **_problems(400, 404)},
        }},
        "/v1/entries/{index}/proof": {"get": {
            "summary": "RFC 9162 inclusion proof of an entry in the tree of the given size",
            "parameters": [_param("index", "path", "entry index"),
                           _param("size", "query", "tree size (default: latest)", False)],
            "responses": {"200": _json({"type": "object", "properties": {
                "index": {"type": "integer"}, "tree_size": {"type": "integer"},
                "leaf_hash": {"type": "string"}, "inclusion_proof": _B64_LIST,
                "checkpoint": {"type": ["string", "null"]}}}), **_problems(400, 404)},
        }},
        "/v1/entries/{index}/receipt": {"get": {
            "summary": "A receipt for the entry against the latest checkpoint",
            "parameters": [_param("index", "path", "entry index")],
            "responses": {"200": _json(_RECEIPT), **_problems(400, 404)},
        }},
        "/v1/proofs/consistency": {"get": {
            "summary": "RFC 9162 consistency proof between two tree sizes",
            "parameters": [_param("from", "query", "older tree size"),
                           _param("to", "query", "newer tree size (default: latest)", False)],
            "responses": {"200": _json({"type": "object", "properties": {
                "from": {"type": "integer"}, "to": {"type": "integer"}, "proof": _B64_LIST}}),
                **_problems(400)},
        }},
        "/v1/evidence/{sha256}": {"get": {
            "summary": "Every evidence.stamp of a SHA-256, with receipts",
            "parameters": [_param("sha256", "path", "lowercase hex SHA-256 of the file")],
            "responses": {"200": _json({"type": "object", "properties": {
                "sha256": {"type": "string"}, "count": {"type": "integer"},
                "receipts": {"type": "array", "items": _RECEIPT}}}), **_problems(400)},
        }},
        **_register_paths(),
        "/v1/log": {"get": {"summary": "Origin, size, latest checkpoint, verifier key",
                            "responses": {"200": _json({"type": "object"})}}},
        "/tlog/checkpoint": {"get": {
            "summary": "C2SP tlog-checkpoint in a signed note",
            "responses": {"200": {"description": "signed note",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }},
        "/tlog/tile/{path}": {"get": {
            "summary": "C2SP tlog-tiles hash tile (tile/<L>/<N>[.p/<W>]) or entry bundle "
            "(tile/entries/<N>[.p/<W>])",
            "parameters": [{"name": "path", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "tile bytes", "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}},
                **_problems(404)},
        }},
    },
    "components": {"schemas": {
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
