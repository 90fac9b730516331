"""HTTP hardening as one pure ASGI middleware: rate limits, body limits, headers, CORS.

- **Rate limits**: a token bucket per client address (IPv6 per /64), a stricter second
  bucket for ``/v1/auth/*``, and a third that only failed logins drain (``POST
  /v1/auth/session`` is refused while it is empty). Over the limit: ``429`` problem with
  ``Retry-After``. Loopback clients are exempt unless configured otherwise. Wrong priority
  access codes drain a fourth, per client and per deposit (``api/priority.py``).
- **Body limits**: every request body is capped (default 64 KiB; larger caps per path,
  e.g. the NDJSON batch), by ``Content-Length`` up front and by counting while reading:
  ``413`` problem.
- **Security headers** on every response: a Content-Security-Policy the web pages work
  under (same-origin scripts, styles and fetches only, no inline code), ``nosniff``,
  ``Referrer-Policy``, ``X-Frame-Options: DENY``, COOP, CORP, ``Permissions-Policy``, HSTS
  over https; any ``Server`` header is dropped.
- **CORS**: the public read API (GET/HEAD of tlog tiles and checkpoints, entries, proofs,
  receipts, evidence, extracts, rights, OpenAPI) answers ``Access-Control-Allow-Origin: *``
  without credentials, so verifiers running in browsers can fetch it; a request carrying
  ``Authorization`` is not public and gets no such header. Anything else is same-origin
  only, unless its origin is listed in :attr:`AccessConfig.cors_origins`.

A client's address is the ASGI ``client`` (uvicorn sets it from ``X-Forwarded-For`` only for
proxies it trusts: ``--forwarded-allow-ips``).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipledger.ledger import Rejection

DEFAULT_MAX_BODY = 64 * 1024
BATCH_MAX_BODY = 8 * 1024 * 1024  # api/entries.py: MAX_BATCH_BYTES
# PUT /v1/documents/{sha256} (= [documents] max_bytes by default; api/documents.py also
# enforces the store's own limit while streaming). A key ending in "/" caps a whole prefix.
DOCUMENTS_PREFIX = "/v1/documents/"
DOCUMENTS_MAX_BODY = 50 * 1024 * 1024
TSA_MAX_BODY = 16 * 1024  # POST /tsa (api/tsa.py): a TimeStampReq is about 100 bytes

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", PERMISSIONS_POLICY),
)
HSTS = "max-age=31536000"

# GET/HEAD of these paths is the public, read-only API: any origin, no credentials.
PUBLIC_READ = re.compile(
    r"/tlog/checkpoint|/tlog/tile/.+"
    r"|/v1/entries/[0-9]+(?:/proof|/receipt)?|/v1/proofs/consistency|/v1/evidence/[^/]+"
    r"|/v1/rights/[^/]+/[^/]+/[^/]+(?:/extract)?|/v1/state/.+|/v1/log|/v1/types"
    r"|/openapi\.json|/problems/[^/]+"
    r"|/v1/documents/[^/]+"  # without a session only published documents are served
)
_PUBLIC_METHODS = frozenset({"GET", "HEAD"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # OPTIONS: the CORS preflight
# Request headers a public preflight may ask for (none of them carries credentials).
_PUBLIC_REQUEST_HEADERS = frozenset({
    "accept", "accept-language", "content-language", "cache-control", "if-none-match",
    "if-modified-since", "range",
})
_CONFIGURED_METHODS = "GET, HEAD, POST, PUT, DELETE"  # PUT: /v1/documents
_CONFIGURED_HEADERS = "authorization, content-type"
_EXPOSED = "location, retry-after, www-authenticate"


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``burst`` requests at once, refilled at ``per_second``."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_second > 0 or self.burst < 1:
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")


@dataclass(frozen=True)
class AccessConfig:
    """How the node protects itself (defaults; :meth:`from_config` maps a node's config)."""

    # Token buckets per client address; None: no limit.
    requests: RateLimit | None = RateLimit(100.0, 200)
    auth_requests: RateLimit | None = RateLimit(2.0, 20)  # /v1/auth/*, on top of requests
    failed_logins: RateLimit | None = RateLimit(10 / 60, 10)  # drained by failed logins only
    # Drained by wrong priority access codes only: one bucket per client, one per deposit.
    failed_access_codes: RateLimit | None = RateLimit(1 / 60, 3)
    exempt_loopback: bool = True
    max_clients: int = 100_000  # buckets kept (least recently used forgotten first)
    max_body_bytes: int = DEFAULT_MAX_BODY
    body_limits: Mapping[str, int] = field(
        default_factory=lambda: {"/v1/entries/batch": BATCH_MAX_BODY,
                                 DOCUMENTS_PREFIX: DOCUMENTS_MAX_BODY, "/tsa": TSA_MAX_BODY})
    cors_origins: tuple[str, ...] = ()
    challenge_ttl_s: int = 120
    session_ttl_s: int = 3600

    @classmethod
    def from_config(cls, config: Any) -> AccessConfig:
        """From a node's configuration (``ipledger.config.Config``): ``[limits]``
        ``requests_per_second`` / ``burst`` (0 requests per second: no limits),
        ``auth_attempts_per_minute`` (failed logins; 0: unlimited), ``[cors]
        allowed_origins`` and ``[server] max_body_bytes`` (the cap of the batch route, the
        largest body any route takes)."""
        limits, cors, server = config.limits, config.cors, config.server
        base = cls()
        per_second = float(limits.requests_per_second)
        failures = int(limits.auth_attempts_per_minute)
        return replace(
            base,
            requests=RateLimit(per_second, int(limits.burst)) if per_second > 0 else None,
            failed_logins=RateLimit(failures / 60, failures) if failures > 0 else None,
            cors_origins=tuple(cors.allowed_origins),
            body_limits={**base.body_limits, "/v1/entries/batch": int(server.max_body_bytes),
                         **({DOCUMENTS_PREFIX: int(config.documents.max_bytes)}
                            if hasattr(config, "documents") else {})},
            max_body_bytes=min(base.max_body_bytes, int(server.max_body_bytes)),
        )

    def body_limit(self, path: str) -> int:
        limit = self.body_limits.get(path)
        if limit is not None:
            return limit
        for prefix, value in self.body_limits.items():
            if prefix.endswith("/") and path.startswith(prefix):
                return value
        return self.max_body_bytes


class TokenBuckets:
    """One token bucket per key, at most ``capacity`` keys (least recently used forgotten)."""

    def __init__(self, limit: RateLimit, capacity: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.capacity = capacity
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.limit.burst), now))
        return min(float(self.limit.burst), tokens + (now - at) * self.limit.per_second)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a token (0: it has one now); takes nothing."""
        level = self._level(key, self.clock())
        return 0.0 if level >= 1 else (1 - level) / self.limit.per_second

    def take(self, key: str) -> float:
        """Take a token: 0 if there was one, else the seconds to wait (nothing taken)."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1:
            return (1 - level) / self.limit.per_second
        self._store(key, level - 1, now)
        return 0.0

    def drain(self, key: str) -> None:
        """Take a token whether or not there is one (may go below zero, down to -burst)."""
        now = self.clock()
        self._store(key, max(-float(self.limit.burst), self._level(key, now) - 1), now)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(scope: Scope) -> tuple[str, bool]:
    """The rate-limit key of the client (IPv6: its /64) and whether it is loopback."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown", False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((address, 64), strict=False)
        return str(network), address.is_loopback
    return str(address), address.is_loopback


class AccessControl:
    """The node's limits and policies, shared by the middleware and the auth endpoints."""

    def __init__(self, config: AccessConfig,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config

        def buckets(limit: RateLimit | None) -> TokenBuckets | None:
            return None if limit is None else TokenBuckets(limit, config.max_clients, clock)

        self.requests = buckets(config.requests)
        self.auth_requests = buckets(config.auth_requests)
        self.failed_logins = buckets(config.failed_logins)
        self.failed_codes = buckets(config.failed_access_codes)

    def set_clock(self, clock: Callable[[], float]) -> None:
        for buckets in (self.requests, self.auth_requests, self.failed_logins,
                        self.failed_codes):
            if buckets is not None:
                buckets.clock = clock

    def _key(self, scope: Scope) -> str | None:
        key, loopback = client_key(scope)
        return None if loopback and self.config.exempt_loopback else key

    def admit(self, scope: Scope) -> float:
        """0 if the request may proceed, else the seconds the client should wait."""
        key = self._key(scope)
        if key is None:
            return 0.0
        if self.requests is not None:
            wait = self.requests.take(key)
            if wait:
                return wait
        if not scope["path"].startswith("/v1/auth/"):
            return 0.0
        if self.auth_requests is not None:
            wait = self.auth_requests.take(key)
            if wait:
                return wait
        if self.failed_logins is not None and scope["method"] == "POST" \
                and scope["path"] == "/v1/auth/session":
            return self.failed_logins.wait(key)
        return 0.0

    def _code_keys(self, scope: Scope, deposit: str) -> list[str]:
        client = self._key(scope)  # the deposit's bucket holds for every client, loopback too
        return [f"deposit:{deposit}", *([f"client:{client}"] if client is not None else [])]

    def code_wait(self, scope: Scope, deposit: str) -> float:
        """Seconds before this client may present another access code for ``deposit``."""
        if self.failed_codes is None:
            return 0.0
        return max(self.failed_codes.wait(k) for k in self._code_keys(scope, deposit))

    def code_failed(self, scope: Scope, deposit: str) -> None:
        """A wrong access code: drain the client's and the deposit's buckets."""
        if self.failed_codes is not None:
            for key in self._code_keys(scope, deposit):
                self.failed_codes.drain(key)

    def login_failed(self, scope: Scope) -> None:
        key = self._key(scope)
        if key is not None and self.failed_logins is not None:
            self.failed_logins.drain(key)


class _BodyTooLarge(Exception):  # noqa: N818 - a control-flow signal, caught below
    pass


def problem_bytes(rule: str, detail: str, path: str, status: int | None = None) -> bytes:
    return json.dumps(Rejection(rule, detail, status=status).problem(path),
                      ensure_ascii=False).encode("utf-8")


async def _send_problem(send: Send, status: int, body: bytes,
                        extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), *extra]})
    await send({"type": "http.response.body", "body": body})


def _encode(pairs: Any) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


_STATIC_HEADERS = _encode(SECURITY_HEADERS)
_CORP_PUBLIC = (b"cross-origin-resource-policy", b"cross-origin")
_CORP_PRIVATE = (b"cross-origin-resource-policy", b"same-origin")
_HSTS = (b"strict-transport-security", HSTS.encode())
_ANY_ORIGIN = [(b"access-control-allow-origin", b"*"),
               (b"access-control-expose-headers", _EXPOSED.encode())]


class AccessMiddleware:
    """Pure ASGI middleware applying an :class:`AccessControl` to every HTTP request."""

    def __init__(self, app: ASGIApp, control: AccessControl) -> None:
        self.app = app
        self.control = control
        self.config = control.config
        self._origins = frozenset(o.encode("latin-1") for o in self.config.cors_origins)
        self._any_origin = b"*" in self._origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        origin = authorization = length = preflight_method = preflight_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"authorization":
                authorization = value
            elif name == b"content-length":
                length = value
            elif name == b"access-control-request-method":
                preflight_method = value
            elif name == b"access-control-request-headers":
                preflight_headers = value

        public = method in _READ_METHODS and PUBLIC_READ.fullmatch(path) is not None
        extra = [*_STATIC_HEADERS, _CORP_PUBLIC if public else _CORP_PRIVATE]
        if scope.get("scheme") == "https":
            extra.append(_HSTS)
        configured = origin is not None and (origin in self._origins or self._any_origin)
        if configured:
            assert origin is not None
            extra += [(b"access-control-allow-origin", origin),
                      (b"access-control-expose-headers", _EXPOSED.encode()),
                      (b"vary", b"Origin")]
        elif public and method in _PUBLIC_METHODS and authorization is None:
            extra += _ANY_ORIGIN

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                present = {h[0].lower(): i for i, h in enumerate(headers)}
                for name, value in extra:
                    if name not in present:
                        headers.append((name, value))
                    elif name == b"vary":
                        i = present[name]
                        headers[i] = (name, headers[i][1] + b", " + value)
                message = {**message, "headers": headers}
            await send(message)

        wait = self.control.admit(scope)
        if wait:
            retry = max(1, math.ceil(wait))
            await _send_problem(send_with_headers, 429, problem_bytes(
                "rate-limited", f"too many requests from this client; retry in {retry} s",
                path), ((b"retry-after", str(retry).encode()),))
            return

        if method == "OPTIONS" and origin is not None and preflight_method is not None:
            allowed = self._preflight(public, configured, preflight_method, preflight_headers)
            if allowed is not None:
                await send_with_headers({"type": "http.response.start", "status": 204,
                                         "headers": allowed})
                await send_with_headers({"type": "http.response.body", "body": b""})
                return

        limit = self.config.body_limit(path)
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_problem(send_with_headers, 413, problem_bytes(
                "body-too-large", f"body is {int(length)} bytes; at most {limit} here", path))
            return
        received = 0

        async def receive_with_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, receive_with_limit, send_with_headers)
        except _BodyTooLarge:
            if started:
                raise
            await _send_problem(send_with_headers, 413, problem_bytes(
                "body-too-large", f"body exceeds {limit} bytes", path))

    def _preflight(self, public: bool, configured: bool, method: bytes,
                   headers: bytes | None) -> list[tuple[bytes, bytes]] | None:
        """The headers of a successful CORS preflight answer, or None (not allowed here)."""
        asked = {h.strip().lower() for h in (headers or b"").decode("latin-1").split(",")}
        asked.discard("")
        if configured:
            return [(b"access-control-allow-methods", _CONFIGURED_METHODS.encode()),
                    (b"access-control-allow-headers", _CONFIGURED_HEADERS.encode()),
                    (b"access-control-max-age", b"600")]
        if public and method.decode("latin-1") in _PUBLIC_METHODS \
                and asked <= _PUBLIC_REQUEST_HEADERS:
            allowed = [*_ANY_ORIGIN, (b"access-control-allow-methods", b"GET, HEAD"),
                       (b"access-control-max-age", b"86400")]
            if asked:
                allowed.append((b"access-control-allow-headers",
                                ", ".join(sorted(asked)).encode()))
            return allowed
        return None
