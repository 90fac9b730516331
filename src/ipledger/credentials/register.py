"""Credentials built from the register: a registration certificate, a recorded licence, a
recorded assignment, and each right's status list (unsigned; ``issuer`` signs them).

Every value comes from the register as of one checkpoint, so the same register gives the
same credential: ``validFrom`` (and the proof's ``created``) is the ledger time of the
entry that recorded the event, parties' names are those in force at that entry.

Status indices come from the register's own numbering, one status list per right
(``…/status-list``): bit 0 is the registration certificate, bit ``n`` the licence ``Ln``,
bit ``65536 + p`` the assignment at position ``p`` of the chain of title. A bit is set when
the right has ceased (lapsed, expired, cancelled, surrendered, invalidated …), the licence
is no longer active (expired, terminated), the assignment has been followed by a later
change of ownership.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.codec import parse_json
from ipledger.credentials.loader import CREDENTIALS_V2, IPLEDGER_V1
from ipledger.ledger import Rejection
from ipledger.registry.lifecycle import GRANTED, LIFE_STATUS, REGISTERED
from ipledger.registry.records import party_record, right_record
from ipledger.search.fields import title_of
from ipledger.storage.base import LedgerStore

REGISTRATION_BIT = 0
ASSIGNMENT_BASE = 65_536
LICENCE_LIMIT = ASSIGNMENT_BASE  # licences L1 … L65535 have a bit
STATUS_PURPOSE = "revocation"
CONTEXT = [CREDENTIALS_V2, IPLEDGER_V1]

#: The ST.96 element that holds each kind's title (registry/right_data.py).
TITLE_TERMS = {"trademark": "MarkVerbalElementText", "patent": "InventionTitle",
               "utility_model": "InventionTitle", "industrial_design": "DesignTitle",
               "copyright": "WorkTitle", "geographical_indication": "GeographicalIndicationName"}


@dataclass(frozen=True)
class Issuance:
    """Where the credentials point: the node's public origin, its DID, its ledger."""

    base_url: str
    did: str
    origin: str


@dataclass(frozen=True)
class RightRef:
    office: str
    kind: str
    number: str

    @property
    def record_id(self) -> str:
        return right_record(self.office, self.kind, self.number)

    def url(self, base: str) -> str:
        return f"{base}/v1/rights/{self.office}/{self.kind}/{self.number}"

    def label(self) -> str:
        return f"{self.office} {self.kind.replace('_', ' ')} {self.number}"


@dataclass(frozen=True)
class Unsigned:
    """A credential to sign, and the ledger time its proof is created at."""

    document: dict[str, Any]
    created: str


class RegisterView:
    """The register as of one checkpoint (``tree_size`` entries)."""

    def __init__(self, store: LedgerStore, tree_size: int) -> None:
        self.store, self.tree_size = store, tree_size

    def record(self, record_id: str) -> dict[str, Any] | None:
        raw = self.store.read_record_at(record_id, self.tree_size)
        return None if raw is None else dict(parse_json(raw))

    def entry_time(self, index: int) -> str:
        """The ledger time (``seq.time``) of entry ``index``."""
        entry = parse_json(self.store.read_entries(index, index + 1)[0])
        return str(entry["seq"]["time"])

    def published_right(self, ref: RightRef) -> dict[str, Any]:
        right = self.record(ref.record_id)
        if right is None or "data" not in right:  # unpublished answers as absent
            raise Rejection("not-found", f"no published right {ref.office}/{ref.kind}/"
                            f"{ref.number}", "/number", status=404)
        return right

    def party(self, base: str, party_id: str, at_index: int) -> dict[str, Any]:
        """A party as named at entry ``at_index``."""
        record = self.record(party_record(party_id)) or {"details": []}
        details: dict[str, Any] = {}
        for change in record["details"]:
            if change.get("index", -1) <= at_index:
                details.update({k: v for k, v in change.items() if k not in ("from", "index")})
        party: dict[str, Any] = {"id": f"{base}/v1/state/{party_record(party_id)}",
                                 "type": "Party"}
        if details.get("name"):
            party["EntityName"] = details["name"]
        if details.get("country"):
            party["CountryCode"] = details["country"]
        return party


def status_list_url(base: str, ref: RightRef) -> str:
    return f"{ref.url(base)}/status-list"


def _status_entry(base: str, ref: RightRef, index: int) -> dict[str, Any]:
    url = status_list_url(base, ref)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": STATUS_PURPOSE, "statusListIndex": str(index),
            "statusListCredential": url}


def _evidence(issuance: Issuance, index: int, extract_url: str,
              record_id: str) -> list[dict[str, Any]]:
    return [{"id": f"{issuance.base_url}/v1/entries/{index}/receipt",
             "type": "LedgerEntryReceipt", "ledger": issuance.origin, "entryIndex": index},
            {"id": extract_url, "type": "RegisterExtract", "recordId": record_id}]


def _credential(issuance: Issuance, ref: RightRef, kind: str, path: str, name: str,
                valid_from: str, subject: dict[str, Any], bit: int, index: int,
                extract_url: str, record_id: str) -> dict[str, Any]:
    return {"@context": CONTEXT, "id": f"{ref.url(issuance.base_url)}{path}",
            "type": ["VerifiableCredential", kind], "name": name,
            "issuer": issuance.did, "validFrom": valid_from, "credentialSubject": subject,
            "credentialStatus": _status_entry(issuance.base_url, ref, bit),
            "evidence": _evidence(issuance, index, extract_url, record_id)}


def _fraction(share: list[int]) -> str:
    return f"{share[0]}/{share[1]}"


def registration_event(right: Mapping[str, Any]) -> dict[str, Any] | None:
    """The history item that registered (or granted) the right, if any."""
    for item in right.get("history", []):
        if item.get("state") in (REGISTERED, GRANTED):
            return dict(item)
    return None


def _owners_at(right: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    owners: list[dict[str, Any]] = right["owners"]
    chain = right.get("owner_history", [])
    for change in chain:  # the ownership after the last change not after ``index``
        if change.get("index") is None or change["index"] <= index:
            owners = change["owners"]
    return owners


def registration_certificate(view: RegisterView, issuance: Issuance, ref: RightRef) -> Unsigned:
    right = view.published_right(ref)
    event = registration_event(right)
    if event is None:
        raise Rejection("not-registered", f"{ref.label()} is {right['state']}: a "
                        "registration certificate needs a registered or granted right",
                        "/number", status=409)
    base, index = issuance.base_url, int(event["index"])
    subject: dict[str, Any] = {
        "id": ref.url(base), "type": "RegisteredRight", "IPOfficeCode": ref.office,
        "IPRightKind": ref.kind, "RegistrationNumber": ref.number,
        "RegistrationDate": event["date"]}
    filing = right.get("dates", {}).get("filing_date")
    if filing:
        subject["ApplicationDate"] = filing
    title = title_of(right)
    if title:
        subject[TITLE_TERMS[ref.kind]] = title
    if right.get("classes"):
        subject["ClassNumber"] = list(right["classes"])
    subject["Proprietor"] = [
        {**view.party(base, owner["party"], index), "ShareFraction": _fraction(owner["share"])}
        for owner in _owners_at(right, index)]
    created = view.entry_time(index)
    doc = _credential(issuance, ref, "RegistrationCertificateCredential", "/credential",
                      f"Registration certificate {ref.label()}", created, subject,
                      REGISTRATION_BIT, index, f"{ref.url(base)}/extract", ref.record_id)
    return Unsigned(doc, created)


def licence_record_id(ref: RightRef, licence_id: str) -> str:
    return f"licence/{ref.office}/{ref.kind}/{ref.number}/{licence_id}"


def licence_number(licence_id: str) -> int:
    if not (licence_id.startswith("L") and licence_id[1:].isdigit()):
        raise Rejection("not-found", f"no licence {licence_id[:20]!r} (ids are L1, L2, …)",
                        "/licence", status=404)
    return int(licence_id[1:])


def licence_credential(view: RegisterView, issuance: Issuance, ref: RightRef,
                       licence_id: str) -> Unsigned:
    view.published_right(ref)
    number = licence_number(licence_id)
    record_id = licence_record_id(ref, licence_id)
    licence = view.record(record_id)
    if licence is None:
        raise Rejection("not-found", f"{ref.label()} has no licence {licence_id}",
                        "/licence", status=404)
    if number >= LICENCE_LIMIT:
        raise Rejection("out-of-range", f"licence {licence_id} has no status bit (only "
                        f"L1 … L{LICENCE_LIMIT - 1} do)", "/licence", status=400)
    base, index = issuance.base_url, int(licence["history"][0]["index"])
    subject: dict[str, Any] = {
        "id": f"{base}/v1/state/{record_id}", "type": "Licence",
        "LicenceIdentifier": licence_id, "Right": ref.url(base),
        "LicenceCategory": licence["type"],
        "Licensor": [view.party(base, p, index) for p in licence["licensors"]],
        "Licensee": view.party(base, licence["licensee"], index),
        "Territory": list(licence["territory"]), "StartDate": licence["start"],
        "RecordalDate": licence["recorded"]}
    if licence.get("parent"):
        subject["ParentLicence"] = f"{base}/v1/state/{licence_record_id(ref, licence['parent'])}"
    if licence.get("end"):
        subject["EndDate"] = licence["end"]
    if licence.get("scope"):
        subject["Scope"] = list(licence["scope"])
    if licence.get("field_of_use"):
        subject["FieldOfUse"] = licence["field_of_use"]
    created = view.entry_time(index)
    doc = _credential(issuance, ref, "LicenceCredential", f"/licences/{licence_id}/credential",
                      f"Licence {licence_id} on {ref.label()}", created, subject, number,
                      index, f"{base}/v1/state/{record_id}", record_id)
    return Unsigned(doc, created)


def _assignment_position(right: Mapping[str, Any], index: int) -> int:
    for position, change in enumerate(right.get("owner_history", [])):
        if position > 0 and change.get("index") == index:
            return position
    raise Rejection("not-found", f"no assignment of this right was recorded by entry {index}",
                    "/index", status=404)


def assignment_credential(view: RegisterView, issuance: Issuance, ref: RightRef,
                          index: int) -> Unsigned:
    right = view.published_right(ref)
    position = _assignment_position(right, index)
    if position >= ASSIGNMENT_BASE:
        raise Rejection("out-of-range", "this assignment has no status bit", "/index")
    change = right["owner_history"][position]
    base = issuance.base_url
    subject: dict[str, Any] = {
        "id": f"{ref.url(base)}/assignments/{index}", "type": "Assignment",
        "Right": ref.url(base), "Assignor": view.party(base, change["from"], index),
        "Assignee": view.party(base, change["to"], index),
        "AssignmentConveyanceCategory": change.get("conveyance", "Merger"),
        "RecordalDate": change["date"]}
    if change.get("share"):
        subject["ShareFraction"] = _fraction(change["share"])
    if change.get("executed"):
        subject["ExecutionDate"] = change["executed"]
    created = view.entry_time(index)
    doc = _credential(issuance, ref, "AssignmentCredential", f"/assignments/{index}/credential",
                      f"Assignment recorded on {ref.label()} by entry {index}", created,
                      subject, ASSIGNMENT_BASE + position, index, f"{ref.url(base)}/extract",
                      ref.record_id)
    return Unsigned(doc, created)


def revoked_bits(view: RegisterView, ref: RightRef) -> set[int]:
    """The status bits of ``ref``'s credentials that are set as of the view's checkpoint."""
    right = view.published_right(ref)
    bits: set[int] = set()
    if LIFE_STATUS.get(right["state"]) == "ceased":
        bits.add(REGISTRATION_BIT)
    for licence_id in right.get("licences", []):
        licence = view.record(licence_record_id(ref, licence_id))
        number = licence_number(licence_id)
        if licence is not None and licence["status"] != "active" and number < LICENCE_LIMIT:
            bits.add(number)
    chain = right.get("owner_history", [])
    bits.update(ASSIGNMENT_BASE + p for p in range(1, min(len(chain) - 1, ASSIGNMENT_BASE)))
    return bits


def status_list_credential(view: RegisterView, issuance: Issuance, ref: RightRef,
                           encoded_list: str) -> Unsigned:
    """The right's status list as of the view's checkpoint (its last entry's time)."""
    created = view.entry_time(view.tree_size - 1)
    url = status_list_url(issuance.base_url, ref)
    doc = {"@context": [CREDENTIALS_V2], "id": url,
           "type": ["VerifiableCredential", "BitstringStatusListCredential"],
           "issuer": issuance.did, "validFrom": created,
           "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                                 "statusPurpose": STATUS_PURPOSE,
                                 "encodedList": encoded_list}}
    return Unsigned(doc, created)
