"""``/v1/priority``: an accessing office retrieves a priority document over HTTP; every
attempt is an entry, wrong codes answer 403 and lock the deposit after five."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.hardening import RateLimit
from ipledger.ledger import MAX_SUBMITTED_BYTES
from ipledger.registry.engine import replay_register
from ipledger.registry.families.priority import MAX_FAILED, access_code_hash
from ipledger.services.auth_client import login
from tests.api.access_scenario import NO_LIMITS, make_client, problem
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_priority_documents import CODE, FILED, SALT, Offices

PDF = b"%PDF-1.7\n% priority application EM 018000001\n" * 50
URL = "/v1/priority/EM/018000001"


@pytest.fixture
def offices(node: Node) -> Offices:
    return Offices(node)


@pytest.fixture
def client(offices: Offices) -> Iterator[TestClient]:
    client, _ = make_client(offices.node)
    with client:
        yield client


def upload(client: TestClient, offices: Offices) -> None:
    """The depositing office's registrar stores the file (the document store, off-ledger)."""
    session = login("", offices.keys["em"], client=client, expected_origin=ORIGIN)
    resp = client.put(f"/v1/documents/{hashlib.sha256(PDF).hexdigest()}", content=PDF,
                      headers={"Content-Type": "application/pdf", **session.headers})
    assert resp.status_code == 201, resp.text


def deposit(client: TestClient, offices: Offices, stored: bool = True) -> None:
    if stored:
        upload(client, offices)
    offices.node.submit(offices.keys["em"], "priority.deposit", {
        "office": "EM", "number": "018000001", "filing_date": FILED,
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "media_type": "application/pdf", "applicants": [offices.party["applicant"]],
        "salt": SALT, "access_code_hash": access_code_hash(SALT, CODE)})
    offices.authorize("US")


def retrieve(client: TestClient, offices: Offices, code: str, staff: str = "us",
             office: str = "US", at: str = "018000001", **change: Any) -> Any:
    salt = client.get(URL).json()["salt"]
    body = {"office": "EM", "number": "018000001", "accessing_office": office,
            "code_hash": access_code_hash(salt, code), **change}
    envelope = offices.node.envelope(offices.keys[staff], "priority.access", body)
    return client.post(f"/v1/priority/EM/{at}/retrieve", content=envelope,
                       headers={"Content-Type": "application/json"})


def test_an_authorized_office_retrieves_the_verified_document(client: TestClient,
                                                               offices: Offices) -> None:
    deposit(client, offices)
    resp = retrieve(client, offices, CODE)
    assert resp.status_code == 200, resp.text
    assert resp.content == PDF and resp.headers["content-type"] == "application/pdf"
    index = int(resp.headers["x-ipledger-entry"])
    status = client.get(URL).json()
    assert "access_code_hash" not in status
    assert status["accesses"] == [{"office": "US", "by": offices.party["us"], "ok": True,
                                   "index": index, "time_ms": status["accesses"][0]["time_ms"]}]
    assert index == offices.node.ledger.store.tree_size() - 1  # the access is an entry


def test_wrong_codes_answer_403_are_recorded_and_lock(client: TestClient,
                                                      offices: Offices) -> None:
    deposit(client, offices)
    size = offices.node.ledger.store.tree_size()
    for n in range(MAX_FAILED):
        doc = problem(retrieve(client, offices, f"guess{n}"), 403, "wrong-access-code",
                      "/body/code_hash")
        assert f"{MAX_FAILED - n - 1} attempts left" in doc["detail"]
    assert offices.node.ledger.store.tree_size() == size + MAX_FAILED  # each one an entry
    assert client.get(URL).json()["locked"] is True
    problem(retrieve(client, offices, CODE), 423, "locked")  # even the right code
    offices.authorize("US")
    assert retrieve(client, offices, CODE).content == PDF
    assert replay_register(offices.node.ledger.store, offices.node.ledger.origin).ok


def test_refusals_are_problems_and_record_nothing(client: TestClient,
                                                  offices: Offices) -> None:
    problem(client.get(URL), 404, "not-found")
    deposit(client, offices, stored=False)
    ledger = offices.node.ledger
    size, root = ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None
    problem(retrieve(client, offices, CODE), 404, "not-found")  # the file is not stored yet
    upload(client, offices)
    problem(retrieve(client, offices, CODE, staff="jp", office="JP"), 403, "not-authorized",
            "/body/accessing_office")
    problem(retrieve(client, offices, CODE, number="018000002"), 422, "invalid-value",
            "/body/number")  # the entry must name the path's deposit
    other = offices.node.envelope(offices.keys["us"], "priority.authorize",
                                  {"office": "EM", "number": "018000001", "offices": ["US"]})
    problem(client.post(f"{URL}/retrieve", content=other,
                        headers={"Content-Type": "application/json"}), 422, "invalid-value",
            "/type")
    problem(client.post(f"{URL}/retrieve", content=b"{", headers={
        "Content-Type": "application/json"}), 400, "invalid-json")
    problem(client.post(f"{URL}/retrieve", content=b"{}", headers={
        "Content-Type": "text/plain"}), 415, "unsupported-media-type")
    problem(retrieve(client, offices, CODE, colour="red"), 422, "unknown-field",
            "/body/colour")
    problem(client.post(f"{URL}/retrieve", content=b" " * (MAX_SUBMITTED_BYTES + 1),
                        headers={"Content-Type": "application/json"}), 413, "body-too-large")
    assert ledger.store.tree_size() == size
    assert (ledger.rules.root() if ledger.rules else None) == root
    assert client.get(URL).json()["accesses"] == []


def test_openapi_documents_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths[URL.replace("EM/018000001", "{office}/{number}")]
    assert "403" in paths["/v1/priority/{office}/{number}/retrieve"]["post"]["responses"]


def test_wrong_codes_are_rate_limited_per_client_and_per_deposit(offices: Offices) -> None:
    limits = replace(NO_LIMITS, failed_access_codes=RateLimit(1 / 60, 2))
    client, clock = make_client(offices.node, limits)
    with client, TestClient(client.app, client=("198.51.100.9", 40000)) as other:
        deposit(client, offices)
        offices.deposit("018000002")
        store = offices.node.ledger.store
        for n in range(2):
            problem(retrieve(client, offices, f"guess{n}"), 403, "wrong-access-code")
        size = store.tree_size()
        for who, number in ((client, "018000001"), (other, "018000001"),  # the deposit's
                            (client, "018000002")):  # and the client's bucket are empty
            resp = retrieve(who, offices, CODE, number=number, at=number)
            doc = problem(resp, 429, "rate-limited", "/body/code_hash")
            assert resp.headers["retry-after"] == "60" and "retry in 60 s" in doc["detail"]
        assert store.tree_size() == size  # refused by the rate limit: no entry
        assert len(client.get(URL).json()["accesses"]) == 2
        assert client.get(URL).json()["failed_attempts"] == 2
        clock.advance(60_000)  # one token back in each bucket
        assert retrieve(other, offices, CODE).content == PDF
        assert store.tree_size() == size + 1
