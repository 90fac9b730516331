"""Rights through their lifecycles: filing, examination, publication, automatic registration,
renewal windows, grace periods and lapse — all from ledger time, reproduced by replay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for, right_record
from tests.registry.conftest import Node


def ms(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000) + 3_600_000


class Office:
    """An EUIPO-like office with a registrar, an examiner and an applicant."""

    def __init__(self, node: Node, code: str = "EM", profile: str = "euipo") -> None:
        self.node, self.code = node, code
        node.submit(node.genesis, "office.register",
                    {"office": code, "name": f"{code} office", "profile": profile})
        self.registrar, self.examiner, self.applicant = (SigningKey.generate() for _ in range(3))
        self.parties = {}
        for name, key in [("registrar", self.registrar), ("examiner", self.examiner),
                          ("applicant", self.applicant)]:
            node.submit(key, "party.register", {"name": name.title(), "country": "ES",
                                                "kind": "natural"})
            self.parties[name] = party_id_for(did_key_url(key.public_key))
        for role in ("registrar", "examiner"):
            node.submit(node.genesis, "role.grant",
                        {"office": code, "party": self.parties[role], "role": role})

    def act(self, key: SigningKey, number: str, action: str, kind: str = "trademark",
            **extra):
        return self.node.submit(key, "right.act", {"office": self.code, "kind": kind,
                                                   "number": number, "action": action, **extra})

    def refuse(self, key: SigningKey, number: str, action: str, kind: str = "trademark",
               **extra):
        return self.node.refuse(key, "right.act", {"office": self.code, "kind": kind,
                                                   "number": number, "action": action, **extra})

    def right(self, number: str, kind: str = "trademark") -> dict:
        return parse_json(self.node.ledger.store.read_record(
            right_record(self.code, kind, number)))

    def tick(self, day: str) -> None:
        """Let ledger time reach ``day`` and have something written (time events fire)."""
        self.node.clock.now_ms = ms(day)
        self.node.submit(self.applicant, "party.update", {"address": f"as of {day}"})


@pytest.fixture
def office(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node)


MARK = {
    "MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
        "WordMarkSpecification": {"MarkVerbalElementText": "AURORA BREW"}}},
    "GoodsServicesBag": [
        {"ClassNumber": 30, "GoodsServicesDescriptionText": "Coffee; coffee-based beverages"},
        {"ClassNumber": 32, "GoodsServicesDescriptionText": "Non-alcoholic beverages"}],
}
SALT = "5a17" * 8


def file_trademark(office: Office, classes=(30, 32), amount=90_000, disclose=True) -> str:
    office.node.submit(office.applicant, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [office.parties["applicant"]],
        "classes": list(classes), "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": amount, "currency": "EUR"}})
    number = _last_number(office)
    if disclose:
        office.node.submit(office.applicant, "right.disclose", {
            "office": "EM", "kind": "trademark", "number": number, "data": MARK, "salt": SALT})
    return number


def _last_number(office: Office) -> str:
    ids = office.node.ledger.store.record_ids("right/EM/trademark/")
    return ids[-1].rsplit("/", 1)[1]


def test_trademark_from_filing_to_lapse(office: Office, node: Node) -> None:
    number = file_trademark(office)
    assert number == "000000001"
    right = office.right(number)
    assert right["state"] == "filed"
    assert right["dates"]["filing_date"] == "2026-09-21"

    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    office.act(office.registrar, number, "publish", attest=["examination_passed"])
    right = office.right(number)
    assert right["state"] == "opposition_period"
    assert right["next_event"]["action"] == "register"

    # Three months later the opposition period has run out: registration happens by itself.
    office.tick("2026-12-21")
    assert office.right(number)["state"] == "opposition_period"
    office.tick("2026-12-23")
    right = office.right(number)
    assert right["state"] == "registered"
    assert right["history"][-1]["action"] == "register"
    assert "by" not in right["history"][-1]
    assert right["next_event"]["action"] == "open_renewal_window"

    # Renewal: window opens 6 months before expiry (2036-09-21); renewal costs 85,000 + 5,000.
    office.tick("2036-03-22")
    assert office.right(number)["state"] == "renewal_due"
    err = office.refuse(office.applicant, number, "renew",
                        payment={"amount": 85_000, "currency": "EUR"})
    assert (err.rule, err.pointer) == ("fee-not-paid", "/body/payment")
    office.act(office.applicant, number, "renew", payment={"amount": 90_000, "currency": "EUR"})
    right = office.right(number)
    assert right["state"] == "registered"
    assert right["dates"]["renewals"] == 1
    assert right["dates"]["expiry_date_computed"] == "2046-09-21"

    # No second renewal: the window opens, expiry passes, grace runs out, the mark lapses.
    office.tick("2046-09-23")
    assert office.right(number)["state"] == "in_grace_period"
    office.tick("2047-03-23")
    right = office.right(number)
    assert right["state"] == "lapsed"
    assert [h["action"] for h in right["history"]][-3:] == [
        "open_renewal_window", "enter_grace_period", "lapse"]

    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems
    assert report.final_root == node.ledger.rules.root()


def test_late_renewal_pays_the_surcharge(office: Office) -> None:
    number = file_trademark(office, classes=[30], amount=85_000)
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    office.act(office.registrar, number, "publish", attest=["examination_passed"])
    office.tick("2036-09-25")
    assert office.right(number)["state"] == "in_grace_period"
    # 85,000 renewal + 25 % surcharge = 106,250 EUR cents.
    office.act(office.applicant, number, "renew_late",
               payment={"amount": 106_250, "currency": "EUR"})
    assert office.right(number)["state"] == "registered"


def test_forbidden_actions_say_why(office: Office) -> None:
    number = file_trademark(office)
    err = office.refuse(office.applicant, number, "check_formalities")
    assert (err.rule, err.status) == ("not-authorized", 403)
    assert "examiner" in err.detail
    err = office.refuse(office.registrar, number, "publish", attest=["examination_passed"])
    assert (err.rule, err.pointer) == ("invalid-transition", "/body/action")
    assert "under_examination" in err.detail
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    err = office.refuse(office.registrar, number, "publish")
    assert (err.rule, err.pointer) == ("precondition-failed", "/body/attest")
    err = office.refuse(office.examiner, number, "fly")
    assert err.rule == "invalid-transition"
    err = office.refuse(office.applicant, "999999999", "withdraw")
    assert (err.rule, err.pointer) == ("not-found", "/body/number")
    # Filing fees must match the profile exactly; unknown offices and kinds are refused.
    commitment = content_commitment(SALT, MARK)
    err = office.node.refuse(office.applicant, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [office.parties["applicant"]],
        "classes": [1, 2, 3], "commitment": commitment,
        "payment": {"amount": 90_000, "currency": "EUR"}})
    assert err.rule == "fee-not-paid"
    assert "105000" in err.detail
    err = office.node.refuse(office.applicant, "right.file", {
        "office": "EM", "kind": "patent", "applicants": [office.parties["applicant"]],
        "commitment": commitment})
    assert (err.rule, err.pointer) == ("unsupported-kind", "/body/kind")
    err = office.node.refuse(office.applicant, "right.file", {
        "office": "US", "kind": "trademark", "applicants": [office.parties["applicant"]],
        "commitment": commitment})
    assert (err.rule, err.pointer) == ("not-found", "/body/office")
    office.act(office.applicant, number, "withdraw")
    assert office.right(number)["state"] == "withdrawn"
    assert office.right(number).get("next_event") is None


def test_trademark_exports_as_st96_valid_against_the_wipo_xsd(office: Office, node: Node) -> None:
    from lxml import etree
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.standards.st96 import trademark_from_st96_xml
    from ipledger.standards.st96.schema import load_schema

    number = file_trademark(office)
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    office.act(office.registrar, number, "publish", attest=["examination_passed"])
    office.tick("2026-12-23")
    with TestClient(create_app(node.ledger)) as client:
        xml = client.get(f"/v1/rights/EM/trademark/{number}.xml")
        assert xml.status_code == 200
        assert xml.headers["content-type"].startswith("application/xml")
        as_json = client.get(f"/v1/rights/EM/trademark/{number}").json()
    # Validate independently, straight against WIPO's schema with libxml2.
    schema = load_schema("Trademark_V6_0.xsd")
    doc = etree.fromstring(xml.content)
    assert schema.validate(doc), schema.error_log
    (parsed,) = trademark_from_st96_xml(xml.content)
    assert parsed == as_json["st96"]
    assert parsed["RegistrationDate"] == "2026-12-23"
    assert parsed["ApplicantBag"][0]["PersonFullName"] == "Applicant"
    assert [c["ClassNumber"] for c in parsed["GoodsServicesBag"]] == [30, 32]
    assert parsed["MarkEventBag"][-1]["MarkEventCategory"] == "Registration published"


def test_disclosed_trademark_content_must_be_st96(office: Office, node: Node) -> None:
    bad = {**MARK, "GoodsServicesBag": [{"ClassNumber": 46,
                                         "GoodsServicesDescriptionText": "Teleportation"}]}
    node.submit(office.applicant, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [office.parties["applicant"]],
        "classes": [30, 32], "commitment": content_commitment(SALT, bad),
        "payment": {"amount": 90_000, "currency": "EUR"}})
    number = _last_number(office)
    err = node.refuse(office.applicant, "right.disclose", {
        "office": "EM", "kind": "trademark", "number": number, "data": bad, "salt": SALT})
    assert (err.rule, err.pointer) == ("nice-class", "/body/data/GoodsServicesBag/0/ClassNumber")


def test_us_patent_maintenance_fees(node: Node) -> None:
    node.clock.now_ms = ms("2026-01-05")
    office = Office(node, "US", "uspto")
    from ipledger.registry.profiles import load_profile

    fees = load_profile("uspto").rules("patent").fees
    node.submit(office.applicant, "right.file", {
        "office": "US", "kind": "patent", "applicants": [office.parties["applicant"]],
        "commitment": content_commitment(SALT, {"InventionTitle": "Filter cartridge"}),
        "payment": {"amount": fees.filing or 0, "currency": "USD"}})
    number = node.ledger.store.record_ids("right/US/patent/")[-1].rsplit("/", 1)[1]
    node.submit(office.registrar, "right.disclose", {
        "office": "US", "kind": "patent", "number": number, "salt": SALT,
        "data": {"InventionTitle": "Filter cartridge"}})
    office.act(office.examiner, number, "check_formalities", kind="patent")
    office.tick("2027-07-05")
    office.act(office.registrar, number, "publish", kind="patent", attest=["publication_due"])
    office.act(office.examiner, number, "start_examination", kind="patent",
               payment={"amount": (fees.search or 0) + (fees.examination or 0),
                        "currency": "USD"})
    office.act(office.examiner, number, "grant", kind="patent", attest=["examination_passed"],
               payment={"amount": fees.grant or 0, "currency": "USD"})
    right = office.right(number, "patent")
    assert right["state"] == "granted"
    assert right["next_event"]["action"] == "open_maintenance_window"
    # Skip the first maintenance fee (due 3.5 years after grant): grace, then expiry.
    office.tick("2031-01-10")
    assert office.right(number, "patent")["state"] in ("renewal_due", "in_grace_period")
    office.tick("2031-07-10")
    assert office.right(number, "patent")["state"] == "expired"


def test_confidential_until_published(office: Office, node: Node) -> None:
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app

    number = file_trademark(office, disclose=False)
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    err = office.refuse(office.registrar, number, "publish", attest=["examination_passed"])
    assert (err.rule, "disclose" in err.detail) == ("precondition-failed", True)
    store = node.ledger.store
    every_entry = b"".join(store.read_entries(0, store.tree_size()))
    assert b"AURORA" not in every_entry, "unpublished content reached the log"
    with TestClient(create_app(node.ledger)) as client:
        node.ledger.wait_for_checkpoint(store.tree_size(), timeout=5)
        url = f"/v1/rights/EM/trademark/{number}/extract"
        hidden = client.get(url)
        assert hidden.status_code == 404
        assert "AURORA" not in hidden.text
        bundle = client.get(f"/tlog/tile/entries/000.p/{store.tree_size()}").content
        assert b"AURORA" not in bundle
        # The gazette of the filing week (closed by an entry of the next) does not show it.
        office.tick("2026-09-28")
        node.ledger.wait_for_checkpoint(store.tree_size(), timeout=5)
        gazette = client.get("/v1/gazette/EM-2026-W39")
        assert gazette.status_code == 200 and gazette.json()["items"] == []
        assert number not in gazette.text and "AURORA" not in gazette.text
        err = node.refuse(office.applicant, "right.disclose", {
            "office": "EM", "kind": "trademark", "number": number, "data": MARK,
            "salt": "00" * 16})
        assert (err.rule, err.pointer) == ("commitment-mismatch", "/body/data")
        node.submit(office.applicant, "right.disclose", {
            "office": "EM", "kind": "trademark", "number": number, "data": MARK, "salt": SALT})
        office.act(office.registrar, number, "publish", attest=["examination_passed"])
        node.ledger.wait_for_checkpoint(store.tree_size(), timeout=5)
        public = client.get(url).json()
        assert public["record"]["data"] == MARK
        office.tick("2026-10-05")
        node.ledger.wait_for_checkpoint(store.tree_size(), timeout=5)
        items = client.get("/v1/gazette/EM-2026-W40").json()["items"]
        assert [(i["right"]["number"], i["action"]) for i in items] == [(number, "publish")]


def test_documents_are_filed_as_hashes(office: Office, node: Node) -> None:
    number = file_trademark(office, disclose=False)
    doc = {"office": "EM", "kind": "trademark", "number": number, "sha256": "ab" * 32,
           "media_type": "image/png", "title": "Mark representation",
           "category": "representation"}
    node.submit(office.applicant, "right.add_document", doc)
    node.submit(office.examiner, "right.add_document",
                {**doc, "sha256": "cd" * 32, "media_type": "application/pdf",
                 "category": "decision", "title": "Formalities report"})
    documents = office.right(number)["documents"]
    assert [(d["sha256"][:4], d["media_type"], d["category"]) for d in documents] == [
        ("abab", "image/png", "representation"), ("cdcd", "application/pdf", "decision")]
    assert documents[0]["date"] == "2026-09-21"
    assert node.refuse(office.applicant, "right.add_document", doc).rule == "already-exists"
    outsider = SigningKey.generate()
    node.submit(outsider, "party.register", {"name": "Outsider", "country": "FR",
                                             "kind": "legal"})
    err = node.refuse(outsider, "right.add_document", {**doc, "sha256": "ef" * 32})
    assert (err.rule, err.status) == ("not-authorized", 403)
    err = node.refuse(office.applicant, "right.add_document",
                      {**doc, "sha256": "ef" * 32, "media_type": "png"})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/media_type")
    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems
