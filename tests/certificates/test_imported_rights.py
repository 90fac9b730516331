"""Certificates of rights imported from another office's ST.96 publication (right.import):
the registration number is the one that office published."""

from __future__ import annotations

from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.pdf import PdfDocument, shown_text
from ipledger.services.certificate import verify_certificate
from tests.registry.conftest import Node, node
from tests.registry.test_import import Office, fixture_bodies, ms

__all__ = ["node"]  # the registry tests' fixture, reused


def test_an_imported_right_shows_its_published_registration_number(node: Node) -> None:
    node.clock.now_ms = ms("2026-09-21")
    us = Office(node, "US", "uspto")
    bodies = fixture_bodies()
    for body in bodies:
        node.submit(us.registrar, "right.import", body)
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=5)
    registered = [b["record"] for b in bodies if b["state"] == "registered"]
    cancelled = [b["record"] for b in bodies if b["state"] == "cancelled"]
    assert registered and cancelled
    with TestClient(create_app(node.ledger), raise_server_exceptions=False) as client:
        for record in registered:
            number = record["ApplicationNumber"]["ApplicationNumberText"]
            resp = client.get(f"/v1/rights/US/trademark/{number}/certificate.pdf")
            assert resp.status_code == 200, resp.text
            doc = PdfDocument(resp.content)
            lines = shown_text(doc.page_content(doc.pages()[0]))
            assert f"Application number: {number}" in lines
            assert f"Registration number: {record['RegistrationNumber']}" in lines
            verified = verify_certificate(resp.content, [node.ledger.note_signer.verifier()])
            assert verified.right["source"]["record"] == record
            assert record["RegistrationNumber"] != number
        number = cancelled[0]["ApplicationNumber"]["ApplicationNumberText"]
        resp = client.get(f"/v1/rights/US/trademark/{number}/certificate.pdf")
        assert resp.status_code == 409 and resp.json()["rule"] == "not-registered"
