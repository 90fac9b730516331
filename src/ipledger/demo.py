"""Sample data for ``ipledger demo``: stamped documents and a small trademark register."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, did_key_url, read_private_key, write_private_key
from ipledger.ledger import Ledger, make_envelope
from ipledger.node import GENESIS_KEY_FILE
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from ipledger.services.evidence import STAMP_TYPE, stamp_body

SAMPLES = Path(__file__).parent / "samples"
MARKS = [
    ("AURORA BREW", [(30, "Coffee; coffee-based beverages"), (43, "Cafés")]),
    ("HARBOUR LIGHT", [(9, "Navigation software"), (42, "Software as a service")]),
]


def _key(data: Path, name: str) -> SigningKey:
    path = data / "keys" / f"demo-{name}.key"
    if path.exists():
        return read_private_key(path)
    key = SigningKey.generate()
    write_private_key(path, key)
    return key


def seed(ledger: Ledger, data: Path) -> str:
    """Stamp the sample documents and build a small EUIPO-like register; say what was made."""
    def submit(key: SigningKey, entry_type: str, body: dict[str, Any],
               endorsers: list[SigningKey] | None = None) -> None:
        env = make_envelope(key, ledger.origin, entry_type, body, endorsers=endorsers or [])
        ledger.submit(canonicalize(env)).result(timeout=30)

    stamper = _key(data, "stamper")
    for path in sorted(SAMPLES.iterdir()):
        submit(stamper, STAMP_TYPE, stamp_body(path))

    genesis = read_private_key(data / GENESIS_KEY_FILE)
    submit(genesis, "office.register", {"office": "EM", "profile": "euipo",
                                        "name": "EUIPO (demo profile)"})
    staff, applicant = _key(data, "registrar"), _key(data, "applicant")
    submit(staff, "party.register", {"name": "Ana Registrar", "country": "ES",
                                     "kind": "natural"})
    submit(applicant, "party.register", {"name": "Aurora Brew GmbH", "country": "DE",
                                         "address": "Hafenstraße 5, 20457 Hamburg",
                                         "kind": "legal"})
    staff_id = party_id_for(did_key_url(staff.public_key))
    applicant_id = party_id_for(did_key_url(applicant.public_key))
    for role in ("registrar", "examiner"):
        submit(genesis, "role.grant", {"office": "EM", "party": staff_id, "role": role})
    for n, (text, goods) in enumerate(MARKS, start=1):
        content = {
            "MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
                "WordMarkSpecification": {"MarkVerbalElementText": text}}},
            "GoodsServicesBag": [{"ClassNumber": c, "GoodsServicesDescriptionText": d}
                                 for c, d in goods],
        }
        salt = secrets.token_hex(16)
        submit(applicant, "right.file", {
            "office": "EM", "kind": "trademark", "applicants": [applicant_id],
            "classes": [c for c, _ in goods], "commitment": content_commitment(salt, content),
            "payment": {"amount": 85_000 + 5_000 * (len(goods) - 1), "currency": "EUR"}})
        number = f"{n:09d}"
        right = {"office": "EM", "kind": "trademark", "number": number}
        submit(applicant, "right.disclose", {**right, "data": content, "salt": salt})
        submit(staff, "right.act", {**right, "action": "check_formalities"})
        submit(staff, "right.act", {**right, "action": "start_examination"})
        submit(staff, "right.act", {**right, "action": "publish",
                                    "attest": ["examination_passed"]})
    return (f"stamped {len(list(SAMPLES.iterdir()))} sample documents; office EM with "
            f"{len(MARKS)} published trademarks in their opposition period "
            f"(e.g. /v1/rights/EM/trademark/000000001)")
