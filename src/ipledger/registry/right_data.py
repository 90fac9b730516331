"""The disclosed content of rights other than trademarks, keyed by WIPO ST.96 element names.

Trademarks use the full ST.96 trademark record (``st96_export``). For the other kinds the
register keeps the ST.96 elements an office needs to publish and search them; each is checked
against its standard (IPC symbols, Locarno subclasses, Nice classes, ST.3 codes, ISO 639-1
languages, ISO dates, ST.96 code lists), so that every kind ST.96 models exports as valid XML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import parse_iso_date
from ipledger.registry.schema import Field, check_object, one_of, standard, text
from ipledger.standards.ipc import validate_ipc
from ipledger.standards.iso639 import validate_iso639_1
from ipledger.standards.locarno import validate_locarno_subclass
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.geographical_indication import GI_CATEGORIES, PRODUCT_CATEGORIES
from ipledger.standards.st96.model import validate_goods_services_bag


def _list_of(check: Any, max_items: int = 200) -> Any:
    def validate(value: list[Any], pointer: str) -> None:
        if not 1 <= len(value) <= max_items:
            raise Rejection("invalid-value", f"must list 1-{max_items} items", pointer)
        for i, item in enumerate(value):
            check(item, f"{pointer}/{i}")
    return validate


def iso_date(value: str, pointer: str) -> None:
    try:
        parse_iso_date(value)
    except ValueError:
        raise Rejection("invalid-value", "must be a date YYYY-MM-DD", pointer) from None


def _priority(value: object, pointer: str) -> None:
    check_object(value, {
        "PriorityCountryCode": Field(str, check=standard(validate_st3)),
        "ApplicationNumberText": Field(str, check=text(60)),
        "PriorityApplicationFilingDate": Field(str, check=iso_date),
    }, pointer)


def _string(check: Any) -> Any:
    def validate(value: object, pointer: str) -> None:
        if not isinstance(value, str):
            raise Rejection("wrong-type", "must be a string", pointer)
        check(value, pointer)
    return validate


_PRIORITY = Field(list, required=False, check=_list_of(_priority, 50))
_ABSTRACT = Field(str, required=False, check=text(20_000))

SCHEMAS: dict[str, dict[str, Field]] = {
    "patent": {
        "InventionTitle": Field(str, check=text(1000)),
        "IPCRClassificationBag": Field(list, required=False,
                                       check=_list_of(_string(standard(validate_ipc)))),
        "Abstract": _ABSTRACT,
        "ClaimTotalQuantity": Field(int, required=False),
        "PriorityBag": _PRIORITY,
    },
    "utility_model": {
        "InventionTitle": Field(str, check=text(1000)),
        "IPCRClassificationBag": Field(list, required=False,
                                       check=_list_of(_string(standard(validate_ipc)))),
        "Abstract": _ABSTRACT,
        "PriorityBag": _PRIORITY,
    },
    "industrial_design": {
        "DesignTitle": Field(str, check=text(1000)),
        "ClassificationLocarno": Field(list, check=_list_of(
            _string(standard(validate_locarno_subclass)), 100)),
        "ViewQuantity": Field(int, required=False),
        # How many of the ViewQuantity views are in colour (ST.96 counts views by colour).
        "ColourViewQuantity": Field(int, required=False),
        "PriorityBag": _PRIORITY,
    },
    "copyright": {
        "WorkTitle": Field(str, check=text(1000)),
        "WorkCategory": Field(str, check=text(100)),
        "CreationDate": Field(str, required=False, check=iso_date),
        "AuthorNameBag": Field(list, required=False, check=_list_of(_string(text(300)), 50)),
    },
    # What a gin:GIData record needs (standards/st96/geographical_indication.py maps it).
    "geographical_indication": {
        "GeographicalIndicationName": Field(str, check=text(300)),
        "ProductCategory": Field(str, check=one_of(*PRODUCT_CATEGORIES)),
        "GeographicalArea": Field(str, check=text(2000)),
        "OriginCountryCode": Field(str, check=standard(validate_st3)),
        "FeatureDescriptionText": Field(str, check=text(20_000)),
        "ApplicationLanguageCode": Field(str, check=standard(validate_iso639_1)),
        "GICategory": Field(str, required=False, check=one_of(*GI_CATEGORIES)),
        "GoodsServicesBag": Field(list, required=False,
                                  check=standard(validate_goods_services_bag)),
        "DemarcatedAreaDescriptionText": Field(str, required=False, check=text(2000)),
    },
}


def check_right_data(kind: str, data: Mapping[str, Any], pointer: str) -> None:
    """Validate a non-trademark right's disclosed content; Rejection names the field."""
    check_object(dict(data), SCHEMAS[kind], pointer)
    if "ColourViewQuantity" in data and not (
            0 <= data["ColourViewQuantity"] <= data.get("ViewQuantity", -1)):
        raise Rejection("invalid-value", "must be 0..ViewQuantity (give ViewQuantity too)",
                        f"{pointer}/ColourViewQuantity")
