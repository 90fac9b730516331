"""Chain of title on a real node: assignments of whole rights and shares, registrar recordals
on evidence, fees, security interests (consent, release), mergers, dated owner history —
every rejection changes nothing and replay reproduces the state root."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import MARK, SALT, Office, file_trademark, ms

DEED = "d0" * 32
EUR_RECORDAL = 20_000  # euipo.toml: trademark assignment_recordal


def party(node: Node, name: str, kind: str = "legal") -> tuple[SigningKey, str]:
    key = SigningKey.generate()
    node.submit(key, "party.register", {"name": name, "country": "DE", "kind": kind})
    return key, party_id_for(did_key_url(key.public_key))


def owners(right: dict) -> dict[str, Fraction]:
    shares = {o["party"]: Fraction(*o["share"]) for o in right["owners"]}
    assert sum(shares.values()) == 1, right["owners"]
    for o in right["owners"]:  # stored reduced, no zero shares
        f = Fraction(*o["share"])
        assert o["share"] == [f.numerator, f.denominator] and f > 0
    return shares


def assign(office: Office, number: str, frm: str, to: str, share: list[int],
           executed: str = "2026-09-20", pay: int | None = EUR_RECORDAL, **extra) -> dict:
    body = {"office": office.code, "kind": "trademark", "number": number, "from": frm,
            "to": to, "share": share, "executed": executed, **extra}
    if pay is not None:
        body["payment"] = {"amount": pay, "currency": "EUR"}
    return body


def check_replay(node: Node) -> None:
    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems
    assert report.final_root == node.ledger.rules.root()


@pytest.fixture
def office(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node)


def test_whole_and_partial_assignments_keep_shares_exact(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    c_key, c = party(node, "Gamma AG")
    assert owners(office.right(number)) == {a: 1}

    # A keeps 2/3 and assigns 1/3 to B: the assignor signs, the assignee endorses.
    node.submit(office.applicant, "assignment.record", assign(office, number, a, b, [1, 3]),
                endorsers=[b_key])
    assert owners(office.right(number)) == {a: Fraction(2, 3), b: Fraction(1, 3)}

    # Months later C (the assignee) signs and A endorses; non-reduced shares are accepted.
    node.clock.now_ms = ms("2027-02-01")
    node.submit(c_key, "assignment.record",
                assign(office, number, a, c, [4, 6], executed="2027-01-15",
                       conveyance="Transfer of ownership", document_sha256=DEED),
                endorsers=[office.applicant])
    right = office.right(number)
    assert owners(right) == {b: Fraction(1, 3), c: Fraction(2, 3)}
    assert right["owners"] == [{"party": b, "share": [1, 3]}, {"party": c, "share": [2, 3]}]

    # The same party's shares add up: B's third goes to C, who then owns the whole right.
    node.clock.now_ms = ms("2027-03-01")
    node.submit(b_key, "assignment.record",
                assign(office, number, b, c, [1, 3], executed="2027-03-01"),
                endorsers=[c_key])
    right = office.right(number)
    assert right["owners"] == [{"party": c, "share": [1, 1]}]
    assert right["state"] == "filed"  # ownership is not a lifecycle state
    assert [h["action"] for h in right["history"]] == ["file", "disclose"]

    # The chain of title is complete and dated: filing, then every change with its index.
    chain = right["owner_history"]
    assert [h["action"] for h in chain] == ["file", "assign", "assign", "assign"]
    assert chain[0] == {"action": "file", "index": right["history"][0]["index"],
                        "date": "2026-09-21", "owners": [{"party": a, "share": [1, 1]}]}
    assert [(h["date"], h["executed"], h["from"], h["to"], h["share"]) for h in chain[1:]] == [
        ("2026-09-21", "2026-09-20", a, b, [1, 3]),
        ("2027-02-01", "2027-01-15", a, c, [2, 3]),
        ("2027-03-01", "2027-03-01", b, c, [1, 3]),
    ]
    assert [h["by"] for h in chain[1:]] == [a, c, b]
    assert all(h["recorded_on"] == "parties" and h["paid"] == EUR_RECORDAL for h in chain[1:])
    assert all(h["conveyance"] == "Transfer of ownership" for h in chain[1:])
    assert chain[2]["document_sha256"] == DEED and "document_sha256" not in chain[1]
    assert chain[2]["owners"] == [{"party": b, "share": [1, 3]}, {"party": c, "share": [2, 3]}]
    indexes = [h["index"] for h in chain]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    # Each index is the entry that made the change.
    entry = node.ledger.store.read_entries(indexes[2], indexes[2] + 1)[0]
    assert b'"assignment.record"' in entry
    check_replay(node)


def test_both_sides_must_sign_and_hold_enough(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    stranger_key, stranger = party(node, "Stranger Ltd")
    node.submit(office.applicant, "assignment.record", assign(office, number, a, b, [1, 2]),
                endorsers=[b_key])

    cases = [
        # (signer, body, endorsers) -> (rule, pointer)
        ((office.applicant, assign(office, number, a, b, [1, 4]), None),
         ("missing-endorsement", "/endorsements")),
        ((b_key, assign(office, number, a, b, [1, 4]), None),
         ("missing-endorsement", "/endorsements")),
        ((office.applicant, assign(office, number, a, b, [1, 4]), [stranger_key]),
         ("missing-endorsement", "/endorsements")),
        ((stranger_key, assign(office, number, a, b, [1, 4]), [office.applicant, b_key]),
         ("not-authorized", "/actor")),
        ((office.applicant, assign(office, number, a, b, [2, 3]), [b_key]),
         ("share-exceeds-holding", "/body/share")),
        ((stranger_key, assign(office, number, stranger, b, [1, 4]), [b_key]),
         ("not-an-owner", "/body/from")),
        ((office.applicant, assign(office, number, a, a, [1, 4]), None),
         ("invalid-value", "/body/to")),
        ((office.applicant, assign(office, number, a, "P" + "0" * 20, [1, 4]), None),
         ("not-found", "/body/to")),
        ((office.applicant, assign(office, number, a, b, [1, 4], executed="2026-09-22"),
          [b_key]), ("invalid-value", "/body/executed")),
        ((office.applicant, assign(office, number, a, b, [1, 4], executed="2026-02-30"),
          [b_key]), ("invalid-value", "/body/executed")),
        ((office.applicant, assign(office, number, a, b, [0, 4]), [b_key]),
         ("invalid-value", "/body/share")),
        ((office.applicant, assign(office, number, a, b, [5, 4]), [b_key]),
         ("invalid-value", "/body/share")),
        ((office.applicant, assign(office, number, a, b, [1]), [b_key]),
         ("invalid-value", "/body/share")),
        ((office.applicant, assign(office, number, a, b, [1, True]), [b_key]),
         ("wrong-type", "/body/share/1")),
        ((office.applicant, assign(office, number, a, b, [1, 4], conveyance="Gift"), [b_key]),
         ("invalid-value", "/body/conveyance")),
        ((office.applicant, assign(office, number, a, b, [1, 4], document_sha256="XY"),
          [b_key]), ("invalid-value", "/body/document_sha256")),
        ((office.applicant, assign(office, "000000999", a, b, [1, 4]), [b_key]),
         ("not-found", "/body/number")),
    ]
    for (signer, body, endorsers), expected in cases:
        err = node.refuse(signer, "assignment.record", body, endorsers)
        assert (err.rule, err.pointer) == expected, (body, err)
    # Nothing of it reached the right.
    assert owners(office.right(number)) == {a: Fraction(1, 2), b: Fraction(1, 2)}
    assert len(office.right(number)["owner_history"]) == 2


def test_recordal_fee_is_exact_and_follows_the_profile(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    for pay, currency in [(None, None), (EUR_RECORDAL - 1, "EUR"), (EUR_RECORDAL + 1, "EUR"),
                          (EUR_RECORDAL, "USD")]:
        body = assign(office, number, a, b, [1, 2], pay=None)
        if pay is not None:
            body["payment"] = {"amount": pay, "currency": currency}
        err = node.refuse(office.applicant, "assignment.record", body, [b_key])
        assert (err.rule, err.pointer) == ("fee-not-paid", "/body/payment")
        assert "20000 EUR" in err.detail
    node.submit(office.applicant, "assignment.record", assign(office, number, a, b, [1, 2]),
                [b_key])

    # The USPTO charges nothing for an electronic recordal: no payment may be made.
    us = Office(node, "US", "uspto")
    patent_body = {"InventionTitle": "Filter cartridge"}
    from ipledger.registry.profiles import load_profile

    fees = load_profile("uspto").rules("patent").fees
    assert fees.assignment_recordal == 0
    node.submit(us.applicant, "right.file", {
        "office": "US", "kind": "patent", "applicants": [us.parties["applicant"]],
        "commitment": content_commitment(SALT, patent_body),
        "payment": {"amount": fees.filing or 0, "currency": "USD"}})
    patent = node.ledger.store.record_ids("right/US/patent/")[-1].rsplit("/", 1)[1]
    body = {"office": "US", "kind": "patent", "number": patent,
            "from": us.parties["applicant"], "to": b, "share": [1, 1],
            "executed": "2026-09-21", "payment": {"amount": 0, "currency": "USD"}}
    err = node.refuse(us.applicant, "assignment.record", body, [b_key])
    assert (err.rule, err.pointer) == ("invalid-value", "/body/payment")
    del body["payment"]
    node.submit(us.applicant, "assignment.record", body, [b_key])
    assert us.right(patent, "patent")["owners"] == [{"party": b, "share": [1, 1]}]
    assert "paid" not in us.right(patent, "patent")["owner_history"][-1]

    # The generic profile: 10 units of XXX.
    gen = Office(node, "XX", "generic")
    node.submit(gen.applicant, "right.file", {
        "office": "XX", "kind": "trademark", "applicants": [gen.parties["applicant"]],
        "classes": [9], "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 100, "currency": "XXX"}})
    mark = node.ledger.store.record_ids("right/XX/trademark/")[-1].rsplit("/", 1)[1]
    body = {"office": "XX", "kind": "trademark", "number": mark,
            "from": gen.parties["applicant"], "to": b, "share": [1, 1],
            "executed": "2026-09-21", "payment": {"amount": 10, "currency": "XXX"}}
    node.submit(b_key, "assignment.record", body, [gen.applicant])
    assert gen.right(mark)["owner_history"][-1]["paid"] == 10
    check_replay(node)


def test_registrar_records_on_evidence(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    _, b = party(node, "Beta GmbH")
    body = assign(office, number, a, b, [1, 1], conveyance="Court order")
    err = node.refuse(office.registrar, "assignment.record", body)
    assert (err.rule, err.pointer) == ("missing-field", "/body/document_sha256")
    # An examiner is not a registrar: no recordal on evidence.
    err = node.refuse(office.examiner, "assignment.record", {**body, "document_sha256": DEED})
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = node.refuse(office.registrar, "assignment.record",
                      {**body, "document_sha256": DEED, "payment": {"amount": 1,
                                                                    "currency": "EUR"}})
    assert err.rule == "fee-not-paid"
    node.submit(office.registrar, "assignment.record", {**body, "document_sha256": DEED})
    right = office.right(number)
    assert right["owners"] == [{"party": b, "share": [1, 1]}]
    change = right["owner_history"][-1]
    assert change["recorded_on"] == "evidence"
    assert change["by"] == office.parties["registrar"]
    assert change["document_sha256"] == DEED
    assert change["conveyance"] == "Court order"
    check_replay(node)


def test_ended_rights_cannot_change_hands(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    office.act(office.applicant, number, "withdraw")
    err = node.refuse(office.applicant, "assignment.record",
                      assign(office, number, a, b, [1, 1]), [b_key])
    assert (err.rule, err.pointer, err.status) == ("right-ended", "/body/number", 409)
    assert "withdrawn" in err.detail
    err = node.refuse(office.registrar, "assignment.record",
                      assign(office, number, a, b, [1, 1], document_sha256=DEED))
    assert err.rule == "right-ended"
    err = node.refuse(office.applicant, "security.record", {
        "office": "EM", "kind": "trademark", "number": number, "secured_party": b,
        "amount": 1_000_000, "currency": "EUR"}, [b_key])
    assert err.rule == "right-ended"
    err = node.refuse(office.registrar, "assignment.merger", {
        "office": "EM", "from": a, "to": b, "rights": [{"kind": "trademark", "number": number}],
        "executed": "2026-09-21", "document_sha256": DEED,
        "payment": {"amount": EUR_RECORDAL, "currency": "EUR"}})
    assert (err.rule, err.pointer) == ("right-ended", "/body/rights/0")
    assert "owner_history" not in office.right(number)


def test_security_interest_needs_consent_until_released(office: Office, node: Node) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    bank_key, bank = party(node, "Kreditbank AG")
    b_key, b = party(node, "Beta GmbH")
    security = {"office": "EM", "kind": "trademark", "number": number, "secured_party": bank,
                "amount": 5_000_000, "currency": "EUR", "document_sha256": DEED}
    err = node.refuse(office.applicant, "security.record", security)
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    assert bank in err.detail
    err = node.refuse(b_key, "security.record", security, [bank_key])
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = node.refuse(office.applicant, "security.record", {**security, "secured_party": a})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/secured_party")
    err = node.refuse(office.applicant, "security.record", {**security, "currency": "EURO"})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/currency")
    err = node.refuse(office.applicant, "security.record", {**security, "amount": 0})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/amount")
    # The EUIPO profile defines no security interest recordal fee: nothing may be paid.
    err = node.refuse(office.applicant, "security.record",
                      {**security, "payment": {"amount": 100, "currency": "EUR"}}, [bank_key])
    assert (err.rule, err.pointer) == ("invalid-value", "/body/payment")
    node.submit(office.applicant, "security.record", security, [bank_key])
    (interest,) = office.right(number)["security_interests"]
    assert interest["secured_party"] == bank and interest["grantors"] == [a]
    assert (interest["amount"], interest["currency"]) == (5_000_000, "EUR")
    assert interest["recorded"] == "2026-09-21" and "released" not in interest
    assert interest["id"] == f"SI-{interest['index']}"

    # Assignor and assignee agree, but the secured party has not consented.
    body = assign(office, number, a, b, [1, 2])
    err = node.refuse(office.applicant, "assignment.record", body, [b_key])
    assert (err.rule, err.pointer, err.status) == ("consent-required", "/endorsements", 409)
    assert interest["id"] in err.detail and bank in err.detail
    # Not on evidence either.
    err = node.refuse(office.registrar, "assignment.record", {**body, "document_sha256": DEED})
    assert err.rule == "consent-required"
    # With the secured party's endorsement the assignment is recorded; the interest stays.
    node.submit(office.applicant, "assignment.record", body, [b_key, bank_key])
    right = office.right(number)
    assert owners(right) == {a: Fraction(1, 2), b: Fraction(1, 2)}
    assert len(right["security_interests"]) == 1

    # Only the secured party releases; then assignments need no consent.
    release = {"office": "EM", "kind": "trademark", "number": number, "id": interest["id"]}
    err = node.refuse(office.applicant, "security.release", release)
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = node.refuse(bank_key, "security.release", {**release, "id": "SI-1"})
    assert (err.rule, err.pointer) == ("not-found", "/body/id")
    node.clock.now_ms = ms("2027-05-05")
    node.submit(bank_key, "security.release", release)
    err = node.refuse(bank_key, "security.release", release)
    assert (err.rule, err.pointer) == ("invalid-transition", "/body/id")
    (released,) = office.right(number)["security_interests"]
    assert released["released"]["date"] == "2027-05-05"
    node.submit(b_key, "assignment.record", assign(office, number, b, a, [1, 2],
                                                   executed="2027-05-05"), [office.applicant])
    assert owners(office.right(number)) == {a: 1}

    # A co-owned right: every owner signs the security interest.
    node.submit(office.applicant, "assignment.record", assign(office, number, a, b, [1, 4],
                                                              executed="2027-05-05"), [b_key])
    err = node.refuse(office.applicant, "security.record", security, [bank_key])
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    assert b in err.detail
    node.submit(bank_key, "security.record", security, [office.applicant, b_key])
    assert office.right(number)["security_interests"][-1]["grantors"] == [a, b]
    check_replay(node)


def test_security_interest_fee_generic_profile(node: Node) -> None:
    node.clock.now_ms = ms("2026-09-21")
    gen = Office(node, "XX", "generic")
    bank_key, bank = party(node, "Kreditbank AG")
    node.submit(gen.applicant, "right.file", {
        "office": "XX", "kind": "trademark", "applicants": [gen.parties["applicant"]],
        "classes": [9], "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 100, "currency": "XXX"}})
    mark = node.ledger.store.record_ids("right/XX/trademark/")[-1].rsplit("/", 1)[1]
    security = {"office": "XX", "kind": "trademark", "number": mark, "secured_party": bank,
                "amount": 1000, "currency": "USD"}
    err = node.refuse(gen.applicant, "security.record", security, [bank_key])
    assert (err.rule, err.pointer) == ("fee-not-paid", "/body/payment")
    node.submit(gen.applicant, "security.record",
                {**security, "payment": {"amount": 10, "currency": "XXX"}}, [bank_key])
    assert gen.right(mark)["security_interests"][0]["paid"] == 10


def test_merger_passes_the_listed_rights_to_the_successor(office: Office, node: Node) -> None:
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    whole = file_trademark(office)
    # A second mark filed by A and B together: 1/2 each.
    node.submit(office.applicant, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [a, b], "classes": [30],
        "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    shared = node.ledger.store.record_ids("right/EM/trademark/")[-1].rsplit("/", 1)[1]
    other_key, unrelated = party(node, "Unrelated SA")
    node.submit(other_key, "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [unrelated], "classes": [30],
        "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    foreign = node.ledger.store.record_ids("right/EM/trademark/")[-1].rsplit("/", 1)[1]

    node.clock.now_ms = ms("2027-01-04")
    merger = {"office": "EM", "from": a, "to": b, "executed": "2026-12-31",
              "document_sha256": DEED,
              "rights": [{"kind": "trademark", "number": whole},
                         {"kind": "trademark", "number": shared}],
              "payment": {"amount": 2 * EUR_RECORDAL, "currency": "EUR"}}
    err = node.refuse(b_key, "assignment.merger", merger)
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = node.refuse(office.registrar, "assignment.merger",
                      {**merger, "payment": {"amount": EUR_RECORDAL, "currency": "EUR"}})
    assert (err.rule, err.pointer) == ("fee-not-paid", "/body/payment")
    # One right not owned by A: the whole merger is refused, the other right untouched.
    err = node.refuse(office.registrar, "assignment.merger", {
        **merger, "rights": [*merger["rights"], {"kind": "trademark", "number": foreign}],
        "payment": {"amount": 3 * EUR_RECORDAL, "currency": "EUR"}})
    assert (err.rule, err.pointer) == ("not-an-owner", "/body/rights/2")
    err = node.refuse(office.registrar, "assignment.merger",
                      {**merger, "rights": [merger["rights"][0], merger["rights"][0]]})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/rights/1")
    err = node.refuse(office.registrar, "assignment.merger",
                      {k: v for k, v in merger.items() if k != "document_sha256"})
    assert (err.rule, err.pointer) == ("missing-field", "/body/document_sha256")
    err = node.refuse(office.registrar, "assignment.merger", {**merger, "to": a})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/to")
    assert office.right(whole)["owners"] == [{"party": a, "share": [1, 1]}]

    node.submit(office.registrar, "assignment.merger", merger)
    assert office.right(whole)["owners"] == [{"party": b, "share": [1, 1]}]
    assert office.right(shared)["owners"] == [{"party": b, "share": [1, 1]}]
    assert office.right(foreign)["owners"] == [{"party": unrelated, "share": [1, 1]}]
    for number, share in [(whole, [1, 1]), (shared, [1, 2])]:
        change = office.right(number)["owner_history"][-1]
        assert (change["action"], change["conveyance"], change["share"]) == (
            "merge", "Merger", share)
        assert (change["date"], change["executed"]) == ("2027-01-04", "2026-12-31")
        assert change["paid"] == EUR_RECORDAL and change["by"] == office.parties["registrar"]
    assert office.right(shared)["owner_history"][0]["owners"] == [
        {"party": a, "share": [1, 2]}, {"party": b, "share": [1, 2]}]
    check_replay(node)


def test_replay_after_reopen_reproduces_the_chain(office: Office, node: Node, reopen) -> None:
    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    node.submit(office.applicant, "assignment.record", assign(office, number, a, b, [1, 3]),
                [b_key])
    root = node.ledger.rules.root()
    again = reopen(node)
    assert again.ledger.rules.root() == root
    check_replay(again)
    again.close()


def test_chain_of_title_exports_as_st96_assignments(office: Office, node: Node) -> None:
    from lxml import etree

    from ipledger.registry.st96_export import trademark_xml
    from ipledger.standards.st96 import trademark_from_st96_xml
    from ipledger.standards.st96.schema import load_schema

    number = file_trademark(office)
    a = office.parties["applicant"]
    b_key, b = party(node, "Beta GmbH")
    node.submit(office.applicant, "assignment.record",
                assign(office, number, a, b, [1, 1], conveyance="Merger"), endorsers=[b_key])
    store = node.ledger.store
    right = office.right(number)
    from ipledger.codec import parse_json

    xml = trademark_xml(right, lambda p: parse_json(store.read_record(f"party/{p}")))
    schema = load_schema("Trademark_V6_0.xsd")
    assert schema.validate(etree.fromstring(xml)), schema.error_log
    (record,) = trademark_from_st96_xml(xml)
    (assignment,) = record["AssignmentBag"]
    assert assignment["AssignmentConveyanceCategory"] == "Merger"
    assert assignment["AssignorBag"][0]["PersonFullName"] == "Applicant"
    assert assignment["AssigneeBag"][0]["OrganizationStandardName"] == "Beta GmbH"
    assert record["ApplicantBag"][0]["OrganizationStandardName"] == "Beta GmbH"


def test_merger_without_a_list_takes_every_live_right_from_the_owner_index(
        office: Office, node: Node) -> None:
    a = office.parties["applicant"]
    _, b = party(node, "Beta GmbH")
    first = file_trademark(office)
    second = file_trademark(office)
    withdrawn = file_trademark(office)
    office.act(office.applicant, withdrawn, "withdraw")
    store = node.ledger.store
    assert store.record_ids(f"owned/{a}/") == [
        f"owned/{a}/right/EM/trademark/{n}" for n in (first, second, withdrawn)]
    node.clock.now_ms = ms("2027-01-04")
    node.submit(office.registrar, "assignment.merger", {
        "office": "EM", "from": a, "to": b, "executed": "2026-12-31", "document_sha256": DEED,
        "payment": {"amount": 2 * EUR_RECORDAL, "currency": "EUR"}})
    for number in (first, second):
        assert office.right(number)["owners"] == [{"party": b, "share": [1, 1]}]
    assert office.right(withdrawn)["owners"] == [{"party": a, "share": [1, 1]}]
    # The index follows ownership.
    assert store.record_ids(f"owned/{a}/") == [f"owned/{a}/right/EM/trademark/{withdrawn}"]
    assert store.record_ids(f"owned/{b}/") == [
        f"owned/{b}/right/EM/trademark/{n}" for n in (first, second)]
    _, nobody = party(node, "Nobody")
    err = node.refuse(office.registrar, "assignment.merger", {
        "office": "EM", "from": nobody, "to": b, "executed": "2026-12-31",
        "document_sha256": DEED})
    assert (err.rule, err.pointer) == ("not-found", "/body/from")
    check_replay(node)
