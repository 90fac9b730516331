"""right.import: published ST.96 trademarks recorded by a registrar, through a real node."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.extract import verify_extract
from ipledger.registry.families.imports import imported_party_id
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for, party_record, right_record
from ipledger.services.st96_import import derive_state, import_bodies
from ipledger.standards.st96 import (
    load_schema,
    st96_schema_dir,
    trademark_from_st96_xml,
    trademarks_to_st96_xml,
)
from tests.registry.conftest import Node

FIXTURES = Path(__file__).parents[1] / "standards" / "fixtures"


def ms(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000) + 3_600_000


class Office:
    """An office with a registrar and an examiner (staff) and a plain party."""

    def __init__(self, node: Node, code: str, profile: str) -> None:
        self.node, self.code = node, code
        node.submit(node.genesis, "office.register",
                    {"office": code, "name": f"{code} office", "profile": profile})
        self.registrar, self.examiner, self.outsider = (SigningKey.generate() for _ in range(3))
        self.parties: dict[str, str] = {}
        for name, key in [("registrar", self.registrar), ("examiner", self.examiner),
                          ("outsider", self.outsider)]:
            node.submit(key, "party.register", {"name": name.title(), "country": "US",
                                                "kind": "natural"})
            self.parties[name] = party_id_for(did_key_url(key.public_key))
        for role in ("registrar", "examiner"):
            node.submit(node.genesis, "role.grant",
                        {"office": code, "party": self.parties[role], "role": role})

    def body(self, record: dict[str, Any], state: str = "registered") -> dict[str, Any]:
        return {"office": self.code, "kind": "trademark", "state": state, "record": record}

    def right(self, number: str) -> dict[str, Any]:
        return dict(parse_json(self.node.ledger.store.read_record(
            right_record(self.code, "trademark", number))))


@pytest.fixture
def us(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node, "US", "uspto")


@pytest.fixture
def client(node: Node):
    with TestClient(create_app(node.ledger), raise_server_exceptions=False) as c:
        yield c


def fixture_bodies() -> list[dict[str, Any]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*.xml")):
        for item in import_bodies(path.read_bytes(), path.name):
            assert item.body is not None, item.problem
            bodies.append(item.body)
    return bodies


def harbour() -> dict[str, Any]:
    (record,) = trademark_from_st96_xml((FIXTURES / "tsdr_transaction_v6.xml").read_bytes())
    return dict(copy.deepcopy(record))


# -- the fixtures, end to end ---------------------------------------------------------


def test_fixtures_import_export_validate_round_trip_and_extracts_verify(
        node: Node, us: Office, client: TestClient) -> None:
    bodies = fixture_bodies()
    assert {b["state"] for b in bodies} == {"registered", "cancelled"}
    for body in bodies:
        node.submit(us.registrar, "right.import", body)
    schema = load_schema()
    assert (st96_schema_dir() / "Trademark_V6_0.xsd").is_file()
    size = node.ledger.store.tree_size()
    node.ledger.wait_for_checkpoint(size, timeout=5)
    verifier = node.ledger.note_signer.verifier()
    for body in bodies:
        source = body["record"]
        number = source["ApplicationNumber"]["ApplicationNumberText"]
        right = us.right(number)
        assert right["state"] == body["state"]
        assert right["dates"]["filing_date"] == source["ApplicationDate"]
        assert right["dates"]["registration_date"] == source["RegistrationDate"]
        assert right["source"]["record"] == source
        assert right["owners"] and all(o["share"] == [1, len(right["owners"])]
                                       for o in right["owners"])

        as_json = client.get(f"/v1/rights/US/trademark/{number}")
        assert as_json.status_code == 200, as_json.text
        st96 = as_json.json()["st96"]
        xml = client.get(f"/v1/rights/US/trademark/{number}.xml")
        assert xml.status_code == 200, xml.text
        doc = etree.fromstring(xml.content)
        assert schema.validate(doc), schema.error_log
        (back,) = trademark_from_st96_xml(xml.content)
        assert back == st96  # the export round-trips through the importer
        for key in ("MarkRepresentation", "GoodsServicesBag", "MarkCategory",
                    "ApplicationDate", "RegistrationDate"):
            assert back.get(key) == source.get(key), key
        assert [p.get("OrganizationStandardName", p.get("PersonFullName"))
                for p in back["ApplicantBag"]] == [
            p.get("OrganizationStandardName", p.get("PersonFullName"))
            for p in source["ApplicantBag"]]
        # Re-importing the export names the same right and changes nothing of its content.
        (again,) = [i.body for i in import_bodies(xml.content, "export")]
        assert again is not None
        assert again["record"]["ApplicationNumber"] == source["ApplicationNumber"]

        extract = client.get(f"/v1/rights/US/trademark/{number}/extract").json()
        verified = verify_extract(extract, [verifier])
        assert verified.record == right
        assert [r["entry"]["type"] for r in verified.history] == ["right.import"]


def test_states_dates_history_and_schedule(node: Node, us: Office) -> None:
    for body in fixture_bodies():
        node.submit(us.registrar, "right.import", body)
    cancelled = us.right("75000003")
    assert cancelled["state"] == "cancelled" and "next_event" not in cancelled
    assert cancelled["history"][-1]["status_code"] == "710"
    lantern = us.right("90000001")
    assert [h["action"] for h in lantern["history"]] == [
        "file", "publish", "register", "national_event", "import"]
    assert lantern["history"][-1] == {"action": "import", "state": "registered",
                                      "date": "2023-02-14", "index": lantern["source"]["index"],
                                      "by": us.parties["registrar"], "status_code": "700"}
    assert lantern["dates"]["publication_date"] == "2021-05-25"
    # ExpiryDate 2031-08-10 is exactly the USPTO term: no override, 0 renewals.
    assert lantern["dates"]["renewals"] == 0 and "expiry_date" not in lantern["dates"]
    assert lantern["dates"]["expiry_date_computed"] == "2031-08-10"
    assert lantern["next_event"]["action"] == "open_renewal_window"
    assert lantern["classes"] == [25, 35]
    assert len(lantern["owners"]) == 2
    quill = us.right("88000002")
    assert quill["representatives"] == []  # the attorney has no country: kept in source only
    assert quill["source"]["record"]["RepresentativeBag"][0]["PersonFullName"] == "Owen Bracket"


def test_imported_owners_are_keyless_parties_shared_across_records(node: Node,
                                                                    us: Office) -> None:
    first = harbour()
    second = harbour()
    second["ApplicationNumber"] = {"ApplicationNumberText": "90000002"}
    second["ApplicantBag"][0]["CommentText"] = "ANOTHER ROLE TEXT"
    for record in (first, second):
        node.submit(us.registrar, "right.import", us.body(record))
    owners = [o["party"] for o in us.right("90000001")["owners"]]
    assert owners == [o["party"] for o in us.right("90000002")["owners"]]
    assert owners[0] == imported_party_id("US", first["ApplicantBag"][0])
    party = parse_json(node.ledger.store.read_record(party_record(owners[0])))
    assert party["keys"] == [] and party["kind"] == "legal"
    assert party["details"][0]["name"] == "Harbour Lantern Outfitters LLC"
    assert party["details"][0]["country"] == "US"
    assert "CommentText" not in party["imported"]["st96"]


def test_reimport_updates_the_right_and_moves_its_schedule(node: Node, us: Office) -> None:
    record = harbour()
    node.submit(us.registrar, "right.import", us.body(record))
    before = us.right("90000001")
    due_before = before["next_event"]["due_ms"]
    renewed = copy.deepcopy(record)
    renewed["ExpiryDate"] = "2041-08-10"  # renewed once at the source office
    renewed["MarkCurrentStatusDate"] = "2026-09-01"
    node.submit(us.registrar, "right.import", us.body(renewed))
    after = us.right("90000001")
    assert after["source"]["versions"] == 2 and after["source"]["record"] == renewed
    assert after["dates"]["renewals"] == 1
    assert after["dates"]["expiry_date_computed"] == "2041-08-10"
    assert after["next_event"]["due_ms"] > due_before
    schedule = node.ledger.store.record_ids("due/")
    assert len([d for d in schedule if d.endswith("/90000001")]) == 1
    # Same number, other state: a new version again.
    node.submit(us.registrar, "right.import", us.body(renewed, "cancelled"))
    cancelled = us.right("90000001")
    assert cancelled["state"] == "cancelled" and cancelled["next_event"] is None
    assert not [d for d in node.ledger.store.record_ids("due/") if d.endswith("/90000001")]


def test_expiry_not_on_the_profile_term_is_kept_as_given(node: Node, us: Office) -> None:
    record = harbour()
    record["ExpiryDate"] = "2031-09-01"
    node.submit(us.registrar, "right.import", us.body(record))
    dates = us.right("90000001")["dates"]
    assert dates["expiry_date"] == "2031-09-01"
    assert dates["expiry_date_computed"] == "2031-09-01"


def test_time_events_run_on_imported_rights_and_replay_matches(node: Node, us: Office) -> None:
    record = harbour()
    node.submit(us.registrar, "right.import", us.body(record))
    # Ledger time passes the renewal window and the grace period: the right lapses by itself.
    node.clock.now_ms = ms("2031-12-01")
    node.submit(us.outsider, "party.update", {"address": "later"})
    right = us.right("90000001")
    assert right["state"] == "in_grace_period"
    node.clock.now_ms = ms("2032-03-01")
    node.submit(us.outsider, "party.update", {"address": "later still"})
    assert us.right("90000001")["state"] == "lapsed"
    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems
    assert report.final_root == node.ledger.store.state_root_at(node.ledger.store.tree_size())


def test_many_records_from_one_trademark_bag(node: Node) -> None:
    node.clock.now_ms = ms("2026-09-21")
    em = Office(node, "EM", "euipo")
    records = []
    for i in range(25):
        records.append({
            "RegistrationOfficeCode": "EM",
            "ApplicationNumber": {"ApplicationNumberText": f"0181{i:05d}"},
            "ApplicationDate": "2010-01-05", "RegistrationDate": "2010-07-01",
            "ExpiryDate": "2030-01-05",
            "MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
                "WordMarkSpecification": {"MarkVerbalElementText": f"MARK {i}"}}},
            "GoodsServicesBag": [{"ClassNumber": 9, "GoodsServicesDescriptionText": "Software"}],
            "ApplicantBag": [{"OrganizationStandardName": f"Owner {i % 3} SA",
                              "PostalAddressText": ["1 Rue X, Paris"],
                              "IncorporationCountryCode": "FR"}],
        })
    xml = trademarks_to_st96_xml(records, "EM")  # type: ignore[arg-type]
    items = list(import_bodies(xml, "bag.xml"))
    assert len(items) == 25 and all(i.body for i in items)
    futures = node.ledger.submit_many([node.envelope(em.registrar, "right.import", i.body or {})
                                       for i in items])
    for f in futures:
        f.result(10)
    right = em.right("018100007")
    assert right["state"] == "registered"
    assert right["dates"]["renewals"] == 1  # EUIPO: 10 years from filing, renewed once
    owners = {em.right(f"0181{i:05d}")["owners"][0]["party"] for i in range(25)}
    assert len(owners) == 3


# -- refusals ------------------------------------------------------------------------


def test_only_a_registrar_of_the_office_may_import(node: Node, us: Office) -> None:
    body = us.body(harbour())
    for key in (us.examiner, us.outsider, SigningKey.generate(), node.genesis):
        refused = node.refuse(key, "right.import", body)
        assert (refused.rule, refused.pointer) == ("not-authorized", "/actor")
    em = Office(node, "EM", "euipo")  # a registrar of another office
    refused = node.refuse(em.registrar, "right.import", body)
    assert refused.rule == "not-authorized"


@pytest.mark.parametrize(("change", "rule", "pointer"), [
    (lambda r: r["GoodsServicesBag"][0].update(ClassNumber=99), None,
     "/body/record/GoodsServicesBag/0/ClassNumber"),
    (lambda r: r.pop("ApplicantBag"), None, "/body/record/ApplicantBag"),
    (lambda r: r["ApplicantBag"][1].update(Nickname="x"), None,
     "/body/record/ApplicantBag/1/Nickname"),
    (lambda r: r.update(ApplicationDate="2020-02-30"), None, "/body/record/ApplicationDate"),
    (lambda r: r.pop("RegistrationOfficeCode"), "missing-field",
     "/body/record/RegistrationOfficeCode"),
    (lambda r: r.update(RegistrationOfficeCode="EM"), "office-mismatch",
     "/body/record/RegistrationOfficeCode"),
    (lambda r: r.update(ApplicationNumber={"ApplicationNumberText": "90 000 001"}),
     "invalid-value", "/body/record/ApplicationNumber/ApplicationNumberText"),
    (lambda r: r.update(RegistrationDate="2019-01-01"), "invalid-value",
     "/body/record/RegistrationDate"),
    (lambda r: r.update(ApplicationDate="2027-01-01", RegistrationDate="2027-02-01"),
     "invalid-value", "/body/record/ApplicationDate"),
    (lambda r: (r.pop("RegistrationDate"), r.pop("ExpiryDate")), "missing-field",
     "/body/record/RegistrationDate"),
    (lambda r: (r["ApplicantBag"][0].pop("IncorporationCountryCode"),
                r["ApplicantBag"][0].pop("PostalStructuredAddress")), "missing-field",
     "/body/record/ApplicantBag/0"),
])
def test_a_malformed_record_is_refused_naming_the_pointer(node: Node, us: Office, change,
                                                          rule, pointer) -> None:
    record = harbour()
    change(record)
    refused = node.refuse(us.registrar, "right.import", us.body(record))
    assert refused.pointer == pointer, (refused.rule, refused.detail)
    if rule:
        assert refused.rule == rule


def test_bad_state_and_kind_are_refused(node: Node, us: Office) -> None:
    refused = node.refuse(us.registrar, "right.import", us.body(harbour(), "absent"))
    assert refused.pointer == "/body/state"
    refused = node.refuse(us.registrar, "right.import", {**us.body(harbour()), "kind": "patent"})
    assert refused.pointer == "/body/kind"


def test_a_right_filed_here_is_not_overwritten(node: Node) -> None:
    node.clock.now_ms = ms("2026-09-21")
    em = Office(node, "EM", "euipo")
    applicant = em.parties["outsider"]
    mark = {"MarkRepresentation": {"MarkReproduction": {
        "WordMarkSpecification": {"MarkVerbalElementText": "NATIVE"}}}}
    node.submit(em.outsider, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [applicant], "classes": [9],
        "commitment": content_commitment("ab" * 16, mark),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    record = {"RegistrationOfficeCode": "EM",
              "ApplicationNumber": {"ApplicationNumberText": "000000001"},
              "ApplicationDate": "2026-09-21",
              "ApplicantBag": [{"PersonFullName": "Someone", "NationalityCode": "DE"}]}
    refused = node.refuse(em.registrar, "right.import", em.body(record, "filed"))
    assert refused.rule == "already-exists"
    assert refused.pointer == "/body/record/ApplicationNumber/ApplicationNumberText"


def test_native_filings_skip_numbers_taken_by_imports(node: Node) -> None:
    node.clock.now_ms = ms("2026-09-21")
    em = Office(node, "EM", "euipo")
    record = {"RegistrationOfficeCode": "EM",
              "ApplicationNumber": {"ApplicationNumberText": "000000001"},
              "ApplicationDate": "2026-09-01",
              "ApplicantBag": [{"PersonFullName": "Someone", "NationalityCode": "DE"}]}
    node.submit(em.registrar, "right.import", em.body(record, "filed"))
    mark = {"MarkRepresentation": {"MarkReproduction": {
        "WordMarkSpecification": {"MarkVerbalElementText": "NATIVE"}}}}
    node.submit(em.outsider, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [em.parties["outsider"]],
        "classes": [9], "commitment": content_commitment("ab" * 16, mark),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    assert node.ledger.store.record_ids("right/EM/trademark/") == [
        "right/EM/trademark/000000001", "right/EM/trademark/000000002"]
    assert em.right("000000001")["source"]["record"]["ApplicantBag"][0]["PersonFullName"] \
        == "Someone"


# -- the client's reading of records -------------------------------------------------


def test_derive_state() -> None:
    base: dict[str, Any] = {"RegistrationOfficeCode": "EM", "ApplicationDate": "2020-01-01"}
    assert derive_state(base) == "filed"
    published = {**base, "MarkEventBag": [{"MarkEventCategory": "Application published"}]}
    assert derive_state(published) == "published"
    assert derive_state({**published, "RegistrationDate": "2020-06-01"}) == "registered"
    refused = {**base, "MarkEventBag": [{"MarkEventCategory": "Application refused"}]}
    assert derive_state({**refused, "RegistrationDate": "2020-06-01"}) == "refused"
    us = {**base, "RegistrationOfficeCode": "US", "RegistrationDate": "2020-06-01"}
    assert derive_state({**us, "MarkCurrentStatusCode": "710"}) == "cancelled"
    assert derive_state({**us, "MarkCurrentStatusCode": "900"}) == "expired"
    assert derive_state({**us, "MarkCurrentStatusCode": "630"}) == "registered"


def test_import_bodies_reports_unreadable_documents_and_missing_office() -> None:
    (item,) = import_bodies(b"<not-st96/>", "bad.xml")
    assert item.body is None and item.problem and "st96-namespace" in item.problem
    record = harbour()
    record.pop("RegistrationOfficeCode")
    xml = trademarks_to_st96_xml([record], "US")  # type: ignore[list-item]
    stripped = xml.replace(b"<com:RegistrationOfficeCode>US</com:RegistrationOfficeCode>", b"")
    (item,) = import_bodies(stripped, "x.xml")
    assert item.problem and "--office" in item.problem
    (item,) = import_bodies(stripped, "x.xml", office="US", state="expired")
    assert item.body is not None and item.body["office"] == "US"
    assert item.body["record"]["RegistrationOfficeCode"] == "US"
    assert item.body["state"] == "expired"
