"""Who may sign what: every register entry type against every kind of actor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipledger.identity import SigningKey, did_key_url
from ipledger.ledger import Rejection
from ipledger.node import init_node
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.conftest import FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import MARK, SALT, Office, ms

ACTORS = ("genesis", "registrar", "examiner", "applicant", "other_party", "unregistered")


class Scenario:
    """An EM office with staff, an applicant's trademark under examination, another party."""

    def __init__(self, node: Node) -> None:
        node.clock.now_ms = ms("2026-09-21")
        self.office = Office(node)
        self.node = node
        self.other = SigningKey.generate()
        node.submit(self.other, "party.register", {"name": "Other", "country": "FR",
                                                   "kind": "legal"})
        node.submit(self.office.applicant, "right.file", {
            "office": "EM", "kind": "trademark", "applicants": [self.office.parties["applicant"]],
            "classes": [30, 32], "commitment": content_commitment(SALT, MARK),
            "payment": {"amount": 90_000, "currency": "EUR"}})
        self.number = "000000001"
        self.other_id = party_id_for(did_key_url(self.other.public_key))

    def key(self, actor: str) -> SigningKey:
        return {"genesis": self.node.genesis, "registrar": self.office.registrar,
                "examiner": self.office.examiner, "applicant": self.office.applicant,
                "other_party": self.other, "unregistered": SigningKey.generate()}[actor]


def right(s: Scenario, **extra: Any) -> dict[str, Any]:
    return {"office": "EM", "kind": "trademark", "number": s.number, **extra}


# entry type -> (body builder, actors allowed)
MATRIX: dict[str, tuple[Callable[[Scenario], dict[str, Any]], set[str]]] = {
    "office.register": (lambda s: {"office": "US", "name": "USPTO", "profile": "uspto"},
                        {"genesis"}),
    "role.grant": (lambda s: {"office": "EM", "party": s.office.parties["applicant"],
                              "role": "examiner"}, {"genesis"}),
    "role.revoke": (lambda s: {"office": "EM", "party": s.office.parties["examiner"],
                               "role": "examiner"}, {"genesis"}),
    "party.update": (lambda s: {"address": "Somewhere 1"},
                     {"registrar", "examiner", "applicant", "other_party"}),
    "right.file": (lambda s: {"office": "EM", "kind": "trademark",
                              "applicants": [s.office.parties["applicant"]], "classes": [30],
                              "commitment": content_commitment(SALT, MARK),
                              "payment": {"amount": 85_000, "currency": "EUR"}}, {"applicant"}),
    "right.disclose": (lambda s: right(s, data=MARK, salt=SALT),
                       {"registrar", "examiner", "applicant"}),
    "right.add_document": (lambda s: right(s, sha256="ab" * 32, media_type="application/pdf"),
                           {"registrar", "examiner", "applicant"}),
    "right.act/check_formalities": (lambda s: right(s, action="check_formalities"),
                                    {"registrar", "examiner"}),
    "right.act/withdraw": (lambda s: right(s, action="withdraw"), {"applicant"}),
    # Two-party entries: the other party endorses; only the owner may be the signer.
    "assignment.record": (lambda s: right(s, **{
        "from": s.office.parties["applicant"], "to": s.other_id, "share": [1, 2],
        "executed": "2026-09-21", "payment": {"amount": 20_000, "currency": "EUR"}}),
        {"applicant"}),
    "security.record": (lambda s: right(s, secured_party=s.other_id, amount=1_000_000,
                                        currency="EUR"), {"applicant"}),
}
ENDORSED_BY_OTHER = {"assignment.record", "security.record"}
# Refusals that are not a plain "not-authorized" at /actor, and why.
SPECIAL_REFUSALS = {
    # The counter-party signing alone lacks the owner's signature.
    ("assignment.record", "other_party"): ("missing-endorsement", "/endorsements"),
    ("security.record", "other_party"): ("missing-endorsement", "/endorsements"),
    # A registrar may record an assignment, but only on evidence (the deed's hash).
    ("assignment.record", "registrar"): ("missing-field", "/body/document_sha256"),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("entry", sorted(MATRIX))
def test_authorization_matrix(tmp_path: Path, entry: str, actor: str) -> None:
    init_node(tmp_path / "node", ORIGIN)
    node = Node(tmp_path / "node", FakeClock())
    try:
        scenario = Scenario(node)
        build, allowed = MATRIX[entry]
        entry_type = entry.split("/")[0]
        key = scenario.key(actor)
        endorsers = [scenario.other] if entry in ENDORSED_BY_OTHER else []
        if actor in allowed:
            node.submit(key, entry_type, build(scenario), endorsers)
        else:
            err: Rejection = node.refuse(key, entry_type, build(scenario), endorsers)
            expected = SPECIAL_REFUSALS.get((entry, actor), ("not-authorized", "/actor"))
            assert (err.rule, err.pointer) == expected, f"{actor} {entry}: {err}"
    finally:
        node.close()
