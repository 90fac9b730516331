"""``GET /v1/search``: published rights of the node's register and of every mirror.

Each result names its register (origin), the right, the tree size of the signed
checkpoint it was found at, and links to the right and to its extract at that
checkpoint; with ``proofs=1`` the extract itself (state proof, log proofs, the office's
signed checkpoint), checkable offline with that office's verifier key.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.ledger import Ledger, Rejection
from ipledger.network.mirror import OpenMirrors
from ipledger.registry.extract import make_extract
from ipledger.registry.lifecycle import ALL_STATES
from ipledger.registry.profiles import RIGHT_KINDS
from ipledger.search.federated import Hit, Registers, search
from ipledger.search.query import (
    DEFAULT_LIMIT,
    MATCHES,
    MAX_LIMIT,
    SearchParamError,
    SearchQuery,
    parse_query,
)


def install(app: Starlette, data: Path, mirrors: OpenMirrors | None) -> Registers:
    """Serve the node's mirrors (``/v1/mirrors``) and search them with its own register;
    indexes live in ``DATA/search/``. The caller closes what this returns."""
    app.state.mirrors = mirrors

    def mirrored() -> list[tuple[str, str, Ledger]]:
        if mirrors is None:
            return []
        return [(spec.origin, spec.name, ledger) for spec, ledger in mirrors.ledgers()]

    registers = app.state.registers = Registers(data, app.state.ledger, mirrored)
    return registers


def registers_of(request: Request) -> Registers:
    state = request.app.state
    registers: Registers | None = getattr(state, "registers", None)
    if registers is None:  # an app without install(): its own register, a scratch index
        state.search_scratch = tempfile.TemporaryDirectory(prefix="ipledger-search-")
        registers = state.registers = Registers(Path(state.search_scratch.name), state.ledger)
    return registers


def _base(hit: Hit) -> str:
    mirror = hit.register.mirror
    right = hit.right
    prefix = f"/v1/mirrors/{mirror}" if mirror is not None else "/v1"
    return f"{prefix}/rights/{right.office}/{right.kind}/{right.number}"


def _result(hit: Hit) -> dict[str, Any]:
    right, base = hit.right, _base(hit)
    return {
        "register": hit.register.origin,
        "mirror": hit.register.mirror,
        "record_id": right.record_id,
        "office": right.office,
        "kind": right.kind,
        "number": right.number,
        "status": right.status,
        "title": right.title,
        "owners": [{"party": p, "name": n}
                   for p, n in zip(right.owners, right.owner_names, strict=True)],
        "classes": list(right.classes),
        "filing_date": right.filing_date or None,
        "tree_size": hit.tree_size,
        "links": {"right": base, "extract": f"{base}/extract?size={hit.tree_size}"},
        **({"score": hit.score, "similarity": hit.how} if hit.how else {}),
    }


def run_search(registers: Registers, query: SearchQuery) -> list[dict[str, Any]]:
    every = registers.all()
    if query.register is not None and not any(
            query.register in (r.origin, r.mirror) for r in every):
        known = ", ".join(r.origin for r in every)
        raise Rejection("bad-parameter", f"no register {query.register!r} here (known: "
                        f"{known})", "/register")
    results = []
    for hit in search(every, query):
        doc = _result(hit)
        if query.proofs:
            ledger = hit.register.ledger
            checkpoint = ledger.store.checkpoint_at(hit.tree_size)
            assert checkpoint is not None  # the index was refreshed to a stored checkpoint
            doc["extract"] = make_extract(ledger, hit.right.record_id, checkpoint)
        results.append(doc)
    return results


async def get_search(request: Request) -> Response:
    params = request.query_params
    repeated = {k for k in params if len(params.getlist(k)) > 1}
    try:
        query = parse_query(dict(params), repeated)
    except SearchParamError as exc:
        raise Rejection("bad-parameter", f"'{exc.param}' {exc.detail}", f"/{exc.param}") from None
    results = await asyncio.to_thread(run_search, registers_of(request), query)
    return JSONResponse({"results": results, "count": len(results), "limit": query.limit})


routes = [Route("/v1/search", get_search, methods=["GET"])]


def _query_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


_TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
OPENAPI_PATHS: dict[str, Any] = {
    "/v1/search": {"get": {
        "summary": "Search published rights in this node's register and every mirrored one",
        "description": "Every criterion given must hold. Results are ordered by title, then "
        "register and record (ranked matches: by `score`, best first); each names its "
        "register (`register`: the origin), the tree "
        "size of the signed checkpoint it was found at, and links to the right and to its "
        "extract at that checkpoint (`proofs=1` includes the extract, which verifies offline "
        "with that register's verifier key). Unpublished applications are never found. "
        "An unknown, repeated or invalid parameter is a 400 problem naming it.",
        "parameters": [
            _query_param("q", "text of the verbal element / title (case and accents "
                         "ignored)", _TEXT),
            _query_param("match", "how `q` matches (default contains); `similar` ranks "
                         "exact, contains, phonetic and fuzzy (edit distance) matches by "
                         "score, `fuzzy` and `phonetic` only those kinds",
                         {"type": "string", "enum": list(MATCHES)}),
            _query_param("owner", "text contained in an owner's name", _TEXT),
            _query_param("number", "the right's number, exactly",
                         {"type": "string", "pattern": "^[A-Za-z0-9./-]{1,40}$"}),
            _query_param("filed_from", "filing date on or after (YYYY-MM-DD)",
                         {"type": "string", "format": "date"}),
            _query_param("filed_to", "filing date on or before (YYYY-MM-DD)",
                         {"type": "string", "format": "date"}),
            _query_param("class", "Nice class", {"type": "integer", "minimum": 1,
                                                 "maximum": 45}),
            _query_param("status", "lifecycle state, e.g. registered",
                         {"type": "string", "enum": list(ALL_STATES)}),
            _query_param("office", "ST.3 office code, e.g. EM",
                         {"type": "string", "pattern": "^[A-Z]{2}$"}),
            _query_param("kind", "right kind", {"type": "string", "enum": list(RIGHT_KINDS)}),
            _query_param("register", "only this register (origin, or a mirror's name)",
                         {"type": "string", "minLength": 1, "maxLength": 200}),
            _query_param("limit", f"results (default {DEFAULT_LIMIT})",
                         {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            _query_param("proofs", "1: include each result's extract",
                         {"type": "integer", "enum": [0, 1]}),
        ],
        "responses": {
            "200": {"description": "Results", "content": {"application/json": {"schema": {
                "type": "object", "required": ["results", "count", "limit"], "properties": {
                    "count": {"type": "integer"}, "limit": {"type": "integer"},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["register", "record_id", "tree_size",
                                                       "links"],
                        "properties": {
                            "register": {"type": "string"},
                            "mirror": {"type": ["string", "null"]},
                            "record_id": {"type": "string"}, "office": {"type": "string"},
                            "kind": {"type": "string"}, "number": {"type": "string"},
                            "status": {"type": "string"}, "title": {"type": "string"},
                            "owners": {"type": "array"}, "classes": {"type": "array"},
                            "tree_size": {"type": "integer"},
                            "filing_date": {"type": ["string", "null"]},
                            "score": {"type": "number"},
                            "similarity": {"type": "string",
                                           "enum": ["exact", "contains", "phonetic",
                                                    "fuzzy"]},
                            "links": {"type": "object"},
                            "extract": {"$ref": "#/components/schemas/Extract"}}}}}}}}},
            "400": {"description": "RFC 9457 problem document", "content": {
                "application/problem+json": {"schema": {
                    "$ref": "#/components/schemas/Problem"}}}}}}},
}
