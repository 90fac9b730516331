"""Patent and utility-model register records to and from WIPO ST.96 XML.

Export writes one ``pat:BibliographicData`` element (ST.96 V6_0, defined in
``PatentPublication_V6_0.xsd``) and validates it against that schema. It is the
smallest ST.96 document that carries the register's bibliographic record: the
application identification (office, number, filing date), the grant
identification, priority claims, IPC classification, the title, the claim count
and the applicants. ``pat:BibliographicData`` has no element for a current legal
status or an abstract (checked against the V6_0 XSD), so the legal status is a
second document (below) and the abstract is not exported: ``pat:Abstract`` is
allowed only inside ``pat:PatentPublication``, next to the required ``pat:Claims``
(claim text, page images or a claims document URI) and a ``com:languageCode``,
none of which the register holds.

Mapping (record -> ``pat:BibliographicData``, element order as in the XSD)::

    office                  ApplicationIdentification/IPOfficeCode
    number                  ApplicationIdentification/ApplicationNumber/ApplicationNumberText
    filing_date             ApplicationIdentification/FilingDate
    grant_number            PatentGrantIdentification/PatentNumber (+ IPOfficeCode)
    registration_date       PatentGrantIdentification/GrantDate (needs grant_number)
    data.PriorityBag[i]     PriorityClaimBag/PriorityClaim[@sequenceNumber=i+1]:
                            IPOfficeCode, ApplicationNumber/ApplicationNumberText, FilingDate,
                            OnlineAvailablePriorityDocumentIndicator (optional: the digital
                            library holding the document, {libraryIdentifier, officeCode})
    data.IPCRClassificationBag[i]
                            PatentClassificationBag/IPCRClassificationBag/
                            IPCRClassification[@sequenceNumber=i+1]/PatentClassificationText
    data.InventionTitle     InventionTitleBag/InventionTitle
    data.ClaimTotalQuantity ClaimTotalQuantity
    applicants[i]           PartyBag/ApplicantBag/Applicant[@sequenceNumber=i+1]:
                            Contact/Name/(PersonName/PersonFullName |
                            OrganizationName/OrganizationStandardName),
                            Contact/PostalAddressBag/PostalAddress/(PostalAddressText |
                            PostalStructuredAddress), NationalityCode
    kind                    PlainLanguageDesignationText ("Patent" | "Utility model", INID 12)

Not carried (``pat:BibliographicData`` has no element for them): ``status``,
``status_date`` and ``data.Abstract`` are left out of the XML and so are absent
from the record ``patent_from_st96_xml`` returns. ``pat:Applicant`` has no
``IncorporationCountryCode``: an organization's country of incorporation is
written as its ``NationalityCode`` (as in PCT Rule 18.1(b)) and an
organization's ``NationalityCode`` is read back as ``IncorporationCountryCode``.
Party members without a ``pat:Applicant`` counterpart (``LegalEntityName``,
``IncorporationState``, ``CommentText``) are refused (rule ``st96-unmappable``).

Legal status: ``patent_legal_status_to_st96_xml`` writes the ST.96 legal-status
record ``pat:PatentLegalStatus`` (WIPO ST.27, validated against ``Patent_V6_0.xsd``)::

    office, number, filing_date   ApplicationIdentification (as above)
    grant_number, registration_date
                                  PatentGrantIdentification (PatentNumber, GrantDate)
    kind                          com:IPRightKindCategory ("Patent for invention" |
                                  "Utility model")
    status                        StatusEventDataBag/StatusEventData/StatusEventCode:
                                  com:StateCode, com:CurrentStageCode, KeyEventCode,
                                  DetailedEventCode from ``ST27_STATUS`` (the ST.27 event
                                  that leads to the register state; ``00`` detailed codes
                                  where ST.27 has no exact one), com:PreviousStageCode
                                  ``0`` (unspecified: the record holds no earlier state),
                                  and the register state verbatim as NationalEventCode
    status_date                   StatusEventData/com:EventDate (the date the state was
                                  reached; a ``filed`` right defaults to its filing date)

``patent_legal_status_from_st96_xml`` reads it back (the verbatim state, else the
first ``ST27_STATUS`` state with the same key and detailed event codes, else with the
same key event; of several events, the latest).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError
from ipledger.standards.ipc import validate_ipc
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.model import validate_trademark_json
from ipledger.standards.st96.schema import COM_NS, ST96_VERSION, parse_xml
from ipledger.standards.st96.xmlnav import child as _kid
from ipledger.standards.st96.xmlnav import children as _kids
from ipledger.standards.st96.xmlnav import contact, serialize_checked
from ipledger.standards.st96.xmlnav import sub_element as _sub
from ipledger.standards.st96.xmlnav import text as _val
from ipledger.standards.st96.xmlnav import text_at as _get

__all__ = [
    "IP_RIGHT_KIND_CATEGORY",
    "LEGAL_STATUS_SCHEMA",
    "PATENT_KINDS",
    "PAT_NS",
    "ST27_STATUS",
    "patent_from_st96_xml",
    "patent_legal_status_from_st96_xml",
    "patent_legal_status_to_st96_element",
    "patent_legal_status_to_st96_xml",
    "patent_to_st96_element",
    "patent_to_st96_xml",
]

PAT_NS: Final = "http://www.wipo.int/standards/XMLSchema/ST96/Patent"
PATENT_KINDS: Final = {"patent": "Patent", "utility_model": "Utility model"}
"""Register kind -> ``PlainLanguageDesignationText``."""

IP_RIGHT_KIND_CATEGORY: Final = {"patent": "Patent for invention", "utility_model": "Utility model"}
"""Register kind -> ``com:IPRightKindCategory`` (legal-status record)."""

#: Register state -> ST.27 (StateCode, CurrentStageCode, KeyEventCode, DetailedEventCode):
#: the status after the event that leads into the state. States A active, N not active (may
#: be revived), T terminated, U unspecified; stages 1 filing, 2 examination, 3 pre-grant
#: challenge, 4 grant, 6 terminated. ``expired`` is ``U``: for patents it is either the end
#: of the term (terminated) or an unpaid maintenance fee (reinstatable).
ST27_STATUS: Final[Mapping[str, tuple[str, str, str, str]]] = MappingProxyType({
    "filed": ("A", "1", "A10", "A12"),  # national or regional application filed
    "formalities_checked": ("A", "2", "D10", "D00"),  # formality examination
    "under_examination": ("A", "2", "D10", "D00"),  # search / examination commenced
    "published": ("A", "2", "Q10", "Q12"),  # application published
    "opposition_period": ("A", "2", "Q10", "Q12"),
    "opposed": ("A", "3", "E10", "E11"),  # pre-grant opposition filed
    "granted": ("A", "4", "F10", "F00"),  # IP right granted
    "registered": ("A", "4", "F10", "F00"),
    "renewal_due": ("A", "4", "W10", "W00"),  # maintenance window opened: no ST.27 event
    "in_grace_period": ("A", "4", "U10", "U13"),  # renewal/maintenance fee not paid
    "refused": ("T", "6", "B10", "B00"),  # application discontinued (refusal)
    "withdrawn": ("T", "6", "B10", "B11"),  # application withdrawn
    "lapsed": ("N", "6", "H10", "H13"),  # IP right lapsed (reinstatable)
    "expired": ("U", "6", "H10", "H00"),
    "surrendered": ("T", "6", "H10", "H15"),  # IP right surrendered
    "cancelled": ("T", "6", "H10", "H12"),  # ceased following an IP right review
    "invalidated": ("T", "6", "H10", "H12"),
})
_ST27_UNMAPPED: Final = ("U", "0", "W10", "W00")
LEGAL_STATUS_SCHEMA: Final = "Patent_V6_0.xsd"

_NSMAP: Final = {"com": COM_NS, "pat": PAT_NS}
_SCHEMA: Final = "PatentPublication_V6_0.xsd"
_RECORD_KEYS: Final = frozenset(
    {
        "office", "kind", "number", "filing_date", "registration_date", "grant_number",
        "status", "status_date", "applicants", "data",
    }
)  # fmt: skip
_DATA_KEYS: Final = {
    "patent": frozenset(
        {"InventionTitle", "IPCRClassificationBag", "Abstract", "ClaimTotalQuantity", "PriorityBag"}
    ),
    "utility_model": frozenset(
        {"InventionTitle", "IPCRClassificationBag", "Abstract", "PriorityBag"}
    ),
}
_PRIORITY_KEYS: Final = ("PriorityCountryCode", "ApplicationNumberText",
                         "PriorityApplicationFilingDate")  # fmt: skip
_ONLINE: Final = "OnlineAvailablePriorityDocumentIndicator"
_LIBRARY_KEYS: Final = ("libraryIdentifier", "officeCode")
_UNMAPPABLE_PARTY_KEYS: Final = ("LegalEntityName", "IncorporationState", "CommentText")
_ADDRESS_PARTS: Final = ("CityName", "GeographicRegionName", "CountryCode", "PostalCode")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TZ_SUFFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")


# --------------------------------------------------------------------------- checks


def _text(value: Any, ptr: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StandardsError("type", "expected a non-empty string", ptr)
    return value


def _date(value: Any, ptr: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise StandardsError("date", "expected a date 'YYYY-MM-DD'", ptr)
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise StandardsError("date", f"{value!r} is not a calendar date", ptr) from None
    return value


def _list(value: Any, ptr: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise StandardsError("type", "expected a non-empty array", ptr)
    return value


def _mapping(value: Any, ptr: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise StandardsError("type", "expected a JSON object", ptr)
    return value


def _unknown(obj: Mapping[str, Any], allowed: frozenset[str], ptr: str, what: str) -> None:
    for key in sorted(obj):
        if key not in allowed:
            raise StandardsError(
                "unknown-member", f"{key!r} is not a member of {what}", f"{ptr}/{key}"
            )


def _check_parties(applicants: Any) -> list[Mapping[str, Any]]:
    parties = _list(applicants, "/applicants")
    # The trademark model's party rules are the register's party rules.
    try:
        validate_trademark_json(
            {
                "ApplicationNumber": {"ApplicationNumberText": "-"},
                "ApplicationDate": "2000-01-01",
                "ApplicantBag": parties,
            }
        )
    except StandardsError as exc:
        pointer = exc.pointer.replace("/ApplicantBag", "/applicants", 1)
        raise StandardsError(exc.rule, exc.detail, pointer) from None
    for i, party in enumerate(parties):
        for key in _UNMAPPABLE_PARTY_KEYS:
            if key in party:
                raise StandardsError(
                    "st96-unmappable", f"pat:Applicant has no {key}", f"/applicants/{i}/{key}"
                )
        if "IncorporationCountryCode" in party and (
            "PersonFullName" in party or "NationalityCode" in party
        ):
            raise StandardsError(
                "st96-unmappable",
                "IncorporationCountryCode is written as NationalityCode: only for an "
                "organization without a NationalityCode",
                f"/applicants/{i}/IncorporationCountryCode",
            )
    return parties


def _check(record: Mapping[str, Any]) -> tuple[str, Mapping[str, Any], list[Mapping[str, Any]]]:
    """Validate ``record``; return its ST.3 office, its data and its applicants."""
    record = _mapping(record, "")
    _unknown(record, _RECORD_KEYS, "", "a patent record")
    for key in ("office", "kind", "number", "filing_date", "applicants", "data"):
        if key not in record:
            raise StandardsError("required", f"a patent record requires {key!r}", f"/{key}")
    office = validate_st3(record["office"], "/office")
    kind = record["kind"]
    if kind not in PATENT_KINDS:
        raise StandardsError("kind", f"{kind!r} is not one of {sorted(PATENT_KINDS)}", "/kind")
    _text(record["number"], "/number")
    _date(record["filing_date"], "/filing_date")
    if "registration_date" in record:
        _date(record["registration_date"], "/registration_date")
        if "grant_number" not in record:
            raise StandardsError(
                "st96-unmappable",
                "ST.96 PatentGrantIdentification needs a PatentNumber: a grant date "
                "cannot be exported without grant_number",
                "/registration_date",
            )
    if "grant_number" in record:
        _text(record["grant_number"], "/grant_number")
    if "status" in record:
        _text(record["status"], "/status")
    if "status_date" in record:
        _date(record["status_date"], "/status_date")
    data = _mapping(record["data"], "/data")
    _unknown(data, _DATA_KEYS[kind], "/data", f"{kind} data")
    if "InventionTitle" not in data:
        raise StandardsError("required", "data requires 'InventionTitle'", "/data/InventionTitle")
    _text(data["InventionTitle"], "/data/InventionTitle")
    if "Abstract" in data:
        _text(data["Abstract"], "/data/Abstract")
    if "IPCRClassificationBag" in data:
        symbols = _list(data["IPCRClassificationBag"], "/data/IPCRClassificationBag")
        for i, symbol in enumerate(symbols):
            validate_ipc(symbol, f"/data/IPCRClassificationBag/{i}")
    if "ClaimTotalQuantity" in data:
        count = data["ClaimTotalQuantity"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise StandardsError(
                "type", "expected a non-negative integer", "/data/ClaimTotalQuantity"
            )
    if "PriorityBag" in data:
        for i, pr in enumerate(_list(data["PriorityBag"], "/data/PriorityBag")):
            ptr = f"/data/PriorityBag/{i}"
            pr = _mapping(pr, ptr)
            _unknown(pr, frozenset((*_PRIORITY_KEYS, _ONLINE)), ptr, "a priority claim")
            for key in _PRIORITY_KEYS:
                if key not in pr:
                    raise StandardsError("required", f"a priority claim requires {key!r}",
                                         f"{ptr}/{key}")  # fmt: skip
            validate_st3(pr["PriorityCountryCode"], f"{ptr}/PriorityCountryCode")
            _text(pr["ApplicationNumberText"], f"{ptr}/ApplicationNumberText")
            _date(pr["PriorityApplicationFilingDate"], f"{ptr}/PriorityApplicationFilingDate")
            if _ONLINE in pr:
                library = _mapping(pr[_ONLINE], f"{ptr}/{_ONLINE}")
                _unknown(library, frozenset(_LIBRARY_KEYS), f"{ptr}/{_ONLINE}", "a library")
                _text(library.get("libraryIdentifier"), f"{ptr}/{_ONLINE}/libraryIdentifier")
                validate_st3(library.get("officeCode"), f"{ptr}/{_ONLINE}/officeCode")
    return office, data, _check_parties(record["applicants"])


# --------------------------------------------------------------------------- export


def _c(name: str) -> str:
    return f"{{{COM_NS}}}{name}"


def _p(name: str) -> str:
    return f"{{{PAT_NS}}}{name}"


def _applicant(parent: etree._Element, party: Mapping[str, Any], seq: int) -> None:
    el = _sub(parent, _p("Applicant"), sequenceNumber=str(seq))
    contact(el, party)
    nationality = party.get("NationalityCode", party.get("IncorporationCountryCode"))
    if nationality is not None:
        _sub(el, _c("NationalityCode"), nationality)


def _identification(parent: etree._Element, record: Mapping[str, Any], office: str) -> None:
    """``pat:ApplicationIdentification``, then ``pat:PatentGrantIdentification`` if granted."""
    app = _sub(parent, _p("ApplicationIdentification"))
    _sub(app, _c("IPOfficeCode"), office)
    _sub(_sub(app, _c("ApplicationNumber")), _c("ApplicationNumberText"), record["number"])
    _sub(app, _p("FilingDate"), record["filing_date"])
    if "grant_number" in record:
        grant = _sub(parent, _p("PatentGrantIdentification"))
        _sub(grant, _c("IPOfficeCode"), office)
        _sub(grant, _p("PatentNumber"), record["grant_number"])
        if "registration_date" in record:
            _sub(grant, _p("GrantDate"), record["registration_date"])


def patent_to_st96_element(record: Mapping[str, Any]) -> etree._Element:
    """Build (without validating against the XSD) ``pat:BibliographicData`` for ``record``."""
    office, data, applicants = _check(record)
    bib = etree.Element(_p("BibliographicData"), {_c("st96Version"): ST96_VERSION}, nsmap=_NSMAP)
    _identification(bib, record, office)
    if "PriorityBag" in data:
        bag = _sub(bib, _p("PriorityClaimBag"))
        for i, pr in enumerate(data["PriorityBag"], 1):
            claim = _sub(bag, _p("PriorityClaim"), sequenceNumber=str(i))
            _sub(claim, _c("IPOfficeCode"), pr["PriorityCountryCode"])
            number = _sub(claim, _c("ApplicationNumber"))
            _sub(number, _c("ApplicationNumberText"), pr["ApplicationNumberText"])
            _sub(claim, _p("FilingDate"), pr["PriorityApplicationFilingDate"])
            if _ONLINE in pr:
                online = _sub(claim, _p(_ONLINE), "true", officeCode=pr[_ONLINE]["officeCode"])
                online.set(_p("libraryIdentifier"), pr[_ONLINE]["libraryIdentifier"])
    if "IPCRClassificationBag" in data:
        ipcr = _sub(_sub(bib, _p("PatentClassificationBag")), _p("IPCRClassificationBag"))
        for i, symbol in enumerate(data["IPCRClassificationBag"], 1):
            cls = _sub(ipcr, _p("IPCRClassification"), sequenceNumber=str(i))
            _sub(cls, _p("PatentClassificationText"), symbol)
    _sub(_sub(bib, _p("InventionTitleBag")), _p("InventionTitle"), data["InventionTitle"])
    if "ClaimTotalQuantity" in data:
        _sub(bib, _p("ClaimTotalQuantity"), str(data["ClaimTotalQuantity"]))
    bag = _sub(_sub(bib, _p("PartyBag")), _p("ApplicantBag"))
    for i, party in enumerate(applicants, 1):
        _applicant(bag, party, i)
    _sub(bib, _p("PlainLanguageDesignationText"), PATENT_KINDS[record["kind"]])
    return bib


def patent_to_st96_xml(record: Mapping[str, Any], *, validate: bool = True) -> bytes:
    """ST.96 V6_0 ``pat:BibliographicData`` XML for a patent or utility-model record.

    Checked against ``PatentPublication_V6_0.xsd`` unless ``validate`` is false.
    Same record, same bytes. ``status`` and ``data.Abstract`` are not exported
    (see the module docstring; the status: ``patent_legal_status_to_st96_xml``).
    """
    return serialize_checked(patent_to_st96_element(record), _SCHEMA, validate=validate)


def _status_date(record: Mapping[str, Any]) -> str:
    if "status_date" in record:
        return str(record["status_date"])
    if record["status"] == "filed":
        return str(record["filing_date"])
    raise StandardsError("required", f"the legal status {record['status']!r} needs "
                         "status_date (the date the right reached it)", "/status_date")


def patent_legal_status_to_st96_element(record: Mapping[str, Any]) -> etree._Element:
    """Build (without validating against the XSD) ``pat:PatentLegalStatus`` for ``record``."""
    office, _, _ = _check(record)
    if "status" not in record:
        raise StandardsError("required", "a legal-status record requires 'status'", "/status")
    state, stage, key_event, detailed_event = ST27_STATUS.get(record["status"], _ST27_UNMAPPED)
    event_date = _status_date(record)
    root = etree.Element(_p("PatentLegalStatus"), nsmap=_NSMAP)
    _identification(root, record, office)
    _sub(root, _c("IPRightKindCategory"), IP_RIGHT_KIND_CATEGORY[record["kind"]])
    data = _sub(_sub(root, _p("StatusEventDataBag")), _p("StatusEventData"))
    code = _sub(data, _p("StatusEventCode"))
    _sub(code, _c("StateCode"), state)
    _sub(code, _c("PreviousStageCode"), "0")
    _sub(code, _c("CurrentStageCode"), stage)
    _sub(code, _p("KeyEventCode"), key_event)
    _sub(code, _p("DetailedEventCode"), detailed_event)
    _sub(code, _p("NationalEventCode"), record["status"])
    _sub(data, _c("EventDate"), event_date)
    return root


def patent_legal_status_to_st96_xml(record: Mapping[str, Any], *, validate: bool = True) -> bytes:
    """ST.96 V6_0 ``pat:PatentLegalStatus`` (WIPO ST.27) XML of a patent's current status.

    The record is a patent record (as for ``patent_to_st96_xml``) with ``status`` and, unless
    the status is ``filed``, ``status_date``. Checked against ``Patent_V6_0.xsd`` unless
    ``validate`` is false. Same record, same bytes.
    """
    return serialize_checked(patent_legal_status_to_st96_element(record), LEGAL_STATUS_SCHEMA,
                             validate=validate)


# --------------------------------------------------------------------------- import


def _where(el: etree._Element | None) -> str:
    return "" if el is None else str(el.getroottree().getpath(el))


def _need(el: etree._Element | None, *path: str) -> str:
    value = _get(el, *path)
    if value is None:
        raise StandardsError("required", f"missing {'/'.join(path)}", _where(el))
    return value


def _date_of(el: etree._Element | None, *path: str) -> str | None:
    text = _get(el, *path)
    if text is None:
        return None
    m = _TZ_SUFFIX.fullmatch(text)
    if m is None:
        raise StandardsError("date", f"{text!r} is not an ST.96 date", _where(_kid(el, *path)))
    return _date(m.group(1), _where(_kid(el, *path)))


def _seq_sorted(elements: Iterator[etree._Element]) -> list[etree._Element]:
    """Elements in ``com:sequenceNumber`` order (document order breaks ties / fills gaps)."""
    keyed = []
    for index, el in enumerate(elements):
        seq = el.get(_c("sequenceNumber"), "")
        keyed.append((int(seq) if seq.isdigit() else index + 1, index, el))
    return [k[2] for k in sorted(keyed, key=lambda k: k[:2])]


def _read_applicant(el: etree._Element) -> dict[str, Any]:
    party: dict[str, Any] = {}
    contact = _kid(el, "Contact")
    name = _kid(contact, "Name")
    person = _get(name, "PersonName", "PersonFullName")
    org = _get(name, "OrganizationName", "OrganizationStandardName")
    if person is not None:
        party["PersonFullName"] = person
    elif org is not None:
        party["OrganizationStandardName"] = org
    else:
        raise StandardsError("party-name", "Applicant has no PersonFullName or "
                             "OrganizationStandardName", _where(el))  # fmt: skip
    pa = _kid(contact, "PostalAddressBag", "PostalAddress")
    psa = _kid(pa, "PostalStructuredAddress")
    if psa is not None:
        lines = [v for v in (_val(x) for x in _seq_sorted(_kids(psa, "AddressLineText"))) if v]
        addr: dict[str, Any] = {"AddressLineText": lines}
        for key in _ADDRESS_PARTS:
            value = _get(psa, key)
            if value is not None:
                addr[key] = value
        party["PostalStructuredAddress"] = addr
    elif pa is not None:
        texts = [v for v in (_val(x) for x in _seq_sorted(_kids(pa, "PostalAddressText"))) if v]
        if texts:
            party["PostalAddressText"] = texts
    nationality = _get(el, "NationalityCode")
    if nationality is not None:
        key = "NationalityCode" if person is not None else "IncorporationCountryCode"
        party[key] = nationality
    return party


def patent_from_st96_xml(data: bytes) -> dict[str, Any]:
    """The register record in an ST.96 ``pat:BibliographicData`` document.

    A ``pat:PatentPublication`` is accepted too (its ``BibliographicData`` is
    read). The kind comes from ``PlainLanguageDesignationText``. The result has
    no ``status`` and no ``data.Abstract`` (not carried by the document) and is
    checked like an export input.
    """
    root = parse_xml(data)
    qname = etree.QName(root)
    if qname.namespace != PAT_NS:
        raise StandardsError(
            "st96-namespace", f"{qname.namespace!r} is not the ST.96 Patent namespace", "/"
        )
    if qname.localname == "PatentPublication":
        bib = _kid(root, "BibliographicData")
        if bib is None:
            raise StandardsError("st96-empty", "PatentPublication has no BibliographicData",
                                 _where(root))  # fmt: skip
    elif qname.localname == "BibliographicData":
        bib = root
    else:
        raise StandardsError(
            "st96-root", f"unsupported root element {qname.localname!r}", _where(root)
        )
    designation = _get(bib, "PlainLanguageDesignationText")
    kinds = {v.casefold(): k for k, v in PATENT_KINDS.items()}
    if designation is None or designation.casefold() not in kinds:
        raise StandardsError(
            "kind",
            f"PlainLanguageDesignationText {designation!r} is not one of "
            f"{sorted(PATENT_KINDS.values())}",
            _where(bib),
        )
    app = _kid(bib, "ApplicationIdentification")
    record: dict[str, Any] = {
        "office": _need(app, "IPOfficeCode"),
        "kind": kinds[designation.casefold()],
        "number": _need(app, "ApplicationNumber", "ApplicationNumberText"),
        "filing_date": _date_of(app, "FilingDate"),
    }
    if record["filing_date"] is None:
        raise StandardsError("required", "ApplicationIdentification has no FilingDate",
                             _where(app))  # fmt: skip
    grant = _kid(bib, "PatentGrantIdentification")
    if grant is not None:
        grant_date = _date_of(grant, "GrantDate")
        if grant_date is not None:
            record["registration_date"] = grant_date
        record["grant_number"] = _need(grant, "PatentNumber")
    record["applicants"] = [
        _read_applicant(el)
        for el in _seq_sorted(_kids(_kid(bib, "PartyBag", "ApplicantBag"), "Applicant"))
    ]
    body: dict[str, Any] = {"InventionTitle": _need(bib, "InventionTitleBag", "InventionTitle")}
    symbols = [
        _need(el, "PatentClassificationText")
        for el in _seq_sorted(
            _kids(_kid(bib, "PatentClassificationBag", "IPCRClassificationBag"),
                  "IPCRClassification")
        )
    ]  # fmt: skip
    if symbols:
        body["IPCRClassificationBag"] = symbols
    count = _get(bib, "ClaimTotalQuantity")
    if count is not None:
        if not count.isdigit():
            raise StandardsError("type", f"{count!r} is not a claim count",
                                 _where(_kid(bib, "ClaimTotalQuantity")))  # fmt: skip
        body["ClaimTotalQuantity"] = int(count)
    priorities = []
    for el in _seq_sorted(_kids(_kid(bib, "PriorityClaimBag"), "PriorityClaim")):
        priority: dict[str, Any] = {
            "PriorityCountryCode": _need(el, "IPOfficeCode"),
            "ApplicationNumberText": _need(el, "ApplicationNumber", "ApplicationNumberText"),
            "PriorityApplicationFilingDate": _date_of(el, "FilingDate"),
        }
        online = _kid(el, _ONLINE)
        if online is not None and online.get(_p("libraryIdentifier")) \
                and online.get(_c("officeCode")):
            priority[_ONLINE] = {"libraryIdentifier": online.get(_p("libraryIdentifier")),
                                 "officeCode": online.get(_c("officeCode"))}
        priorities.append(priority)
    if priorities:
        body["PriorityBag"] = priorities
    record["data"] = body
    _check(record)
    return record


def _state_of(code: etree._Element | None) -> str:
    """The register state of a ``pat:StatusEventCode``: verbatim, else by ST.27 event codes."""
    national = _get(code, "NationalEventCode")
    if national is not None:
        return national
    events = (_get(code, "KeyEventCode"), _get(code, "DetailedEventCode"))
    for state, st27 in ST27_STATUS.items():
        if st27[2:] == events:
            return state
    for state, st27 in ST27_STATUS.items():
        if st27[2] == events[0]:
            return state
    raise StandardsError("st27-unmapped", f"no register state for the ST.27 events {events}",
                         _where(code))


def patent_legal_status_from_st96_xml(data: bytes) -> dict[str, Any]:
    """The current legal status in an ST.96 ``pat:PatentLegalStatus`` document.

    Returns ``office``, ``kind``, ``number``, ``filing_date`` (when given), ``grant_number``
    and ``registration_date`` (when given), ``status`` and ``status_date``: the state of the
    latest status event (by ``com:EventDate``, then document order).
    """
    root = parse_xml(data)
    qname = etree.QName(root)
    if qname.namespace != PAT_NS or qname.localname != "PatentLegalStatus":
        raise StandardsError("st96-root", f"expected pat:PatentLegalStatus, got {root.tag!r}",
                             "/")
    kinds = {v: k for k, v in IP_RIGHT_KIND_CATEGORY.items()}
    category = _get(root, "IPRightKindCategory")
    if category not in kinds:
        raise StandardsError("kind", f"IPRightKindCategory {category!r} is not one of "
                             f"{sorted(kinds)}", _where(root))
    app = _kid(root, "ApplicationIdentification")
    record: dict[str, Any] = {
        "office": _need(app, "IPOfficeCode"),
        "kind": kinds[category],
        "number": _need(app, "ApplicationNumber", "ApplicationNumberText"),
    }
    filing_date = _date_of(app, "FilingDate")
    if filing_date is not None:
        record["filing_date"] = filing_date
    grant = _kid(root, "PatentGrantIdentification")
    if grant is not None:
        record["grant_number"] = _need(grant, "PatentNumber")
        grant_date = _date_of(grant, "GrantDate")
        if grant_date is not None:
            record["registration_date"] = grant_date
    events = []
    for index, event in enumerate(_kids(_kid(root, "StatusEventDataBag"), "StatusEventData")):
        when = _date_of(event, "EventDate") or _date_of(event, "EffectiveDate") or _date_of(
            event, "PublicationDate")
        events.append((when or "", index, event))
    if not events:
        raise StandardsError("required", "no StatusEventData", _where(root))
    when, _, latest = max(events, key=lambda e: e[:2])
    record["status"] = _state_of(_kid(latest, "StatusEventCode"))
    if when:
        record["status_date"] = when
    return record
