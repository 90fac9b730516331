"""Licences as smart contracts on a real node: grants with every party's signature, conflict
rules, sublicences within their parent, royalty reports, automatic expiry from ledger time,
termination — all reproduced by replay, every refusal leaving log and state untouched."""

from __future__ import annotations

from typing import Any

import pytest

from ipledger.codec import parse_json
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.engine import replay_register
from ipledger.registry.families.licence import licence_record, royalty_due, royalty_record
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import MARK, SALT, Office, file_trademark, ms

FEE = {"amount": 20_000, "currency": "EUR"}  # EUIPO licence recordal, EUR cents


def pid(key: SigningKey) -> str:
    return party_id_for(did_key_url(key.public_key))


class Licensing:
    """An EUIPO-like office with a registered trade mark (classes 30, 32) and licensees."""

    def __init__(self, node: Node, co_owned: bool = False) -> None:
        node.clock.now_ms = ms("2026-09-21")
        self.node = node
        self.office = office = Office(node)
        self.owner = office.applicant
        self.co_owner = SigningKey.generate()
        self.a, self.b, self.c = (SigningKey.generate() for _ in range(3))
        for name, key in [("Co-owner", self.co_owner), ("Licensee A", self.a),
                          ("Licensee B", self.b), ("Licensee C", self.c)]:
            node.submit(key, "party.register", {"name": name, "country": "DE",
                                                "kind": "legal"})
        if co_owned:
            node.submit(self.owner, "right.file", {
                "office": "EM", "kind": "trademark",
                "applicants": [pid(self.owner), pid(self.co_owner)], "classes": [30, 32],
                "commitment": content_commitment(SALT, MARK),
                "payment": {"amount": 90_000, "currency": "EUR"}})
            self.number = node.ledger.store.record_ids("right/EM/trademark/")[-1].rsplit(
                "/", 1)[1]
            node.submit(self.owner, "right.disclose", {
                "office": "EM", "kind": "trademark", "number": self.number, "data": MARK,
                "salt": SALT})
        else:
            self.number = file_trademark(office)
        office.act(office.examiner, self.number, "check_formalities")
        office.act(office.examiner, self.number, "start_examination")
        office.act(office.registrar, self.number, "publish", attest=["examination_passed"])
        office.tick("2026-12-23")
        assert office.right(self.number)["state"] == "registered"

    def body(self, licensee: SigningKey, **terms: Any) -> dict[str, Any]:
        return {"office": "EM", "kind": "trademark", "number": self.number,
                "licensee": pid(licensee), "type": "exclusive", "territory": ["DE"],
                "start": "2027-01-01", "payment": FEE, **terms}

    def grant(self, licensee: SigningKey, **terms: Any) -> str:
        self.node.submit(self.owner, "licence.grant", self.body(licensee, **terms),
                         endorsers=[licensee])
        return self.office.right(self.number)["licences"][-1]

    def refuse_grant(self, licensee: SigningKey, **terms: Any):
        return self.node.refuse(self.owner, "licence.grant", self.body(licensee, **terms),
                                endorsers=[licensee])

    def sub_body(self, parent: str, licensee: SigningKey, **terms: Any) -> dict[str, Any]:
        return {**self.body(licensee, **terms), "parent": parent}

    def licence(self, licence_id: str) -> dict[str, Any]:
        raw = self.node.ledger.store.read_record(
            licence_record("EM", "trademark", self.number, licence_id))
        assert raw is not None
        return parse_json(raw)

    def ref(self, licence_id: str, **extra: Any) -> dict[str, Any]:
        return {"office": "EM", "kind": "trademark", "number": self.number,
                "licence": licence_id, **extra}

    def replays(self) -> None:
        report = replay_register(self.node.ledger.store, self.node.ledger.origin)
        assert report.ok, report.problems
        assert report.final_root == self.node.ledger.rules.root()


@pytest.fixture
def lic(node: Node) -> Licensing:
    return Licensing(node)


def test_grant_accepted_by_the_licensee_is_recorded(lic: Licensing) -> None:
    royalty = {"rate_bp": 250, "minimum_per_period": 10_000, "currency": "EUR",
               "period": "P3M"}
    licence_id = lic.grant(lic.a, scope=[30], field_of_use="Coffee shops", royalty=royalty,
                           end="2031-12-31", sublicensable=True)
    assert licence_id == "L1"
    record = lic.licence("L1")
    assert record["status"] == "active"
    assert record["licensee"] == pid(lic.a)
    assert record["licensors"] == [pid(lic.owner)]
    assert (record["type"], record["territory"], record["scope"]) == ("exclusive", ["DE"], [30])
    assert (record["start"], record["end"], record["field_of_use"]) == (
        "2027-01-01", "2031-12-31", "Coffee shops")
    assert record["royalty"] == royalty
    assert record["recorded"] == "2026-12-23"
    assert record["history"][0]["paid"] == 20_000
    assert record["next_event"]["action"] == "expire"
    # The right lists it (extracts show it), its lifecycle is untouched.
    right = lic.office.right(lic.number)
    assert right["licences"] == ["L1"]
    assert right["state"] == "registered"
    assert lic.grant(lic.b, territory=["FR"]) == "L2"
    lic.replays()


def test_grant_refusals_say_why(lic: Licensing, node: Node) -> None:
    # The licensee must accept (endorse).
    err = node.refuse(lic.owner, "licence.grant", lic.body(lic.a))
    assert (err.rule, err.pointer, err.status) == ("missing-endorsement", "/endorsements", 403)
    assert pid(lic.a) in err.detail
    # An endorsement by someone else is no acceptance.
    err = node.refuse(lic.owner, "licence.grant", lic.body(lic.a), endorsers=[lic.b])
    assert err.rule == "missing-endorsement"
    # Only an owner grants.
    err = node.refuse(lic.b, "licence.grant", lic.body(lic.a), endorsers=[lic.a])
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    # Exact recordal fee.
    err = lic.refuse_grant(lic.a, payment={"amount": 10_000, "currency": "EUR"})
    assert (err.rule, err.pointer) == ("fee-not-paid", "/body/payment")
    assert "20000 EUR" in err.detail
    body = lic.body(lic.a)
    del body["payment"]
    err = node.refuse(lic.owner, "licence.grant", body, endorsers=[lic.a])
    assert err.rule == "fee-not-paid"
    # Terms are checked field by field.
    err = lic.refuse_grant(lic.a, scope=[9])
    assert (err.rule, err.pointer) == ("outside-right", "/body/scope/0")
    err = lic.refuse_grant(lic.a, territory=["DE", "ZZ"])
    assert (err.rule, err.pointer) == ("st3-code", "/body/territory/1")
    err = lic.refuse_grant(lic.a, type="semi_exclusive")
    assert (err.rule, err.pointer) == ("invalid-value", "/body/type")
    err = lic.refuse_grant(lic.a, start="2027-02-30")
    assert (err.rule, err.pointer) == ("invalid-value", "/body/start")
    err = lic.refuse_grant(lic.a, end="2026-12-31")
    assert (err.rule, err.pointer) == ("invalid-value", "/body/end")
    err = lic.refuse_grant(lic.a, start="2028-01-01", end="2027-06-30")
    assert (err.rule, err.pointer) == ("invalid-value", "/body/end")
    err = lic.refuse_grant(lic.a, royalty={"rate_bp": 2.5, "minimum_per_period": 0,
                                           "currency": "EUR", "period": "P3M"})
    assert (err.rule, err.pointer) == ("no-floats", "/body/royalty/rate_bp")
    err = lic.refuse_grant(lic.a, royalty={"rate_bp": 10_001, "minimum_per_period": 0,
                                           "currency": "EUR", "period": "P3M"})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/royalty/rate_bp")
    err = lic.refuse_grant(lic.a, royalty={"rate_bp": 100, "minimum_per_period": 0,
                                           "currency": "EUX", "period": "P1M"})
    assert (err.rule, err.pointer) == ("invalid-value", "/body/royalty/currency")
    err = node.refuse(lic.owner, "licence.grant", {**lic.body(lic.a), "licensee":
                                                   "P" + "0" * 20}, endorsers=[lic.a])
    assert (err.rule, err.pointer) == ("not-found", "/body/licensee")
    err = node.refuse(lic.owner, "licence.grant", {**lic.body(lic.a), "licensee":
                                                   pid(lic.owner)}, endorsers=[lic.a])
    assert (err.rule, err.pointer) == ("invalid-value", "/body/licensee")
    assert "licences" not in lic.office.right(lic.number)


def test_the_territory_must_lie_where_the_right_has_effect(lic: Licensing, node: Node) -> None:
    # An EU trade mark (office EM) has effect in the 27 EU member states, nowhere else.
    for territory, bad in ((["DE", "US"], 1), (["CH"], 0), (["FR", "NO", "IT"], 1),
                           (["EP"], 0), (["GB", "DE"], 0), (["BX"], 0)):
        err = lic.refuse_grant(lic.a, territory=territory)
        assert (err.rule, err.pointer, err.status) == (
            "territory-outside-right", f"/body/territory/{bad}", 422)
        assert territory[bad] in err.detail and "EM" in err.detail
    assert "licences" not in lic.office.right(lic.number)
    assert node.ledger.store.read_record(licence_record("EM", "trademark", lic.number,
                                                        "L1")) is None
    # Member states, or the office's own code for all of them, are accepted.
    assert lic.grant(lic.a, territory=["DE", "AT", "GR"], end="2030-12-31",
                     sublicensable=True) == "L1"
    assert lic.grant(lic.b, type="non_exclusive", territory=["EM"], start="2031-01-01") == "L2"
    # A sublicence is held to the right's territory too (before the parent's).
    err = node.refuse(lic.a, "licence.sublicense", lic.sub_body("L1", lic.c, territory=[
        "DE", "CH"]), endorsers=[lic.c])
    assert (err.rule, err.pointer) == ("territory-outside-right", "/body/territory/1")
    err = node.refuse(lic.a, "licence.sublicense", lic.sub_body("L1", lic.c, territory=[
        "DE", "FR"]), endorsers=[lic.c])
    assert (err.rule, err.pointer) == ("outside-parent", "/body/territory")
    assert lic.licence("L1")["sublicences"] == []
    node.submit(lic.a, "licence.sublicense", lic.sub_body("L1", lic.c, territory=["GR"],
                                                          payment=FEE), endorsers=[lic.c])
    assert lic.licence("L3")["territory"] == ["GR"]
    lic.replays()


def test_a_right_not_in_force_cannot_be_licensed(node: Node) -> None:
    lic = Licensing(node)
    pending = file_trademark(lic.office)
    assert lic.office.right(pending)["state"] == "filed"
    err = node.refuse(lic.owner, "licence.grant", {**lic.body(lic.a), "number": pending},
                      endorsers=[lic.a])
    assert (err.rule, err.pointer, err.status) == ("right-not-in-force", "/body/number", 409)
    assert "filed" in err.detail
    lic.office.act(lic.owner, pending, "withdraw")
    err = node.refuse(lic.owner, "licence.grant", {**lic.body(lic.a), "number": pending},
                      endorsers=[lic.a])
    assert err.rule == "right-not-in-force"
    assert "withdrawn" in err.detail
    err = node.refuse(lic.owner, "licence.grant", {**lic.body(lic.a), "number": "999999999"},
                      endorsers=[lic.a])
    assert (err.rule, err.pointer) == ("not-found", "/body/number")


def test_every_co_owner_must_consent(node: Node) -> None:
    lic = Licensing(node, co_owned=True)
    owners = [o["party"] for o in lic.office.right(lic.number)["owners"]]
    assert sorted(owners) == sorted([pid(lic.owner), pid(lic.co_owner)])
    err = lic.refuse_grant(lic.a)
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    assert pid(lic.co_owner) in err.detail
    # The co-owner's endorsement with a key that is not (or no longer) valid does not count.
    stranger = SigningKey.generate()
    err = node.refuse(lic.owner, "licence.grant", lic.body(lic.a), endorsers=[lic.a, stranger])
    assert err.rule == "missing-endorsement"
    # Either owner may act, the other endorses; the licensee accepts.
    node.submit(lic.co_owner, "licence.grant", lic.body(lic.a), endorsers=[lic.owner, lic.a])
    record = lic.licence("L1")
    assert record["licensors"] == sorted([pid(lic.owner), pid(lic.co_owner)])
    # Termination by the licensor also needs both owners.
    err = node.refuse(lic.owner, "licence.terminate", lic.ref("L1"))
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    node.submit(lic.owner, "licence.terminate", lic.ref("L1"), endorsers=[lic.co_owner])
    assert lic.licence("L1")["status"] == "terminated"
    lic.replays()


def test_overlapping_exclusive_licences_are_refused(lic: Licensing) -> None:
    lic.grant(lic.a, scope=[30], end="2027-12-31", field_of_use="Cafés")
    # Same territory, class, period and field: refused, naming L1.
    err = lic.refuse_grant(lic.b, scope=[30], field_of_use="Cafés")
    assert (err.rule, err.pointer, err.status) == ("licence-conflict", "/body/territory", 409)
    assert "L1" in err.detail
    assert "territory DE" in err.detail and "scope 30" in err.detail
    # A licence without scope, or without a field of use, covers L1's too.
    err = lic.refuse_grant(lic.b, territory=["AT", "DE"])
    assert err.rule == "licence-conflict" and "L1" in err.detail
    # The office's own code means the whole territory of the right.
    err = lic.refuse_grant(lic.b, territory=["EM"], scope=[30])
    assert err.rule == "licence-conflict"
    # A non-exclusive licence may not join an exclusive one either.
    err = lic.refuse_grant(lic.b, type="non_exclusive", scope=[30], start="2027-06-01",
                           end="2027-06-30")
    assert err.rule == "licence-conflict" and "L1" in err.detail
    # No overlap in any one dimension: allowed.
    assert lic.grant(lic.b, territory=["FR", "BE"], scope=[30]) == "L2"
    assert lic.grant(lic.b, scope=[32]) == "L3"
    assert lic.grant(lic.b, scope=[30], start="2028-01-01") == "L4"
    assert lic.grant(lic.c, scope=[30], field_of_use="Supermarkets", end="2027-12-31") == "L5"
    # ... and each of those now blocks its own space.
    err = lic.refuse_grant(lic.c, territory=["BE"], type="non_exclusive", start="2029-01-01")
    assert err.rule == "licence-conflict" and "L2" in err.detail
    lic.replays()


def test_sole_excludes_other_licensees_but_non_exclusives_coexist(lic: Licensing) -> None:
    assert lic.grant(lic.a, type="sole", territory=["DE", "AT"]) == "L1"
    for kind in ("sole", "non_exclusive", "exclusive"):
        err = lic.refuse_grant(lic.b, type=kind, territory=["AT"])
        assert err.rule == "licence-conflict" and "sole licence L1" in err.detail
    assert lic.grant(lic.b, type="non_exclusive", territory=["FR"]) == "L2"
    assert lic.grant(lic.c, type="non_exclusive", territory=["FR"]) == "L3"
    # A sole licence is refused where a non-exclusive licensee already is.
    err = lic.refuse_grant(lic.c, type="sole", territory=["FR", "IT"])
    assert err.rule == "licence-conflict" and "L2" in err.detail


def test_sublicences_stay_within_their_parent(lic: Licensing, node: Node) -> None:
    lic.grant(lic.a, territory=["DE", "AT"], scope=[30], end="2030-12-31",
              sublicensable=True)
    lic.grant(lic.b, type="non_exclusive", territory=["FR"])  # not sublicensable

    def refuse_sub(parent: str = "L1", signer: SigningKey = lic.a, **terms: Any):
        return node.refuse(signer, "licence.sublicense",
                           lic.sub_body(parent, lic.c, **{"scope": [30], **terms}),
                           endorsers=[lic.c])

    err = refuse_sub(territory=["DE", "FR"])
    assert (err.rule, err.pointer) == ("outside-parent", "/body/territory")
    assert "FR" in err.detail and "L1" in err.detail
    err = refuse_sub(scope=[30, 32])
    assert (err.rule, err.pointer) == ("outside-parent", "/body/scope")
    err = node.refuse(lic.a, "licence.sublicense", lic.sub_body("L1", lic.c),
                      endorsers=[lic.c])  # no scope = the whole right, wider than L1
    assert (err.rule, err.pointer) == ("outside-parent", "/body/scope")
    err = refuse_sub(start="2026-12-31")
    assert (err.rule, err.pointer) == ("outside-parent", "/body/start")
    err = refuse_sub(end="2031-01-01")
    assert (err.rule, err.pointer) == ("outside-parent", "/body/end")
    err = refuse_sub(signer=lic.b)
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = refuse_sub(parent="L2", signer=lic.b, territory=["FR"], type="non_exclusive")
    assert (err.rule, err.pointer) == ("not-sublicensable", "/body/parent")
    err = refuse_sub(parent="L9")
    assert (err.rule, err.pointer) == ("not-found", "/body/parent")
    err = node.refuse(lic.a, "licence.sublicense", lic.sub_body("L1", lic.c, scope=[30]))
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")

    # Within scope: accepted; without an end of its own it ends with its parent.
    node.submit(lic.a, "licence.sublicense",
                lic.sub_body("L1", lic.c, territory=["AT"], scope=[30], payment=FEE),
                endorsers=[lic.c])
    child = lic.licence("L3")
    assert (child["parent"], child["licensors"], child["end"]) == ("L1", [pid(lic.a)],
                                                                   "2030-12-31")
    assert lic.licence("L1")["sublicences"] == ["L3"]
    assert lic.office.right(lic.number)["licences"] == ["L1", "L2", "L3"]
    # Siblings follow the same conflict rules (the parent itself is no sibling) ...
    err = node.refuse(lic.a, "licence.sublicense",
                      lic.sub_body("L1", lic.b, territory=["AT"], scope=[30],
                                   type="non_exclusive"), endorsers=[lic.b])
    assert err.rule == "licence-conflict" and "L3" in err.detail
    node.submit(lic.a, "licence.sublicense",
                lic.sub_body("L1", lic.b, territory=["DE"], scope=[30], sublicensable=True),
                endorsers=[lic.b])
    # ... and a sublicence is never stronger than its parent.
    node.submit(lic.b, "licence.sublicense",
                lic.sub_body("L4", lic.c, type="non_exclusive", territory=["DE"], scope=[30],
                             sublicensable=True), endorsers=[lic.c])
    err = node.refuse(lic.c, "licence.sublicense",
                      lic.sub_body("L5", lic.a, type="sole", territory=["DE"], scope=[30]),
                      endorsers=[lic.a])
    assert (err.rule, err.pointer) == ("outside-parent", "/body/type")
    # Terminating a parent ends its sublicences with it.
    node.submit(lic.owner, "licence.terminate", lic.ref("L1"))
    for licence_id in ("L1", "L3", "L4", "L5"):
        record = lic.licence(licence_id)
        assert (record["status"], record["ended"]) == ("terminated", "2026-12-23")
    assert "parent licence L1" in lic.licence("L3")["history"][-1]["reason"]
    assert lic.licence("L2")["status"] == "active"
    lic.replays()


def test_royalties_are_computed_with_integers(lic: Licensing, node: Node) -> None:
    assert royalty_due(1_000_039, 250, 10_000) == 25_000  # 25,000.975 rounds down
    assert royalty_due(100_000, 250, 10_000) == 10_000  # the minimum applies
    lic.grant(lic.a, end="2027-12-31", royalty={"rate_bp": 250, "minimum_per_period": 10_000,
                                                "currency": "EUR", "period": "P3M"})
    lic.grant(lic.b, territory=["FR"])  # royalty-free

    def report(period_start: str, net_sales: int, key: SigningKey = lic.a,
               currency: str = "EUR", licence: str = "L1"):
        return lic.ref(licence, period_start=period_start, net_sales=net_sales,
                       currency=currency), key

    def refuse(*args: Any, **kwargs: Any):
        body, key = report(*args, **kwargs)
        return node.refuse(key, "licence.report_royalty", body)

    def submit(*args: Any, **kwargs: Any) -> None:
        body, key = report(*args, **kwargs)
        node.submit(key, "licence.report_royalty", body)

    lic.office.tick("2027-03-31")
    err = refuse("2027-01-01", 1_000_039)  # the last day of the period is today
    assert (err.rule, err.pointer) == ("invalid-period", "/body/period_start")
    lic.office.tick("2027-07-01")
    submit("2027-01-01", 1_000_039)
    submit("2027-04-01", 100_000)
    q1 = parse_json(node.ledger.store.read_record(royalty_record(
        licence_record("EM", "trademark", lic.number, "L1"), "2027-01-01")))
    assert (q1["period_start"], q1["period_end"]) == ("2027-01-01", "2027-03-31")
    assert (q1["net_sales"], q1["amount_due"], q1["currency"]) == (1_000_039, 25_000, "EUR")
    assert lic.licence("L1")["royalties"] == {"reports": 2, "total_due": 35_000}

    err = refuse("2027-01-01", 5)
    assert (err.rule, err.pointer, err.status) == ("duplicate-period", "/body/period_start",
                                                   409)
    err = refuse("2027-02-01", 5)  # not the start of a period
    assert (err.rule, err.pointer) == ("invalid-period", "/body/period_start")
    err = refuse("2026-10-01", 5)  # before the licence
    assert err.rule == "invalid-period"
    err = refuse("2027-07-01", 5)  # not over yet
    assert err.rule == "invalid-period" and "not over" in err.detail
    err = refuse("2027-04-01", 5, key=lic.b)
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = refuse("2027-07-01", 5, currency="USD")
    assert (err.rule, err.pointer) == ("invalid-value", "/body/currency")
    err = refuse("2027-01-01", 5, key=lic.b, licence="L2")
    assert (err.rule, err.pointer) == ("no-royalty", "/body/licence")
    err = node.refuse(lic.a, "licence.report_royalty",
                      lic.ref("L1", period_start="2027-07-01", net_sales=-1, currency="EUR"))
    assert (err.rule, err.pointer) == ("invalid-value", "/body/net_sales")

    # After the licence ends, its last periods may still be reported; later ones may not.
    lic.office.tick("2028-01-02")
    assert lic.licence("L1")["status"] == "expired"
    submit("2027-10-01", 0)
    err = refuse("2028-01-01", 5)
    assert err.rule == "invalid-period" and "ended" in err.detail
    assert lic.licence("L1")["royalties"] == {"reports": 3, "total_due": 45_000}
    lic.replays()


def test_a_period_cut_short_by_termination(lic: Licensing, node: Node) -> None:
    lic.grant(lic.a, royalty={"rate_bp": 1_000, "minimum_per_period": 0, "currency": "USD",
                              "period": "P1Y"})
    lic.office.tick("2027-03-15")
    node.submit(lic.owner, "licence.terminate", lic.ref("L1"), endorsers=[lic.a])
    lic.office.tick("2027-03-16")
    node.submit(lic.a, "licence.report_royalty",
                lic.ref("L1", period_start="2027-01-01", net_sales=12_345, currency="USD"))
    report = parse_json(node.ledger.store.read_record(royalty_record(
        licence_record("EM", "trademark", lic.number, "L1"), "2027-01-01")))
    assert (report["period_end"], report["amount_due"]) == ("2027-03-15", 1_234)


def test_licences_expire_automatically_from_ledger_time(lic: Licensing, node: Node) -> None:
    lic.grant(lic.a, end="2027-06-30")
    due = node.ledger.store.record_ids("due/")
    assert any(d.endswith("/L1") for d in due)
    err = lic.refuse_grant(lic.b, start="2027-06-30")
    assert err.rule == "licence-conflict"
    lic.office.tick("2027-06-30")
    assert lic.licence("L1")["status"] == "active"
    # The first entry at or after 2027-07-01T00:00Z triggers the expiry, whoever writes it.
    lic.office.tick("2027-07-01")
    record = lic.licence("L1")
    assert (record["status"], record["ended"], record["next_event"]) == (
        "expired", "2027-06-30", None)
    assert record["history"][-1]["action"] == "expire"
    assert "by" not in record["history"][-1]
    assert not any(d.endswith("/L1") for d in node.ledger.store.record_ids("due/"))
    # An expired licence conflicts with nothing and cannot be terminated.
    assert lic.grant(lic.b, start="2027-07-01") == "L2"
    err = node.refuse(lic.owner, "licence.terminate", lic.ref("L1"))
    assert (err.rule, err.pointer) == ("licence-not-active", "/body/licence")
    lic.replays()


def test_termination_by_licensor_or_mutual_consent(lic: Licensing, node: Node) -> None:
    lic.grant(lic.a, territory=["DE"], end="2030-12-31")
    lic.grant(lic.b, territory=["FR"])
    # The licensee alone cannot end it; a third party cannot either.
    err = node.refuse(lic.a, "licence.terminate", lic.ref("L1"))
    assert (err.rule, err.pointer) == ("missing-endorsement", "/endorsements")
    err = node.refuse(lic.c, "licence.terminate", lic.ref("L1"), endorsers=[lic.owner])
    assert (err.rule, err.pointer) == ("not-authorized", "/actor")
    err = node.refuse(lic.owner, "licence.terminate", lic.ref("L7"))
    assert (err.rule, err.pointer) == ("not-found", "/body/licence")

    lic.office.tick("2028-05-10")
    node.submit(lic.owner, "licence.terminate", lic.ref("L1", note="Breach of clause 7"))
    record = lic.licence("L1")
    assert (record["status"], record["ended"]) == ("terminated", "2028-05-10")
    last = record["history"][-1]
    assert (last["consent"], last["by"], last["note"]) == ("licensor", pid(lic.owner),
                                                           "Breach of clause 7")
    assert not any(d.endswith("/L1") for d in node.ledger.store.record_ids("due/"))
    # The territory is free again from the termination on.
    assert lic.grant(lic.c, start="2028-06-01") == "L3"

    node.submit(lic.b, "licence.terminate", lic.ref("L2"), endorsers=[lic.owner])
    assert lic.licence("L2")["history"][-1]["consent"] == "mutual"
    err = node.refuse(lic.owner, "licence.terminate", lic.ref("L2"))
    assert (err.rule, err.pointer) == ("licence-not-active", "/body/licence")
    lic.office.tick("2031-01-02")  # no expiry fires for the terminated L1
    assert lic.licence("L1")["status"] == "terminated"
    lic.replays()


def test_replay_reproduces_licences_after_reopen(lic: Licensing, node: Node,
                                                 reopen: Any) -> None:
    lic.grant(lic.a, end="2027-03-31", sublicensable=True,
              royalty={"rate_bp": 500, "minimum_per_period": 1, "currency": "EUR",
                       "period": "P3M"})
    node.submit(lic.a, "licence.sublicense", lic.sub_body("L1", lic.b, payment=FEE),
                endorsers=[lic.b])
    again = reopen(node)
    lic.node = again
    lic.office.node = again
    lic.office.tick("2027-04-01")
    assert lic.licence("L1")["status"] == "expired"
    assert lic.licence("L2")["status"] == "expired"
    again.submit(lic.a, "licence.report_royalty",
                 lic.ref("L1", period_start="2027-01-01", net_sales=999, currency="EUR"))
    assert lic.licence("L1")["royalties"] == {"reports": 1, "total_due": 49}
    lic.replays()


def test_patent_licences_are_scoped_by_claims(node: Node) -> None:
    from ipledger.registry.profiles import load_profile

    node.clock.now_ms = ms("2026-01-05")
    office = Office(node, "US", "uspto")
    fees = load_profile("uspto").rules("patent").fees
    assert not fees.licence_recordal  # the USPTO profile charges nothing to record a licence
    data = {"InventionTitle": "Filter cartridge"}
    node.submit(office.applicant, "right.file", {
        "office": "US", "kind": "patent", "applicants": [office.parties["applicant"]],
        "commitment": content_commitment(SALT, data),
        "payment": {"amount": fees.filing or 0, "currency": "USD"}})
    number = node.ledger.store.record_ids("right/US/patent/")[-1].rsplit("/", 1)[1]
    node.submit(office.applicant, "right.disclose", {
        "office": "US", "kind": "patent", "number": number, "salt": SALT, "data": data})
    office.act(office.examiner, number, "check_formalities", kind="patent")
    office.tick("2027-07-05")
    office.act(office.registrar, number, "publish", kind="patent", attest=["publication_due"])
    office.act(office.examiner, number, "start_examination", kind="patent",
               payment={"amount": (fees.search or 0) + (fees.examination or 0),
                        "currency": "USD"})
    office.act(office.examiner, number, "grant", kind="patent", attest=["examination_passed"],
               payment={"amount": fees.grant or 0, "currency": "USD"})
    a, b = SigningKey.generate(), SigningKey.generate()
    for key in (a, b):
        node.submit(key, "party.register", {"name": "Licensee", "country": "US",
                                            "kind": "legal"})

    def body(key: SigningKey, **terms: Any) -> dict[str, Any]:
        return {"office": "US", "kind": "patent", "number": number, "licensee": pid(key),
                "type": "exclusive", "territory": ["US"], "start": "2027-08-01", **terms}

    err = node.refuse(office.applicant, "licence.grant",
                      body(a, scope=[1, 2, 3], payment={"amount": 1, "currency": "USD"}),
                      endorsers=[a])
    assert (err.rule, err.pointer) == ("invalid-value", "/body/payment")
    err = node.refuse(office.applicant, "licence.grant", body(a, scope=[0]), endorsers=[a])
    assert (err.rule, err.pointer) == ("invalid-value", "/body/scope/0")
    # A US patent has effect in the US only.
    err = node.refuse(office.applicant, "licence.grant", body(a, territory=["US", "CA"]),
                      endorsers=[a])
    assert (err.rule, err.pointer, err.status) == ("territory-outside-right",
                                                   "/body/territory/1", 422)
    assert "US only" in err.detail
    node.submit(office.applicant, "licence.grant", body(a, scope=[3, 1, 2]), endorsers=[a])
    record = parse_json(node.ledger.store.read_record(
        licence_record("US", "patent", number, "L1")))
    assert record["scope"] == [1, 2, 3]
    assert record["end"] is None and record["next_event"] is None  # until the patent ends
    err = node.refuse(office.applicant, "licence.grant", body(b, scope=[3, 4]), endorsers=[b])
    assert err.rule == "licence-conflict" and "scope 3" in err.detail
    node.submit(office.applicant, "licence.grant", body(b, scope=[4, 5]), endorsers=[b])
    assert [h["action"] for h in parse_json(node.ledger.store.read_record(
        licence_record("US", "patent", number, "L2")))["history"]] == ["grant"]
    report = replay_register(node.ledger.store, node.ledger.origin)
    assert report.ok, report.problems


def test_licences_end_when_the_right_ceases(lic: Licensing, node: Node) -> None:
    lic.grant(lic.a, end="2040-12-31")
    lic.grant(lic.b, type="non_exclusive", territory=["FR"])
    # No renewal: window, grace, lapse, all from ledger time; the licences end with the right.
    lic.office.tick("2037-03-23")
    assert lic.office.right(lic.number)["state"] == "lapsed"
    for licence_id in ("L1", "L2"):
        record = lic.licence(licence_id)
        assert record["status"] == "terminated"
        assert record["history"][-1]["action"] == "right_ceased"
        assert record["history"][-1]["reason"] == "the right is lapsed"
        assert record.get("next_event") is None
    lic.replays()
