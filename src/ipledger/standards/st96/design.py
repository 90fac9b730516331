"""Industrial design register records to and from WIPO ST.96 V6_0 XML.

The root is ``dgn:DesignApplication`` (``DesignApplication_V6_0.xsd``, namespace
``.../ST96/Design``) holding one ``dgn:Design``. ``dgn:Design`` alone
(``Design_V6_0.xsd``) has no application number, filing date or office, so it
cannot carry a register record; the application wrapper has all three.

Mapping (register -> ST.96):

- ``office`` -> ``com:RegistrationOfficeCode`` and ``com:ApplicationNumber/com:IPOfficeCode``
- ``number`` -> ``com:ApplicationNumber/com:ApplicationNumberText``
- ``filing_date`` -> ``com:ApplicationDate``
- ``registration_date`` -> ``dgn:Design/com:RegistrationDate``
- ``status`` -> ``dgn:Design/dgn:DesignCurrentStatusCategory`` (ST.96 category, lossy) and,
  verbatim, ``dgn:DesignEventBag/dgn:DesignEvent/com:CommentText`` (category
  ``dgn:DesignEventCategory``); the parser reads the verbatim state back
- ``applicants`` -> ``dgn:ApplicantBag/dgn:Applicant`` (at application level, repeated in
  ``dgn:Design`` where the schema requires it too)
- ``data.DesignTitle`` -> ``dgn:DesignTitleText`` (ST.96 name differs)
- ``data.ClassificationLocarno`` (``"CC-SS"`` list) -> ``com:DesignClassificationBag/
  com:LocarnoClassificationBag``: edition ``LOCARNO_EDITION_NUMBER``, one
  ``com:LocarnoClassification`` (``com:LocarnoClass`` ``CC``) per run of consecutive
  subclasses of one class, each ``com:LocarnoSubclassBag/com:LocarnoSubclass`` ``SS``
- ``data.PriorityBag`` -> ``dgn:PriorityBag/dgn:Priority`` (``ApplicationNumberText``
  wrapped in ``com:ApplicationNumber``)
- ``data.ViewQuantity`` (number of views) with ``data.ColourViewQuantity`` (how many of
  them are in colour) -> ``dgn:Design/dgn:ColourViewTotalQuantity`` (the colour views) and
  ``dgn:BlackWhiteViewTotalQuantity`` (``ViewQuantity - ColourViewQuantity``), both always
  written. ``dgn:DesignType`` counts views only split by colour: its total
  (``dgn:ViewTotalQuantity``) exists only in the Hague documents, and a ``dgn:ViewBag`` needs
  a file name and identifier per view, which the register does not hold. So a
  ``ViewQuantity`` without ``ColourViewQuantity`` is not exported (the split is not known and
  is never guessed). The parser reads ``ViewQuantity`` = colour + black-and-white views and
  ``ColourViewQuantity`` = colour views (0 when only black-and-white views are counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.schema import COM_NS, ST96_VERSION, parse_xml
from ipledger.standards.st96.xmlnav import child as _kid
from ipledger.standards.st96.xmlnav import children as _kids
from ipledger.standards.st96.xmlnav import contact, serialize_checked
from ipledger.standards.st96.xmlnav import sub_element as _sub
from ipledger.standards.st96.xmlnav import text_at as _get

__all__ = [
    "DESIGN_NS",
    "DESIGN_SCHEMA",
    "LOCARNO_EDITION_NUMBER",
    "design_from_st96_xml",
    "design_to_st96_xml",
]

DESIGN_NS: Final = "http://www.wipo.int/standards/XMLSchema/ST96/Design"
DESIGN_SCHEMA: Final = "DesignApplication_V6_0.xsd"
#: ``com:LocarnoClassificationEdition`` (required by ST.96; the register keeps no edition).
#: The register's Locarno tables are those of the 11th edition (``standards.locarno``).
LOCARNO_EDITION_NUMBER: Final = "11"
_NSMAP: Final = {"com": COM_NS, "dgn": DESIGN_NS}

#: Register state -> ``dgn:DesignCurrentStatusCategory``.
DESIGN_STATUS_CATEGORY: Final[Mapping[str, str]] = {
    "filed": "Filed",
    "formalities_checked": "Filed",
    "under_examination": "Filed",
    "published": "Filed",
    "opposition_period": "Filed",
    "opposed": "Filed",
    "registered": "Registered",
    "granted": "Registered",
    "renewal_due": "Registered",
    "in_grace_period": "Registered",
    "refused": "Rejected",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    "lapsed": "Expired",
    "surrendered": "Cancelled",
    "cancelled": "Cancelled",
    "invalidated": "Cancelled",
}
#: ``dgn:DesignCurrentStatusCategory`` -> ``dgn:DesignEventCategory``.
_EVENT_CATEGORY: Final[Mapping[str, str]] = {
    "Registered": "Registered",
    "Withdrawn": "Withdrawn",
    "Expired": "Expired",
}
#: Inverse used only when a document lacks the verbatim state.
_STATE_OF_CATEGORY: Final[Mapping[str, str]] = {
    "Filed": "filed",
    "Registered": "registered",
    "Rejected": "refused",
    "Withdrawn": "withdrawn",
    "Expired": "expired",
    "Cancelled": "cancelled",
}


# --------------------------------------------------------------------------- shared helpers
# (also used by the geographical indication and copyright exporters)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _c(name: str) -> str:
    return _q(COM_NS, name)


def _require_text(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StandardsError("required", "expected a non-empty string", pointer)
    return value


def _check_record(record: Mapping[str, Any], kind: str) -> None:
    """The structural minimum every exporter needs (the XSD checks the rest)."""
    if not isinstance(record, Mapping):
        raise StandardsError("type", "record must be a JSON object", "")
    if record.get("kind", kind) != kind:
        raise StandardsError("kind", f"record kind {record.get('kind')!r} is not {kind!r}", "/kind")
    validate_st3(record.get("office"), "/office")
    for key in ("number", "filing_date", "status"):
        _require_text(record.get(key), f"/{key}")
    if record.get("registration_date") is not None:
        _require_text(record["registration_date"], "/registration_date")
    applicants = record.get("applicants")
    if not isinstance(applicants, list) or not applicants:
        raise StandardsError("required", "at least one applicant is required", "/applicants")
    for i, party in enumerate(applicants):
        if not isinstance(party, Mapping):
            raise StandardsError("type", "a party must be a JSON object", f"/applicants/{i}")
        if ("PersonFullName" in party) == ("OrganizationStandardName" in party):
            raise StandardsError(
                "party-name",
                "exactly one of PersonFullName / OrganizationStandardName",
                f"/applicants/{i}",
            )
    if not isinstance(record.get("data"), Mapping):
        raise StandardsError("required", "record needs a data object", "/data")


def _contact(parent: etree._Element, party: Mapping[str, Any]) -> None:
    """``com:Contact`` with the party's name and unstructured address (``xmlnav.contact``).

    A structured address is not written, nor an empty ``PostalAddressText``.
    """
    named = {k: party[k] for k in ("PersonFullName", "OrganizationStandardName") if k in party}
    if party.get("PostalAddressText"):
        named["PostalAddressText"] = party["PostalAddressText"]
    contact(parent, named)


def _party_leading(parent: etree._Element, party: Mapping[str, Any]) -> None:
    """Nationality / incorporation elements, in the order the ST.96 party types use."""
    for key in ("NationalityCode", "IncorporationCountryCode"):
        if key in party:
            _sub(parent, _c(key), party[key])


def _need(el: etree._Element, *path: str) -> str:
    value = _get(el, *path)
    if value is None:
        raise StandardsError(
            "required", f"missing {'/'.join(path)}", str(el.getroottree().getpath(el))
        )
    return value


def _read_party(el: etree._Element) -> dict[str, Any]:
    party: dict[str, Any] = {}
    name = _kid(el, "Contact", "Name")
    person = _get(name, "PersonName", "PersonFullName")
    if person is not None:
        party["PersonFullName"] = person
    else:
        party["OrganizationStandardName"] = _need(
            el, "Contact", "Name", "OrganizationName", "OrganizationStandardName"
        )
    lines = [
        "".join(x.itertext())
        for x in _kids(_kid(el, "Contact", "PostalAddressBag", "PostalAddress"),
                       "PostalAddressText")
    ]  # fmt: skip
    if lines:
        party["PostalAddressText"] = lines
    for key in ("NationalityCode", "IncorporationCountryCode"):
        value = _get(el, key)
        if value is not None:
            party[key] = value
    return party


def _count(el: etree._Element, name: str) -> int | None:
    """A non-negative integer child element, or None when absent."""
    text = _get(el, name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise StandardsError("type", f"{name} {text!r} is not a count",
                             str(el.getroottree().getpath(el)))
    return int(text)


def _root_of(data: bytes, ns: str, local: str) -> etree._Element:
    root = parse_xml(data)
    qname = etree.QName(root)
    if qname.namespace != ns or qname.localname != local:
        raise StandardsError(
            "st96-root", f"expected {{{ns}}}{local}, got {root.tag!r}", "/"
        )
    return root


# --------------------------------------------------------------------------- export


def _d(name: str) -> str:
    return _q(DESIGN_NS, name)


def _applicant(parent: etree._Element, party: Mapping[str, Any], seq: int) -> None:
    el = _sub(parent, _d("Applicant"), sequenceNumber=str(seq))
    _party_leading(el, party)
    _contact(el, party)


def _applicant_bag(parent: etree._Element, parties: list[Mapping[str, Any]]) -> None:
    bag = _sub(parent, _d("ApplicantBag"))
    for i, party in enumerate(parties, 1):
        _applicant(bag, party, i)


def _locarno(parent: etree._Element, subclasses: list[str]) -> None:
    bag = _sub(_sub(parent, _c("DesignClassificationBag")), _c("LocarnoClassificationBag"))
    _sub(bag, _c("LocarnoClassificationEdition"), LOCARNO_EDITION_NUMBER)
    current: str | None = None
    classification: etree._Element | None = None
    for i, code in enumerate(subclasses):
        if not isinstance(code, str) or code.count("-") != 1:
            raise StandardsError(
                "locarno-subclass", f"{code!r} is not 'CC-SS'", f"/data/ClassificationLocarno/{i}"
            )
        cls, sub = code.split("-")
        if classification is None or cls != current:
            classification = _sub(bag, _c("LocarnoClassification"))
            _sub(classification, _c("LocarnoClass"), cls)
            current = cls
        _sub(_sub(classification, _c("LocarnoSubclassBag")), _c("LocarnoSubclass"), sub)


def _view_counts(data: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(colour, black-and-white)`` view counts, or None when the split is not known."""
    if data.get("ColourViewQuantity") is None:
        return None
    counts = []
    for key in ("ColourViewQuantity", "ViewQuantity"):
        value = data.get(key)
        if value is None:
            raise StandardsError("view-quantity", "ColourViewQuantity counts some of the "
                                 "ViewQuantity views: give ViewQuantity too", f"/data/{key}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StandardsError("type", "expected a non-negative integer", f"/data/{key}")
        counts.append(value)
    colour, total = counts
    if colour > total:
        raise StandardsError("view-quantity", f"{colour} colour views of {total} views",
                             "/data/ColourViewQuantity")
    return colour, total - colour


def design_to_st96_element(record: Mapping[str, Any]) -> etree._Element:
    """Build (without validating) the ``dgn:DesignApplication`` element for ``record``."""
    _check_record(record, "industrial_design")
    data: Mapping[str, Any] = record["data"]
    office: str = record["office"]
    title = _require_text(data.get("DesignTitle"), "/data/DesignTitle")
    locarno = data.get("ClassificationLocarno")
    if not isinstance(locarno, list) or not locarno:
        raise StandardsError(
            "required", "at least one Locarno subclass is required", "/data/ClassificationLocarno"
        )
    status: str = record["status"]
    category = DESIGN_STATUS_CATEGORY.get(status, "Undefined")
    views = _view_counts(data)

    app = etree.Element(_d("DesignApplication"), {_c("st96Version"): ST96_VERSION}, nsmap=_NSMAP)
    _sub(app, _c("RegistrationOfficeCode"), office)
    an = _sub(app, _c("ApplicationNumber"))
    _sub(an, _c("IPOfficeCode"), office)
    _sub(an, _c("ApplicationNumberText"), record["number"])
    _sub(app, _d("DesignTotalQuantity"), "1")
    design = _sub(_sub(app, _d("DesignBag")), _d("Design"))
    if record.get("registration_date") is not None:
        _sub(design, _c("RegistrationDate"), record["registration_date"])
    _sub(design, _d("DesignTitleText"), title)
    if views is not None:
        _sub(design, _d("ColourViewTotalQuantity"), str(views[0]))
        _sub(design, _d("BlackWhiteViewTotalQuantity"), str(views[1]))
    _sub(design, _d("DesignCurrentStatusCategory"), category)
    _locarno(design, locarno)
    if data.get("PriorityBag"):
        bag = _sub(design, _d("PriorityBag"))
        for pr in data["PriorityBag"]:
            el = _sub(bag, _d("Priority"))
            _sub(el, _c("PriorityCountryCode"), pr["PriorityCountryCode"])
            if "ApplicationNumberText" in pr:
                _sub(_sub(el, _c("ApplicationNumber")), _c("ApplicationNumberText"),
                     pr["ApplicationNumberText"])  # fmt: skip
            _sub(el, _c("PriorityApplicationFilingDate"), pr["PriorityApplicationFilingDate"])
    _applicant_bag(design, record["applicants"])
    event = _sub(_sub(design, _d("DesignEventBag")), _d("DesignEvent"))
    _sub(event, _d("DesignEventCategory"), _EVENT_CATEGORY.get(category, "Undefined"))
    _sub(event, _c("CommentText"), status)
    _applicant_bag(app, record["applicants"])
    _sub(app, _c("ApplicationDate"), record["filing_date"])
    return app


def design_to_st96_xml(record: Mapping[str, Any], *, validate: bool = True) -> bytes:
    """ST.96 V6_0 ``dgn:DesignApplication`` XML for an industrial design register record.

    Checked against ``DesignApplication_V6_0.xsd`` unless ``validate`` is false.
    Same record, same bytes.
    """
    return serialize_checked(design_to_st96_element(record), DESIGN_SCHEMA, validate=validate)


# --------------------------------------------------------------------------- import


def design_from_st96_xml(data: bytes) -> dict[str, Any]:
    """The register record (``kind`` ``industrial_design``) of a ``dgn:DesignApplication``.

    Reads the first ``dgn:Design``; ``ViewQuantity`` / ``ColourViewQuantity`` come from its
    colour and black-and-white view counts (see module docs).
    """
    app = _root_of(data, DESIGN_NS, "DesignApplication")
    design = _kid(app, "DesignBag", "Design")
    if design is None:
        raise StandardsError("required", "DesignApplication holds no Design", "/")
    status = _get(design, "DesignEventBag", "DesignEvent", "CommentText")
    if status is None:
        category = _get(design, "DesignCurrentStatusCategory") or ""
        status = _STATE_OF_CATEGORY.get(category.strip(), "filed")
    record: dict[str, Any] = {
        "office": _need(app, "RegistrationOfficeCode"),
        "kind": "industrial_design",
        "number": _need(app, "ApplicationNumber", "ApplicationNumberText"),
        "filing_date": _need(app, "ApplicationDate"),
    }
    registration_date = _get(design, "RegistrationDate")
    if registration_date is not None:
        record["registration_date"] = registration_date
    record["status"] = status
    record["applicants"] = [
        _read_party(a) for a in _kids(_kid(app, "ApplicantBag"), "Applicant")
    ]
    out: dict[str, Any] = {"DesignTitle": _need(design, "DesignTitleText")}
    subclasses = []
    bag = _kid(design, "DesignClassificationBag", "LocarnoClassificationBag")
    for cl in _kids(bag, "LocarnoClassification"):
        cls = _need(cl, "LocarnoClass")
        for sb in _kids(cl, "LocarnoSubclassBag"):
            subclasses.append(f"{cls}-{_need(sb, 'LocarnoSubclass')}")
    out["ClassificationLocarno"] = subclasses
    colour, black_white = (_count(design, key) for key in
                           ("ColourViewTotalQuantity", "BlackWhiteViewTotalQuantity"))
    if colour is not None or black_white is not None:
        out["ViewQuantity"] = (colour or 0) + (black_white or 0)
        out["ColourViewQuantity"] = colour or 0
    priorities = []
    for pr in _kids(_kid(design, "PriorityBag"), "Priority"):
        item = {"PriorityCountryCode": _need(pr, "PriorityCountryCode")}
        number = _get(pr, "ApplicationNumber", "ApplicationNumberText")
        if number is not None:
            item["ApplicationNumberText"] = number
        item["PriorityApplicationFilingDate"] = _need(pr, "PriorityApplicationFilingDate")
        priorities.append(item)
    if priorities:
        out["PriorityBag"] = priorities
    record["data"] = out
    return record
