"""``/v1/gazette``: the office gazette's issues as JSON, PDF, ST.96 XML and an Atom feed."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import int_param
from ipledger.api.certificates import public_base_url
from ipledger.api.problems import problem_responses
from ipledger.api.registers import ledger_of
from ipledger.ledger import Ledger, Rejection
from ipledger.services.gazette import (
    GAZETTE_FORMAT,
    MAX_LIST,
    Period,
    closed_periods,
    issue_of,
    offices,
    ready_for_publication,
)
from ipledger.services.gazette_formats import gazette_atom, gazette_pdf, gazette_xml

FEED_PATH = "/v1/gazette/feed.atom"
FEED_ISSUES = 20
ATOM = "application/atom+xml"
# A closed issue never changes: caches may keep it.
_IMMUTABLE = {"Cache-Control": "public, max-age=86400, immutable"}
_FORMATS = {".json": "application/json", ".pdf": "application/pdf",
            ".xml": "application/xml"}


def _offices_asked(request: Request, ledger: Ledger) -> list[str]:
    office = request.query_params.get("office")
    known = offices(ledger)
    if office is None:
        return known
    if not re.fullmatch(r"[A-Z]{2}", office):
        raise Rejection("bad-parameter", "'office' must be a two-letter ST.3 code", "/office")
    if office not in known:
        raise Rejection("not-found", f"no office {office} on this ledger", "/office",
                        status=404)
    return [office]


def _listing(period: Period) -> dict[str, Any]:
    api = f"/v1/gazette/{period.issue}"
    return {"issue": period.issue, "office": period.office,
            "period": {"kind": period.kind, "start": period.start.isoformat(),
                       "end": period.end.isoformat()},
            "links": {"json": api, "pdf": api + ".pdf", "xml": api + ".xml",
                      "html": f"/gazette/{period.issue}"}}


def list_issues(ledger: Ledger, codes: list[str], limit: int) -> list[Period]:
    """The newest ``limit`` issues of the offices ``codes``, newest first."""
    periods = [p for code in codes for p in closed_periods(ledger, code, limit)]
    periods.sort(key=lambda p: (p.end, p.issue), reverse=True)
    return periods[:limit]


async def get_issues(request: Request) -> Response:
    ledger = ledger_of(request)
    codes = _offices_asked(request, ledger)
    limit = int_param(request, "limit", 52)
    if not 1 <= limit <= MAX_LIST:
        raise Rejection("bad-parameter", f"'limit' must be 1 to {MAX_LIST}", "/limit")
    periods = await asyncio.to_thread(list_issues, ledger, codes, limit)
    return JSONResponse({"format": GAZETTE_FORMAT, "issues": [_listing(p) for p in periods],
                         "count": len(periods)})


def _feed(ledger: Ledger, codes: list[str], base_url: str) -> bytes:
    issues = [issue_of(ledger, p.issue) for p in list_issues(ledger, codes, FEED_ISSUES)]
    title = "Office gazette" + (f" of {codes[0]}" if len(codes) == 1 else "")
    return gazette_atom(issues, base_url, FEED_PATH, title)


async def get_feed(request: Request) -> Response:
    ledger = ledger_of(request)
    codes = _offices_asked(request, ledger)
    feed = await asyncio.to_thread(_feed, ledger, codes, public_base_url(request))
    return Response(feed, media_type=ATOM)


async def get_ready(request: Request) -> Response:
    ledger = ledger_of(request)
    if "office" not in request.query_params:
        raise Rejection("bad-parameter", "query parameter 'office' is required", "/office")
    (office,) = _offices_asked(request, ledger)
    ready = await asyncio.to_thread(ready_for_publication, ledger, office)
    return JSONResponse({"office": office, "ready": ready, "count": len(ready)})


def _render(ledger: Ledger, issue_id: str, suffix: str, base_url: str) -> bytes:
    issue = issue_of(ledger, issue_id)
    if suffix == ".pdf":
        return gazette_pdf(issue, base_url)
    if suffix == ".xml":
        return gazette_xml(ledger, issue)
    from ipledger.codec import canonicalize

    return canonicalize(issue)


async def get_issue(request: Request) -> Response:
    ledger = ledger_of(request)
    name = request.path_params["issue"]
    suffix = next((s for s in _FORMATS if name.endswith(s)), "")
    issue_id = name.removesuffix(suffix) if suffix else name
    body = await asyncio.to_thread(_render, ledger, issue_id, suffix or ".json",
                                   public_base_url(request))
    headers = dict(_IMMUTABLE)
    if suffix in (".pdf", ".xml"):
        headers["Content-Disposition"] = f'inline; filename="gazette-{issue_id}{suffix}"'
    return Response(body, media_type=_FORMATS[suffix or ".json"], headers=headers)


routes = [
    Route("/v1/gazette", get_issues, methods=["GET"]),
    Route(FEED_PATH, get_feed, methods=["GET"]),
    Route("/v1/gazette/ready", get_ready, methods=["GET"]),
    Route("/v1/gazette/{issue}", get_issue, methods=["GET"]),
]

_OFFICE = {"name": "office", "in": "query", "required": False,
           "description": "ST.3 code of one office (default: every office on the ledger)",
           "schema": {"type": "string", "pattern": "^[A-Z]{2}$"}, "example": "EM"}
_ISSUE = {"name": "issue", "in": "path", "required": True,
          "description": "OFFICE-YYYY-Www (ISO week), OFFICE-YYYY-MM-DD (day) or OFFICE-YYYY-MM "
          "(month), as the office profile's gazette_period says",
          "schema": {"type": "string"}, "example": "EM-2026-W39"}
_ISSUE_EXAMPLE = {
    "format": GAZETTE_FORMAT, "issue": "EM-2026-W39",
    "office": {"code": "EM", "name": "European Union Intellectual Property Office"},
    "period": {"kind": "week", "start": "2026-09-21T00:00:00.000Z",
               "end": "2026-09-28T00:00:00.000Z"},
    "entries": {"first": 12, "end": 40},
    "checkpoint": {"origin": "office.example/ledger", "size": 41,
                   "root_hash": "Wm9vb…", "state_root": "c3Rh…",
                   "ledger_time": "2026-09-28T09:00:00.000Z", "note": "office.example/…"},
    "counts": {"applications": 1, "registrations": 0, "renewals": 0, "assignments": 0,
               "licences": 0, "terminations": 0},
    "items": [{"section": "applications", "index": 20, "date": "2026-09-22",
               "action": "publish", "state": "opposition_period",
               "opposition": {"start": "2026-09-22", "end": "2026-12-22"},
               "owners": [{"party": "P4A1F2C3D4E5F60718293", "name": "Aurora Foods SL"}],
               "right": {"office": "EM", "kind": "trademark", "number": "000000001",
                         "title": "AURORA BREW", "classes": [30, 32],
                         "status": "opposition_period",
                         "extract": "/v1/rights/EM/trademark/000000001/extract?size=41"}}]}

OPENAPI_PATHS: dict[str, Any] = {
    "/v1/gazette": {"get": {
        "summary": "The office gazette's issues, newest first",
        "description": "One issue per period of ledger time (the office profile's "
        "gazette_period: day, ISO week or month) once the period is over (docs/gazette.md).",
        "parameters": [_OFFICE, {"name": "limit", "in": "query", "required": False,
                                 "schema": {"type": "integer", "minimum": 1,
                                            "maximum": MAX_LIST, "default": 52}}],
        "responses": {"200": {"description": "Issues", "content": {"application/json": {
            "schema": {"type": "object"},
            "example": {"format": GAZETTE_FORMAT, "count": 1, "issues": [{
                "issue": "EM-2026-W39", "office": "EM",
                "period": {"kind": "week", "start": "2026-09-21", "end": "2026-09-28"},
                "links": {"json": "/v1/gazette/EM-2026-W39", "pdf": "/v1/gazette/EM-2026-W39.pdf",
                          "xml": "/v1/gazette/EM-2026-W39.xml",
                          "html": "/gazette/EM-2026-W39"}}]}}}},
            **problem_responses(400, 404)}}},
    FEED_PATH: {"get": {
        "summary": "Atom feed (RFC 4287) of the newest gazette issues",
        "parameters": [_OFFICE],
        "responses": {"200": {"description": "Atom feed", "content": {ATOM: {
            "schema": {"type": "string"},
            "example": '<feed xmlns="http://www.w3.org/2005/Atom"><id>…</id>…</feed>'}}},
            **problem_responses(400, 404)}}},
    "/v1/gazette/ready": {"get": {
        "summary": "Disclosed applications a publication batch would publish now",
        "description": "Applications of the office whose content is disclosed (public) and "
        "whose lifecycle allows `publish` from their state, with the preconditions it needs "
        "(`ipledger gazette publish-batch`).",
        "parameters": [{**_OFFICE, "required": True}],
        "responses": {"200": {"description": "Ready applications", "content": {
            "application/json": {"schema": {"type": "object"}, "example": {
                "office": "EM", "count": 1, "ready": [{
                    "office": "EM", "kind": "trademark", "number": "000000003",
                    "state": "under_examination", "title": "NOVA",
                    "needs": ["examination_passed"]}]}}}},
            **problem_responses(400, 404)}}},
    "/v1/gazette/{issue}": {"get": {
        "summary": "One gazette issue: JSON, or append .pdf, .xml (ST.96 TrademarkBag) or .json",
        "description": "Everything that became public in the period: applications published "
        "(with their opposition period), registrations and grants, renewals, recorded "
        "assignments and licences, refusals, withdrawals, lapses, expiries and cancellations. "
        "Each item links to its right's extract as of the issue's closing checkpoint, which "
        "the issue names. Unpublished applications never appear. 400 for a malformed "
        "identifier; 404 for an issue that does not exist (yet), or .xml of an issue "
        "without trade marks.",
        "parameters": [_ISSUE],
        "responses": {"200": {"description": "The issue", "content": {
            "application/json": {"schema": {"type": "object"}, "example": _ISSUE_EXAMPLE},
            "application/pdf": {"schema": {"type": "string", "format": "binary"},
                                "example": "%PDF-1.7 …"},
            "application/xml": {"schema": {"type": "string"},
                                "example": "<tmk:TrademarkBag …>…</tmk:TrademarkBag>"}}},
            **problem_responses(400, 404)}}},
}
