"""Priority claims in filings (Paris Convention Art. 4), checked against DAS deposits."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.cli import main
from ipledger.codec import parse_json
from ipledger.registry.calendar import MS_PER_DAY, parse_iso_date, start_of_day_ms
from ipledger.registry.engine import replay_register
from ipledger.registry.extract import ExtractError, verify_extract
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.profiles import load_profile
from ipledger.registry.records import party_record, right_record
from ipledger.registry.st96_export import right_xml, trademark_xml
from ipledger.services.st96_import import import_bodies
from ipledger.standards.st96.patent import patent_from_st96_xml
from ipledger.standards.st96.schema import load_schema
from tests.registry.conftest import Node
from tests.registry.test_priority_documents import DOC, FILED, SALT, Offices

MARK = {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
    "WordMarkSpecification": {"MarkVerbalElementText": "AURORA"}}}}
EM_CLAIM = {"office": "EM", "number": "018000001", "filing_date": FILED, "kind": "trademark",
            "deposit": {"office": "EM", "number": "018000001", "sha256": DOC}}


def file_body(office: str, kind: str, applicant: str, claims: list[Any] | None = None,
              ) -> dict[str, Any]:
    profile = load_profile("generic" if office == "XX" else "euipo")
    fees = profile.rules(kind).fees
    body: dict[str, Any] = {
        "office": office, "kind": kind, "applicants": [applicant],
        "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": fees.filing or 0, "currency": profile.currency}}
    if kind == "trademark":
        body["classes"] = [30]
    if claims is not None:
        body["priority_claims"] = claims
    return body


class Filings(Offices):
    """The DAS offices plus XX (generic profile: patents and utility models)."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        node.submit(node.genesis, "office.register",
                    {"office": "XX", "name": "XX office", "profile": "generic"})
        self.deposit()

    def file(self, office: str, kind: str, claims: list[Any] | None = None) -> dict[str, Any]:
        self.node.submit(self.keys["applicant"], "right.file",
                         file_body(office, kind, self.party["applicant"], claims))
        return self.right(office, kind)

    def right(self, office: str, kind: str) -> dict[str, Any]:
        record_id = self.node.ledger.store.record_ids(f"right/{office}/{kind}/")[-1]
        return parse_json(self.node.ledger.store.read_record(record_id))

    def refuse_filing(self, office: str, kind: str, claims: list[Any]) -> Any:
        return self.node.refuse(self.keys["applicant"], "right.file",
                                file_body(office, kind, self.party["applicant"], claims))


@pytest.fixture
def filings(node: Node) -> Filings:
    return Filings(node)


def test_a_filing_claims_priority_of_a_verified_deposit(filings: Filings, node: Node) -> None:
    right = filings.file("US", "trademark", [EM_CLAIM])
    (claim,) = right["priority_claims"]
    assert {k: claim[k] for k in EM_CLAIM} == EM_CLAIM
    assert claim["by"] == filings.party["applicant"]
    assert claim["index"] == node.ledger.store.tree_size() - 1
    # without a deposit too (e.g. an earlier application at an office outside the register)
    right = filings.file("US", "trademark", [{"office": "CH", "number": "50321/2026",
                                              "filing_date": "2026-03-21", "kind": "trademark"}])
    assert right["priority_claims"][0]["office"] == "CH"
    assert replay_register(node.ledger.store, node.ledger.origin).ok


def _with(change: dict[str, Any], deposit: dict[str, Any] | None = None) -> dict[str, Any]:
    claim = {**EM_CLAIM, **change}
    if deposit is not None:
        claim["deposit"] = {**EM_CLAIM["deposit"], **deposit}
    return claim


@pytest.mark.parametrize(("claims", "rule", "pointer"), [
    ([_with({}, {"sha256": "0" * 64})], "hash-mismatch", "/0/deposit/sha256"),
    ([_with({}, {"number": "018000002"})], "not-found", "/0/deposit/number"),
    ([_with({}, {"office": "US"})], "not-found", "/0/deposit/number"),
    ([_with({"filing_date": "2026-04-02"})], "priority-mismatch", "/0/filing_date"),
    ([_with({"number": "018000009"})], "priority-mismatch", "/0/number"),
    ([_with({"office": "ES"})], "priority-mismatch", "/0/office"),
    ([_with({"kind": "patent"})], "priority-not-available", "/0/kind"),
    ([_with({"filing_date": "2026-03-20"})], "priority-period-expired", "/0/filing_date"),
    ([_with({"filing_date": "2026-09-22"})], "invalid-value", "/0/filing_date"),
    ([_with({"filing_date": "2026-3-1"})], "invalid-value", "/0/filing_date"),
    ([EM_CLAIM, EM_CLAIM], "already-exists", "/1/number"),
    ([_with({"office": "Q9"})], "st3-code", "/0/office"),
    ([_with({}, {"sha256": DOC.upper()})], "invalid-value", "/0/deposit/sha256"),
    ([_with({"code": "x"})], "unknown-field", "/0/code"),
    ([{k: v for k, v in EM_CLAIM.items() if k != "filing_date"}], "missing-field",
     "/0/filing_date"),
    ([], "invalid-value", ""),
])
def test_bad_claims_are_refused_and_change_nothing(filings: Filings, claims: list[Any],
                                                   rule: str, pointer: str) -> None:
    err = filings.refuse_filing("US", "trademark", claims)
    assert (err.rule, err.pointer) == (rule, "/body/priority_claims" + pointer), err
    assert filings.node.ledger.store.record_ids("right/US/") == []


def test_priority_periods_are_the_paris_convention_s(filings: Filings, node: Node) -> None:
    # Ledger time is 2026-09-21: the last day of a 6-month period from 2026-03-21 and of a
    # 12-month period from 2025-09-21 (the filing day itself is not counted, Art. 4C(2)).
    def claim(kind: str, day: str, number: str = "1") -> list[dict[str, str]]:
        return [{"office": "CH", "number": number, "filing_date": day, "kind": kind}]

    assert filings.file("XX", "patent", claim("patent", "2025-09-21"))
    assert filings.file("XX", "utility_model", claim("patent", "2025-09-21"))  # Art. 4E(2)
    assert filings.file("XX", "industrial_design", claim("utility_model", "2026-03-21"))
    for kind, earlier, day in (("patent", "patent", "2025-09-20"),
                               ("industrial_design", "utility_model", "2026-03-20"),
                               ("industrial_design", "industrial_design", "2026-03-20")):
        err = filings.refuse_filing("XX", kind, claim(earlier, day))
        assert (err.rule, err.status) == ("priority-period-expired", 422), err
    for kind, earlier in (("patent", "trademark"), ("trademark", "industrial_design")):
        err = filings.refuse_filing("XX", kind, claim(earlier, "2026-09-01"))
        assert err.rule == "priority-not-available"
    err = filings.refuse_filing("XX", "copyright", claim("trademark", "2026-09-01"))
    assert (err.rule, err.pointer) == ("priority-not-available", "/body/priority_claims/0")


def _at(node: Node, day: str) -> None:
    node.clock.now_ms = start_of_day_ms(parse_iso_date(day)) + MS_PER_DAY // 2


def test_claims_added_later_within_the_profile_s_period(filings: Filings, node: Node) -> None:
    number = filings.file("XX", "patent")["number"]  # filed 2026-09-21, no claim

    def late(claim: dict[str, Any]) -> dict[str, Any]:
        return {"office": "XX", "kind": "patent", "number": number, "claim": claim}

    first = {"office": "CH", "number": "1", "filing_date": "2025-10-01", "kind": "patent"}
    _at(node, "2026-12-21")
    node.submit(filings.keys["applicant"], "priority.claim", late(first))
    right = filings.right("XX", "patent")
    assert [c["number"] for c in right["priority_claims"]] == ["1"]
    # 16 months from the priority date 2025-10-01 ended 2027-02-01 (PCT Rule 26bis.1(a))
    _at(node, "2027-02-02")
    second = {**first, "number": "2", "filing_date": "2025-12-01"}
    err = node.refuse(filings.keys["applicant"], "priority.claim", late(second))
    assert (err.rule, err.pointer) == ("priority-period-expired", "/body/claim")
    err = node.refuse(filings.keys["other"], "priority.claim", late(second))
    assert err.rule == "not-authorized"
    assert filings.right("XX", "patent") == right
    assert replay_register(node.ledger.store, node.ledger.origin).ok


def test_offices_without_late_claims_refuse_them(filings: Filings, node: Node) -> None:
    number = filings.file("US", "trademark")["number"]
    err = node.refuse(filings.keys["applicant"], "priority.claim", {
        "office": "US", "kind": "trademark", "number": number, "claim": EM_CLAIM})
    assert (err.rule, err.status) == ("invalid-transition", 409)
    assert "priority_claims" not in parse_json(node.ledger.store.read_record(
        right_record("US", "trademark", number)))


# -- the proof in the extract, ST.96 export and import ------------------------------------

DISCLOSED = {**MARK, "GoodsServicesBag": [{"ClassNumber": 30,
                                          "GoodsServicesDescriptionText": "Coffee"}]}


def _published_claimant(filings: Filings, client: TestClient) -> tuple[str, dict[str, Any]]:
    body = file_body("US", "trademark", filings.party["applicant"], [EM_CLAIM])
    body["commitment"] = content_commitment(SALT, DISCLOSED)
    filings.node.submit(filings.keys["applicant"], "right.file", body)
    number = filings.right("US", "trademark")["number"]
    filings.node.submit(filings.keys["applicant"], "right.disclose", {
        "office": "US", "kind": "trademark", "number": number, "salt": SALT,
        "data": DISCLOSED})
    filings.node.ledger.wait_for_checkpoint(filings.node.ledger.store.tree_size(), timeout=5)
    doc = client.get(f"/v1/rights/US/trademark/{number}/extract").json()
    return number, doc


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node.ledger), raise_server_exceptions=False) as c:
        yield c


def test_the_extract_proves_the_referenced_deposit(filings: Filings, client: TestClient,
                                                   tmp_path: Path, capsys: Any) -> None:
    _, doc = _published_claimant(filings, client)
    verifiers = [filings.node.ledger.note_signer.verifier()]
    verified = verify_extract(doc, verifiers)
    deposit = verified.related["priority/EM/018000001"]
    assert deposit is not None and deposit["sha256"] == DOC
    assert deposit["filing_date"] == FILED

    path, vkey = tmp_path / "extract.json", tmp_path / "log.vkey"
    vkey.write_text(filings.node.ledger.verifier_key)
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["verify", "extract", str(path), "--vkey", str(vkey)]) == 0
    assert "1 related record proven" in capsys.readouterr().out

    forged = copy.deepcopy(doc)  # another document in the deposit: its proof fails
    forged["related"][0]["record"]["sha256"] = "0" * 64
    with pytest.raises(ExtractError, match="priority/EM/018000001") as info:
        verify_extract(forged, verifiers)
    assert info.value.step == "related"
    dropped = {k: v for k, v in doc.items() if k != "related"}
    with pytest.raises(ExtractError, match="not proven"):
        verify_extract(dropped, verifiers)
    path.write_text(json.dumps(dropped))
    assert main(["verify", "extract", str(path), "--vkey", str(vkey)]) == 1
    # a proven deposit that is not the one the claim references
    other = copy.deepcopy(doc)
    other["record"]["priority_claims"][0]["deposit"]["sha256"] = "1" * 64
    with pytest.raises(ExtractError) as info:
        verify_extract(other, verifiers)
    assert info.value.step == "state-proof"


def _read_party(node: Node) -> Any:
    return lambda p: parse_json(node.ledger.store.read_record(party_record(p)))


def test_st96_export_lists_the_claims_and_validates(filings: Filings, node: Node) -> None:
    filings.deposit("EP2025001", filing_date="2025-10-01", kind="patent")
    right = filings.file("XX", "patent", [{
        "office": "EM", "number": "EP2025001", "filing_date": "2025-10-01", "kind": "patent",
        "deposit": {"office": "EM", "number": "EP2025001", "sha256": DOC}}])
    right["data"] = {"InventionTitle": "Filter cartridge", "PriorityBag": [
        {"PriorityCountryCode": "DE", "ApplicationNumberText": "102025000001",
         "PriorityApplicationFilingDate": "2025-11-03"}]}
    xml = right_xml(right, _read_party(node))  # validated against PatentPublication_V6_0.xsd
    root = etree.fromstring(xml)
    ns = {"pat": root.nsmap["pat"], "com": root.nsmap["com"]}
    claims = root.findall(".//pat:PriorityClaimBag/pat:PriorityClaim", ns)
    assert [(c.get(f"{{{ns['com']}}}sequenceNumber"), c.findtext("com:IPOfficeCode", None, ns),
             c.findtext("com:ApplicationNumber/com:ApplicationNumberText", None, ns),
             c.findtext("pat:FilingDate", None, ns)) for c in claims] == [
        ("1", "DE", "102025000001", "2025-11-03"), ("2", "EM", "EP2025001", "2025-10-01")]
    online = claims[1].find("pat:OnlineAvailablePriorityDocumentIndicator", ns)
    assert online is not None and online.text == "true"
    assert online.get(f"{{{ns['pat']}}}libraryIdentifier") == "EM-IPLEDGER"
    assert claims[0].find("pat:OnlineAvailablePriorityDocumentIndicator", ns) is None
    back = patent_from_st96_xml(xml)  # the importer reads the claims back
    assert back["data"]["PriorityBag"][1]["OnlineAvailablePriorityDocumentIndicator"] == {
        "libraryIdentifier": "EM-IPLEDGER", "officeCode": "EM"}


def test_st96_import_keeps_priority_claims(filings: Filings, node: Node) -> None:
    mark = filings.file("US", "trademark", [EM_CLAIM])
    mark["data"] = DISCLOSED
    xml = trademark_xml(mark, _read_party(node))
    load_schema().assertValid(etree.fromstring(xml))
    assert b"<com:PriorityCountryCode>EM</com:PriorityCountryCode>" in xml
    (item,) = import_bodies(xml, "claimant.xml")
    assert item.body is not None, item.problem
    assert item.body["record"]["PriorityBag"] == [{
        "PriorityCountryCode": "EM", "ApplicationNumber": {"ApplicationNumberText": "018000001"},
        "PriorityApplicationFilingDate": FILED}]


def test_a_refused_claim_is_an_rfc9457_problem_over_http(filings: Filings,
                                                         client: TestClient) -> None:
    body = file_body("US", "trademark", filings.party["applicant"],
                     [_with({"filing_date": "2026-03-20"})])
    size = filings.node.ledger.store.tree_size()
    resp = client.post("/v1/entries", content=filings.node.envelope(
        filings.keys["applicant"], "right.file", body),
        headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    doc = resp.json()
    assert (doc["type"], doc["pointer"]) == ("/problems/priority-period-expired",
                                             "/body/priority_claims/0/filing_date")
    assert "ended 2026-09-20" in doc["detail"] and doc["title"] != "Rejected"
    assert client.get(doc["type"]).status_code == 200
    assert filings.node.ledger.store.tree_size() == size
