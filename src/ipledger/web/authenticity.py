"""The public product verification page (``/authenticity/verify``): what an item's QR code
opens. Server-rendered on ``base.html`` in the reader's language, no JavaScript: without a
label it shows a form (a plain GET), with one the answer of ``services/authenticity.py``
(the same as ``/v1/authenticity/verify``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.authenticity import parse_label, verify_label
from ipledger.ledger import Rejection
from ipledger.services.serials import LABEL_PATH
from ipledger.web.templating import render

TEMPLATE = "authenticity.html"
# Other pages' links may carry these; they do not change the answer.
_IGNORED = ("lang",)


def _page(request: Request, status: int, **context: Any) -> Response:
    values = {"answer": None, "error": None, "params": {}, "serial": None, **context}
    response = render(request, TEMPLATE, status=status, **values)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"  # a label check is not a page to index
    return response


async def verify_page(request: Request) -> Response:
    params = {k: v for k, v in request.query_params.items() if k not in _IGNORED}
    if not params:
        return _page(request, 200, params=params)
    try:
        label = parse_label(request, allowed_extra=_IGNORED, blank_is_absent=True)
    except Rejection as exc:
        return _page(request, 400, params=params, error=exc.detail)
    answer = await verify_label(request, label)
    return _page(request, 200, params=params, answer=answer, serial=label.serial)


routes = [Route(LABEL_PATH, verify_page, methods=["GET"])]
