"""The register's trademark record: JSON whose member names are ST.96 element names.

The record is a documented subset of ``tmk:Trademark`` (WIPO ST.96 V6_0,
``Trademark_V6_0.xsd``). Member names are the ST.96 element names; nesting
follows ST.96 except that single-child wrappers are folded away (a ``...Bag``
is a JSON array of its items, ``Contact/Name/...`` is lifted into the party):

- ``RegistrationOfficeCode``: ST.3 code (optional; the exporting office)
- ``ApplicationNumber``: ``{"ApplicationNumberText": str}`` (required)
- ``ApplicationDate`` (required), ``RegistrationDate``, ``ExpiryDate``,
  ``MarkCurrentStatusDate``: ``"YYYY-MM-DD"``
- ``RegistrationNumber``, ``MarkCurrentStatusCode`` (an xsd:token)
- ``MarkCategory``: one of ST.96 ``MarkCategoryType``
- ``MarkRepresentation``: ``{"MarkFeatureCategory"?, "MarkReproduction":
  {"WordMarkSpecification": {"MarkVerbalElementText", "MarkSignificantVerbalElementText"?,
  "MarkStandardCharacterIndicator"?}}}``
- ``GoodsServicesBag``: ``[{"ClassNumber": 1-45, "GoodsServicesDescriptionText"}]``,
  ascending, one entry per Nice class
- ``PriorityBag``: ``[{"PriorityCountryCode", "ApplicationNumber"?,
  "PriorityApplicationFilingDate"}]``
- ``ApplicantBag`` (required), ``RepresentativeBag``: arrays of parties (``PARTY_KEYS``)
- ``MarkEventBag``: ``[{"MarkEventCategory", "MarkEventCode"?, "MarkEventDescriptionText",
  "MarkEventDate"}]`` in chronological order
- ``AssignmentBag``: ``[{"AssignmentIdentifier", "AssignmentConveyanceCategory",
  "PropertyTotalQuantity", "AssignmentRecordedDate"?, "AssignmentExecutedDate"?,
  "AssignorBag", "AssigneeBag"}]``

The form is canonical (one record, one JSON text): no empty arrays or strings,
no surrounding whitespace, tokens whitespace-normalized, no redundant members.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Required, TypedDict

from ipledger.standards.errors import StandardsError, escape_pointer
from ipledger.standards.nice import validate_nice_class
from ipledger.standards.st3 import validate_st3, validate_st3_country

__all__ = [
    "MARK_CATEGORIES",
    "MARK_EVENT_CATEGORIES",
    "MARK_FEATURE_CATEGORIES",
    "PARTY_KEYS",
    "TRADEMARK_KEYS",
    "ApplicationNumberJSON",
    "AssignmentJSON",
    "GoodsServicesJSON",
    "MarkEventJSON",
    "MarkRepresentationJSON",
    "MarkReproductionJSON",
    "PartyJSON",
    "PostalStructuredAddressJSON",
    "PriorityJSON",
    "TrademarkJSON",
    "WordMarkSpecificationJSON",
    "validate_goods_services_bag",
    "validate_trademark_json",
]


class ApplicationNumberJSON(TypedDict):
    """``com:ApplicationNumber`` (the office code is the record's office)."""

    ApplicationNumberText: str


class WordMarkSpecificationJSON(TypedDict, total=False):
    """``tmk:WordMarkSpecification``."""

    MarkVerbalElementText: Required[str]
    MarkSignificantVerbalElementText: str
    MarkStandardCharacterIndicator: bool


class MarkReproductionJSON(TypedDict):
    """``tmk:MarkReproduction`` (word element only)."""

    WordMarkSpecification: WordMarkSpecificationJSON


class MarkRepresentationJSON(TypedDict, total=False):
    """``tmk:MarkRepresentation``."""

    MarkFeatureCategory: str
    MarkReproduction: Required[MarkReproductionJSON]


class PostalStructuredAddressJSON(TypedDict, total=False):
    """``com:PostalStructuredAddress``."""

    AddressLineText: Required[list[str]]
    CityName: str
    GeographicRegionName: str
    CountryCode: Required[str]
    PostalCode: str


class PartyJSON(TypedDict, total=False):
    """An applicant, representative, assignor or assignee (``com:Contact`` lifted).

    Exactly one of ``PersonFullName`` / ``OrganizationStandardName``; at most one
    of ``PostalStructuredAddress`` / ``PostalAddressText``.
    """

    PersonFullName: str
    OrganizationStandardName: str
    LegalEntityName: str
    PostalStructuredAddress: PostalStructuredAddressJSON
    PostalAddressText: list[str]
    NationalityCode: str
    IncorporationCountryCode: str
    IncorporationState: str
    CommentText: str


class GoodsServicesJSON(TypedDict):
    """One Nice class with its list of goods or services."""

    ClassNumber: int
    GoodsServicesDescriptionText: str


class PriorityJSON(TypedDict, total=False):
    """``tmk:Priority``."""

    PriorityCountryCode: Required[str]
    ApplicationNumber: ApplicationNumberJSON
    PriorityApplicationFilingDate: Required[str]


class MarkEventJSON(TypedDict, total=False):
    """``tmk:MarkEvent`` with its ``tmk:NationalMarkEvent`` lifted."""

    MarkEventCategory: Required[str]
    MarkEventCode: str
    MarkEventDescriptionText: Required[str]
    MarkEventDate: Required[str]


class AssignmentJSON(TypedDict, total=False):
    """``tmk:Assignment`` (a recorded change of ownership)."""

    AssignmentIdentifier: Required[str]
    AssignmentConveyanceCategory: Required[str]
    PropertyTotalQuantity: Required[int]
    AssignmentRecordedDate: str
    AssignmentExecutedDate: str
    AssignorBag: Required[list[PartyJSON]]
    AssigneeBag: Required[list[PartyJSON]]


class TrademarkJSON(TypedDict, total=False):
    """The register's trademark record (see the module docstring)."""

    RegistrationOfficeCode: str
    ApplicationNumber: Required[ApplicationNumberJSON]
    ApplicationDate: Required[str]
    RegistrationNumber: str
    RegistrationDate: str
    ExpiryDate: str
    MarkCurrentStatusCode: str
    MarkCurrentStatusDate: str
    MarkCategory: str
    MarkRepresentation: MarkRepresentationJSON
    GoodsServicesBag: list[GoodsServicesJSON]
    PriorityBag: list[PriorityJSON]
    ApplicantBag: Required[list[PartyJSON]]
    RepresentativeBag: list[PartyJSON]
    MarkEventBag: list[MarkEventJSON]
    AssignmentBag: list[AssignmentJSON]


# Enumerations copied from Trademark_V6_0.xsd.
MARK_FEATURE_CATEGORIES: Final = frozenset(
    {
        "Word", "Stylized characters", "Figurative", "Combined", "Three dimensional",
        "Colour", "Sound", "Hologram", "Olfactory", "Motion", "Multimedia", "Position",
        "Touch", "Taste", "Tracer", "Other",
    }
)  # fmt: skip
MARK_CATEGORIES: Final = frozenset(
    {
        "Mark", "Trademark", "Service mark", "Defensive mark", "Individual mark",
        "Collective mark", "Collective trademark", "Collective service mark",
        "Collective membership mark", "Certification mark",
        "Well known mark under TRIPS Article 16_2", "Well known mark under TRIPS Article 16_3",
        "Well known collective mark",
    }
)  # fmt: skip
MARK_EVENT_CATEGORIES: Final = frozenset(
    {
        "Application filed", "Filing date accorded", "Classification checked",
        "Application accepted", "Application published", "Opposition pending",
        "Registration published", "Application refused", "Application withdrawn",
        "Appeal pending", "Interruption of proceeding", "Registration cancelled",
        "Conversion requested", "Registration surrendered", "Revocation proceeding pending",
        "Invalidity proceeding pending", "Action before court of justice pending",
        "National prosecution history entry", "Domestic international application history entry",
        "National board proceeding history entry", "National assignment history entry",
        "Location history entry",
    }
)  # fmt: skip

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Characters XML 1.0 cannot carry, plus CR (XML parsers turn it into LF).
_BAD_CHARS = re.compile("[\x00-\x08\x0b-\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_TEXT: Final = 20_000

_Check = Callable[[Any, str], object]


def _fail(rule: str, detail: str, pointer: str) -> StandardsError:
    return StandardsError(rule, detail, pointer)


def _text(value: Any, ptr: str) -> None:
    """Non-empty, whitespace-normalized text of XML characters (canonical, round-trips)."""
    if not isinstance(value, str):
        raise _fail("type", "expected a string", ptr)
    if not value:
        raise _fail("empty", "empty strings are not allowed; omit the member", ptr)
    if " ".join(value.split()) != value:
        raise _fail(
            "whitespace", "text must not have surrounding, repeated or non-space whitespace", ptr
        )
    if _BAD_CHARS.search(value):
        raise _fail("xml-char", "character not allowed in XML 1.0 (or CR)", ptr)
    if len(value) > _MAX_TEXT:
        raise _fail("too-long", f"longer than {_MAX_TEXT} characters", ptr)


def _token(value: Any, ptr: str) -> None:
    """An xsd:token (``_text`` is already whitespace-normalized)."""
    _text(value, ptr)


def _date(value: Any, ptr: str) -> None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail("date", "expected a date 'YYYY-MM-DD'", ptr)
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise _fail("date", f"{value!r} is not a calendar date", ptr) from None


def _bool(value: Any, ptr: str) -> None:
    if not isinstance(value, bool):
        raise _fail("type", "expected true or false", ptr)


def _count(value: Any, ptr: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
        raise _fail("type", "expected a positive integer", ptr)


def _enum(values: frozenset[str], name: str) -> _Check:
    def check(value: Any, ptr: str) -> None:
        _token(value, ptr)
        if value not in values:
            raise _fail(name, f"{value!r} is not an ST.96 {name} value", ptr)

    return check


def _st3(value: Any, ptr: str) -> None:
    validate_st3(value, ptr)


def _country(value: Any, ptr: str) -> None:
    validate_st3_country(value, ptr)


def _object(
    obj: Any, ptr: str, fields: Mapping[str, tuple[bool, _Check]], what: str
) -> Mapping[str, Any]:
    if not isinstance(obj, dict):
        raise _fail("type", f"expected a JSON object ({what})", ptr)
    unknown = obj.keys() - fields.keys()
    if unknown:
        key = min(unknown)  # the first in sorted order, as reported before
        raise _fail(
            "unknown-member", f"{key!r} is not a member of {what}", ptr + "/" + escape_pointer(key)
        )
    for key, (required, check) in fields.items():
        if key in obj:
            check(obj[key], f"{ptr}/{_field_token(key)}")
        elif required:
            raise _fail("required", f"{what} requires {key!r}", f"{ptr}/{_field_token(key)}")
    return obj


@functools.lru_cache(maxsize=1024)
def _field_token(key: str) -> str:
    """A declared member name as a JSON Pointer token (names are few: escape each once)."""
    return escape_pointer(key)


def _array(item: _Check, what: str) -> _Check:
    def check(value: Any, ptr: str) -> None:
        if not isinstance(value, list):
            raise _fail("type", f"expected an array ({what})", ptr)
        if not value:
            raise _fail("empty", f"empty {what}; omit the member", ptr)
        for i, v in enumerate(value):
            item(v, f"{ptr}/{i}")

    return check


def _application_number(value: Any, ptr: str) -> None:
    _object(value, ptr, {"ApplicationNumberText": (True, _token)}, "ApplicationNumber")


def _word_mark(value: Any, ptr: str) -> None:
    obj = _object(
        value,
        ptr,
        {
            "MarkVerbalElementText": (True, _text),
            "MarkSignificantVerbalElementText": (False, _text),
            "MarkStandardCharacterIndicator": (False, _bool),
        },
        "WordMarkSpecification",
    )
    if obj.get("MarkSignificantVerbalElementText") == obj["MarkVerbalElementText"]:
        raise _fail(
            "redundant",
            "omit MarkSignificantVerbalElementText when equal to MarkVerbalElementText",
            ptr + "/MarkSignificantVerbalElementText",
        )


def _reproduction(value: Any, ptr: str) -> None:
    _object(value, ptr, {"WordMarkSpecification": (True, _word_mark)}, "MarkReproduction")


def _representation(value: Any, ptr: str) -> None:
    _object(
        value,
        ptr,
        {
            "MarkFeatureCategory": (False, _enum(MARK_FEATURE_CATEGORIES, "MarkFeatureCategory")),
            "MarkReproduction": (True, _reproduction),
        },
        "MarkRepresentation",
    )


def _address(value: Any, ptr: str) -> None:
    _object(
        value,
        ptr,
        {
            "AddressLineText": (True, _array(_text, "AddressLineText")),
            "CityName": (False, _text),
            "GeographicRegionName": (False, _text),
            "CountryCode": (True, _country),
            "PostalCode": (False, _token),
        },
        "PostalStructuredAddress",
    )


PARTY_KEYS: Final = (
    "PersonFullName",
    "OrganizationStandardName",
    "LegalEntityName",
    "PostalStructuredAddress",
    "PostalAddressText",
    "NationalityCode",
    "IncorporationCountryCode",
    "IncorporationState",
    "CommentText",
)

_PARTY_FIELDS: Final[dict[str, tuple[bool, _Check]]] = {
    "PersonFullName": (False, _text),
    "OrganizationStandardName": (False, _text),
    "LegalEntityName": (False, _text),
    "PostalStructuredAddress": (False, _address),
    "PostalAddressText": (False, _array(_text, "PostalAddressText")),
    "NationalityCode": (False, _country),
    "IncorporationCountryCode": (False, _country),
    "IncorporationState": (False, _text),
    "CommentText": (False, _text),
}


def _party(value: Any, ptr: str) -> None:
    obj = _object(value, ptr, _PARTY_FIELDS, "party")
    names = [k for k in ("PersonFullName", "OrganizationStandardName") if k in obj]
    if len(names) != 1:
        raise _fail(
            "party-name",
            "a party needs exactly one of PersonFullName, OrganizationStandardName",
            ptr,
        )
    if "PostalStructuredAddress" in obj and "PostalAddressText" in obj:
        raise _fail(
            "party-address",
            "use either PostalStructuredAddress or PostalAddressText",
            ptr + "/PostalAddressText",
        )


def _goods_services(value: Any, ptr: str) -> None:
    _array(
        lambda v, p: _object(
            v,
            p,
            {
                "ClassNumber": (True, validate_nice_class),
                "GoodsServicesDescriptionText": (True, _text),
            },
            "GoodsServices",
        ),
        "GoodsServicesBag",
    )(value, ptr)
    classes = [gs["ClassNumber"] for gs in value]
    for i in range(1, len(classes)):
        if classes[i] <= classes[i - 1]:
            raise _fail(
                "class-order",
                "GoodsServicesBag must list each Nice class once, in ascending order",
                f"{ptr}/{i}/ClassNumber",
            )


def validate_goods_services_bag(value: object, pointer: str = "") -> None:
    """Check a ``GoodsServicesBag`` (one entry per Nice class, ascending); raise on error."""
    _goods_services(value, pointer)


def _priority(value: Any, ptr: str) -> None:
    _object(
        value,
        ptr,
        {
            "PriorityCountryCode": (True, _st3),
            "ApplicationNumber": (False, _application_number),
            "PriorityApplicationFilingDate": (True, _date),
        },
        "Priority",
    )


def _events(value: Any, ptr: str) -> None:
    _array(
        lambda v, p: _object(
            v,
            p,
            {
                "MarkEventCategory": (True, _enum(MARK_EVENT_CATEGORIES, "MarkEventCategory")),
                "MarkEventCode": (False, _token),
                "MarkEventDescriptionText": (True, _text),
                "MarkEventDate": (True, _date),
            },
            "MarkEvent",
        ),
        "MarkEventBag",
    )(value, ptr)
    for i in range(1, len(value)):
        if value[i]["MarkEventDate"] < value[i - 1]["MarkEventDate"]:
            raise _fail(
                "event-order",
                "MarkEventBag must be in chronological order",
                f"{ptr}/{i}/MarkEventDate",
            )


def _assignment(value: Any, ptr: str) -> None:
    _object(
        value,
        ptr,
        {
            "AssignmentIdentifier": (True, _token),
            "AssignmentConveyanceCategory": (True, _token),
            "PropertyTotalQuantity": (True, _count),
            "AssignmentRecordedDate": (False, _date),
            "AssignmentExecutedDate": (False, _date),
            "AssignorBag": (True, _array(_party, "AssignorBag")),
            "AssigneeBag": (True, _array(_party, "AssigneeBag")),
        },
        "Assignment",
    )


_TRADEMARK_FIELDS: Final[dict[str, tuple[bool, _Check]]] = {
    "RegistrationOfficeCode": (False, _st3),
    "ApplicationNumber": (True, _application_number),
    "ApplicationDate": (True, _date),
    "RegistrationNumber": (False, _token),
    "RegistrationDate": (False, _date),
    "ExpiryDate": (False, _date),
    "MarkCurrentStatusCode": (False, _token),
    "MarkCurrentStatusDate": (False, _date),
    "MarkCategory": (False, _enum(MARK_CATEGORIES, "MarkCategory")),
    "MarkRepresentation": (False, _representation),
    "GoodsServicesBag": (False, _goods_services),
    "PriorityBag": (False, _array(_priority, "PriorityBag")),
    "ApplicantBag": (True, _array(_party, "ApplicantBag")),
    "RepresentativeBag": (False, _array(_party, "RepresentativeBag")),
    "MarkEventBag": (False, _events),
    "AssignmentBag": (False, _array(_assignment, "AssignmentBag")),
}

TRADEMARK_KEYS: Final = tuple(_TRADEMARK_FIELDS)
"""Top-level members of a trademark record, in ST.96 ``TrademarkType`` order."""


def validate_trademark_json(obj: object, pointer: str = "") -> None:
    """Check a trademark record; raise ``StandardsError`` naming the JSON Pointer and rule."""
    _object(obj, pointer, _TRADEMARK_FIELDS, "Trademark")
