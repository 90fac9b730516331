"""Governance (offices, roles) and parties (registration, details, key rotation)."""

from __future__ import annotations

from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.records import key_record, party_id_for, party_record, role_record
from tests.registry.conftest import Node


def register(node: Node, key: SigningKey, name: str = "Aurora Brew GmbH",
             country: str = "DE") -> str:
    node.submit(key, "party.register", {"name": name, "country": country, "kind": "legal"})
    return party_id_for(did_key_url(key.public_key))


def record(node: Node, record_id: str) -> dict | None:
    raw = node.ledger.store.read_record(record_id)
    return None if raw is None else parse_json(raw)


def test_genesis_admits_an_office_and_grants_roles(node: Node) -> None:
    node.submit(node.genesis, "office.register",
                {"office": "EM", "name": "EUIPO", "profile": "euipo"})
    clerk = SigningKey.generate()
    party = register(node, clerk, "Ana Registrar", "ES")
    node.submit(node.genesis, "role.grant", {"office": "EM", "party": party, "role": "registrar"})
    assert record(node, role_record("EM", party))["roles"] == ["registrar"]
    err = node.refuse(node.genesis, "role.grant",
                      {"office": "EM", "party": party, "role": "registrar"})
    assert err.rule == "invalid-transition"
    node.submit(node.genesis, "role.revoke", {"office": "EM", "party": party, "role": "registrar"})
    assert record(node, role_record("EM", party))["roles"] == []


def test_only_the_genesis_key_governs(node: Node) -> None:
    someone = SigningKey.generate()
    register(node, someone)
    err = node.refuse(someone, "office.register", {"office": "EM", "name": "x", "profile": "euipo"})
    assert (err.rule, err.status, err.pointer) == ("not-authorized", 403, "/actor")
    node.submit(node.genesis, "office.register", {"office": "EM", "name": "EUIPO",
                                                  "profile": "euipo"})
    err = node.refuse(node.genesis, "office.register", {"office": "EM", "name": "again",
                                                        "profile": "euipo"})
    assert err.rule == "already-exists"


def test_bad_bodies_name_the_field(node: Node) -> None:
    key = SigningKey.generate()
    for body, rule, pointer in [
        ({"name": "X", "country": "ZZ", "kind": "legal"}, "st3-code", "/body/country"),
        ({"name": "X", "country": "DE", "kind": "robot"}, "invalid-value", "/body/kind"),
        ({"name": "X", "country": "DE"}, "missing-field", "/body/kind"),
        ({"name": "X", "country": "DE", "kind": "legal", "age": 3}, "unknown-field", "/body/age"),
        ({"name": 7, "country": "DE", "kind": "legal"}, "wrong-type", "/body/name"),
        ({"name": " ", "country": "DE", "kind": "legal"}, "invalid-value", "/body/name"),
    ]:
        err = node.refuse(key, "party.register", body)
        assert (err.rule, err.pointer) == (rule, pointer), err


def test_a_key_registers_one_party_and_details_keep_history(node: Node) -> None:
    key = SigningKey.generate()
    party = register(node, key)
    assert node.refuse(key, "party.register",
                       {"name": "Dup", "country": "DE", "kind": "legal"}).rule == "already-exists"
    node.clock.now_ms += 1000
    node.submit(key, "party.update", {"address": "Hauptstr. 1, 10115 Berlin"})
    details = record(node, party_record(party))["details"]
    assert [d.get("address") for d in details] == [None, "Hauptstr. 1, 10115 Berlin"]
    assert details[1]["from"] == details[0]["from"] + 1000
    assert node.refuse(key, "party.update", {}).rule == "missing-field"


def test_key_rotation_judges_signatures_by_ledger_time(node: Node) -> None:
    old = SigningKey.generate()
    party = register(node, old)
    new = SigningKey.generate()
    new_url = did_key_url(new.public_key)
    err = node.refuse(old, "party.rotate_key", {"new_key": new_url})
    assert err.rule == "missing-endorsement"
    node.clock.now_ms += 5000
    node.submit(old, "party.rotate_key", {"new_key": new_url}, endorsers=[new])
    assert record(node, key_record(did_key_url(old.public_key)))["until"] == node.clock.now_ms
    assert record(node, key_record(new_url))["party"] == party
    # The old key no longer speaks for the party; the new one does.
    err = node.refuse(old, "party.update", {"name": "Hijacked"})
    assert (err.rule, err.status) == ("not-authorized", 403)
    node.submit(new, "party.update", {"name": "Aurora Brew AG"})
    assert record(node, party_record(party))["details"][-1]["name"] == "Aurora Brew AG"
    # A stranger's key is not a party at all.
    assert node.refuse(SigningKey.generate(), "party.update", {"name": "x"}).rule == \
        "not-authorized"


def test_state_survives_restart_and_replays_to_the_same_root(node: Node, reopen) -> None:
    node.submit(node.genesis, "office.register", {"office": "US", "name": "USPTO",
                                                  "profile": "uspto"})
    keys = [SigningKey.generate() for _ in range(5)]
    for i, key in enumerate(keys):
        node.clock.now_ms += 10
        register(node, key, f"Party {i}")
    root = node.ledger.rules.root()
    node = reopen(node)
    assert node.ledger.rules.root() == root
    node.submit(keys[0], "party.update", {"name": "Renamed"})
    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems
    assert report.final_root == node.ledger.rules.root()


def test_linking_identities_gives_one_global_party(node: Node) -> None:
    at_euipo, at_uspto, third = (SigningKey.generate() for _ in range(3))
    a = register(node, at_euipo, "Aurora Brew GmbH", "DE")
    b = register(node, at_uspto, "Aurora Brew GmbH (US)", "DE")
    c = register(node, third, "Aurora Brew Holding", "DE")
    err = node.refuse(at_euipo, "party.link", {"party": b})
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    err = node.refuse(at_euipo, "party.link", {"party": b}, endorsers=[third])
    assert err.rule == "missing-endorsement"
    node.submit(at_euipo, "party.link", {"party": b}, endorsers=[at_uspto])
    node.submit(third, "party.link", {"party": b}, endorsers=[at_uspto])
    records = [record(node, party_record(p)) for p in (a, b, c)]
    assert {r["global_id"] for r in records} == {min(a, b, c)}
    assert all(r["linked"] == sorted([a, b, c]) for r in records)
    assert node.refuse(at_euipo, "party.link", {"party": a}).rule == "invalid-value"
