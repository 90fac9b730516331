"""The node's HTTP application: ``/v1`` REST, ``/tlog/`` tiles, OpenAPI, problem docs, web."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ipledger.api import auth, documents, entries, network, observability, registry, tlog, witness
from ipledger.api import authenticity as authenticity_routes
from ipledger.api import certificates as certificate_routes
from ipledger.api import credentials as credential_routes
from ipledger.api import filing as filing_routes
from ipledger.api import gazette as gazette_routes
from ipledger.api import mirrors as mirror_routes
from ipledger.api import priority as priority_routes
from ipledger.api import search as search_routes
from ipledger.api import tsa as tsa_routes
from ipledger.api.hardening import AccessConfig
from ipledger.api.openapi import SPEC
from ipledger.api.problems import on_http_exception, on_rejection, on_unexpected
from ipledger.api.waiting import checkpoint_waiter
from ipledger.ledger import PROBLEM_TITLES, Ledger, Rejection
from ipledger.network.shared_ledger import SharedLedger
from ipledger.network.witnessing import Witnessing


async def get_openapi(request: Request) -> Response:
    return JSONResponse(SPEC)


async def get_problem_type(request: Request) -> Response:
    rule = request.path_params["rule"]
    if rule not in PROBLEM_TITLES:
        raise Rejection("not-found", f"no problem type '{rule}'", status=404)
    title, status = PROBLEM_TITLES[rule]
    return PlainTextResponse(f"{rule} (HTTP {status}): {title}\n")


def create_app(ledger: Ledger, access: AccessConfig | None = None,
               witnessing: Witnessing | None = None) -> Starlette:
    """An ASGI app over a started ledger (the caller owns the ledger's and the
    witnessing's lifetimes; without witnessing, /witness/ answers 404)."""
    from ipledger.web.authenticity import routes as authenticity_page
    from ipledger.web.gazette import routes as gazette_pages
    from ipledger.web.pages import routes as web_routes

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.waiter = checkpoint_waiter(ledger, asyncio.get_running_loop())
        if isinstance(ledger, SharedLedger):
            app.state.finality = network.finality_waiter(ledger, asyncio.get_running_loop())
        yield
        queue_index = getattr(app.state, "queue_index", None)  # web/back_office.py
        if queue_index is not None:
            queue_index.close()

    app = Starlette(
        routes=[
            *entries.routes,
            *registry.routes,
            *certificate_routes.routes,
            *gazette_routes.routes,  # /v1/gazette (services/gazette.py)
            *credential_routes.routes,  # app.state.issuer, or made from app.state.config
            *auth.routes,
            *documents.routes,  # store: app.state.documents or [documents]
            *tlog.routes,
            *mirror_routes.routes,  # app.state.mirrors (api/search.py: install)
            *search_routes.routes,
            *witness.routes,
            *tsa_routes.routes,  # app.state.tsa, or opened from app.state.config
            *priority_routes.routes,  # documents: as documents.routes
            *authenticity_routes.routes,  # serial index: DATA/authenticity/
            *network.routes,
            *filing_routes.routes,  # /v1/fees/quote, /v1/payments (app.state.payments)
            Route("/openapi.json", get_openapi, methods=["GET"]),
            Route("/problems/{rule}", get_problem_type, methods=["GET"]),
            *observability.routes,
            *authenticity_page,
            *gazette_pages,  # /gazette (web/gazette.py)
            *web_routes,
        ],
        exception_handlers={
            Rejection: on_rejection,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.ledger = ledger
    app.state.witnessing = witnessing
    auth.install_access_control(app, ledger, access)  # sessions, limits, headers, CORS
    observability.install(app, ledger)  # outermost: metrics and access log of every request
    return app
