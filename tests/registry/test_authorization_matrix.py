"""Who may sign what: every register entry type against every kind of actor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipledger.identity import SigningKey
from ipledger.ledger import Rejection
from ipledger.node import init_node
from ipledger.registry.families.rights import content_commitment
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
    "right.act/check_formalities": (lambda s: right(s, action="check_formalities"),
                                    {"registrar", "examiner"}),
    "right.act/withdraw": (lambda s: right(s, action="withdraw"), {"applicant"}),
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
        if actor in allowed:
            node.submit(key, entry_type, build(scenario))
        else:
            err: Rejection = node.refuse(key, entry_type, build(scenario))
            assert err.status == 403, f"{actor} {entry}: {err}"
            assert err.rule == "not-authorized"
            assert err.pointer == "/actor"
    finally:
        node.close()
