"""A real node and register for access-control tests: an office with staff, parties, rights.

Everything is set up through the ledger with real Ed25519 keys (no state is written by
hand), and the HTTP app runs on fake clocks: the node's ledger clock, the auth clock
(challenge and session expiry, ms) and the rate-limit clock (seconds).
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.api.hardening import AccessConfig
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import MARK, SALT, Office, ms

JSON = {"Content-Type": "application/json"}
NO_LIMITS = AccessConfig(requests=None, auth_requests=None, failed_logins=None,
                         failed_access_codes=None)


class Clock:
    """A settable clock in milliseconds, also readable in seconds."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def ms(self) -> int:
        return self.now_ms

    def seconds(self) -> float:
        return self.now_ms / 1000

    def advance(self, ms: int) -> None:
        self.now_ms += ms


def party_of(key: SigningKey) -> str:
    return party_id_for(did_key_url(key.public_key))


class Register:
    """EM (registrar, examiner), US (a registrar), an applicant with a representative, an
    unrelated party; EM trademark 000000001 filed and unpublished, 000000002 disclosed."""

    def __init__(self, node: Node) -> None:
        node.clock.now_ms = ms("2026-09-21")
        self.node = node
        self.office = Office(node)  # EM: registrar, examiner, applicant
        self.keys: dict[str, SigningKey] = {
            "registrar": self.office.registrar, "examiner": self.office.examiner,
            "applicant": self.office.applicant}
        for name in ("representative", "other_party", "us_registrar"):
            key = self.keys[name] = SigningKey.generate()
            node.submit(key, "party.register", {"name": name, "country": "FR",
                                                "kind": "legal"})
        node.submit(node.genesis, "office.register",
                    {"office": "US", "name": "USPTO", "profile": "uspto"})
        node.submit(node.genesis, "role.grant", {
            "office": "US", "party": party_of(self.keys["us_registrar"]), "role": "registrar"})
        for _ in range(2):
            node.submit(self.office.applicant, "right.file", {
                "office": "EM", "kind": "trademark", "applicants": [self.party("applicant")],
                "representatives": [self.party("representative")], "classes": [30, 32],
                "commitment": content_commitment(SALT, MARK),
                "payment": {"amount": 90_000, "currency": "EUR"}})
        node.submit(self.office.applicant, "right.disclose", {
            "office": "EM", "kind": "trademark", "number": "000000002", "data": MARK,
            "salt": SALT})
        # Extracts are served as of the latest signed checkpoint: let it cover the filings.
        node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
        self.unpublished = "/v1/rights/EM/trademark/000000001"
        self.published = "/v1/rights/EM/trademark/000000002"
        self.missing = "/v1/rights/EM/trademark/000000099"

    def party(self, name: str) -> str:
        return party_of(self.keys[name])


def make_client(node: Node, access: AccessConfig = NO_LIMITS,
                client: tuple[str, int] = ("203.0.113.7", 50000)) -> tuple[TestClient, Clock]:
    """A TestClient (not yet entered) over the node, with the auth and rate-limit clocks
    replaced by one fake clock starting at the node's ledger time."""
    app = create_app(node.ledger, access)
    clock = Clock(node.clock.now_ms)
    app.state.auth.clock_ms = clock.ms
    app.state.access.set_clock(clock.seconds)
    return TestClient(app, raise_server_exceptions=False, client=client), clock


def problem(resp: Any, status: int, rule: str, pointer: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status and doc["rule"] == rule and doc["type"] == f"/problems/{rule}"
    assert doc["title"] and doc["detail"]
    if pointer is not None:
        assert doc.get("pointer") == pointer, doc
    return doc
