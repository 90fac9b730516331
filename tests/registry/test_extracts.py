"""Extracts: a record with its state proof and history, verifiable offline; as of any checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.cli import main
from ipledger.identity import SigningKey, did_key_url
from ipledger.ledger import format_rfc3339_ms
from ipledger.registry.extract import ExtractError, verify_extract
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node


@pytest.fixture
def client(node: Node):
    with TestClient(create_app(node.ledger), raise_server_exceptions=False) as c:
        yield c


def test_party_extract_verifies_offline_with_history(node: Node, client: TestClient,
                                                     tmp_path: Path, capsys) -> None:
    key = SigningKey.generate()
    node.submit(key, "party.register", {"name": "Aurora Brew GmbH", "country": "DE",
                                        "kind": "legal"})
    node.clock.now_ms += 60_000
    node.submit(key, "party.update", {"address": "Hauptstr. 1, Berlin"})
    party = party_id_for(did_key_url(key.public_key))
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=5)
    doc = client.get(f"/v1/state/party/{party}").json()
    verifier = node.ledger.note_signer.verifier()
    verified = verify_extract(doc, [verifier])
    assert verified.record["details"][-1]["address"] == "Hauptstr. 1, Berlin"
    assert [r["entry"]["type"] for r in verified.history] == ["party.register", "party.update"]

    path = tmp_path / "extract.json"
    path.write_text(json.dumps(doc))
    vkey = tmp_path / "log.vkey"
    vkey.write_text(node.ledger.verifier_key)
    capsys.readouterr()
    assert main(["verify", "extract", str(path), "--vkey", str(vkey)]) == 0
    assert "exists" in capsys.readouterr().out

    doc["record"]["details"][-1]["address"] = "Elsewhere"
    path.write_text(json.dumps(doc))
    assert main(["verify", "extract", str(path), "--vkey", str(vkey)]) == 1
    assert "state-proof" in capsys.readouterr().out


def test_absence_is_proven_and_cannot_be_faked(node: Node, client: TestClient) -> None:
    key = SigningKey.generate()
    node.submit(key, "party.register", {"name": "Present", "country": "FR", "kind": "legal"})
    node.ledger.wait_for_checkpoint(1, timeout=5)
    verifier = node.ledger.note_signer.verifier()
    absent = client.get("/v1/state/party/P0000000000000000000A").json()
    assert absent["record"] is None
    verify_extract(absent, [verifier])
    present = client.get(f"/v1/state/party/{party_id_for(did_key_url(key.public_key))}").json()
    present["record"] = None  # claim the existing party does not exist
    with pytest.raises(ExtractError) as info:
        verify_extract(present, [verifier])
    assert info.value.step == "state-proof"


def test_extract_as_of_an_earlier_checkpoint_and_date(node: Node, client: TestClient) -> None:
    key = SigningKey.generate()
    party = party_id_for(did_key_url(key.public_key))
    node.submit(key, "party.register", {"name": "First Name", "country": "IT", "kind": "legal"})
    early = node.ledger.wait_for_checkpoint(1, timeout=5)
    early_time = node.clock.now_ms
    node.clock.now_ms += 86_400_000
    node.submit(key, "party.update", {"name": "Second Name"})
    node.ledger.wait_for_checkpoint(2, timeout=5)
    verifier = node.ledger.note_signer.verifier()

    then = client.get(f"/v1/state/party/{party}", params={"size": early.tree_size}).json()
    assert verify_extract(then, [verifier]).record["details"][-1]["name"] == "First Name"
    by_date = client.get(f"/v1/state/party/{party}",
                         params={"at": format_rfc3339_ms(early_time + 1000)}).json()
    assert by_date["tree_size"] == early.tree_size
    now = client.get(f"/v1/state/party/{party}").json()
    assert verify_extract(now, [verifier]).record["details"][-1]["name"] == "Second Name"
    assert client.get(f"/v1/state/party/{party}", params={"size": 99}).status_code == 404
    assert client.get(f"/v1/state/party/{party}", params={"at": "yesterday"}).status_code == 400
    before = client.get(f"/v1/state/party/{party}", params={"at": "2001-01-01T00:00:00Z"})
    assert before.status_code == 200
    assert before.json()["tree_size"] == 0
    assert before.json()["record"] is None


def test_types_catalogue_and_openapi_describe_the_register(client: TestClient) -> None:
    types = client.get("/v1/types").json()
    body = types["register"]["party.register"]["body"]
    assert body["required"] == ["name", "country", "kind"]
    assert body["additionalProperties"] is False
    assert "right.file" in types["register"]
    assert "evidence.stamp" in types["other"]
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/types", "/v1/state/{record_id}", "/v1/rights/{office}/{kind}/{number}",
                 "/v1/rights/{office}/{kind}/{number}/extract"):
        assert path in paths


def test_every_documented_example_is_a_valid_body() -> None:
    from ipledger.registry.engine import RULES, RegistryEntryType

    with_examples = [name for name, rule in RULES.items() if rule.example]
    assert len(with_examples) >= 9
    for name in with_examples:
        RegistryEntryType(name).check_body(RULES[name].example)
