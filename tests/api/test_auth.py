"""Authentication by signing a challenge: sessions, live roles, confidential reads.

Real Ed25519 keys, a real register built through the ledger (tests/api/access_scenario.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.hardening import AccessConfig, RateLimit
from ipledger.codec import b64url_decode, b64url_encode
from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.challenge import (
    AUTH_CONTEXT,
    ChallengeError,
    ChallengeStore,
    SessionStore,
    auth_message,
    sign_challenge,
    verify_challenge_signature,
)
from ipledger.services.auth_client import AuthError, AuthSession, login, logout
from tests.api.access_scenario import JSON, Clock, Register, make_client, party_of, problem
from tests.registry.conftest import ORIGIN


@pytest.fixture
def clock(app: tuple[TestClient, Clock]) -> Clock:
    return app[1]


def challenge(client: TestClient) -> str:
    resp = client.post("/v1/auth/challenge")
    assert resp.status_code == 201, resp.text
    value: str = resp.json()["challenge"]
    return value


def answer(key: SigningKey, value: str, origin: str = ORIGIN, did_key: SigningKey | None = None
           ) -> dict[str, str]:
    return {"did": did_key_url((did_key or key).public_key), "challenge": value,
            "signature": sign_challenge(key, origin, value)}


def session(client: TestClient, key: SigningKey) -> AuthSession:
    return login("", key, client=client, expected_origin=ORIGIN)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unchanged(register: Register, size: int) -> None:
    assert register.node.ledger.store.tree_size() == size, "a login reached the ledger"


# -- the message format, the stores (pure) -------------------------------------------------


def test_message_is_domain_separated_and_bound_to_the_origin() -> None:
    key = SigningKey.generate()
    did = did_key_url(key.public_key)
    c = b64url_encode(bytes(32))
    assert auth_message("a.example/log", c) == AUTH_CONTEXT + b"a.example/log\n" + c.encode()
    assert AUTH_CONTEXT == b"ipledger-auth-v1\n"
    sig = sign_challenge(key, "a.example/log", c)
    assert verify_challenge_signature(did, "a.example/log", c, sig)
    assert not verify_challenge_signature(did, "b.example/log", c, sig)
    assert not verify_challenge_signature(did, "a.example/log", b64url_encode(b"\1" * 32), sig)
    # The same key signing the bare challenge (without the context) does not count.
    bare = b64url_encode(key.sign(c.encode()))
    assert not verify_challenge_signature(did, "a.example/log", c, bare)
    with pytest.raises(ValueError, match="one line"):
        auth_message("a\nb", c)


def test_challenge_store_is_single_use_expiring_and_bounded() -> None:
    store = ChallengeStore(ttl_ms=1000, capacity=3)
    c, expires = store.issue(0)
    assert expires == 1000 and len(b64url_decode(c)) == 32
    store.spend(c, 999)
    with pytest.raises(ChallengeError) as used:
        store.check(c, 999)
    assert used.value.reason == "used"
    late, _ = store.issue(0)
    with pytest.raises(ChallengeError) as expired:
        store.check(late, 1000)
    assert expired.value.reason == "expired"
    first = store.issue(10)[0]
    for t in range(11, 15):
        store.issue(t)
    assert len(store) <= 3
    with pytest.raises(ChallengeError) as forgotten:
        store.check(first, 20)
    assert forgotten.value.reason == "unknown"


def test_session_store_keeps_only_token_hashes() -> None:
    store = SessionStore(ttl_ms=1000, capacity=2)
    token, s = store.issue("P" + "0" * 20, "did:key:z", 0)
    assert len(b64url_decode(token)) == 32 and s.expires_ms == 1000
    assert token.encode() not in repr(store._sessions).encode()
    assert store.lookup(token, 999) == s
    assert store.lookup(token, 1000) is None  # expired, and forgotten
    a, _ = store.issue("PA", "d", 0)
    b, _ = store.issue("PB", "d", 0)
    c, _ = store.issue("PC", "d", 0)
    assert len(store) == 2 and store.lookup(a, 1) is None and store.lookup(c, 1) is not None
    assert store.revoke(c) and not store.revoke(c)
    assert store.revoke_where(did="d") == 1 and store.lookup(b, 1) is None


# -- logging in --------------------------------------------------------------------------


def test_challenge_is_random_bound_to_the_origin_and_expires(client: TestClient) -> None:
    resp = client.post("/v1/auth/challenge")
    assert resp.status_code == 201
    assert resp.headers["cache-control"] == "no-store"
    doc = resp.json()
    assert len(b64url_decode(doc["challenge"])) == 32
    assert doc["origin"] == ORIGIN and doc["algorithm"] == "Ed25519"
    assert doc["expires"] == "2026-09-21T01:02:00.000Z"  # ledger clock 01:00 + 2 minutes
    assert challenge(client) != challenge(client)
    ok = client.post("/v1/auth/challenge", content=b"{}", headers=JSON)
    assert ok.status_code == 201


def test_login_whoami_logout(client: TestClient, register: Register) -> None:
    size = register.node.ledger.store.tree_size()
    s = session(client, register.keys["registrar"])
    assert s.party == register.party("registrar")
    me = client.get("/v1/auth/whoami", headers=s.headers)
    assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
    assert me.json() == {"party": s.party, "did": s.did, "expires": "2026-09-21T02:00:00.000Z",
                         "roles": {"EM": ["registrar"]}}
    logout(s, client=client)
    problem(client.get("/v1/auth/whoami", headers=s.headers), 401, "invalid-token")
    with pytest.raises(AuthError) as again:
        logout(s, client=client)
    assert again.value.status == 401
    unchanged(register, size)


def test_session_token_response(client: TestClient, register: Register) -> None:
    c = challenge(client)
    resp = client.post("/v1/auth/session", json=answer(register.keys["applicant"], c))
    assert resp.status_code == 201
    assert resp.headers["cache-control"] == "no-store"
    doc = resp.json()
    assert doc["token_type"] == "Bearer" and doc["expires_in"] == 3600
    assert len(b64url_decode(doc["token"])) == 32
    assert doc["party"] == register.party("applicant")
    # The node keeps only the token's SHA-256.
    sessions = client.app.state.auth.sessions._sessions
    assert all(doc["token"].encode() not in d for d in sessions)


def test_roles_are_read_live_from_the_register(client: TestClient, register: Register) -> None:
    node = register.node
    s = session(client, register.keys["applicant"])
    assert client.get("/v1/auth/whoami", headers=s.headers).json()["roles"] == {}
    body = {"office": "US", "party": s.party, "role": "examiner"}
    node.submit(node.genesis, "role.grant", body)
    assert client.get("/v1/auth/whoami", headers=s.headers).json()["roles"] == {
        "US": ["examiner"]}
    node.submit(node.genesis, "role.revoke", body)
    assert client.get("/v1/auth/whoami", headers=s.headers).json()["roles"] == {}


def test_a_reused_challenge_is_refused(client: TestClient, register: Register) -> None:
    c = challenge(client)
    signed = answer(register.keys["applicant"], c)
    assert client.post("/v1/auth/session", json=signed).status_code == 201
    doc = problem(client.post("/v1/auth/session", json=signed), 401, "invalid-challenge",
                  "/challenge")
    assert "already used" in doc["detail"]


def test_an_expired_challenge_is_refused(client: TestClient, clock: Clock,
                                         register: Register) -> None:
    c = challenge(client)
    clock.advance(2 * 60_000)
    doc = problem(client.post("/v1/auth/session", json=answer(register.keys["applicant"], c)),
                  401, "invalid-challenge", "/challenge")
    assert "expired" in doc["detail"]


@pytest.mark.parametrize("value", [b64url_encode(bytes(32)), "short", "x" * 43])
def test_an_unknown_challenge_is_refused(client: TestClient, register: Register,
                                         value: str) -> None:
    challenge(client)
    doc = problem(client.post("/v1/auth/session", json=answer(register.keys["applicant"],
                                                              value)),
                  401, "invalid-challenge", "/challenge")
    assert "not a challenge" in doc["detail"]


def test_a_bad_signature_is_refused_and_spends_the_challenge(client: TestClient,
                                                             register: Register) -> None:
    size = register.node.ledger.store.tree_size()
    c = challenge(client)
    applicant = register.keys["applicant"]
    forged = answer(SigningKey.generate(), c, did_key=applicant)  # someone else's signature
    resp = client.post("/v1/auth/session", json=forged)
    problem(resp, 401, "bad-signature", "/signature")
    assert resp.headers["www-authenticate"].startswith("Bearer")
    # One attempt per challenge: even the right signature is now too late.
    problem(client.post("/v1/auth/session", json=answer(applicant, c)), 401,
            "invalid-challenge", "/challenge")
    unchanged(register, size)


def test_a_signature_for_another_origin_is_refused(client: TestClient,
                                                   register: Register) -> None:
    c = challenge(client)
    signed = answer(register.keys["applicant"], c, origin="other.office/ledger")
    problem(client.post("/v1/auth/session", json=signed), 401, "bad-signature", "/signature")


def test_a_key_not_in_the_register_is_refused(client: TestClient, register: Register) -> None:
    for key in (SigningKey.generate(), register.node.genesis):  # genesis is no party key
        doc = problem(client.post("/v1/auth/session", json=answer(key, challenge(client))),
                      401, "unknown-key", "/did")
        assert "no registered party" in doc["detail"]
    with pytest.raises(AuthError) as err:
        session(client, SigningKey.generate())
    assert err.value.problem["rule"] == "unknown-key"


def test_a_rotated_out_key_is_refused_and_its_sessions_end(client: TestClient,
                                                          register: Register) -> None:
    node, old, new = register.node, register.keys["other_party"], SigningKey.generate()
    before = session(client, old)
    node.submit(old, "party.rotate_key", {"new_key": did_key_url(new.public_key)},
                endorsers=[new])
    doc = problem(client.post("/v1/auth/session", json=answer(old, challenge(client))), 401,
                  "unknown-key", "/did")
    assert "rotated out" in doc["detail"]
    doc = problem(client.get("/v1/auth/whoami", headers=before.headers), 401, "invalid-token")
    assert "rotated out" in doc["detail"]
    after = session(client, new)
    assert after.party == before.party == party_of(old)


@pytest.mark.parametrize(
    ("content", "headers", "status", "rule", "pointer"),
    [
        (b"not json", JSON, 400, "invalid-json", None),
        (b'{"did":"a","did":"b"}', JSON, 400, "duplicate-key", None),
        (b"[]", JSON, 422, "wrong-type", None),
        (b'{"did":"%(did)s","challenge":"%(c)s"}', JSON, 422, "missing-field", "/signature"),
        (b'{"did":"%(did)s","challenge":"%(c)s","signature":"%(sig)s","extra":1}', JSON, 422,
         "unknown-field", "/extra"),
        (b'{"did":5,"challenge":"%(c)s","signature":"%(sig)s"}', JSON, 422, "wrong-type",
         "/did"),
        (b'{"did":"%(did)s","challenge":1.5,"signature":"%(sig)s"}', JSON, 422, "wrong-type",
         "/challenge"),
        (b'{"did":"did:web:example.org","challenge":"%(c)s","signature":"%(sig)s"}', JSON, 422,
         "invalid-value", "/did"),
        (b'{"did":"%(did)s","challenge":"%(c)s","signature":"AAAA"}', JSON, 422,
         "invalid-value", "/signature"),
        (b'{"did":"%(did)s","challenge":"%(c)s","signature":"%(sig)s"}',
         {"Content-Type": "text/plain"}, 415, "unsupported-media-type", None),
        (b'{"did":"%(did)s","challenge":"%(c)s","signature":"%(sig)s","pad":"'
         + b"x" * 5000 + b'"}', JSON, 413, "body-too-large", None),
    ],
)
def test_malformed_logins_get_problems_and_change_nothing(
    client: TestClient, register: Register, content: bytes, headers: dict[str, str],
    status: int, rule: str, pointer: str | None,
) -> None:
    size = register.node.ledger.store.tree_size()
    key = register.keys["applicant"]
    c = challenge(client)
    signed = answer(key, c)
    body = content % {b"did": signed["did"].encode(), b"c": c.encode(),
                      b"sig": signed["signature"].encode()}
    problem(client.post("/v1/auth/session", content=body, headers=headers), status, rule,
            pointer)
    # Nothing changed: the challenge is still good for one well-formed attempt.
    assert client.post("/v1/auth/session", json=signed).status_code == 201
    unchanged(register, size)


@pytest.mark.parametrize(
    ("content", "headers", "status", "rule"),
    [
        (b"nope", JSON, 400, "invalid-json"),
        (b'{"x":1}', JSON, 422, "unknown-field"),
        (b"{}", {"Content-Type": "text/plain"}, 415, "unsupported-media-type"),
        (b"{" + b" " * 5000 + b"}", JSON, 413, "body-too-large"),
    ],
)
def test_malformed_challenge_requests(client: TestClient, content: bytes,
                                      headers: dict[str, str], status: int, rule: str) -> None:
    problem(client.post("/v1/auth/challenge", content=content, headers=headers), status, rule)
    assert len(client.app.state.auth.challenges) == 0


# -- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("Bearer " + b64url_encode(bytes(32)), "invalid_token"),  # unknown
        ("Bearer", "invalid_request"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer " + "x" * 500, "invalid_request"),
    ],
)
def test_unknown_or_malformed_tokens_are_401(client: TestClient, register: Register,
                                             header: str, error: str) -> None:
    for method, url in (("GET", "/v1/auth/whoami"), ("DELETE", "/v1/auth/session"),
                        ("GET", register.published), ("GET", register.unpublished),
                        ("GET", register.missing)):
        resp = client.request(method, url, headers={"Authorization": header})
        problem(resp, 401, "invalid-token", "/headers/authorization")
        assert resp.headers["www-authenticate"] == f'Bearer error="{error}"'


def test_whoami_without_a_token_is_401(client: TestClient) -> None:
    resp = client.get("/v1/auth/whoami")
    problem(resp, 401, "invalid-token")
    assert resp.headers["www-authenticate"] == 'Bearer error="invalid_request"'


def test_an_expired_token_is_refused(client: TestClient, clock: Clock,
                                     register: Register) -> None:
    s = session(client, register.keys["examiner"])
    clock.advance(60 * 60_000 - 1)
    assert client.get("/v1/auth/whoami", headers=s.headers).status_code == 200
    clock.advance(1)
    doc = problem(client.get("/v1/auth/whoami", headers=s.headers), 401, "invalid-token")
    assert "expired" in doc["detail"]


def test_a_revoked_token_is_refused_everywhere(client: TestClient, register: Register) -> None:
    s = session(client, register.keys["applicant"])
    assert client.get(register.unpublished, headers=s.headers).status_code == 200
    assert client.delete("/v1/auth/session", headers=s.headers).status_code == 204
    problem(client.get(register.unpublished, headers=s.headers), 401, "invalid-token")
    problem(client.delete("/v1/auth/session", headers=s.headers), 401, "invalid-token")


def test_sessions_are_independent(client: TestClient, register: Register) -> None:
    a = session(client, register.keys["applicant"])
    b = session(client, register.keys["applicant"])
    assert a.token != b.token
    logout(a, client=client)
    assert client.get("/v1/auth/whoami", headers=b.headers).status_code == 200


def test_the_client_refuses_to_sign_for_another_origin(client: TestClient,
                                                       register: Register) -> None:
    with pytest.raises(AuthError, match="refusing to sign"):
        login("", register.keys["applicant"], client=client, expected_origin="x.example/log")


# -- confidential reads ------------------------------------------------------------------

VIEWERS = ("anonymous", "applicant", "representative", "registrar", "examiner", "other_party",
           "us_registrar")
MAY_READ = {"applicant", "representative", "registrar", "examiner"}


def _get(client: TestClient, url: str, headers: dict[str, str]) -> Any:
    return client.get(url, headers=headers)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_confidential_read_matrix(client: TestClient, register: Register, viewer: str) -> None:
    headers = {} if viewer == "anonymous" else session(client, register.keys[viewer]).headers
    resp = _get(client, register.unpublished, headers)
    if viewer in MAY_READ:
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        assert doc["confidential"] is True
        assert doc["record_id"] == "right/EM/trademark/000000001"
        assert doc["right"]["state"] == "filed" and "data" not in doc["right"]
        assert doc["right"]["owners"][0]["party"] == register.party("applicant")
        assert resp.headers["cache-control"] == "private, no-store"
        assert "authorization" in resp.headers["vary"].lower()
        assert "access-control-allow-origin" not in resp.headers
    else:
        # The same 404 as for a right that does not exist: no existence oracle.
        hidden = problem(resp, 404, "not-found", "/number")
        missing_resp = _get(client, register.missing, headers)
        missing = problem(missing_resp, 404, "not-found", "/number")
        assert hidden["detail"].replace("000000001", "N") == \
            missing["detail"].replace("000000099", "N")
        assert hidden["instance"].replace("000000001", "N") == \
            missing["instance"].replace("000000099", "N")
        assert {k: v for k, v in resp.headers.items()} == dict(missing_resp.headers.items())
    # A right that does not exist is a 404 for everyone, whoever asks.
    problem(_get(client, register.missing, headers), 404, "not-found")
    # ST.96 XML of an unpublished right: never, not even to the applicant.
    problem(_get(client, register.unpublished + ".xml", headers), 404, "not-found")
    # The extract stays public-only (404 before publication).
    problem(_get(client, register.unpublished + "/extract", headers), 404, "not-found")
    # A published right is the same public document for everyone, never marked confidential.
    public = _get(client, register.published, headers)
    assert public.status_code == 200 and "confidential" not in public.json()


def test_a_role_granted_after_login_opens_the_file(client: TestClient,
                                                   register: Register) -> None:
    node = register.node
    s = session(client, register.keys["other_party"])
    problem(client.get(register.unpublished, headers=s.headers), 404, "not-found")
    node.submit(node.genesis, "role.grant",
                {"office": "EM", "party": s.party, "role": "examiner"})
    assert client.get(register.unpublished, headers=s.headers).json()["confidential"] is True
    node.submit(node.genesis, "role.revoke",
                {"office": "EM", "party": s.party, "role": "examiner"})
    problem(client.get(register.unpublished, headers=s.headers), 404, "not-found")


# -- failed logins are rate limited ------------------------------------------------------


def test_failed_logins_are_rate_limited(register: Register) -> None:
    access = AccessConfig(requests=None, auth_requests=None,
                          failed_logins=RateLimit(1 / 60, 3), exempt_loopback=False)
    client, clock = make_client(register.node, access)
    key = register.keys["applicant"]
    with client:
        for _ in range(3):
            wrong = answer(SigningKey.generate(), challenge(client), did_key=key)
            problem(client.post("/v1/auth/session", json=wrong), 401, "bad-signature")
        c = challenge(client)  # challenges are still handed out...
        resp = client.post("/v1/auth/session", json=answer(key, c))  # ...but not honoured
        doc = problem(resp, 429, "rate-limited")
        assert int(resp.headers["retry-after"]) == 60
        assert "retry" in doc["detail"]
        clock.advance(60_000)
        # The refused attempt did not spend the challenge: the 429 changed nothing.
        assert client.post("/v1/auth/session", json=answer(key, c)).status_code == 201
        # Another client is not affected.
        other = TestClient(client.app, client=("198.51.100.9", 1))
        assert other.post("/v1/auth/session",
                          json=answer(key, challenge(other))).status_code == 201


def test_party_has_role_reads_the_register_at_use_time(register: Register) -> None:
    from ipledger.api.auth import Party

    node = register.node
    read = node.ledger.store.read_record
    examiner = Party(register.party("examiner"), "did:key:z", 0, read)
    assert examiner.has_role("EM", "examiner") and not examiner.has_role("EM", "registrar")
    assert not examiner.has_role("US", "examiner")
    node.submit(node.genesis, "role.revoke",
                {"office": "EM", "party": examiner.id, "role": "examiner"})
    assert not examiner.has_role("EM", "examiner")  # the same object, no re-login
