"""Trademark records to and from WIPO ST.96 XML.

Export writes a ``tmk:Trademark`` (or ``tmk:TrademarkBag``) document in the
ST.96 V6_0 namespaces with the prefixes the XSDs declare (``com``, ``tmk``),
and validates it against ``Trademark_V6_0.xsd``. Import reads documents as
offices publish them: ``tmk:Trademark``, ``tmk:TrademarkBag``, ST.96
``tmk:TrademarkTransaction`` (e.g. USPTO TSDR status files, any ST.96 version
in the ``.../XMLSchema/ST96/...`` namespaces) and the pre-2014 USPTO TSDR
``tmk:Transaction`` in ``.../XMLSchema/Trademark/1``. Elements are matched by
local name, so prefixes and the Common/Trademark namespace split do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.model import (
    MARK_CATEGORIES,
    MARK_EVENT_CATEGORIES,
    MARK_FEATURE_CATEGORIES,
    PartyJSON,
    TrademarkJSON,
    validate_trademark_json,
)
from ipledger.standards.st96.schema import COM_NS, TMK_NS, parse_xml
from ipledger.standards.st96.xmlnav import child as _kid
from ipledger.standards.st96.xmlnav import children as _kids
from ipledger.standards.st96.xmlnav import contact as _contact
from ipledger.standards.st96.xmlnav import local_name as _local
from ipledger.standards.st96.xmlnav import serialize_checked
from ipledger.standards.st96.xmlnav import sub_element as _sub
from ipledger.standards.st96.xmlnav import text as _val
from ipledger.standards.st96.xmlnav import text_at as _get

__all__ = [
    "TRADEMARK_NAMESPACES",
    "goods_services",
    "trademark_from_st96_xml",
    "trademark_to_st96_element",
    "trademark_to_st96_xml",
    "trademarks_to_st96_xml",
]

TRADEMARK_NAMESPACES: Final = frozenset(
    {
        TMK_NS,  # ST.96 V1_0 ... V8_0: one namespace for every version
        "http://www.wipo.int/standards/XMLSchema/Trademark/1",  # USPTO TSDR before ST.96 V1_0
    }
)
_ROOTS: Final = frozenset({"Trademark", "TrademarkBag", "TrademarkTransaction", "Transaction"})
_NSMAP: Final = {"com": COM_NS, "tmk": TMK_NS}
_SCHEMA: Final = "Trademark_V6_0.xsd"


# --------------------------------------------------------------------------- export


def _c(name: str) -> str:
    return f"{{{COM_NS}}}{name}"


def _t(name: str) -> str:
    return f"{{{TMK_NS}}}{name}"



def goods_services(
    parent: etree._Element, description: str, class_number: int | None = None
) -> etree._Element:
    """Append one ``tmk:GoodsServices``: its Nice class (kind ``Other`` if none) and goods."""
    el = _sub(parent, _t("GoodsServices"))
    cls = _sub(_sub(el, _t("GoodsServicesClassificationBag")),
               _t("GoodsServicesClassification"))  # fmt: skip
    _sub(cls, _t("ClassificationKindCode"), "Other" if class_number is None else "Nice")
    if class_number is not None:
        _sub(cls, _t("ClassNumber"), str(class_number))
    desc = _sub(_sub(el, _t("ClassDescriptionBag")), _t("ClassDescription"))
    if class_number is not None:
        _sub(desc, _t("ClassNumber"), str(class_number))
    _sub(desc, _t("GoodsServicesDescriptionText"), description)
    return el


def _party(parent: etree._Element, tag: str, party: PartyJSON, seq: int) -> None:
    el = _sub(parent, tag, sequenceNumber=str(seq))
    if "LegalEntityName" in party:
        _sub(el, _c("LegalEntityName"), party["LegalEntityName"])
    _contact(el, party)
    for key in ("NationalityCode", "IncorporationCountryCode", "IncorporationState"):
        if key in party:
            _sub(el, _c(key), cast(dict[str, str], party)[key])
    if "CommentText" in party:
        _sub(el, _c("CommentText"), party["CommentText"])


def trademark_to_st96_element(record: TrademarkJSON, office: str) -> etree._Element:
    """Build (without validating) the ``tmk:Trademark`` element for ``record``."""
    validate_st3(office, "/RegistrationOfficeCode")
    validate_trademark_json(record)
    if record.get("RegistrationOfficeCode", office) != office:
        raise StandardsError(
            "office-mismatch",
            f"record belongs to {record.get('RegistrationOfficeCode')!r}, not {office!r}",
            "/RegistrationOfficeCode",
        )
    tm = etree.Element(_t("Trademark"), nsmap=_NSMAP)
    _sub(tm, _c("RegistrationOfficeCode"), office)
    an = _sub(tm, _c("ApplicationNumber"))
    _sub(an, _c("IPOfficeCode"), office)
    _sub(an, _c("ApplicationNumberText"), record["ApplicationNumber"]["ApplicationNumberText"])
    if "RegistrationNumber" in record:
        _sub(tm, _c("RegistrationNumber"), record["RegistrationNumber"])
    _sub(tm, _c("ApplicationDate"), record["ApplicationDate"])
    if "RegistrationDate" in record:
        _sub(tm, _c("RegistrationDate"), record["RegistrationDate"])
    if "ExpiryDate" in record:
        _sub(tm, _c("ExpiryDate"), record["ExpiryDate"])
    for key in ("MarkCurrentStatusCode", "MarkCurrentStatusDate", "MarkCategory"):
        if key in record:
            _sub(tm, _t(key), cast(dict[str, str], record)[key])
    if "MarkRepresentation" in record:
        rep = record["MarkRepresentation"]
        mr = _sub(tm, _t("MarkRepresentation"))
        if "MarkFeatureCategory" in rep:
            _sub(mr, _t("MarkFeatureCategory"), rep["MarkFeatureCategory"])
        word = rep["MarkReproduction"]["WordMarkSpecification"]
        ws = _sub(_sub(mr, _t("MarkReproduction")), _t("WordMarkSpecification"))
        verbal = word["MarkVerbalElementText"]
        _sub(ws, _t("MarkVerbalElementText"), verbal)
        _sub(ws, _t("MarkSignificantVerbalElementText"),
             word.get("MarkSignificantVerbalElementText", verbal))  # fmt: skip
        if "MarkStandardCharacterIndicator" in word:
            flag = "true" if word["MarkStandardCharacterIndicator"] else "false"
            _sub(ws, _t("MarkStandardCharacterIndicator"), flag)
    if "GoodsServicesBag" in record:
        bag = _sub(tm, _t("GoodsServicesBag"))
        for gs in record["GoodsServicesBag"]:
            goods_services(bag, gs["GoodsServicesDescriptionText"], gs["ClassNumber"])
    if "PriorityBag" in record:
        bag = _sub(tm, _t("PriorityBag"))
        for pr in record["PriorityBag"]:
            el = _sub(bag, _t("Priority"))
            _sub(el, _c("PriorityCountryCode"), pr["PriorityCountryCode"])
            if "ApplicationNumber" in pr:
                an = _sub(el, _c("ApplicationNumber"))
                _sub(
                    an,
                    _c("ApplicationNumberText"),
                    pr["ApplicationNumber"]["ApplicationNumberText"],
                )
            _sub(el, _c("PriorityApplicationFilingDate"), pr["PriorityApplicationFilingDate"])
    bag = _sub(tm, _t("ApplicantBag"))
    for i, party in enumerate(record["ApplicantBag"], 1):
        _party(bag, _t("Applicant"), party, i)
    if "RepresentativeBag" in record:
        bag = _sub(tm, _c("RepresentativeBag"))
        for i, party in enumerate(record["RepresentativeBag"], 1):
            _party(bag, _c("Representative"), party, i)
    if "MarkEventBag" in record:
        bag = _sub(tm, _t("MarkEventBag"))
        for ev in record["MarkEventBag"]:
            el = _sub(bag, _t("MarkEvent"))
            _sub(el, _t("MarkEventCategory"), ev["MarkEventCategory"])
            nat = _sub(el, _t("NationalMarkEvent"))
            if "MarkEventCode" in ev:
                _sub(nat, _t("MarkEventCode"), ev["MarkEventCode"])
            _sub(nat, _t("MarkEventDescriptionText"), ev["MarkEventDescriptionText"])
            _sub(el, _t("MarkEventDate"), ev["MarkEventDate"])
    if "AssignmentBag" in record:
        bag = _sub(tm, _t("AssignmentBag"))
        for asg in record["AssignmentBag"]:
            el = _sub(bag, _t("Assignment"))
            _sub(el, _t("AssignmentIdentifier"), asg["AssignmentIdentifier"])
            _sub(el, _t("AssignmentConveyanceCategory"), asg["AssignmentConveyanceCategory"])
            _sub(el, _t("PropertyTotalQuantity"), str(asg["PropertyTotalQuantity"]))
            for key in ("AssignmentRecordedDate", "AssignmentExecutedDate"):
                if key in asg:
                    _sub(el, _t(key), cast(dict[str, str], asg)[key])
            for bag_name, item in (("AssignorBag", "Assignor"), ("AssigneeBag", "Assignee")):
                sub = _sub(el, _t(bag_name))
                for i, party in enumerate(cast(dict[str, list[PartyJSON]], asg)[bag_name], 1):
                    _party(sub, _t(item), party, i)
    return tm


def trademark_to_st96_xml(record: TrademarkJSON, office: str, *, validate: bool = True) -> bytes:
    """ST.96 V6_0 ``tmk:Trademark`` XML for ``record``, checked against ``Trademark_V6_0.xsd``.

    ``office`` (an ST.3 code) is written as ``RegistrationOfficeCode`` and the
    application number's ``IPOfficeCode``. Same record, same bytes.
    """
    return serialize_checked(trademark_to_st96_element(record, office), _SCHEMA,
                             validate=validate)


def trademarks_to_st96_xml(
    records: Sequence[TrademarkJSON], office: str, *, validate: bool = True
) -> bytes:
    """A ``tmk:TrademarkBag`` document holding ``records`` in the given order."""
    if not records:
        raise StandardsError("empty", "a TrademarkBag needs at least one trademark")
    bag = etree.Element(_t("TrademarkBag"), nsmap=_NSMAP)
    for i, record in enumerate(records):
        try:
            bag.append(trademark_to_st96_element(record, office))
        except StandardsError as exc:
            raise StandardsError(exc.rule, exc.detail, f"/{i}{exc.pointer}") from None
    return serialize_checked(bag, _SCHEMA, validate=validate)


# --------------------------------------------------------------------------- import

_TZ_SUFFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")












def _date_of(el: etree._Element | None, *path: str) -> str | None:
    text = _get(el, *path)
    if text is None:
        return None
    m = _TZ_SUFFIX.fullmatch(text[:10] if "T" in text else text)
    if m is None:
        raise StandardsError("date", f"{text!r} is not an ST.96 date", _where(_kid(el, *path)))
    return m.group(1)


def _where(el: etree._Element | None) -> str:
    return "" if el is None else str(el.getroottree().getpath(el))


def _put(target: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        target[key] = value


def _read_party(el: etree._Element) -> PartyJSON | None:
    party: dict[str, Any] = {}
    legal = _get(el, "LegalEntityName")
    contact = _kid(el, "Contact")
    name = _kid(contact, "Name")
    person = _get(name, "PersonName", "PersonFullName")
    org = _get(name, "OrganizationName", "OrganizationStandardName")
    entity = _get(name, "EntityName")
    if person:
        party["PersonFullName"] = person
    elif org:
        party["OrganizationStandardName"] = org
    elif entity:
        # USPTO puts both kinds in EntityName; LegalEntityName tells them apart.
        kind = (
            "PersonFullName"
            if (legal or "").upper() == "INDIVIDUAL"
            else "OrganizationStandardName"
        )
        party[kind] = entity
    else:
        return None
    _put(party, "LegalEntityName", legal)
    pa = _kid(contact, "PostalAddressBag", "PostalAddress")
    psa = _kid(pa, "PostalStructuredAddress")
    if psa is not None:
        lines = [v for v in (_val(x) for x in _kids(psa, "AddressLineText")) if v]
        parts = {
            k: _get(psa, k)
            for k in ("CityName", "GeographicRegionName", "CountryCode", "PostalCode")
        }
        if lines and parts["CountryCode"]:
            addr: dict[str, Any] = {"AddressLineText": lines}
            for k, v in parts.items():
                _put(addr, k, v)
            party["PostalStructuredAddress"] = addr
        else:
            tail = [v for k, v in parts.items() if v and k != "CountryCode"]
            if lines or tail:
                party["PostalAddressText"] = [*lines, " ".join(tail)] if tail else lines
    elif pa is not None:
        texts = [v for v in (_val(x) for x in _kids(pa, "PostalAddressText")) if v]
        if texts:
            party["PostalAddressText"] = texts
    for key in ("NationalityCode", "IncorporationCountryCode", "IncorporationState", "CommentText"):
        _put(party, key, _get(el, key))
    if "CommentText" not in party:
        _put(party, "CommentText", _get(el, "Version", "CommentText"))
    return cast(PartyJSON, party)


def _parties(elements: Iterable[etree._Element]) -> list[PartyJSON]:
    return [p for p in (_read_party(e) for e in elements) if p is not None]


def _read_goods_services(tm: etree._Element) -> list[dict[str, Any]]:
    texts: dict[int, list[str]] = {}
    for gs in _kids(_kid(tm, "GoodsServicesBag"), "GoodsServices"):
        for cd in _kids(_kid(gs, "ClassDescriptionBag"), "ClassDescription"):
            number_el = _kid(cd, "ClassNumber")
            text = _val(number_el)
            if text is None:
                continue  # e.g. USPTO's per-class national status entries
            if not text.isdigit():
                raise StandardsError(
                    "nice-class", f"{text!r} is not a Nice class", _where(number_el)
                )
            descs = [v for v in (_val(x) for x in _kids(cd, "GoodsServicesDescriptionText")) if v]
            texts.setdefault(int(text), []).extend(descs)
    out = []
    for number in sorted(texts):
        if not texts[number]:
            raise StandardsError(
                "required", f"class {number} has no GoodsServicesDescriptionText", _where(tm)
            )
        out.append(
            {"ClassNumber": number, "GoodsServicesDescriptionText": "; ".join(texts[number])}
        )
    return out


def _read_events(tm: etree._Element) -> list[dict[str, Any]]:
    keyed = []
    for index, ev in enumerate(_kids(_kid(tm, "MarkEventBag"), "MarkEvent")):
        category = _get(ev, "MarkEventCategory")
        date = _date_of(ev, "MarkEventDate") or _date_of(ev, "MarkEventDateTime")
        nat = _kid(ev, "NationalMarkEvent")
        descs = [v for v in (_val(x) for x in _kids(nat, "MarkEventDescriptionText")) if v]
        if category not in MARK_EVENT_CATEGORIES or date is None or not descs:
            continue  # not representable in the register's subset
        event: dict[str, Any] = {"MarkEventCategory": category}
        _put(event, "MarkEventCode", _get(nat, "MarkEventCode"))
        event["MarkEventDescriptionText"] = "; ".join(descs)
        event["MarkEventDate"] = date
        entry = _get(nat, "MarkEventEntryNumber") or ""
        keyed.append((date, int(entry) if entry.isdigit() else -1, index, event))
    return [k[3] for k in sorted(keyed, key=lambda k: k[:3])]


def _read_assignments(tm: etree._Element) -> list[dict[str, Any]]:
    out = []
    for asg in _kids(_kid(tm, "AssignmentBag"), "Assignment"):
        rec: dict[str, Any] = {}
        _put(rec, "AssignmentIdentifier", _get(asg, "AssignmentIdentifier"))
        _put(rec, "AssignmentConveyanceCategory", _get(asg, "AssignmentConveyanceCategory"))
        quantity = _get(asg, "PropertyTotalQuantity")
        rec["PropertyTotalQuantity"] = int(quantity) if quantity and quantity.isdigit() else 1
        _put(rec, "AssignmentRecordedDate", _date_of(asg, "AssignmentRecordedDate"))
        _put(rec, "AssignmentExecutedDate", _date_of(asg, "AssignmentExecutedDate"))
        rec["AssignorBag"] = _parties(_kids(_kid(asg, "AssignorBag"), "Assignor"))
        rec["AssigneeBag"] = _parties(_kids(_kid(asg, "AssigneeBag"), "Assignee"))
        out.append(rec)
    return out


def _by_name(el: etree._Element) -> dict[str, list[etree._Element]]:
    """The child elements of ``el`` by local name, in document order: one pass over a
    record's many members instead of one per look-up."""
    out: dict[str, list[etree._Element]] = {}
    for kid in el:
        if isinstance(kid.tag, str):
            out.setdefault(_local(kid), []).append(kid)
    return out


def _read_trademark(tm: etree._Element) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    members = _by_name(tm)

    def first(name: str) -> etree._Element | None:
        found = members.get(name)
        return found[0] if found else None

    def date(name: str) -> str | None:
        el = first(name)
        return None if el is None else _date_of(el)

    _put(rec, "RegistrationOfficeCode", _val(first("RegistrationOfficeCode")))
    number = _get(first("ApplicationNumber"), "ApplicationNumberText")
    if number is None:
        raise StandardsError("required", "Trademark has no ApplicationNumberText", _where(tm))
    rec["ApplicationNumber"] = {"ApplicationNumberText": number}
    application_date = date("ApplicationDate")
    if application_date is None:
        application_date = date("ApplicationDateTime")
    _put(rec, "ApplicationDate", application_date)
    _put(rec, "RegistrationNumber", _val(first("RegistrationNumber")))
    for key in ("RegistrationDate", "ExpiryDate"):
        _put(rec, key, date(key))
    _put(rec, "MarkCurrentStatusCode", _val(first("MarkCurrentStatusCode")))
    _put(rec, "MarkCurrentStatusDate", date("MarkCurrentStatusDate"))
    category = next(
        (c for c in (_val(x) for x in members.get("MarkCategory", ())) if c in MARK_CATEGORIES),
        None,
    )
    _put(rec, "MarkCategory", category)
    mr = first("MarkRepresentation")
    ws = _kid(mr, "MarkReproduction", "WordMarkSpecification")
    significant = _get(ws, "MarkSignificantVerbalElementText")
    verbal = _get(ws, "MarkVerbalElementText") or significant
    if verbal is not None:
        word: dict[str, Any] = {"MarkVerbalElementText": verbal}
        if significant is not None and significant != verbal:
            word["MarkSignificantVerbalElementText"] = significant
        flag = _get(ws, "MarkStandardCharacterIndicator")
        if flag is not None:
            word["MarkStandardCharacterIndicator"] = flag in ("true", "1")
        rep: dict[str, Any] = {}
        feature = _get(mr, "MarkFeatureCategory")
        if feature in MARK_FEATURE_CATEGORIES:
            rep["MarkFeatureCategory"] = feature
        rep["MarkReproduction"] = {"WordMarkSpecification": word}
        rec["MarkRepresentation"] = rep
    goods = _read_goods_services(tm)
    if goods:
        rec["GoodsServicesBag"] = goods
    priorities = []
    for pr in _kids(first("PriorityBag"), "Priority"):
        item: dict[str, Any] = {}
        _put(item, "PriorityCountryCode", _get(pr, "PriorityCountryCode"))
        pr_number = _get(pr, "ApplicationNumber", "ApplicationNumberText")
        if pr_number is not None:
            item["ApplicationNumber"] = {"ApplicationNumberText": pr_number}
        _put(item, "PriorityApplicationFilingDate", _date_of(pr, "PriorityApplicationFilingDate"))
        priorities.append(item)
    if priorities:
        rec["PriorityBag"] = priorities
    rec["ApplicantBag"] = _parties(_kids(first("ApplicantBag"), "Applicant"))
    reps = _parties(_kids(first("RepresentativeBag"), "Representative"))
    reps += _parties(members.get("RecordAttorney", ()))
    if reps:
        rec["RepresentativeBag"] = reps
    events = _read_events(tm)
    if events:
        rec["MarkEventBag"] = events
    assignments = _read_assignments(tm)
    if assignments:
        rec["AssignmentBag"] = assignments
    return rec


def trademark_from_st96_xml(data: bytes) -> list[TrademarkJSON]:
    """Trademark records from an ST.96 trademark document, in document order.

    Each record is checked with ``validate_trademark_json``; errors name the
    record as ``/<index>/...``. National extras outside the record's subset
    (national classes, statuses, image data, ...) are ignored.
    """
    root = parse_xml(data)
    qname = etree.QName(root)
    if qname.namespace not in TRADEMARK_NAMESPACES:
        raise StandardsError(
            "st96-namespace", f"{qname.namespace!r} is not an ST.96 Trademark namespace", "/"
        )
    if qname.localname not in _ROOTS:
        raise StandardsError(
            "st96-root", f"unsupported root element {qname.localname!r}", _where(root)
        )
    # "{*}Trademark": any namespace, filtered in C (elements only).
    marks = [root] if qname.localname == "Trademark" else list(root.iter("{*}Trademark"))
    if not marks:
        raise StandardsError("st96-empty", "document holds no Trademark", _where(root))
    records: list[TrademarkJSON] = []
    for i, tm in enumerate(marks):
        rec = _read_trademark(tm)
        try:
            validate_trademark_json(rec)
        except StandardsError as exc:
            raise StandardsError(exc.rule, exc.detail, f"/{i}{exc.pointer}") from None
        records.append(cast(TrademarkJSON, rec))
    return records
