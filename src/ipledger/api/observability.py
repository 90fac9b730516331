"""Operations endpoints and HTTP metrics: ``/metrics``, ``/healthz``, ``/readyz``, access log.

- ``GET /metrics``: Prometheus text exposition (format 0.0.4) of this app's registry:
  HTTP requests by route *template* (bounded label values), proof-building latency,
  the process (CPU, memory, file descriptors) and, through a delegating collector, the
  ledger's own registry (:mod:`ipledger.ledger.metrics`).
- ``GET /healthz``: liveness; the process answers.
- ``GET /readyz``: readiness; the store answers a read, the sequencer thread runs, and
  durable entries have not waited longer than a threshold for a signed checkpoint.
  ``503`` is an RFC 9457 problem (rule ``not-ready``) listing the failed checks.
- Access log: one record per request on the ``ipledger.access`` logger at INFO (off
  unless that logger is enabled: ``ipledger serve --access-log``), with the method,
  path, route, status and duration as fields for structured (JSON) logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipledger.api.problems import PROBLEM_JSON
from ipledger.ledger import Ledger, Rejection

T = TypeVar("T")

access_log = logging.getLogger("ipledger.access")

METRICS_CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # text/plain; version=0.0.4; charset=utf-8
UNMATCHED = "<unmatched>"  # the route label of a request no route matched
DEFAULT_CHECKPOINT_MAX_LAG_S = 10.0
DEFAULT_STORE_TIMEOUT_S = 2.0
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CONVERTER = re.compile(r"\{(\w+):\w+\}")
PROOF_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                 0.25, 0.5, 1.0, 2.5, 5.0)
NO_STORE = {"Cache-Control": "no-store"}


class _Delegate:
    """Collects another registry's metrics (the ledger's) into this one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


class HttpMetrics:
    """The HTTP side's metrics, in one registry per app that also exposes the ledger's."""

    def __init__(self, ledger: Ledger) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "ipledger_http_requests", "HTTP requests answered, by route template, method "
            "and status", ["route", "method", "status"], registry=r)
        self.duration = Histogram(
            "ipledger_http_request_duration_seconds", "Time from the request to the end of "
            "its response, by route template and method", ["route", "method"], registry=r)
        self.proofs = Histogram(
            "ipledger_proof_seconds", "Time to build a proof for the API: inclusion, "
            "consistency, receipt (inclusion proof against a checkpoint) or extract "
            "(state proof and history)", ["kind"], buckets=PROOF_BUCKETS, registry=r)
        ProcessCollector(registry=r)
        r.register(_Delegate(ledger.metrics.registry))
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.duration.labels(route, method))
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# -- request metrics and the access log ------------------------------------------------


class ObservabilityMiddleware:
    """Pure ASGI: counts and times every HTTP request, and writes the access log."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics,
                 routes: Callable[[], list[BaseRoute]]) -> None:
        self.app = app
        self.metrics = metrics
        self._routes = routes
        self._templates: dict[int, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = self.route_template(scope)
            self.metrics.observe(route, method, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(
                    '%s "%s %s" %d %.1f ms', client[0] if client else "-", scope["method"],
                    scope["path"], status, seconds * 1000,
                    extra={"method": scope["method"], "path": scope["path"], "route": route,
                           "status": status, "duration_ms": round(seconds * 1000, 3),
                           "client": client[0] if client else None})

    def route_template(self, scope: Scope) -> str:
        """The matched route's path template, e.g. ``/v1/entries/{index}/proof``."""
        route = scope.get("route")
        if route is None:  # answered before routing (e.g. a middleware), or no route
            route = next((r for r in self._routes() if r.matches(scope)[0] is not Match.NONE),
                         None)
            if route is None:
                return UNMATCHED
        template = self._templates.get(id(route))
        if template is None:
            if isinstance(route, Mount):
                template = route.path + "/{path}"
            elif isinstance(route, Route):
                template = _CONVERTER.sub(r"{\1}", route.path)
            else:
                template = UNMATCHED
            self._templates[id(route)] = template
        return template


async def timed_proof(request: Request, kind: str, build: Callable[..., T], *args: Any) -> T:
    """Run ``build(*args)`` in a thread; its duration goes to ``ipledger_proof_seconds``."""
    observability: Observability | None = getattr(request.app.state, "observability", None)
    started = time.perf_counter()
    result = await asyncio.to_thread(build, *args)
    if observability is not None:  # failures (out of range, not found) are not timed
        observability.metrics.proofs.labels(kind).observe(time.perf_counter() - started)
    return result


# -- readiness -----------------------------------------------------------------------


def _ok(**facts: Any) -> dict[str, Any]:
    return {"status": "ok", **facts}


def _fail(detail: str, **facts: Any) -> dict[str, Any]:
    return {"status": "fail", "detail": detail, **facts}


class Readiness:
    """The checks behind ``/readyz``.

    The store check reads on one thread of its own, so it has its own reader
    connection (opened when the app is made): a closed or wedged store is noticed,
    and a probe never queues behind request threads.
    """

    def __init__(self, ledger: Ledger, *,
                 checkpoint_max_lag_s: float = DEFAULT_CHECKPOINT_MAX_LAG_S,
                 store_timeout_s: float = DEFAULT_STORE_TIMEOUT_S) -> None:
        self.ledger = ledger
        self.checkpoint_max_lag_s = checkpoint_max_lag_s
        self.store_timeout_s = store_timeout_s
        self.clock: Callable[[], float] = time.monotonic  # the publisher's clock
        self._probe = ThreadPoolExecutor(1, thread_name_prefix="readyz")
        self._probe.submit(self._read_store)  # open the probe thread's connection now

    def _read_store(self) -> int:
        return self.ledger.store.tree_size()

    async def check(self) -> dict[str, dict[str, Any]]:
        return {"store": await self._store(), "sequencer": self._sequencer(),
                "checkpoint": self._checkpoint(), **self.ledger.readiness()}

    async def _store(self) -> dict[str, Any]:
        try:
            size = await asyncio.wait_for(asyncio.wrap_future(self._probe.submit(
                self._read_store)), self.store_timeout_s)
        except TimeoutError:
            return _fail(f"the store did not answer a read within {self.store_timeout_s:g} s")
        except Exception as exc:
            return _fail(f"the store failed a read: {type(exc).__name__}: {exc}")
        return _ok(tree_size=size)

    def _sequencer(self) -> dict[str, Any]:
        sequencer = self.ledger.sequencer
        if not sequencer.running():
            return _fail("the sequencer thread is not running: no entry can be written")
        return _ok(queue_depth=sequencer.queue_depth())

    def _checkpoint(self) -> dict[str, Any]:
        publisher = self.ledger.checkpoints
        now = self.clock()
        facts = {"tree_size": publisher.latest().tree_size,
                 "log_size": self.ledger.sequencer.tree_size,
                 "age_s": round(max(0.0, now - publisher.published_at), 3),
                 "lag_s": round(publisher.lag_s(now), 3)}
        if not publisher.running():
            return _fail("the checkpoint signer is not running: no write can be "
                         "acknowledged", **facts)
        if facts["lag_s"] > self.checkpoint_max_lag_s:
            return _fail(f"durable entries have waited {facts['lag_s']:.3g} s for a signed "
                         f"checkpoint (limit {self.checkpoint_max_lag_s:g} s)", **facts)
        return _ok(**facts)

    def close(self) -> None:
        self._probe.shutdown(wait=False, cancel_futures=True)


class Observability:
    """What one app needs: its metrics and readiness checks (``app.state.observability``)."""

    def __init__(self, ledger: Ledger, **readiness: float) -> None:
        self.metrics = HttpMetrics(ledger)
        self.readiness = Readiness(ledger, **readiness)


def install(app: Starlette, ledger: Ledger, **readiness: float) -> Observability:
    """Add the request-metrics middleware (outermost) and ``app.state.observability``."""
    observability = Observability(ledger, **readiness)
    app.state.observability = observability
    app.add_middleware(ObservabilityMiddleware, metrics=observability.metrics,
                       routes=lambda: app.routes)
    return observability


# -- endpoints -----------------------------------------------------------------------


def _of(request: Request) -> Observability:
    observability: Observability = request.app.state.observability
    return observability


async def get_metrics(request: Request) -> Response:
    return Response(_of(request).metrics.exposition(), media_type=METRICS_CONTENT_TYPE,
                    headers=NO_STORE)


async def get_healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def get_readyz(request: Request) -> Response:
    checks = await _of(request).readiness.check()
    failed = [name for name, check in checks.items() if check["status"] != "ok"]
    if not failed:
        return JSONResponse({"status": "ready", "checks": checks}, headers=NO_STORE)
    detail = "; ".join(f"{name}: {checks[name]['detail']}" for name in failed)
    problem = Rejection("not-ready", detail, status=503).problem(request.url.path)
    problem |= {"failed": failed, "checks": checks}
    return Response(json.dumps(problem, ensure_ascii=False), status_code=503,
                    media_type=PROBLEM_JSON, headers=NO_STORE)


routes = [
    Route("/metrics", get_metrics, methods=["GET"]),
    Route("/healthz", get_healthz, methods=["GET"]),
    Route("/readyz", get_readyz, methods=["GET"]),
]
