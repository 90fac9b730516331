"""A register right as WIPO ST.96: the JSON record (ST.96 element names) and its XML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from ipledger.ledger import Rejection
from ipledger.registry.records import party_details
from ipledger.registry.right_data import check_right_data
from ipledger.standards.st96.model import TrademarkJSON, validate_trademark_json
from ipledger.standards.st96.trademark import trademark_to_st96_xml

# What the applicant discloses for a trademark (the office owns the other elements).
TRADEMARK_DATA_KEYS = ("MarkCategory", "MarkRepresentation", "GoodsServicesBag", "PriorityBag")

_EVENT_CATEGORY = {
    "file": "Application filed",
    "check_formalities": "Filing date accorded",
    "publish": "Application published",
    "file_opposition": "Opposition pending",
    "register": "Registration published",
    "refuse": "Application refused",
    "uphold_opposition": "Application refused",
    "withdraw": "Application withdrawn",
    "cancel": "Registration cancelled",
    "surrender": "Registration surrendered",
    "invalidate": "Registration cancelled",
}
_OTHER_EVENT = "National prosecution history entry"

PartyReader = Callable[[str], Mapping[str, Any] | None]


def _party(party_id: str, read_party: PartyReader) -> dict[str, Any]:
    record = read_party(party_id)
    if record is None:
        raise ValueError(f"party {party_id} is not in the register")
    details = party_details(record)
    legal = record["kind"] == "legal"
    party: dict[str, Any] = {
        ("OrganizationStandardName" if legal else "PersonFullName"): " ".join(
            details["name"].split())
    }
    if details.get("address"):
        party["PostalAddressText"] = [" ".join(details["address"].split())]
    party["IncorporationCountryCode" if legal else "NationalityCode"] = details["country"]
    return party


LIBRARY_NAME = "IPLEDGER"  # ST.96 libraryIdentifier: <ST.3 code>-<library name>
_PATENT_KINDS = ("patent", "utility_model")


def priority_bag(right: Mapping[str, Any], content: Mapping[str, Any]) -> list[dict[str, Any]]:
    """ST.96 priorities: those the disclosed content lists, then the register's priority
    claims (``registry/priority_claims.py``) it does not (trademarks nest the number in
    ``ApplicationNumber``, the other kinds' exporters take ``ApplicationNumberText``). A
    patent's claim that references a deposit names this register as the digital library
    holding the document (``pat:OnlineAvailablePriorityDocumentIndicator``)."""
    trademark = right["kind"] == "trademark"
    bag = [dict(p) for p in content.get("PriorityBag", [])]

    def number(p: Mapping[str, Any]) -> Any:
        return p.get("ApplicationNumber", {}).get("ApplicationNumberText") if trademark \
            else p.get("ApplicationNumberText")

    listed = {(p["PriorityCountryCode"], number(p)) for p in bag}
    for claim in right.get("priority_claims", []):
        if (claim["office"], claim["number"]) in listed:
            continue
        bag.append({"PriorityCountryCode": claim["office"],
                    **({"ApplicationNumber": {"ApplicationNumberText": claim["number"]}}
                       if trademark else {"ApplicationNumberText": claim["number"]}),
                    "PriorityApplicationFilingDate": claim["filing_date"],
                    **({"OnlineAvailablePriorityDocumentIndicator": {
                        "libraryIdentifier": f"{claim['deposit']['office']}-{LIBRARY_NAME}",
                        "officeCode": claim["deposit"]["office"]}}
                       if "deposit" in claim and right["kind"] in _PATENT_KINDS else {})})
    return bag


def trademark_record(right: Mapping[str, Any], read_party: PartyReader,
                     data: Mapping[str, Any] | None = None) -> TrademarkJSON:
    """The right as an ST.96 trademark record (``data``: the disclosed content)."""
    content = dict(right.get("data", {}) if data is None else data)
    dates = right["dates"]
    record: dict[str, Any] = {
        "RegistrationOfficeCode": right["office"],
        "ApplicationNumber": {"ApplicationNumberText": right["number"]},
        "ApplicationDate": dates["filing_date"],
    }
    if dates.get("registration_date"):
        record["RegistrationNumber"] = right["number"]
        record["RegistrationDate"] = dates["registration_date"]
    if dates.get("expiry_date_computed") and dates.get("registration_date"):
        record["ExpiryDate"] = dates["expiry_date_computed"]
    if right.get("history"):
        record["MarkCurrentStatusCode"] = right["state"]
        record["MarkCurrentStatusDate"] = right["history"][-1]["date"]
    record.update({k: content[k] for k in TRADEMARK_DATA_KEYS if k in content})
    if right.get("priority_claims"):
        record["PriorityBag"] = priority_bag(right, content)
    record["ApplicantBag"] = [_party(o["party"], read_party) for o in right["owners"]]
    if right.get("representatives"):
        record["RepresentativeBag"] = [_party(p, read_party) for p in right["representatives"]]
    events = [{
        "MarkEventCategory": _EVENT_CATEGORY.get(h["action"], _OTHER_EVENT),
        "MarkEventCode": h["action"],
        "MarkEventDescriptionText": h["action"].replace("_", " "),
        "MarkEventDate": h["date"],
    } for h in right.get("history", [])]
    if events:
        record["MarkEventBag"] = events
    assignments = [{
        "AssignmentIdentifier": f"{right['number']}-{change['index']}",
        "AssignmentConveyanceCategory": change.get("conveyance", "Transfer of ownership"),
        "PropertyTotalQuantity": 1,
        "AssignmentRecordedDate": change["date"],
        "AssignmentExecutedDate": change["executed"],
        "AssignorBag": [_party(change["from"], read_party)],
        "AssigneeBag": [_party(change["to"], read_party)],
    } for change in right.get("owner_history", []) if change.get("action") in ("assign", "merge")]
    if assignments:
        record["AssignmentBag"] = assignments
    # Keys in ST.96 element order, as the model documents it.
    order = list(TrademarkJSON.__annotations__)
    ordered = {k: record[k] for k in sorted(record, key=order.index)}
    validate_trademark_json(ordered)
    return cast(TrademarkJSON, ordered)


def trademark_xml(right: Mapping[str, Any], read_party: PartyReader) -> bytes:
    """ST.96 ``tmk:Trademark`` XML, validated against Trademark_V6_0.xsd."""
    return trademark_to_st96_xml(trademark_record(right, read_party), right["office"])


# Where each exporter takes the registration number (trademarks: ``trademark_record``).
_REGISTRATION_NUMBER = {"patent": "grant_number", "utility_model": "grant_number",
                        "geographical_indication": "registration_number"}


def other_kind_record(right: Mapping[str, Any], read_party: PartyReader) -> dict[str, Any]:
    """The exporter input for a right that is not a trademark."""
    dates = right["dates"]
    record: dict[str, Any] = {
        "office": right["office"], "kind": right["kind"], "number": right["number"],
        "filing_date": dates["filing_date"], "status": right["state"],
        "applicants": [_party(o["party"], read_party) for o in right["owners"]],
        "data": dict(right.get("data", {})),
    }
    if right.get("priority_claims"):
        record["data"]["PriorityBag"] = priority_bag(right, record["data"])
    if dates.get("registration_date"):
        record["registration_date"] = dates["registration_date"]
        if right["kind"] in _REGISTRATION_NUMBER:
            # The register numbers a grant like its application unless told otherwise.
            record[_REGISTRATION_NUMBER[right["kind"]]] = right.get("registration_number",
                                                                    right["number"])
    if right["kind"] == "geographical_indication":
        if right["state"] == "withdrawn":
            record["withdrawal_date"] = next(
                h["date"] for h in reversed(right["history"]) if h["state"] == "withdrawn")
        if dates.get("expiry_date_computed"):
            record["expiry_date"] = dates["expiry_date_computed"]
    return record


class NoST96Document(ValueError):  # noqa: N818 - a fact about the standard, not a bug
    """ST.96 has no faithful document for this kind of right."""


def _exporter(kind: str) -> Callable[..., bytes]:
    if kind in ("patent", "utility_model"):
        from ipledger.standards.st96.patent import patent_to_st96_xml
        return patent_to_st96_xml
    if kind == "industrial_design":
        from ipledger.standards.st96.design import design_to_st96_xml
        return design_to_st96_xml
    if kind == "geographical_indication":
        from ipledger.standards.st96.geographical_indication import gi_to_st96_xml
        return gi_to_st96_xml
    raise NoST96Document("ST.96 V6_0 models copyright only for orphan works "
                         "(Copyright_V6_0.xsd), not registered works; the register serves "
                         "copyright as JSON")


def right_xml(right: Mapping[str, Any], read_party: PartyReader) -> bytes:
    """ST.96 XML of any right but copyright, validated against the WIPO schema of its kind."""
    if right["kind"] == "trademark":
        return trademark_xml(right, read_party)
    exporter = _exporter(right["kind"])
    if right["kind"] == "geographical_indication":
        try:  # content disclosed before the register asked for what gin:GIData needs
            check_right_data(right["kind"], right["data"], "/data")
        except Rejection as exc:
            raise NoST96Document(f"this GI's disclosed content lacks what ST.96 gin:GIData "
                                 f"needs ({exc.pointer}: {exc.detail}); served as JSON") from None
    return exporter(other_kind_record(right, read_party))


def legal_status_xml(right: Mapping[str, Any], read_party: PartyReader) -> bytes:
    """ST.96 ``pat:PatentLegalStatus`` (WIPO ST.27 codes) of a patent's current state,
    dated by the right's latest event; validated against ``Patent_V6_0.xsd``."""
    if right["kind"] not in ("patent", "utility_model"):
        raise NoST96Document(f"ST.96 legal-status documents cover patents and utility "
                             f"models, not {right['kind']}")
    from ipledger.standards.st96.patent import patent_legal_status_to_st96_xml

    history = right.get("history") or [{"date": right["dates"]["filing_date"]}]
    return patent_legal_status_to_st96_xml({**other_kind_record(right, read_party),
                                            "status": right["state"],
                                            "status_date": history[-1]["date"]})
