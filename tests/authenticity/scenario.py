"""A register for product authenticity, built through the ledger with real keys: an EUIPO-like
office with a trade mark walked from filing to registration, its owner, two licensees (one
licence ending today), an outsider, a distributor and a customs officer of DE."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.testclient import TestClient

from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.calendar import date_of_ms, format_iso_date
from ipledger.registry.records import party_id_for, right_record
from ipledger.services.auth_client import login
from ipledger.services.serials import commitment, encode_list, label_url, new_salt
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import Office, file_trademark

DAY_MS = 86_400_000
FEE = {"amount": 20_000, "currency": "EUR"}  # EUIPO licence recordal
JSON = {"Content-Type": "application/json"}


def pid(key: SigningKey) -> str:
    return party_id_for(did_key_url(key.public_key))


class Brand:
    def __init__(self, node: Node, start_ms: int) -> None:
        node.clock.now_ms = start_ms
        self.node = node
        self.office = office = Office(node)
        self.owner = office.applicant
        self.keys = {name: SigningKey.generate() for name in (
            "licensee", "expiring", "outsider", "distributor", "customs")}
        for name, key in self.keys.items():
            node.submit(key, "party.register", {"name": name.title(), "country": "DE",
                                                "kind": "legal"})
        node.submit(node.genesis, "office.register",
                    {"office": "DE", "name": "DE customs", "profile": "generic"})
        node.submit(node.genesis, "role.grant", {
            "office": "DE", "party": pid(self.keys["customs"]), "role": "customs"})
        self.number = file_trademark(office)
        office.act(office.examiner, self.number, "check_formalities")
        office.act(office.examiner, self.number, "start_examination")
        office.act(office.registrar, self.number, "publish", attest=["examination_passed"])
        self.pending = file_trademark(office)  # a second mark, never examined
        self.tick(start_ms + 100 * DAY_MS)  # the opposition period is over: registered
        assert self.mark()["state"] == "registered"
        today = format_iso_date(date_of_ms(node.clock.now_ms))
        for name, terms in (("licensee", {"territory": ["DE"]}),
                            ("expiring", {"territory": ["AT"], "end": today})):
            node.submit(self.owner, "licence.grant", {
                "office": "EM", "kind": "trademark", "number": self.number,
                "licensee": pid(self.keys[name]), "type": "non_exclusive", "start": today,
                "payment": FEE, **terms}, endorsers=[self.keys[name]])

    def tick(self, now_ms: int) -> None:
        """Let ledger time reach ``now_ms`` and have something written (time events fire)."""
        self.node.clock.now_ms = now_ms
        self.node.submit(self.owner, "party.update", {"address": f"as of {now_ms}"})

    def mark(self, number: str | None = None) -> dict[str, Any]:
        raw = self.node.ledger.store.read_record(
            right_record("EM", "trademark", number or self.number))
        assert raw is not None
        return dict(parse_json(raw))

    def key(self, name: str) -> SigningKey:
        return self.owner if name == "owner" else self.keys[name]


class Batch:
    """Serials with their salts, the commitment list and its labels (made client-side)."""

    def __init__(self, number: str, serials: list[str], office: str = "EM") -> None:
        self.office, self.number = office, number
        self.salts = {s: new_salt() for s in serials}
        self.data = encode_list(commitment(office, number, s, salt)
                                for s, salt in self.salts.items())
        self.sha256 = hashlib.sha256(self.data).hexdigest()

    def url(self, serial: str, base: str = "http://testserver") -> str:
        return label_url(base, self.office, self.number, serial,
                         self.salts.get(serial, bytes(16)))

    def params(self, serial: str, **extra: str) -> dict[str, str]:
        return {"office": self.office, "number": self.number, "serial": serial,
                "salt": self.salts.get(serial, bytes(16)).hex(), **extra}

    def body(self, **change: Any) -> dict[str, Any]:
        return {"office": self.office, "number": self.number, "product": "Cold brew, 250 ml",
                "count": len(self.salts), "commitments_sha256": self.sha256, **change}


def upload(client: TestClient, key: SigningKey, data: bytes) -> None:
    """Store a commitment list in the node's document store (a session of ``key``)."""
    session = login("", key, client=client, expected_origin=ORIGIN)
    resp = client.put(f"/v1/documents/{hashlib.sha256(data).hexdigest()}", content=data,
                      headers={"Content-Type": "text/plain", **session.headers})
    assert resp.status_code in (200, 201), resp.text


def post_batch(client: TestClient, brand: Brand, signer: str, body: dict[str, Any]) -> Any:
    envelope = brand.node.envelope(brand.key(signer), "authenticity.batch", body)
    return client.post("/v1/authenticity/batches", content=envelope, headers=JSON)


def post_entry(client: TestClient, brand: Brand, signer: str, entry_type: str,
               body: dict[str, Any]) -> Any:
    envelope = brand.node.envelope(brand.key(signer), entry_type, body)
    return client.post("/v1/entries", content=envelope, headers=JSON)
