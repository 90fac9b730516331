"""Credentials built from the register: content, determinism, and a status list that
follows the register checkpoint by checkpoint."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ipledger.codec import canonicalize
from ipledger.credentials.issuer import CREDENTIAL_KEY_FILE, Issuer, credential_key
from ipledger.credentials.register import ASSIGNMENT_BASE, RegisterView, RightRef, revoked_bits
from ipledger.credentials.status_list import bit_at, decode_bits
from ipledger.identity import read_private_key
from ipledger.ledger import Rejection
from tests.credentials.conftest import Scenario, verify
from tests.registry.conftest import ORIGIN

BASE = "https://register.office.example:8443"


@pytest.fixture(scope="module")
def issuer(scenario: Scenario) -> Issuer:
    return Issuer(scenario.node.ledger.store, credential_key(scenario.data), BASE, ORIGIN)


def ref(scenario: Scenario, number: str | None = None) -> RightRef:
    return RightRef("EM", "trademark", number or scenario.number)


def test_init_makes_a_dedicated_credential_key(scenario: Scenario, issuer: Issuer) -> None:
    key = read_private_key(scenario.data / CREDENTIAL_KEY_FILE)
    assert key.public_key == issuer.key.public_key
    assert key.public_key != read_private_key(scenario.data / "keys/log.key").public_key
    assert issuer.did == "did:web:register.office.example%3A8443"
    doc = issuer.did_document()
    assert doc["assertionMethod"] == [issuer.verification_method]
    assert doc["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")


def test_registration_certificate_states_the_registration(scenario: Scenario,
                                                          issuer: Issuer) -> None:
    vc = issuer.registration(ref(scenario), scenario.sizes[0])
    subject = vc["credentialSubject"]
    assert vc["type"] == ["VerifiableCredential", "RegistrationCertificateCredential"]
    assert vc["issuer"] == issuer.did
    assert subject["id"] == f"{BASE}/v1/rights/EM/trademark/{scenario.number}"
    assert (subject["RegistrationDate"], subject["ApplicationDate"]) == ("2026-12-23",
                                                                          "2026-09-21")
    assert subject["MarkVerbalElementText"] == "AURORA BREW"
    assert subject["ClassNumber"] == [30, 32]
    assert [p["EntityName"] for p in subject["Proprietor"]] == ["Applicant"]
    assert vc["credentialStatus"]["statusListIndex"] == "0"
    assert vc["validFrom"] == vc["proof"]["created"]
    verified = verify(vc, issuer.did_document())
    assert verified.verification_method == issuer.verification_method


def test_credentials_are_a_function_of_the_register(scenario: Scenario, issuer: Issuer) -> None:
    """The same event gives the same bytes at every later checkpoint and from a new issuer."""
    again = Issuer(scenario.node.ledger.store, credential_key(scenario.data), BASE, ORIGIN)
    for size in scenario.sizes[1:]:
        assert again.licence(ref(scenario), "L2", size) == \
            issuer.licence(ref(scenario), "L2", scenario.sizes[0])
    first = issuer.assignment(ref(scenario), scenario.assignments[0], scenario.sizes[1])
    assert json.dumps(first) == json.dumps(
        again.assignment(ref(scenario), scenario.assignments[0], scenario.sizes[2]))


def test_licence_and_assignment_credentials(scenario: Scenario, issuer: Issuer) -> None:
    licence = issuer.licence(ref(scenario), "L2", scenario.sizes[2])["credentialSubject"]
    assert (licence["LicenceIdentifier"], licence["Territory"], licence["EndDate"]) == (
        "L2", ["FR"], "2027-06-30")
    assert licence["Licensee"]["EntityName"] == "Licensee B"
    vc = issuer.assignment(ref(scenario), scenario.assignments[1], scenario.sizes[2])
    subject = vc["credentialSubject"]
    assert (subject["Assignor"]["EntityName"], subject["Assignee"]["EntityName"]) == (
        "Käufer GmbH", "Heir & Co")
    assert (subject["ShareFraction"], subject["ExecutionDate"]) == ("1/1", "2027-07-01")
    assert vc["credentialStatus"]["statusListIndex"] == str(ASSIGNMENT_BASE + 2)
    assert vc["evidence"][0]["entryIndex"] == scenario.assignments[1]
    for made in (vc, issuer.licence(ref(scenario), "L1", scenario.sizes[2])):
        verify(made, issuer.did_document())


def _bits(issuer: Issuer, scenario: Scenario, size: int) -> dict[str, bool]:
    status_list = issuer.status_list(ref(scenario), size)
    verify(status_list, issuer.did_document())
    bits = decode_bits(status_list["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072
    return {"registration": bit_at(bits, 0), "L1": bit_at(bits, 1), "L2": bit_at(bits, 2),
            "assignment 1": bit_at(bits, ASSIGNMENT_BASE + 1),
            "assignment 2": bit_at(bits, ASSIGNMENT_BASE + 2)}


def test_status_list_follows_the_register(scenario: Scenario, issuer: Issuer) -> None:
    s0, s1, s2 = scenario.sizes
    assert not any(_bits(issuer, scenario, s0).values())
    assert _bits(issuer, scenario, s1) == {"registration": False, "L1": True, "L2": False,
                                           "assignment 1": False, "assignment 2": False}
    assert _bits(issuer, scenario, s2) == {"registration": True, "L1": True, "L2": True,
                                           "assignment 1": True, "assignment 2": False}
    # Each credential's own status, checked through the status list of each checkpoint.
    vc = issuer.assignment(ref(scenario), scenario.assignments[0], s2)
    statuses = [verify(vc, issuer.did_document(),
                                  issuer.status_list(ref(scenario), size)).status
                for size in (s1, s2)]
    assert statuses == ["active", "revoked"]
    assert issuer.status_list(ref(scenario), s1)["validFrom"] < \
        issuer.status_list(ref(scenario), s2)["validFrom"]


def test_refusals_name_the_reason(scenario: Scenario, issuer: Issuer) -> None:
    size = scenario.sizes[2]
    cases = [
        (lambda: issuer.registration(ref(scenario, scenario.pending), size), "not-registered"),
        (lambda: issuer.registration(ref(scenario, scenario.unpublished), size), "not-found"),
        (lambda: issuer.registration(ref(scenario, "000000099"), size), "not-found"),
        (lambda: issuer.licence(ref(scenario), "L9", size), "not-found"),
        (lambda: issuer.licence(ref(scenario), "X1", size), "not-found"),
        (lambda: issuer.assignment(ref(scenario), scenario.sizes[0] - 1, size), "not-found"),
        (lambda: issuer.assignment(ref(scenario), scenario.assignments[0],
                                   scenario.sizes[0]), "not-found"),  # not yet recorded
    ]
    for make, rule in cases:
        with pytest.raises(Rejection) as info:
            make()
        assert info.value.rule == rule, info.value


def test_cached_credentials_are_not_shared_mutable_state(scenario: Scenario,
                                                         issuer: Issuer) -> None:
    vc = issuer.registration(ref(scenario), scenario.sizes[0])
    kept = copy.deepcopy(vc)
    vc["credentialSubject"]["MarkVerbalElementText"] = "CHANGED"
    assert issuer.registration(ref(scenario), scenario.sizes[0]) == kept


class _Records:
    """Just enough of a store for :class:`RegisterView`: records by id."""

    def __init__(self, records: dict[str, dict[str, Any]]) -> None:
        self.records = records

    def read_record_at(self, record_id: str, tree_size: int) -> bytes | None:
        record = self.records.get(record_id)
        return None if record is None else canonicalize(record)


@pytest.mark.parametrize(("state", "revoked"), [
    ("registered", False), ("granted", False), ("renewal_due", False),
    ("in_grace_period", False), ("lapsed", True), ("expired", True), ("cancelled", True),
    ("surrendered", True), ("invalidated", True),
])
def test_the_registration_bit_is_set_once_the_right_has_ceased(state: str,
                                                               revoked: bool) -> None:
    right = {"state": state, "data": {}, "licences": ["L1", "L2"],
             "owner_history": [{"index": 1}, {"index": 5}, {"index": 9}, {"index": 12}]}
    records = {"right/EM/trademark/000000007": right,
               "licence/EM/trademark/000000007/L1": {"status": "active"},
               "licence/EM/trademark/000000007/L2": {"status": "terminated"}}
    view = RegisterView(_Records(records), 100)  # type: ignore[arg-type]
    bits = revoked_bits(view, RightRef("EM", "trademark", "000000007"))
    expected = {2, ASSIGNMENT_BASE + 1, ASSIGNMENT_BASE + 2} | ({0} if revoked else set())
    assert bits == expected
