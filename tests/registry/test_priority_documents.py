"""Priority documents (WIPO DAS model): deposit, applicant authorization, counted access."""

from __future__ import annotations

import hashlib

import pytest

from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.families.priority import (
    MAX_FAILED,
    access_code_hash,
    priority_record,
    public_status,
)
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node

SALT = "5a17" * 8
CODE = "K7Q2-M9XW-4TRB-8HZP"
DOC = hashlib.sha256(b"%PDF-1.7 priority application EM 018000001").hexdigest()
FILED = "2026-04-01"  # the earlier application's filing date (ledger time T0: 2026-09-21)


class Offices:
    """A depositing office (EM), an accessing office (US) and one outside it (JP)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.keys = {n: SigningKey.generate() for n in ("em", "us", "jp", "applicant",
                                                        "other")}
        self.party = {}
        for name, key in self.keys.items():
            node.submit(key, "party.register", {"name": name, "country": "ES",
                                                "kind": "natural"})
            self.party[name] = party_id_for(did_key_url(key.public_key))
        for office, staff in (("EM", "em"), ("US", "us"), ("JP", "jp")):
            node.submit(node.genesis, "office.register",
                        {"office": office, "name": f"{office} office", "profile": "euipo"})
            node.submit(node.genesis, "role.grant", {"office": office,
                                                     "party": self.party[staff],
                                                     "role": "registrar"})

    def deposit(self, number: str = "018000001", **change: str) -> dict:
        body = {"office": "EM", "number": number, "filing_date": FILED, "kind": "trademark",
                "sha256": DOC, "media_type": "application/pdf",
                "applicants": [self.party["applicant"]], "salt": SALT,
                "access_code_hash": access_code_hash(SALT, CODE), **change}
        self.node.submit(self.keys["em"], "priority.deposit", body)
        return body

    def access(self, code: str, office: str = "US", staff: str = "us") -> None:
        self.node.submit(self.keys[staff], "priority.access", self.access_body(code, office))

    def access_body(self, code: str, office: str = "US") -> dict:
        return {"office": "EM", "number": "018000001", "accessing_office": office,
                "code_hash": access_code_hash(SALT, code)}

    def authorize(self, *offices: str, key: str = "applicant") -> None:
        self.node.submit(self.keys[key], "priority.authorize",
                         {"office": "EM", "number": "018000001", "offices": list(offices)})

    def record(self) -> dict:
        return parse_json(self.node.ledger.store.read_record(priority_record("EM", "018000001")))


@pytest.fixture
def offices(node: Node) -> Offices:
    return Offices(node)


def test_deposit_authorize_and_retrieve(offices: Offices, node: Node) -> None:
    offices.deposit()
    offices.authorize("US")
    offices.access(CODE)
    record = offices.record()
    assert record["sha256"] == DOC and record["authorized"] == ["US"]
    assert CODE not in node.ledger.store.read_record(priority_record("EM", "018000001")).decode()
    assert [(a["office"], a["ok"], a["by"]) for a in record["accesses"]] == [
        ("US", True, offices.party["us"])]
    assert record["failed_attempts"] == 0 and record["locked"] is False
    assert "access_code_hash" not in public_status(record)
    assert replay_register(node.ledger.store, node.ledger.origin).ok


def test_unauthorized_office_is_refused(offices: Offices, node: Node) -> None:
    offices.deposit()
    offices.authorize("US")
    err = node.refuse(offices.keys["jp"], "priority.access", offices.access_body(CODE, "JP"))
    assert (err.rule, err.status, err.pointer) == ("not-authorized", 403,
                                                   "/body/accessing_office")
    # staff of an authorized office only: JP's registrar cannot act for US
    err = node.refuse(offices.keys["jp"], "priority.access", offices.access_body(CODE, "US"))
    assert (err.rule, err.status, err.pointer) == ("not-authorized", 403, "/actor")
    assert offices.record()["accesses"] == []


def test_wrong_codes_are_recorded_counted_and_lock(offices: Offices, node: Node) -> None:
    offices.deposit()
    offices.authorize("US")
    for n in range(1, MAX_FAILED + 1):
        offices.access(f"guess-{n}")
        assert offices.record()["failed_attempts"] == n
    record = offices.record()
    assert [a["ok"] for a in record["accesses"]] == [False] * MAX_FAILED
    assert record["locked"] is True
    err = node.refuse(offices.keys["us"], "priority.access", offices.access_body(CODE))
    assert (err.rule, err.status) == ("locked", 423)
    offices.authorize("US")  # the applicant vouches again: unlocked, count reset
    offices.access(CODE)
    record = offices.record()
    assert (record["locked"], record["failed_attempts"]) == (False, 0)
    assert record["accesses"][-1]["ok"] is True and len(record["accesses"]) == MAX_FAILED + 1
    assert replay_register(node.ledger.store, node.ledger.origin).ok


def test_only_an_applicant_may_authorize(offices: Offices, node: Node) -> None:
    offices.deposit()
    for key in ("other", "em"):  # neither a stranger nor the depositing office's registrar
        err = node.refuse(offices.keys[key], "priority.authorize",
                          {"office": "EM", "number": "018000001", "offices": ["US"]})
        assert (err.rule, err.status) == ("not-authorized", 403)
    assert offices.record()["authorized"] == []


def test_only_a_registrar_of_the_depositing_office_deposits(offices: Offices,
                                                             node: Node) -> None:
    body = {"office": "EM", "number": "1", "filing_date": FILED, "sha256": DOC,
            "media_type": "application/pdf",
            "applicants": [offices.party["applicant"]], "salt": SALT,
            "access_code_hash": access_code_hash(SALT, CODE)}
    for key in ("us", "applicant"):
        err = node.refuse(offices.keys[key], "priority.deposit", body)
        assert (err.rule, err.status) == ("not-authorized", 403)


@pytest.mark.parametrize(("entry_type", "change", "rule", "pointer"), [
    ("priority.deposit", {"sha256": "AB" * 32}, "invalid-value", "/body/sha256"),
    ("priority.deposit", {"access_code_hash": "12"}, "invalid-value", "/body/access_code_hash"),
    ("priority.deposit", {"salt": "zz"}, "invalid-value", "/body/salt"),
    ("priority.deposit", {"media_type": "pdf"}, "invalid-value", "/body/media_type"),
    ("priority.deposit", {"filing_date": "2026-09-22"}, "invalid-value", "/body/filing_date"),
    ("priority.deposit", {"filing_date": "2026-02-30"}, "invalid-value", "/body/filing_date"),
    ("priority.deposit", {"kind": "copyright"}, "invalid-value", "/body/kind"),
    ("priority.deposit", {"office": "Q9"}, "st3-code", "/body/office"),
    ("priority.deposit", {"office": "AD"}, "not-found", "/body/office"),
    ("priority.deposit", {"code": CODE}, "unknown-field", "/body/code"),
    ("priority.deposit", {"applicants": ["P" + "0" * 20]}, "not-found", "/body/applicants/0"),
    ("priority.deposit", {"number": "018000001"}, "already-exists", "/body/number"),
    ("priority.authorize", {"offices": []}, "invalid-value", "/body/offices"),
    ("priority.authorize", {"offices": ["US", "US"]}, "invalid-value", "/body/offices"),
    ("priority.authorize", {"offices": [7]}, "wrong-type", "/body/offices/0"),
    ("priority.authorize", {"number": "999"}, "not-found", "/body/number"),
    ("priority.access", {"code_hash": "x"}, "invalid-value", "/body/code_hash"),
    ("priority.access", {"number": "999"}, "not-found", "/body/number"),
])
def test_bad_input_is_refused_and_changes_nothing(offices: Offices, node: Node, entry_type: str,
                                                  change: dict, rule: str,
                                                  pointer: str) -> None:
    deposit = offices.deposit()
    offices.authorize("US")
    bodies = {"priority.deposit": deposit,
              "priority.authorize": {"office": "EM", "number": "018000001", "offices": ["JP"]},
              "priority.access": offices.access_body(CODE)}
    key = {"priority.deposit": "em", "priority.authorize": "applicant",
           "priority.access": "us"}[entry_type]
    before = offices.record()
    err = node.refuse(offices.keys[key], entry_type, {**bodies[entry_type], **change})
    assert (err.rule, err.pointer) == (rule, pointer), err
    assert offices.record() == before
