"""The credential routes: the DID document, credentials, status lists, RFC 9457 problems,
and their OpenAPI entries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.config import load_config
from ipledger.credentials.status_list import bit_at, decode_bits
from tests.api.access_scenario import make_client, problem
from tests.credentials.conftest import Scenario, verify

PUBLIC = "https://register.office.example"


@pytest.fixture(scope="module")
def client(scenario: Scenario) -> Iterator[TestClient]:
    client, _ = make_client(scenario.node)
    config = load_config(scenario.data)
    client.app.state.config = dataclasses.replace(  # type: ignore[attr-defined]
        config, server=dataclasses.replace(config.server, public_url=PUBLIC))
    with client:
        yield client


def test_did_document_is_served_at_the_well_known_path(client: TestClient) -> None:
    resp = client.get("/.well-known/did.json")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/did+json"
    doc = resp.json()
    assert doc["id"] == "did:web:register.office.example"
    assert doc["verificationMethod"][0]["type"] == "Multikey"


def test_credentials_verify_against_the_served_did_document(client: TestClient,
                                                            scenario: Scenario) -> None:
    right = f"/v1/rights/EM/trademark/{scenario.number}"
    did = client.get("/.well-known/did.json").json()
    paths = [f"{right}/credential", f"{right}/licences/L1/credential",
             f"{right}/assignments/{scenario.assignments[1]}/credential"]
    status_list = client.get(f"{right}/status-list").json()
    assert status_list["id"] == PUBLIC + right + "/status-list"
    for path in paths:
        resp = client.get(path, params={"size": scenario.sizes[2]})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/vc")
        vc = resp.json()
        assert vc["id"] == PUBLIC + path
        verified = verify(vc, did, status_list)
        assert verified.status == ("active" if "assignments" in path else "revoked")


def test_status_list_as_of_a_checkpoint(client: TestClient, scenario: Scenario) -> None:
    right = f"/v1/rights/EM/trademark/{scenario.number}"
    first = client.get(f"{right}/status-list", params={"size": scenario.sizes[0]}).json()
    last = client.get(f"{right}/status-list", params={"size": scenario.sizes[2]}).json()
    assert not bit_at(decode_bits(first["credentialSubject"]["encodedList"]), 0)
    assert bit_at(decode_bits(last["credentialSubject"]["encodedList"]), 0)


def test_bad_requests_get_problem_documents(client: TestClient, scenario: Scenario) -> None:
    right = f"/v1/rights/EM/trademark/{scenario.number}"
    ledger = scenario.node.ledger
    before = ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None
    problem(client.get(f"/v1/rights/EM/trademark/{scenario.pending}/credential"), 409,
            "not-registered", "/number")
    for path in (f"/v1/rights/EM/trademark/{scenario.unpublished}/credential",
                 "/v1/rights/EM/trademark/000000099/credential",
                 "/v1/rights/EM/trademark/000000099/status-list"):
        problem(client.get(path), 404, "not-found", "/number")
    problem(client.get(f"{right}/licences/L9/credential"), 404, "not-found", "/licence")
    problem(client.get(f"{right}/assignments/3/credential"), 404, "not-found", "/index")
    problem(client.get(f"{right}/assignments/x1/credential"), 400, "bad-parameter", "/index")
    problem(client.get(f"{right}/credential", params={"size": "abc"}), 400, "bad-parameter",
            "/size")
    after = ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None
    assert after == before  # reads change nothing


def test_a_node_without_a_data_directory_issues_nothing(scenario: Scenario) -> None:
    with TestClient(create_app(scenario.node.ledger), raise_server_exceptions=False) as bare:
        problem(bare.get("/.well-known/did.json"), 404, "not-found")
        problem(bare.get(f"/v1/rights/EM/trademark/{scenario.number}/credential"), 404,
                "not-found")


def test_every_credential_route_is_in_the_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/.well-known/did.json", "/v1/rights/{office}/{kind}/{number}/credential",
                 "/v1/rights/{office}/{kind}/{number}/licences/{licence}/credential",
                 "/v1/rights/{office}/{kind}/{number}/assignments/{index}/credential",
                 "/v1/rights/{office}/{kind}/{number}/status-list"):
        operation = spec["paths"][path]["get"]
        assert operation["responses"]["200"]["content"], path
        assert any("example" in c for c in operation["responses"]["200"]["content"].values())
