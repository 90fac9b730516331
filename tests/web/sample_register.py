"""A small published register for the web tests, built through signed entries on a real node.

EM trade marks: AURORA BREW (registered, then partly assigned and licensed, with a
document), ORORA BRU (a sound-alike, in its opposition period), HARBOUR LIGHT (class 9,
filed later), AURORA BREWING (contains the first), and one application never published;
and one file stamped as evidence.
"""

from __future__ import annotations

import hashlib

from ipledger.demo import word_mark
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import Office, ms

SALT = "5a17" * 8
DOC_SHA = "ab" * 32
STAMPED = b"minutes of the board meeting, 2026-09-21\n"  # stamped as evidence


class SampleRegister:
    """The register; ``numbers`` maps each mark's text to its number."""

    def __init__(self, node: Node) -> None:
        node.clock.now_ms = ms("2026-09-21")
        self.node = node
        self.office = office = Office(node)
        node.submit(office.applicant, "evidence.stamp", {
            "sha256": hashlib.sha256(STAMPED).hexdigest(), "media_type": "text/plain"})
        self.buyer = SigningKey.generate()
        self.licensee = SigningKey.generate()
        for name, key in [("Beta Kaffee GmbH", self.buyer), ("Gamma Cafés SARL", self.licensee)]:
            node.submit(key, "party.register", {"name": name, "country": "DE", "kind": "legal"})
        self.numbers: dict[str, str] = {}
        self.file("AURORA BREW", [(30, "Coffee"), (43, "Cafés")])
        self.file("ORORA BRU", [(30, "Tea")])
        self.publish("AURORA BREW")
        self.publish("ORORA BRU")
        node.submit(office.applicant, "right.add_document", {
            "office": "EM", "kind": "trademark", "number": self.numbers["AURORA BREW"],
            "sha256": DOC_SHA, "media_type": "image/png", "title": "Mark representation",
            "category": "representation"})
        office.tick("2026-12-23")  # AURORA BREW's opposition period ends: registered
        node.clock.now_ms = ms("2027-02-01")
        self.file("HARBOUR LIGHT", [(9, "Navigation software")])
        self.file("AURORA BREWING", [(32, "Beer")])
        self.file("SECRET MARK", [(30, "Coffee")], disclose=False)
        number = self.numbers["AURORA BREW"]
        applicant, buyer = office.parties["applicant"], self.pid(self.buyer)
        node.submit(office.applicant, "assignment.record", {
            "office": "EM", "kind": "trademark", "number": number, "from": applicant,
            "to": buyer, "share": [1, 2], "executed": "2027-01-30",
            "payment": {"amount": 20_000, "currency": "EUR"}}, endorsers=[self.buyer])
        node.submit(office.applicant, "licence.grant", {
            "office": "EM", "kind": "trademark", "number": number,
            "licensee": self.pid(self.licensee), "type": "non_exclusive", "territory": ["FR"],
            "start": "2027-03-01", "payment": {"amount": 20_000, "currency": "EUR"}},
            endorsers=[self.licensee, self.buyer])

    @staticmethod
    def pid(key: SigningKey) -> str:
        return party_id_for(did_key_url(key.public_key))

    def file(self, text: str, goods: list[tuple[int, str]], disclose: bool = True) -> None:
        office, node = self.office, self.node
        content = word_mark(text, goods)
        node.submit(office.applicant, "right.file", {
            "office": "EM", "kind": "trademark", "applicants": [office.parties["applicant"]],
            "classes": [c for c, _ in goods], "commitment": content_commitment(SALT, content),
            "payment": {"amount": 85_000 + 5_000 * (len(goods) - 1), "currency": "EUR"}})
        number = node.ledger.store.record_ids("right/EM/trademark/")[-1].rsplit("/", 1)[1]
        self.numbers[text] = number
        if disclose:
            node.submit(office.applicant, "right.disclose", {
                "office": "EM", "kind": "trademark", "number": number, "data": content,
                "salt": SALT})

    def publish(self, text: str) -> None:
        number, office = self.numbers[text], self.office
        office.act(office.examiner, number, "check_formalities")
        office.act(office.examiner, number, "start_examination")
        office.act(office.registrar, number, "publish", attest=["examination_passed"])
