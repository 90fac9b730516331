"""HTTP hardening: rate limits, body limits on every route, security headers, CORS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.api.hardening import (
    CONTENT_SECURITY_POLICY,
    PUBLIC_READ,
    AccessConfig,
    RateLimit,
    TokenBuckets,
    client_key,
)
from ipledger.api.mirrors import refuse_write
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger
from tests.api.access_scenario import JSON, NO_LIMITS, Clock, problem
from tests.conftest import raw, stamp

NDJSON = {"Content-Type": "application/x-ndjson"}
VERIFIER = "https://verifier.example"


def make(ledger: Ledger, access: AccessConfig = NO_LIMITS,
         client: tuple[str, int] = ("203.0.113.7", 50000)) -> tuple[TestClient, Clock]:
    app = create_app(ledger, access)
    clock = Clock(0)
    app.state.access.set_clock(clock.seconds)
    return TestClient(app, raise_server_exceptions=False, client=client), clock


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    c, _ = make(ledger)
    with c:
        yield c


def assert_secure(resp) -> None:
    h = resp.headers
    assert h["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert h["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in h["permissions-policy"]
    assert h["cross-origin-resource-policy"] in ("same-origin", "cross-origin")
    assert "server" not in h
    assert "access-control-allow-credentials" not in h


# -- security headers --------------------------------------------------------------------


def test_every_kind_of_response_carries_the_security_headers(
        client: TestClient, stamper: SigningKey) -> None:
    assert client.post("/v1/entries", content=raw(stamp(stamper)), headers=JSON) \
        .status_code == 201
    for resp in (
        client.get("/"), client.get("/static/check-file.js"), client.get("/static/style.css"),
        client.get("/tlog/checkpoint"), client.get("/v1/entries/0"), client.get("/v1/log"),
        client.get("/openapi.json"), client.get("/nope"), client.delete("/v1/entries"),
        client.post("/v1/entries", content=b"x" * 70_000, headers=JSON),
        client.post("/v1/auth/challenge"), client.get("/v1/auth/whoami"),
        client.post("/v1/entries", content=raw(stamp(stamper, 1)), headers=JSON),
    ):
        assert_secure(resp)


def test_an_unexpected_error_still_carries_the_headers(ledger: Ledger,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = make(ledger)

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger, "latest_checkpoint", broken)
    resp = client.get("/tlog/checkpoint")
    assert resp.status_code == 500 and "disk on fire" not in resp.text
    assert_secure(resp)


def test_hsts_only_over_https(ledger: Ledger) -> None:
    app = create_app(ledger, NO_LIMITS)
    plain = TestClient(app).get("/v1/log")
    assert "strict-transport-security" not in plain.headers
    tls = TestClient(app, base_url="https://node.example").get("/v1/log")
    assert tls.headers["strict-transport-security"].startswith("max-age=")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.styles: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "style":
            self.inline.append("<style>")
        if tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(a["href"] or "")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}=")
            if name in ("href", "src") and (a[name] or "").startswith("javascript:"):
                self.inline.append(f"{tag} {name}=javascript:")


def test_the_web_page_works_under_the_content_security_policy(client: TestClient,
                                                               stamper: SigningKey) -> None:
    """The CSP allows only same-origin scripts, styles and fetches, no inline code: the
    page must use nothing else, and its file-hashing script must be served as JavaScript
    (nosniff blocks anything else) and only fetch the same origin."""
    csp = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'" and csp["default-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY

    page = client.get("/")
    parser = _Page()
    parser.feed(page.text)
    assert parser.inline == [], "inline code would be blocked by the CSP"
    assert parser.scripts == ["/static/check-file.js"]
    assert parser.styles == ["/static/site.css"]
    for url, media in (("/static/check-file.js", "text/javascript"),
                       ("/static/verify-extract.js", "text/javascript"),
                       ("/static/site.css", "text/css")):
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.headers["content-type"].split(";")[0] in (media, "application/javascript")
        assert resp.headers["x-content-type-options"] == "nosniff"

    script = client.get("/static/check-file.js").text
    assert "crypto.subtle.digest('SHA-256'" in script  # hashing stays in the browser
    fetched = re.findall(r"fetch\(([^)]*)\)", script)
    assert fetched == ["'/v1/evidence/'+hex"], "fetches must stay on the node's origin"
    assert not re.search(r"\beval\(|new Function|setTimeout\(['\"]|innerHTML", script)
    # The record page's verifier fetches only the extract URL the page itself names.
    verifier = client.get("/static/verify-extract.js").text
    assert re.findall(r"fetch\(([^,)]*)", verifier) == ["box.dataset.extract"]
    assert not re.search(r"\beval\(|new Function|setTimeout\(['\"]|innerHTML", verifier)
    # What the script fetches answers as it expects, under the same headers.
    assert client.post("/v1/entries", content=raw(stamp(stamper)), headers=JSON) \
        .status_code == 201
    found = client.get(f"/v1/evidence/{stamp(stamper)['body']['sha256']}")
    assert found.json()["count"] == 1 and found.json()["receipts"][0]["entry"]["seq"]["time"]
    assert_secure(found)


# -- CORS --------------------------------------------------------------------------------

PUBLIC_READS = ["/tlog/checkpoint", "/tlog/tile/entries/000.p/1", "/tlog/tile/0/000.p/1",
                "/v1/entries/0", "/v1/entries/0/proof", "/v1/entries/0/receipt",
                "/v1/proofs/consistency?from=0&to=1", "/v1/evidence/" + "0" * 64,
                "/v1/log", "/v1/types", "/openapi.json", "/v1/rights/EM/trademark/1",
                "/problems/not-found"]


def test_public_reads_allow_any_origin_without_credentials(client: TestClient,
                                                           stamper: SigningKey) -> None:
    # Extracts need a register (tests/api/test_auth.py has one); here: the paths match.
    for url in ("/v1/rights/EM/trademark/1/extract", "/v1/state/party/P0",
                "/v1/rights/EM/trademark/1.xml"):
        assert PUBLIC_READ.fullmatch(url), url
    for url in ("/v1/entries", "/v1/entries/batch", "/v1/auth/whoami", "/", "/static/x.js"):
        assert not PUBLIC_READ.fullmatch(url), url
    client.post("/v1/entries", content=raw(stamp(stamper)), headers=JSON)
    for url in PUBLIC_READS:
        resp = client.get(url, headers={"Origin": VERIFIER})
        assert resp.headers["access-control-allow-origin"] == "*", url
        assert resp.headers["cross-origin-resource-policy"] == "cross-origin", url
        assert "access-control-allow-credentials" not in resp.headers
        head = client.head(url, headers={"Origin": VERIFIER})
        assert head.headers["access-control-allow-origin"] == "*", url
        pre = client.options(url, headers={"Origin": VERIFIER,
                                           "Access-Control-Request-Method": "GET"})
        assert pre.status_code == 204, url
        assert pre.headers["access-control-allow-origin"] == "*"
        assert "GET" in pre.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in pre.headers


@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "/v1/entries"), ("POST", "/v1/entries/batch"), ("POST", "/v1/auth/challenge"),
     ("POST", "/v1/auth/session"), ("GET", "/v1/auth/whoami"), ("DELETE", "/v1/auth/session"),
     ("GET", "/"), ("GET", "/static/check-file.js")],
)
def test_everything_else_is_same_origin_by_default(client: TestClient, method: str,
                                                   url: str) -> None:
    resp = client.request(method, url, headers={"Origin": VERIFIER})
    assert "access-control-allow-origin" not in resp.headers
    assert resp.headers["cross-origin-resource-policy"] == "same-origin"
    pre = client.options(url, headers={"Origin": VERIFIER,
                                       "Access-Control-Request-Method": method})
    assert pre.status_code != 204 and "access-control-allow-origin" not in pre.headers


def test_credentials_are_never_shared_cross_origin(client: TestClient) -> None:
    # A public read that carries a bearer token is not public.
    resp = client.get("/v1/log", headers={"Origin": VERIFIER, "Authorization": "Bearer x"})
    assert "access-control-allow-origin" not in resp.headers
    # A page on another origin may not even ask to send one.
    pre = client.options("/v1/rights/EM/trademark/1", headers={
        "Origin": VERIFIER, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code != 204 and "access-control-allow-origin" not in pre.headers
    pre = client.options("/v1/log", headers={
        "Origin": VERIFIER, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_configured_origins_may_use_everything(ledger: Ledger) -> None:
    app_client, _ = make(ledger, AccessConfig(requests=None, auth_requests=None,
                                              failed_logins=None,
                                              cors_origins=("https://filing.example",)))
    with app_client as client:
        resp = client.post("/v1/auth/challenge", headers={"Origin": "https://filing.example"})
        assert resp.headers["access-control-allow-origin"] == "https://filing.example"
        assert "Origin" in resp.headers["vary"]
        assert "access-control-allow-credentials" not in resp.headers
        pre = client.options("/v1/auth/whoami", headers={
            "Origin": "https://filing.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        assert pre.status_code == 204
        assert "authorization" in pre.headers["access-control-allow-headers"]
        other = client.post("/v1/auth/challenge", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -- rate limits -------------------------------------------------------------------------


def test_token_buckets() -> None:
    now = [0.0]
    buckets = TokenBuckets(RateLimit(2.0, 3), capacity=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("a") == 0 and buckets.take("a") == pytest.approx(0.5)
    buckets.take("b")
    buckets.take("c")  # capacity 2: "a", least recently used, is forgotten (full again)
    assert len(buckets) == 2 and buckets.wait("a") == 0
    for _ in range(10):  # failed logins: drained below zero, down to -burst
        buckets.drain("d")
    assert buckets.wait("d") == pytest.approx((1 + 3) / 2.0)


def test_client_keys() -> None:
    assert client_key({"client": ("198.51.100.4", 1)}) == ("198.51.100.4", False)
    assert client_key({"client": ("127.0.0.1", 1)}) == ("127.0.0.1", True)
    assert client_key({"client": ("::1", 1)})[1] is True
    a = client_key({"client": ("2001:db8:1:2::a", 1)})
    b = client_key({"client": ("2001:db8:1:2:ffff::b", 1)})
    assert a == b == ("2001:db8:1:2::/64", False)  # one bucket per /64
    assert client_key({"client": ("::ffff:198.51.100.4", 1)})[0] == "198.51.100.4"
    assert client_key({"client": None}) == ("unknown", False)


def test_requests_over_the_limit_get_429_with_retry_after(ledger: Ledger) -> None:
    access = AccessConfig(requests=RateLimit(1.0, 3), auth_requests=None, failed_logins=None,
                          exempt_loopback=False)
    c, clock = make(ledger, access)
    with c as client:
        assert [client.get("/v1/log").status_code for _ in range(3)] == [200] * 3
        resp = client.get("/v1/log")
        doc = problem(resp, 429, "rate-limited")
        assert doc["instance"] == "/v1/log"
        assert resp.headers["retry-after"] == "1"
        assert_secure(resp)
        cors = client.get("/tlog/checkpoint", headers={"Origin": VERIFIER})
        assert cors.status_code == 429 and cors.headers["access-control-allow-origin"] == "*"
        assert "retry-after" in cors.headers["access-control-expose-headers"]
        clock.advance(1000)
        assert client.get("/v1/log").status_code == 200
        # Each client has its own bucket.
        other = TestClient(client.app, client=("198.51.100.9", 1))
        assert other.get("/v1/log").status_code == 200


@pytest.mark.parametrize(("exempt", "limited"), [(True, False), (False, True)])
def test_loopback_exemption(ledger: Ledger, exempt: bool, limited: bool) -> None:
    access = AccessConfig(requests=RateLimit(1.0, 2), auth_requests=None, failed_logins=None,
                          exempt_loopback=exempt)
    c, _ = make(ledger, access, client=("127.0.0.1", 40000))
    statuses = {c.get("/v1/log").status_code for _ in range(5)}
    assert (429 in statuses) is limited


def test_auth_endpoints_have_a_stricter_bucket(ledger: Ledger) -> None:
    access = AccessConfig(requests=RateLimit(100.0, 100), auth_requests=RateLimit(0.1, 2),
                          failed_logins=None, exempt_loopback=False)
    c, _ = make(ledger, access)
    with c as client:
        assert [client.post("/v1/auth/challenge").status_code for _ in range(2)] == [201] * 2
        resp = client.post("/v1/auth/challenge")
        problem(resp, 429, "rate-limited")
        assert resp.headers["retry-after"] == "10"
        problem(client.get("/v1/auth/whoami"), 429, "rate-limited")
        assert client.get("/v1/log").status_code == 200  # the rest of the API is unaffected


def test_from_config_maps_the_node_configuration() -> None:
    class Section:
        def __init__(self, **kw: object) -> None:
            self.__dict__.update(kw)

    config = Section(limits=Section(requests_per_second=5.0, burst=7,
                                    auth_attempts_per_minute=6),
                     cors=Section(allowed_origins=("https://a.example",)),
                     server=Section(max_body_bytes=1_000_000))
    access = AccessConfig.from_config(config)
    assert access.requests == RateLimit(5.0, 7)
    assert access.failed_logins == RateLimit(0.1, 6)
    assert access.cors_origins == ("https://a.example",)
    assert access.body_limit("/v1/entries/batch") == 1_000_000
    assert access.body_limit("/v1/entries") == 65_536
    config.limits = Section(requests_per_second=0.0, burst=1, auth_attempts_per_minute=0)
    off = AccessConfig.from_config(config)
    assert off.requests is None and off.failed_logins is None


# -- body limits -------------------------------------------------------------------------


def _routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Route) and route.endpoint is refuse_write:
            continue  # answers 405 before any body is read (a mirror is read-only)
        if isinstance(route, Route):
            path = re.sub(r"\{[^}:]+(:[^}]+)?\}", "1", route.path)
            out += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount):
            out.append(("GET", route.path + "/style.css"))
    return out


def test_every_route_has_a_body_limit(client: TestClient, ledger: Ledger) -> None:
    routes = _routes(client.app)
    assert ("POST", "/v1/auth/session") in routes and ("GET", "/") in routes
    access = NO_LIMITS
    for method, path in routes:
        limit = access.body_limit(path)
        over = b"x" * (limit + 1)
        headers = NDJSON if path.endswith("/batch") else JSON
        resp = client.request(method, path, content=over, headers=headers)
        doc = problem(resp, 413, "body-too-large")
        assert str(limit) in doc["detail"], (method, path)
        assert_secure(resp)
        # Without Content-Length (chunked), counting catches it while the body is read. A
        # route may refuse before reading anything: an unknown path (HTML forms check the
        # office and kind first) or a Content-Type it never reads (415).
        if method == "POST":
            chunked = client.request(method, path, headers=headers,
                                     content=iter([over[: limit // 2], over[limit // 2:]]))
            if chunked.status_code in (404, 415):
                assert chunked.headers["content-type"].startswith(
                    ("application/problem+json", "text/html")), (method, path)
            else:
                problem(chunked, 413, "body-too-large")
    assert ledger.store.tree_size() == 0


def test_the_batch_route_takes_up_to_its_own_limit(client: TestClient, ledger: Ledger,
                                                   stamper: SigningKey) -> None:
    lines = b"\n".join(raw(stamp(stamper, i)) for i in range(300))  # ~ 100 KB
    assert len(lines) > 65_536
    resp = client.post("/v1/entries/batch", content=lines, headers=NDJSON)
    assert resp.status_code == 200 and resp.json()["accepted"] == 300
    problem(client.post("/v1/entries", content=lines[:70_000], headers=JSON), 413,
            "body-too-large")


def test_openapi_describes_auth_and_rate_limits(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path in ("/v1/auth/challenge", "/v1/auth/session", "/v1/auth/whoami"):
        assert path in spec["paths"]
        for op in spec["paths"][path].values():
            assert "429" in op["responses"]
    assert "401" in spec["paths"]["/v1/auth/session"]["post"]["responses"]
    assert {"bearer": []} in spec["paths"]["/v1/rights/{office}/{kind}/{number}"]["get"][
        "security"]
    rules = spec["components"]["schemas"]["Problem"]["properties"]["rule"]["enum"]
    assert {"rate-limited", "invalid-token", "invalid-challenge", "unknown-key"} <= set(rules)
    for rule in ("rate-limited", "invalid-token"):
        assert client.get(f"/problems/{rule}").status_code == 200


def test_bodies_are_counted_while_read(ledger: Ledger) -> None:
    """A route that reads its whole body with no limit of its own is still capped."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    from ipledger.api.hardening import AccessControl, AccessMiddleware

    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    app.add_middleware(AccessMiddleware, control=AccessControl(AccessConfig(
        requests=None, auth_requests=None, failed_logins=None, max_body_bytes=10)))
    client = TestClient(app)
    assert client.post("/echo", content=iter([b"12345", b"67890"])).text == "10"
    resp = client.post("/echo", content=iter([b"12345", b"67890", b"1"]))
    problem(resp, 413, "body-too-large")
    assert_secure(resp)
    problem(client.post("/echo", content=b"x" * 11), 413, "body-too-large")
