"""Client side of authentication: log in to a node with a party's key, get a bearer session.

    session = login("https://node.example", key, expected_origin="office.example/ledger")
    httpx.get(url, headers=session.headers)
    logout(session)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.challenge import sign_challenge


class AuthError(Exception):
    """The node refused to log in (its RFC 9457 problem is in ``problem``)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        super().__init__(f"{problem.get('rule', 'error')}: {detail} (HTTP {status})")
        self.status = status
        self.problem = problem


@dataclass(frozen=True)
class AuthSession:
    """A bearer session on a node."""

    node: str
    token: str
    party: str
    did: str
    expires: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        doc = {"detail": resp.text[:200]}
    if resp.status_code >= 400:
        raise AuthError(resp.status_code, doc)
    return doc


def login(node: str, key: SigningKey, *, expected_origin: str | None = None,
          client: httpx.Client | None = None, timeout: float = 10.0) -> AuthSession:
    """Sign the node's challenge with ``key`` and open a session.

    ``expected_origin`` (the log origin in the node's ``log.vkey``) guards against a node
    relaying another node's challenge: the signature is bound to the origin it names.
    ``client`` may be any ``httpx.Client`` (e.g. Starlette's ``TestClient``; ``node`` is
    then relative to its base URL).
    """
    own = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    base = node.rstrip("/")
    try:
        issued = _json(http.post(f"{base}/v1/auth/challenge"))
        origin, challenge = issued["origin"], issued["challenge"]
        if expected_origin is not None and origin != expected_origin:
            raise AuthError(0, {"rule": "wrong-origin", "detail": f"the node speaks for "
                                f"{origin!r}, not {expected_origin!r}: refusing to sign"})
        did = did_key_url(key.public_key)
        opened = _json(http.post(f"{base}/v1/auth/session", json={
            "did": did, "challenge": challenge,
            "signature": sign_challenge(key, origin, challenge)}))
    finally:
        if own:
            http.close()
    return AuthSession(base, opened["token"], opened["party"], did, opened["expires"])


def logout(session: AuthSession, *, client: httpx.Client | None = None,
           timeout: float = 10.0) -> None:
    """End the session on the node."""
    own = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    try:
        resp = http.delete(f"{session.node}/v1/auth/session", headers=session.headers)
        if resp.status_code != 204:
            _json(resp)
    finally:
        if own:
            http.close()
