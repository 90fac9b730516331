"""``/v1/mirrors``: the registers this node mirrors, served read-only with their proofs.

Under ``/v1/mirrors/{mirror}/`` the register handlers of ``api/registry.py`` and the
tlog-tiles handlers of ``api/tlog.py`` serve the mirrored register exactly as its own
node does; extracts carry the other office's signed checkpoint, so they verify with that
office's verifier key alone. Every write is refused (405).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api import registry, tlog
from ipledger.api.problems import problem_responses
from ipledger.api.registers import ledger_of
from ipledger.ledger import Rejection
from ipledger.network.mirror import MirrorSpec, OpenMirrors

PREFIX = "/v1/mirrors/{mirror}"
WRITES = ["POST", "PUT", "PATCH", "DELETE"]


def _mirrors(request: Request) -> OpenMirrors | None:
    return getattr(request.app.state, "mirrors", None)


def _describe(spec: MirrorSpec) -> dict[str, object]:
    base = f"/v1/mirrors/{spec.name}"
    return {**spec.public(), "links": {"self": base, "tlog": f"{base}/tlog/",
                                       "rights": f"{base}/rights/"}}


async def list_mirrors(request: Request) -> Response:
    mirrors = _mirrors(request)
    specs = await asyncio.to_thread(mirrors.specs) if mirrors is not None else []
    return JSONResponse({"mirrors": [_describe(s) for s in specs]})


async def get_mirror(request: Request) -> Response:
    ledger_of(request)  # 404 for an unknown mirror
    mirrors = _mirrors(request)
    assert mirrors is not None
    name = request.path_params["mirror"]
    spec = next(s for s in await asyncio.to_thread(mirrors.specs) if s.name == name)
    return JSONResponse(_describe(spec))


class ReadOnlyMirror(Rejection):
    """A 405 problem with the methods a mirror allows (RFC 9110: ``Allow``)."""

    def __init__(self) -> None:
        super().__init__("method-not-allowed", "a mirrored register is read-only here: write "
                         "to the office's own node", status=405)
        self.headers = {"Allow": "GET, HEAD"}


async def refuse_write(request: Request) -> Response:
    raise ReadOnlyMirror()


routes = [
    Route("/v1/mirrors", list_mirrors, methods=["GET"]),
    Route(PREFIX, get_mirror, methods=["GET"]),
    Route(PREFIX + "/state/{record_id:path}", registry.get_state_extract, methods=["GET"]),
    Route(PREFIX + "/rights/{office}/{kind}/{number}/extract", registry.get_right_extract,
          methods=["GET"]),
    Route(PREFIX + "/rights/{office}/{kind}/{number}/legal-status.xml",
          registry.get_legal_status, methods=["GET"]),
    Route(PREFIX + "/rights/{office}/{kind}/{number}", registry.get_right, methods=["GET"]),
    Route(PREFIX + "/tlog/checkpoint", tlog.get_checkpoint, methods=["GET"]),
    Route(PREFIX + "/tlog/tile/{path:path}", tlog.get_tile, methods=["GET"]),
    Route("/v1/mirrors", refuse_write, methods=WRITES),
    Route(PREFIX + "/{rest:path}", refuse_write, methods=WRITES),
    Route(PREFIX, refuse_write, methods=WRITES),
]


_MIRROR_PARAM = {"name": "mirror", "in": "path", "required": True,
                 "description": "the mirror's name (see GET /v1/mirrors)",
                 "schema": {"type": "string"}}


def openapi_paths(register_paths: Mapping[str, Any], tlog_paths: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """``/v1/mirrors`` and, under ``/v1/mirrors/{mirror}``, the register's read paths and
    the tlog-tiles paths as the own node documents them (same answers, another register)."""
    problem = problem_responses(404)["404"]
    out: dict[str, Any] = {
        "/v1/mirrors": {"get": {
            "summary": "The registers this node mirrors: origin, verifier key, mirrored size, "
            "last verified checkpoint, last sync time and error",
            "responses": {"200": {"description": "Mirrors", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "mirrors": {"type": "array", "items": {"type": "object"}}}}}}}}}},
        "/v1/mirrors/{mirror}": {"get": {
            "summary": "One mirror", "parameters": [_MIRROR_PARAM],
            "responses": {"200": {"description": "Mirror", "content": {"application/json": {
                "schema": {"type": "object"}}}}, "404": problem}}},
    }
    for path, item in [*register_paths.items(), *tlog_paths.items()]:
        if not path.startswith(("/v1/rights/", "/v1/state/", "/tlog/")):
            continue
        get = copy.deepcopy(item["get"])
        get["summary"] = "Mirrored register: " + get["summary"]
        get["parameters"] = [_MIRROR_PARAM, *get.get("parameters", [])]
        get.pop("security", None)
        get["responses"].setdefault("404", problem)
        mirrored = "/v1/mirrors/{mirror}" + (path[3:] if path.startswith("/v1/") else path)
        out[mirrored] = {"get": get}
    return out
