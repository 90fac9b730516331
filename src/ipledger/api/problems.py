"""RFC 9457 problem documents for every error the HTTP API returns."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ipledger.api.hardening import SECURITY_HEADERS
from ipledger.ledger import PROBLEM_TITLES, Rejection

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

_STATUS_RULES = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large",
                 415: "unsupported-media-type"}


def problem_response(rejection: Rejection, instance: str | None = None) -> Response:
    return Response(
        json.dumps(rejection.problem(instance), ensure_ascii=False),
        status_code=rejection.status,
        media_type=PROBLEM_JSON,
        # e.g. WWW-Authenticate on a 401 (api/auth.py: Unauthorized)
        headers={"Cache-Control": "no-store", **getattr(rejection, "headers", {})},
    )


def _counted(request: Request, rejection: Rejection) -> Rejection:
    """Count a request's rejection in ``ipledger_rejections_total`` (once: an entry the
    ledger refused was counted there, and is marked)."""
    ledger = getattr(request.app.state, "ledger", None)
    if ledger is not None:
        ledger.metrics.rejected(rejection)
    return rejection


async def on_rejection(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejection)
    return problem_response(_counted(request, exc), request.url.path)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    rule = _STATUS_RULES.get(exc.status_code, "bad-parameter")
    detail = exc.detail if isinstance(exc.detail, str) else PROBLEM_TITLES[rule][0]
    return problem_response(_counted(request, Rejection(rule, detail, status=exc.status_code)),
                            request.url.path)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return Response(
        json.dumps({"type": "about:blank", "title": "Internal Server Error", "status": 500,
                    "detail": "the node failed to answer; the ledger is unchanged"}),
        status_code=500, media_type=PROBLEM_JSON,
        # Sent by the outermost middleware, past api/hardening.py: carry its headers here.
        headers={"Cache-Control": "no-store", **dict(SECURITY_HEADERS),
                 "Cross-Origin-Resource-Policy": "same-origin"},
    )


def problem_responses(*statuses: int) -> dict[str, Any]:
    """OpenAPI ``responses`` entries: an RFC 9457 problem document for each status."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {str(s): {"description": "RFC 9457 problem document",
                     "content": {"application/problem+json": {"schema": ref}}}
            for s in statuses}
