"""Geographical indication register records to WIPO ST.96 V6_0 XML (``gin:GIData``).

``gin:GIData`` (``GeographicalIndication_V6_0.xsd``, namespace ``.../ST96/GeographicalIndication``)
is the schema's record of one GI; the other GI roots are transactions around it (user
certificates, change, opposition or cancellation records). Its holders are
``gin:AuthorizedUser`` ("the beneficiary or the holder of the geographical indication"): GIData
has no applicant element.

Mapping (register record -> ``gin:GIData``, element order as in the XSD):

- ``office`` -> ``@com:officeCode`` and ``com:ApplicationNumber/com:IPOfficeCode``
- ``data.ApplicationLanguageCode`` -> ``@com:languageCode`` (required by the schema)
- ``number`` -> ``com:ApplicationNumber/com:ApplicationNumberText``
- ``filing_date`` -> ``com:ApplicationDate``
- ``registration_number``, ``registration_date`` -> ``com:RegistrationNumber``,
  ``com:RegistrationDate``
- ``data.GeographicalIndicationName`` -> ``gin:GINameBag/gin:GINameText``
- ``data.GoodsServicesBag`` (``[{"ClassNumber", "GoodsServicesDescriptionText"}]``) ->
  ``gin:ProductIndicationBag/tmk:GoodsServices`` (Nice); without it, one ``tmk:GoodsServices``
  of classification kind ``Other`` described by the product category
- ``data.ProductCategory`` -> ``gin:ProductIndicationBag/gin:ProductCategory``
- ``data.FeatureDescriptionText`` -> ``gin:FeatureDescriptionBag/gin:FeatureDescription/
  gin:FeatureDescriptionText``
- ``data.GeographicalArea`` -> ``gin:GeographicRegionDescriptionBag/
  gin:GeographicRegionDescription/gin:GeographicRegionDescriptionText``
- ``data.DemarcatedAreaDescriptionText`` -> ``gin:GeographicRegionDescriptionBag/
  gin:DemarcatedAreaDescriptionText``
- ``data.GICategory`` -> ``gin:GICategory`` (default ``DEFAULT_GI_CATEGORY``)
- ``applicants`` -> ``gin:AuthorizedUser/com:Contact`` with ``gin:AuthorizedUserStatusCategory``
  following the GI's status (pending, valid, ended)
- ``status`` -> ``gin:GIStatusCategory`` (``GI_STATUS_CATEGORY``; lossy)
- ``withdrawal_date`` -> ``gin:WithdrawalDate``; ``expiry_date`` -> ``com:ExpiryDate``

Not carried: ``data.OriginCountryCode`` (V6_0 declares ``gin:ContractingPartyOriginCode`` but
no GI type uses it) and the holders' nationality (``gin:AuthorizedUser`` has only a contact).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.schema import COM_NS, TMK_NS
from ipledger.standards.st96.trademark import goods_services
from ipledger.standards.st96.xmlnav import common as _c
from ipledger.standards.st96.xmlnav import contact, serialize_checked
from ipledger.standards.st96.xmlnav import sub_element as _sub

__all__ = [
    "DEFAULT_GI_CATEGORY",
    "GI_CATEGORIES",
    "GI_NS",
    "GI_SCHEMA",
    "GI_STATUS_CATEGORY",
    "PRODUCT_CATEGORIES",
    "gi_to_st96_element",
    "gi_to_st96_xml",
]

GI_NS: Final = "http://www.wipo.int/standards/XMLSchema/ST96/GeographicalIndication"
GI_SCHEMA: Final = "GeographicalIndication_V6_0.xsd"
_NSMAP: Final = {"com": COM_NS, "gin": GI_NS, "tmk": TMK_NS}

#: ``gin:GICategoryType``, in schema order.
GI_CATEGORIES: Final = (
    "Geographical Indication",
    "Protected Geographical Indication",
    "Protected Designation of Origin",
    "Traditional Specialty Guaranteed",
    "Appellation of Origin",
)
#: The general category (TRIPS Art. 22.1) when the applicant names none.
DEFAULT_GI_CATEGORY: Final = GI_CATEGORIES[0]

#: ``gin:ProductCategoryType``, in schema order (its spellings, e.g. "Diary", are WIPO's).
PRODUCT_CATEGORIES: Final = (
    "Beer", "Chocolate and derived products", "Bakers wares",
    "Beverages made from plant extracts", "Pasta", "Mustard paste", "Natural gums and resins",
    "Essential oils", "Hay", "Cork", "Cochineal", "Flowers and ornamental plants", "Cotton",
    "Wool", "Wicker", "Scutched flax", "Leather", "Fur", "Feather", "Prepared meals", "Wine",
    "Spirits", "Agricultural Product or Food", "Diary", "Fish", "Fruit", "Game", "Glass", "Meat",
    "Music", "NonAlcohol", "Other alcohol", "Religious", "Salt", "Stone", "Textile", "Vegetable",
    "Mineral water", "Crafts", "Cheese", "Butter", "Spices", "Cereals",
    "Products of the milling industry", "Oilseeds", "Oils and fats",
    "Confectionery and baked products", "Sugars and syrups", "Table and processed olives",
    "Vinegar", "Honey", "Gingerbread", "Tea", "Coffee", "Clothing", "Endemic species",
    "Forest product", "Hops", "Ginseng", "Manufactured products", "Natural goods", "Other",
)  # fmt: skip

#: Register state -> ``gin:GIStatusCategory`` (Filing, Published, Registered, Ended).
GI_STATUS_CATEGORY: Final[Mapping[str, str]] = {
    "filed": "Filing",
    "formalities_checked": "Filing",
    "under_examination": "Filing",
    "published": "Published",
    "opposition_period": "Published",
    "opposed": "Published",
    "registered": "Registered",
    "granted": "Registered",
    "renewal_due": "Registered",
    "in_grace_period": "Registered",
    "refused": "Ended",
    "withdrawn": "Ended",
    "lapsed": "Ended",
    "expired": "Ended",
    "surrendered": "Ended",
    "cancelled": "Ended",
    "invalidated": "Ended",
}
#: ``gin:GIStatusCategory`` -> ``gin:AuthorizedUserStatusCategory`` of the holders.
_USER_STATUS: Final[Mapping[str, str]] = {
    "Filing": "Pending", "Published": "Pending", "Registered": "Valid", "Ended": "Ended",
}  # fmt: skip

_REQUIRED_DATA: Final = (
    "GeographicalIndicationName", "ProductCategory", "FeatureDescriptionText",
    "GeographicalArea", "ApplicationLanguageCode",
)  # fmt: skip


def _g(name: str) -> str:
    return f"{{{GI_NS}}}{name}"


def _text(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StandardsError("required", "expected a non-empty string", pointer)
    return value


def _check(record: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The record's ST.3 office and its data; names the first missing or malformed member."""
    if not isinstance(record, Mapping):
        raise StandardsError("type", "record must be a JSON object", "")
    if record.get("kind", "geographical_indication") != "geographical_indication":
        raise StandardsError("kind", f"{record['kind']!r} is not a geographical indication",
                             "/kind")  # fmt: skip
    office = validate_st3(record.get("office"), "/office")
    for key in ("number", "filing_date", "status"):
        _text(record.get(key), f"/{key}")
    applicants = record.get("applicants")
    if not isinstance(applicants, list) or not applicants:
        raise StandardsError("required", "at least one applicant is required", "/applicants")
    data = record.get("data")
    if not isinstance(data, Mapping):
        raise StandardsError("required", "record needs a data object", "/data")
    for key in _REQUIRED_DATA:
        _text(data.get(key), f"/data/{key}")
    return office, data


def gi_to_st96_element(record: Mapping[str, Any]) -> etree._Element:
    """Build (without validating) the ``gin:GIData`` element for a GI register record."""
    office, data = _check(record)
    attrs = {_c("officeCode"): office, _c("languageCode"): data["ApplicationLanguageCode"]}
    gi = etree.Element(_g("GIData"), attrs, nsmap=_NSMAP)
    number = _sub(gi, _c("ApplicationNumber"))
    _sub(number, _c("IPOfficeCode"), office)
    _sub(number, _c("ApplicationNumberText"), record["number"])
    _sub(gi, _c("ApplicationDate"), record["filing_date"])
    if record.get("registration_number"):
        _sub(gi, _c("RegistrationNumber"), record["registration_number"])
        if record.get("registration_date"):
            _sub(gi, _c("RegistrationDate"), record["registration_date"])
    _sub(_sub(gi, _g("GINameBag")), _g("GINameText"), data["GeographicalIndicationName"])
    products = _sub(gi, _g("ProductIndicationBag"))
    for gs in data.get("GoodsServicesBag") or [
        {"GoodsServicesDescriptionText": data["ProductCategory"]}
    ]:
        goods_services(products, gs["GoodsServicesDescriptionText"], gs.get("ClassNumber"))
    _sub(products, _g("ProductCategory"), data["ProductCategory"])
    feature = _sub(_sub(gi, _g("FeatureDescriptionBag")), _g("FeatureDescription"))
    _sub(feature, _g("FeatureDescriptionText"), data["FeatureDescriptionText"])
    region = _sub(gi, _g("GeographicRegionDescriptionBag"))
    _sub(_sub(region, _g("GeographicRegionDescription")), _g("GeographicRegionDescriptionText"),
         data["GeographicalArea"])  # fmt: skip
    if data.get("DemarcatedAreaDescriptionText"):
        _sub(region, _g("DemarcatedAreaDescriptionText"), data["DemarcatedAreaDescriptionText"])
    _sub(gi, _g("GICategory"), data.get("GICategory", DEFAULT_GI_CATEGORY))
    status = GI_STATUS_CATEGORY.get(record["status"])
    for party in record["applicants"]:
        user = _sub(gi, _g("AuthorizedUser"))
        contact(user, party)
        if status is not None:
            _sub(user, _g("AuthorizedUserStatusCategory"), _USER_STATUS[status])
    if status is not None:
        _sub(gi, _g("GIStatusCategory"), status)
    if record.get("withdrawal_date"):
        _sub(gi, _g("WithdrawalDate"), record["withdrawal_date"])
    if record.get("expiry_date"):
        _sub(gi, _c("ExpiryDate"), record["expiry_date"])
    return gi


def gi_to_st96_xml(record: Mapping[str, Any], *, validate: bool = True) -> bytes:
    """ST.96 V6_0 ``gin:GIData`` XML for a GI register record.

    Checked against ``GeographicalIndication_V6_0.xsd`` unless ``validate`` is false.
    Same record, same bytes.
    """
    return serialize_checked(gi_to_st96_element(record), GI_SCHEMA, validate=validate)
