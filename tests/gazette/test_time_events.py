"""Renewals and automatic lapses in the gazette, and issues rebuilt after a restart."""

from __future__ import annotations

from pathlib import Path

from ipledger.codec import canonicalize
from ipledger.node import init_node
from ipledger.services.gazette import build_issue
from ipledger.services.gazette_formats import gazette_pdf
from tests.conftest import T0, FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import Office, file_trademark, ms


def test_renewal_and_lapse_then_the_same_bytes_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(T0))
    node.clock.now_ms = ms("2026-09-21")
    office = Office(node)
    kept, dropped = file_trademark(office), file_trademark(office)
    for number in (kept, dropped):
        office.act(office.examiner, number, "check_formalities")
        office.act(office.examiner, number, "start_examination")
        office.act(office.registrar, number, "publish", attest=["examination_passed"])
    office.tick("2026-12-23")  # both registered when their opposition period is over
    office.tick("2036-03-22")  # the renewal window opens (2036-W12)
    office.act(office.applicant, kept, "renew", payment={"amount": 90_000, "currency": "EUR"})
    office.tick("2036-09-23")  # the other one is in its grace period
    office.tick("2037-03-23")  # ... and lapses (2037-W13)
    office.tick("2037-04-01")  # 2037-W14: W13 is over
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)

    renewals = build_issue(node.ledger, "EM-2036-W12")
    assert [(i["section"], i["right"]["number"], i["action"], i["date"])
            for i in renewals["items"]] == [("renewals", kept, "renew", "2036-03-22")]
    lapses = build_issue(node.ledger, "EM-2037-W13")
    assert [(i["section"], i["right"]["number"], i["action"], i["state"])
            for i in lapses["items"]] == [("terminations", dropped, "lapse", "lapsed")]
    # Opening a renewal window (W12, above) or a grace period is not a gazette event.
    grace = node.ledger.store.read_record("right/EM/trademark/" + dropped)
    assert grace is not None and b'"enter_grace_period"' in grace
    assert build_issue(node.ledger, "EM-2036-W39")["items"] == []

    before = {issue: (canonicalize(build_issue(node.ledger, issue)),
                      gazette_pdf(build_issue(node.ledger, issue), "https://office.example"))
              for issue in ("EM-2026-W39", "EM-2036-W12", "EM-2037-W13")}
    node.close()
    node = Node(data, node.clock)  # a restart: issues are a function of the stored ledger
    try:
        after = {issue: (canonicalize(build_issue(node.ledger, issue)),
                         gazette_pdf(build_issue(node.ledger, issue), "https://office.example"))
                 for issue in before}
        assert after == before
    finally:
        node.close()


def test_imported_records_are_not_gazette_events(tmp_path: Path) -> None:
    """A registrar importing rights as their office published them (some cancelled) adds
    nothing to the gazette: their events were published by that office already."""
    from tests.registry.test_import import Office as ImportingOffice
    from tests.registry.test_import import fixture_bodies

    data = tmp_path / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(ms("2026-09-21")))
    try:
        us = ImportingOffice(node, "US", "uspto")
        bodies = fixture_bodies()
        assert "cancelled" in {b["state"] for b in bodies}
        for body in bodies:
            node.submit(us.registrar, "right.import", body)
        node.clock.now_ms = ms("2026-09-28")
        node.submit(us.outsider, "party.update", {"address": "next week"})
        node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
        issue = build_issue(node.ledger, "US-2026-W39")
        assert issue["items"] == [] and issue["entries"]["end"] > len(bodies)
    finally:
        node.close()
