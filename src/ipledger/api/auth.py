"""``/v1/auth``: sessions by signing a challenge with a party key, and who is asking.

1. ``POST /v1/auth/challenge`` -> a random, single-use challenge bound to this node's
   origin, valid 2 minutes (``identity/challenge.py`` has the message format).
2. ``POST /v1/auth/session`` ``{"did", "challenge", "signature"}``: the key signs
   ``b"ipledger-auth-v1\\n" + origin + b"\\n" + challenge``; the key must be a party key valid
   now in the register (a rotated-out key is refused). -> an opaque bearer token for 1 hour;
   the node keeps only its SHA-256.
3. ``Authorization: Bearer <token>`` on later requests; ``GET /v1/auth/whoami``;
   ``DELETE /v1/auth/session`` ends the session.

Nothing about the party is frozen at login: every use re-reads the register (the key must
still be valid; roles are read when asked), so a key rotated out ends its sessions and a
role granted or revoked counts at once. Every failed login drains the client's
failed-login bucket (``api/hardening.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import read_body
from ipledger.api.hardening import AccessConfig, AccessControl, AccessMiddleware
from ipledger.codec import JsonError, b64url_decode, parse_json
from ipledger.identity import DidError, public_key_from_did
from ipledger.identity.challenge import (
    ChallengeError,
    ChallengeStore,
    SessionStore,
    verify_challenge_signature,
)
from ipledger.ledger import Ledger, Rejection, format_rfc3339_ms
from ipledger.ledger.envelope import wall_clock_ms
from ipledger.registry.access import Reader, all_roles, key_status, may_read_confidential, roles_at
from ipledger.registry.schema import Field, check_object, text

_JSON = ("application/json",)
MAX_AUTH_BODY = 4096
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CONFIDENTIAL = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class Unauthorized(Rejection):
    """A 401 problem that also tells the client how to authenticate (RFC 6750)."""

    def __init__(self, rule: str, detail: str, pointer: str = "",
                 error: str = "invalid_token") -> None:
        super().__init__(rule, detail, pointer, status=401)
        self.headers = {"WWW-Authenticate": f'Bearer error="{error}"'}


def _signature_format(value: str, pointer: str) -> None:
    try:
        raw = b64url_decode(value)
    except Exception:
        raw = b""
    if len(raw) != 64:
        raise Rejection("invalid-value", "must be a base64url (unpadded) Ed25519 signature "
                        "of 64 bytes", pointer)


def _did_format(value: str, pointer: str) -> None:
    try:
        public_key_from_did(value)
    except DidError as exc:
        raise Rejection("invalid-value", f"must be the did:key URL of an Ed25519 party key: "
                        f"{exc}", pointer) from None


def _both(first: Callable[[Any, str], None],
          second: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    def check(value: Any, pointer: str) -> None:
        first(value, pointer)
        second(value, pointer)
    return check


_SESSION_FIELDS = {
    "did": Field(str, check=_both(text(300), _did_format)),
    "challenge": Field(str, check=text(100)),
    "signature": Field(str, check=_both(text(200), _signature_format)),
}


@dataclass(frozen=True)
class Party:
    """The party a request's bearer token speaks for; roles are read live from the register."""

    id: str
    did: str
    expires_ms: int
    read: Reader = field(repr=False, compare=False)

    def roles_at(self, office: str) -> set[str]:
        return roles_at(self.read, office, self.id)

    def has_role(self, office: str, role: str) -> bool:
        return role in self.roles_at(office)


class AuthService:
    """The node's challenges and sessions (in memory, bounded) over its register."""

    def __init__(self, ledger: Ledger, config: AccessConfig,
                 clock_ms: Callable[[], int] = wall_clock_ms) -> None:
        self.ledger = ledger
        self.clock_ms = clock_ms
        self.challenges = ChallengeStore(config.challenge_ttl_s * 1000)
        self.sessions = SessionStore(config.session_ttl_s * 1000)

    def read(self, record_id: str) -> bytes | None:
        return self.ledger.store.read_record(record_id)

    def register_time_ms(self) -> int:
        """"Now" for the register: never before the newest ledger time."""
        return max(self.clock_ms(), self.ledger.sequencer.last_time_ms)


def _service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth
    return service


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise Unauthorized("invalid-token", "use 'Authorization: Bearer <token>' with a token "
                           "from POST /v1/auth/session", "/headers/authorization",
                           error="invalid_request")
    return token


def current_party(request: Request) -> Party | None:
    """The party of the request's bearer token; None without one; 401 if it is not valid.

    A token is valid while its session lasts and the key it was opened with is still a
    party key of the same party in the register.
    """
    token = _bearer(request)
    if token is None:
        return None
    return session_party(_service(request), token)


def session_party(service: AuthService, token: str) -> Party:
    """The party of session ``token`` (a bearer token, or the back office's cookie); 401
    if the session is unknown, expired, revoked or its key was rotated out."""
    session = service.sessions.lookup(token, service.clock_ms())
    if session is None:
        raise Unauthorized("invalid-token", "the session token is unknown, expired or was "
                           "revoked; log in again", "/headers/authorization")
    party, _ = key_status(service.read, session.did, service.register_time_ms())
    if party != session.party:
        service.sessions.revoke(token)
        raise Unauthorized("invalid-token", "the key this session was opened with is no longer "
                           "a party key in the register (rotated out); log in again",
                           "/headers/authorization")
    return Party(session.party, session.did, session.expires_ms, service.read)


def require_party(request: Request) -> Party:
    """The authenticated party, or a 401 problem."""
    party = current_party(request)
    if party is None:
        raise Unauthorized("invalid-token", "this needs 'Authorization: Bearer <token>' from "
                           "POST /v1/auth/session", "/headers/authorization",
                           error="invalid_request")
    return party


def confidential_right(party: Party | None, record_id: str,
                       right: dict[str, Any] | None) -> Response | None:
    """An unpublished right's JSON for a party to its file or staff of its office, else None.

    The caller answers None with the same 404 it gives everyone (no existence oracle).
    """
    if party is None or right is None or "data" in right:
        return None
    if not may_read_confidential(party.read, right, party.id):
        return None
    return JSONResponse({"record_id": record_id, "right": right, "confidential": True},
                        headers=CONFIDENTIAL)


async def post_challenge(request: Request) -> Response:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_AUTH_BODY:
            raise Rejection("body-too-large", f"body exceeds {MAX_AUTH_BODY} bytes", status=413)
    if raw.strip():
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _JSON:
            raise Rejection("unsupported-media-type", "send no body, or '{}' as "
                            "application/json", status=415)
        try:
            body = parse_json(raw)
        except JsonError as exc:
            raise Rejection(exc.rule, exc.detail, exc.pointer) from None
        check_object(body, {}, "")
    service = _service(request)
    challenge, expires = service.challenges.issue(service.clock_ms())
    origin = service.ledger.origin
    return JSONResponse({
        "challenge": challenge, "origin": origin, "expires": format_rfc3339_ms(expires),
        "algorithm": "Ed25519",
        "sign": "base64url(Ed25519(b'ipledger-auth-v1\\n' + origin + b'\\n' + challenge))",
    }, status_code=201, headers=NO_STORE)


async def post_session(request: Request) -> Response:
    try:
        return await _login(request)
    except Rejection:
        control: AccessControl = request.app.state.access
        control.login_failed(request.scope)
        raise


async def _login(request: Request) -> Response:
    raw = await read_body(request, MAX_AUTH_BODY, _JSON)
    try:
        body = parse_json(raw)
    except JsonError as exc:
        raise Rejection(exc.rule, exc.detail, exc.pointer) from None
    check_object(body, _SESSION_FIELDS, "")
    service = _service(request)
    now = service.clock_ms()
    challenge = body["challenge"]
    try:
        service.challenges.check(challenge, now)
    except ChallengeError as exc:
        raise Unauthorized("invalid-challenge", exc.detail, "/challenge",
                           error="invalid_request") from None
    # From here on the attempt spends the challenge, whatever its outcome.
    service.challenges.spend(challenge, now)
    if not verify_challenge_signature(body["did"], service.ledger.origin, challenge,
                                      body["signature"]):
        raise Unauthorized("bad-signature", "the signature does not verify with the key of "
                           "'did' over b'ipledger-auth-v1\\n' + origin + b'\\n' + challenge",
                           "/signature", error="invalid_request")
    party, why = key_status(service.read, body["did"], service.register_time_ms())
    if party is None:
        reason = {"rotated-out": "was rotated out: it no longer speaks for its party",
                  "not-yet-valid": "is not valid yet"}.get(why, "belongs to no registered party")
        raise Unauthorized("unknown-key", f"this key {reason}", "/did",
                           error="invalid_request")
    token, session = service.sessions.issue(party, body["did"], now)
    return JSONResponse({
        "token": token, "token_type": "Bearer", "party": party, "did": body["did"],
        "expires": format_rfc3339_ms(session.expires_ms),
        "expires_in": (session.expires_ms - now) // 1000,
    }, status_code=201, headers=NO_STORE)


async def get_whoami(request: Request) -> Response:
    party = require_party(request)
    return JSONResponse({
        "party": party.id, "did": party.did, "expires": format_rfc3339_ms(party.expires_ms),
        "roles": all_roles(party.read, _service(request).ledger.store.record_ids, party.id),
    }, headers=NO_STORE)


async def delete_session(request: Request) -> Response:
    require_party(request)
    token = _bearer(request)
    assert token is not None
    _service(request).sessions.revoke(token)
    return Response(status_code=204, headers=NO_STORE)


routes = [
    Route("/v1/auth/challenge", post_challenge, methods=["POST"]),
    Route("/v1/auth/session", post_session, methods=["POST"]),
    Route("/v1/auth/session", delete_session, methods=["DELETE"]),
    Route("/v1/auth/whoami", get_whoami, methods=["GET"]),
]


def install_access_control(app: Starlette, ledger: Ledger,
                           config: AccessConfig | None = None) -> None:
    """Sessions, rate limits, body limits, security headers and CORS for ``app``."""
    config = config if config is not None else AccessConfig()
    control = AccessControl(config)
    app.state.access = control
    app.state.auth = AuthService(ledger, config)
    app.add_middleware(AccessMiddleware, control=control)
