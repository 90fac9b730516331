"""Verifying a product: genuine, unknown, or seen elsewhere (a clone warning).

The item's label gives the mark, the serial and the salt; their commitment
(``services/serials.py``) is looked up in the serial index (``services/serial_index.py``).
Listed in a registered batch: genuine. Not listed: unknown (a wrong salt or serial is
unknown too; the answer never says which). Genuine, but customs has recorded the same item
at another place than the one asking (``country``/``point``), or at two places when the
asker names none: seen elsewhere, a clone warning. Identical serial labels on many goods
are the usual trace of counterfeits; a warning is a reason to look closer, not proof.

The answer also gives the mark's current status and owners, the batch (product, who
registered it and whether as owner or licensee) and the authorized distributors, and
whether the asker's country lies in a distributor's territory.

Offline (:func:`check_offline`), an item is proven genuine by the register extract of its
batch record (state proof under a checkpoint signed by the office) and the batch's
commitment list: the list hashes to the batch's ``commitments_sha256`` and holds the
label's commitment. Only the office's verifier key is trusted.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ipledger.identity import NoteVerifier
from ipledger.ledger.errors import VerificationError
from ipledger.registry.access import is_published
from ipledger.registry.extract import ExtractError, verify_extract
from ipledger.registry.families.authenticity import (
    batch_record,
    distributors_record,
    mark_record,
    seen_record,
)
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.records import party_details, party_record
from ipledger.search.fields import title_of
from ipledger.services.serial_index import SerialIndex
from ipledger.services.serials import SerialError, commitment, parse_list
from ipledger.standards.territory import right_territory

GENUINE, UNKNOWN, SEEN_ELSEWHERE = "genuine", "unknown", "seen-elsewhere"
RecordReader = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Label:
    """What an item's label (its QR code's URL) carries, and where it is being checked."""

    office: str
    number: str
    serial: str
    salt: bytes
    country: str | None = None  # ST.3 country of the check (customs, a shop), if known
    point: str | None = None  # e.g. an inspection point


def _read(read: RecordReader, record_id: str) -> dict[str, Any] | None:
    raw = read(record_id)
    return None if raw is None else dict(json.loads(raw))


def _party(read: RecordReader, party: str) -> dict[str, Any]:
    record = _read(read, party_record(party))
    details = party_details(record) if record is not None else {}
    return {"party": party, "name": details.get("name"), "country": details.get("country")}


def _mark(read: RecordReader, label: Label) -> dict[str, Any] | None:
    mark = _read(read, mark_record(label.office, label.number))
    if mark is None or not is_published(mark):
        return None
    return {"office": mark["office"], "number": mark["number"], "title": title_of(mark),
            "status": mark["state"], "in_force": LIFE_STATUS.get(mark["state"]) == "in_force",
            "owners": [_party(read, o["party"]) for o in mark["owners"]],
            "expiry_date": mark["dates"].get("expiry_date_computed")}


def _places(inspections: list[Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(str(i["country"]), str(i["point"])) for i in inspections}


def clone_warning(inspections: list[Mapping[str, Any]], country: str | None,
                  point: str | None) -> str | None:
    """Why an item looks cloned, from its recorded inspections and the asker's place."""
    places = _places(inspections)
    if country is not None:
        elsewhere = sorted(p for p in places
                           if p[0] != country or (point is not None and p[1] != point))
        if elsewhere:
            where = "; ".join(f"{c} {p}" for c, p in elsewhere[:5])
            return (f"this serial was already inspected elsewhere ({where}): an identical "
                    "label may be on counterfeit goods")
        return None
    if len(places) > 1:
        where = "; ".join(f"{c} {p}" for c, p in sorted(places)[:5])
        return (f"this serial was inspected at {len(places)} different places ({where}): "
                "an identical label may be on counterfeit goods")
    return None


def verify(read: RecordReader, index: SerialIndex, label: Label) -> dict[str, Any]:
    """The verification answer for ``label`` (``read``: committed register records)."""
    item = commitment(label.office, label.number, label.serial, label.salt)
    found = index.lookup(item)
    answer: dict[str, Any] = {"verdict": UNKNOWN, "mark": _mark(read, label), "batch": None,
                              "distributors": [], "inspections": None, "clone_warning": None,
                              "in_distribution_territory": None}
    batch = _read(read, batch_record(found)) if found is not None else None
    if batch is None or (batch["office"], batch["number"]) != (label.office, label.number):
        return answer
    seen = _read(read, seen_record(item.hex())) or {"count": 0, "inspections": []}
    listed = _read(read, distributors_record(label.office, label.number))
    distributors = [{**_party(read, d["party"]), "territory": d["territory"]}
                    for d in (listed or {}).get("distributors", [])]
    warning = clone_warning(seen["inspections"], label.country, label.point)
    answer.update(
        verdict=SEEN_ELSEWHERE if warning else GENUINE,
        batch={"batch": batch["batch"], "product": batch["product"], "count": batch["count"],
               "registered_by": _party(read, batch["by"]), "as": batch["as"],
               "licence": batch["licence"], "entry_index": batch["index"]},
        distributors=distributors,
        inspections={"count": seen["count"], "recent": seen["inspections"][-10:]},
        clone_warning=warning,
        in_distribution_territory=None if label.country is None or not distributors else any(
            in_territory(label.country, d["territory"]) for d in distributors))
    return answer


def in_territory(country: str, territory: Sequence[str]) -> bool:
    """Whether ``country`` lies in a territory of ST.3 codes (a regional code such as EM
    stands for its member states, ``standards/territory.py``)."""
    return any(country == code or country in right_territory(code) for code in territory)


class ProofError(VerificationError):
    """An offline proof of genuineness failed; ``step`` names the check."""


def check_offline(label: Label, extract: Mapping[str, Any], commitments: bytes,
                  verifiers: Sequence[NoteVerifier]) -> dict[str, Any]:
    """Prove ``label`` genuine from its batch's extract and commitment list; the proven
    batch record (raises :class:`ProofError` at the first failing check)."""
    try:
        verified = verify_extract(extract, verifiers)
    except ExtractError as exc:
        raise ProofError(f"extract-{exc.step}", exc.detail) from None
    sha256 = hashlib.sha256(commitments).hexdigest()
    if verified.record_id != batch_record(sha256):
        raise ProofError("commitment-list", "the extract is not the batch of this commitment "
                         f"list ({verified.record_id}, list {sha256})")
    batch = verified.record
    if batch is None:
        raise ProofError("batch", "the extract proves the batch is not registered as of "
                         f"the checkpoint of size {verified.checkpoint.tree_size}")
    if (batch["office"], batch["number"]) != (label.office, label.number):
        raise ProofError("mark", f"the batch is under {batch['office']} {batch['number']}, "
                         f"not {label.office} {label.number}")
    try:
        items = parse_list(commitments, int(batch["count"]))
    except SerialError as exc:
        raise ProofError("commitment-list", str(exc)) from None
    item = commitment(label.office, label.number, label.serial, label.salt)
    at = bisect.bisect_left(items, item)
    if at == len(items) or items[at] != item:
        raise ProofError("serial", "the label's serial and salt are not in the batch")
    return {**batch, "tree_size": verified.checkpoint.tree_size,
            "origin": verified.checkpoint.origin}
