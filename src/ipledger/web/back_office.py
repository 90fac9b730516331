"""The back office (``/office``): office staff sign in with their key, work the queues and
take decisions, each one an entry they sign in the browser (``static/back-office.js``) or
with ``ipledger submit``.

Signing in is the node's challenge-response (``api/auth.py``): the browser signs the
challenge with the staff member's key and hands the session token to ``POST
/office/session``, which keeps it in an HttpOnly, SameSite=Strict cookie. Every page re-reads
the party's roles from the register (``role.grant`` entries): a party without a registrar
or examiner role is refused, and the ledger refuses any decision it signs anyway.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ipledger.api.auth import AuthService, Party, session_party
from ipledger.api.bodies import read_body
from ipledger.api.search import registers_of
from ipledger.codec import parse_json
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.access import all_roles
from ipledger.registry.families.rights import ATTESTABLE, profile_named
from ipledger.registry.lifecycle import StateMachine, machine_for
from ipledger.registry.profiles import RIGHT_KINDS, OfficeProfile
from ipledger.registry.records import office_record, right_record
from ipledger.services.queue_index import QueueFeed, QueueIndex
from ipledger.services.work_queues import BACK_OFFICE_ROLES, QUEUES, queue_of
from ipledger.web.forms import FORM_TYPES
from ipledger.web.register import right_view
from ipledger.web.templating import render

COOKIE = "ipledger_office"
# Decisions that must give their reasons or grounds (the "note" of the entry).
NEEDS_GROUNDS = frozenset({"refuse", "reject_opposition", "uphold_opposition", "cancel",
                           "invalidate"})
# Actions one can apply to many selected rights at once, per queue.
BATCH_ACTIONS: dict[str, tuple[str, ...]] = {
    "formalities": ("check_formalities",),
    "examination": ("start_examination", "accept"),
    "publication": ("publish",),
}


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _signed_in(request: Request) -> Party | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    service: AuthService = request.app.state.auth
    try:
        return session_party(service, token)
    except Rejection:
        return None


def _staff_offices(request: Request, party: Party) -> dict[str, list[str]]:
    """Offices where ``party`` holds a back-office role, with those roles."""
    store = _ledger(request).store
    roles = all_roles(party.read, store.record_ids, party.id)
    return {office: [r for r in rs if r in BACK_OFFICE_ROLES] for office, rs in roles.items()
            if set(rs) & set(BACK_OFFICE_ROLES)}


def _private(response: Response) -> Response:
    """Staff pages show unpublished files: never kept by a cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _gate(request: Request) -> tuple[Party, dict[str, list[str]]] | Response:
    """The signed-in staff member and their offices, or the page that says why not."""
    party = _signed_in(request)
    if party is None:
        return _private(render(request, "office_signin.html", origin=_ledger(request).origin))
    offices = _staff_offices(request, party)
    if not offices:
        return _private(render(request, "office_refused.html", status=403, party=party.id))
    return party, offices


_INDEX_LOCK = threading.Lock()


def _queues(request: Request) -> QueueIndex:
    """The node's queue index (``DATA/office/queues.sqlite``), brought to the committed
    state: staff see their own decisions at once. Call it off the event loop."""
    state = request.app.state
    with _INDEX_LOCK:
        index: QueueIndex | None = getattr(state, "queue_index", None)
        if index is None:
            index = state.queue_index = QueueIndex(
                registers_of(request).data / "office" / "queues.sqlite")
    feed: QueueFeed = _ledger(request).store  # type: ignore[assignment]
    index.refresh(feed)
    return index


async def home(request: Request) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    party, offices = gate
    counts = await asyncio.to_thread(lambda: _queues(request).counts(offices))
    return _private(render(request, "office_home.html", party=party.id, offices=offices,
                           counts=counts, queues=QUEUES))


async def queue_page(request: Request) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    party, offices = gate
    name = request.path_params["queue"]
    if name not in QUEUES:
        return render(request, "not_found.html", status=404, office="", kind="", number=name)
    q = request.query_params
    try:
        page_no = int(q.get("page", "1"))
    except ValueError:
        page_no = 1
    kind = q.get("kind", "") if q.get("kind", "") in RIGHT_KINDS else ""
    page = await asyncio.to_thread(lambda: _queues(request).page(
        name, offices, kind=kind, text=q.get("q", "")[:100], page=page_no))
    ledger = _ledger(request)
    batch = [a for a in BATCH_ACTIONS.get(name, ()) if _any_role_may(ledger, offices, a)]
    return _private(render(request, "office_queue.html", party=party.id, offices=offices,
                           queue=name, page=page, kind=kind, text=q.get("q", ""),
                           kinds=RIGHT_KINDS, batch=batch, origin=ledger.origin))


def _profile(ledger: Ledger, office: str) -> OfficeProfile | None:
    raw = ledger.store.read_record(office_record(office))
    return None if raw is None else profile_named(str(parse_json(raw)["profile"]))


def _any_role_may(ledger: Ledger, offices: dict[str, list[str]], action: str) -> bool:
    """Whether some role the staff member holds at some office may take ``action``."""
    for office, roles in offices.items():
        profile = _profile(ledger, office)
        if profile is None:
            continue
        for kind in profile.supported_kinds:
            machine = machine_for(profile, kind)
            if any(t.action == action and set(roles) & set(t.roles)
                   for t in machine.transitions):
                return True
    return False


def decisions(right: dict[str, Any], machine: StateMachine,
              roles: set[str]) -> list[dict[str, Any]]:
    """The decisions ``roles`` may take on ``right`` now: action, what the official must
    attest, whether grounds must be given."""
    accepted = bool(right.get("examination", {}).get("accepted"))
    out = []
    for t in machine.transitions_from(right["state"]):
        if not roles & set(t.roles) or (t.action == "accept" and accepted):
            continue
        attest = [p for p in t.preconditions if p in ATTESTABLE
                  and not (p == "examination_passed" and accepted)]
        body: dict[str, Any] = {k: right[k] for k in ("office", "kind", "number")}
        body["action"] = t.action
        if attest:
            body["attest"] = attest
        if t.action in NEEDS_GROUNDS:
            body["note"] = "…"
        out.append({"action": t.action, "attest": attest, "grounds": t.action in NEEDS_GROUNDS,
                    "body": json.dumps(body, ensure_ascii=False)})
    return out


async def right_page(request: Request) -> Response:
    gate = _gate(request)
    if isinstance(gate, Response):
        return gate
    party, offices = gate
    p = request.path_params
    raw = None
    if p["office"] in offices:
        raw = _ledger(request).store.read_record(right_record(p["office"], p["kind"],
                                                              p["number"]))
    if raw is None:
        return render(request, "not_found.html", status=404, office=p["office"],
                      kind=p["kind"], number=p["number"])
    right = dict(parse_json(raw))
    ledger = _ledger(request)
    view = await asyncio.to_thread(right_view, ledger, {**right, "data": right.get("data", {})})
    profile = _profile(ledger, right["office"])
    assert profile is not None  # a right's office is registered
    machine = machine_for(profile, right["kind"])
    return _private(render(
        request, "office_right.html", party=party.id, offices=offices,
        disclosed="data" in right, queue=queue_of(right, machine),
        decisions=decisions(right, machine, set(offices[right["office"]])),
        origin=ledger.origin, node=str(request.base_url).rstrip("/"), **view))


async def open_session(request: Request) -> Response:
    """Keep a session token from ``POST /v1/auth/session`` in the back office's cookie."""
    raw = await read_body(request, 4096, None)  # counted before the type is checked
    # Pages are served with "Referrer-Policy: no-referrer", so browsers send "Origin: null"
    # on our own form posts; Fetch Metadata (Sec-Fetch-Site) tells same-origin apart.
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (site is not None and site not in ("same-origin", "none")) or (
            origin not in (None, "null", f"{request.url.scheme}://{request.url.netloc}")):
        # Only this node's own sign-in page may open a back-office session (login CSRF).
        raise Rejection("not-authorized", "a back-office session is opened from this node's "
                        "own sign-in page", "/headers/origin", status=403)
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPES[0]:
        raise Rejection("unsupported-media-type", f"Content-Type must be {FORM_TYPES[0]}",
                        status=415)
    token = dict(parse_qsl(raw.decode("utf-8", "replace"))).get("token")
    service: AuthService = request.app.state.auth
    if not token or len(token) > 200:
        raise Rejection("missing-field", "send the session token from POST /v1/auth/session",
                        "/token")
    party = session_party(service, token)  # 401 if it is not a live session
    response = RedirectResponse("/office", status_code=303)
    response.set_cookie(COOKIE, token, max_age=max(1, (party.expires_ms - service.clock_ms())
                                                   // 1000),
                        path="/office", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


async def close_session(request: Request) -> Response:
    await read_body(request, 1024, None)  # an empty form; anything big is refused
    token = request.cookies.get(COOKIE)
    if token:
        service: AuthService = request.app.state.auth
        service.sessions.revoke(token)
    response = RedirectResponse("/office", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


routes = [
    Route("/office", home, methods=["GET"]),
    Route("/office/session", open_session, methods=["POST"]),
    Route("/office/signout", close_session, methods=["POST"]),
    Route("/office/queues/{queue}", queue_page, methods=["GET"]),
    Route("/office/rights/{office}/{kind}/{number}", right_page, methods=["GET"]),
]
