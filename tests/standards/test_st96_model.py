"""Validation of the register's trademark JSON record."""

from __future__ import annotations

from typing import Any

import pytest

from ipledger.standards import StandardsError
from ipledger.standards.st96 import TRADEMARK_KEYS, validate_trademark_json


def _rejects(record: Any, pointer: str, rule: str) -> None:
    with pytest.raises(StandardsError) as err:
        validate_trademark_json(record)
    assert (err.value.pointer, err.value.rule) == (pointer, rule), str(err.value)


def test_valid_records(sample: dict[str, Any], minimal: dict[str, Any]) -> None:
    validate_trademark_json(sample)
    validate_trademark_json(minimal)
    assert set(sample) == set(TRADEMARK_KEYS)


def test_not_an_object() -> None:
    _rejects([], "", "type")


@pytest.mark.parametrize("key", ["ApplicationNumber", "ApplicationDate", "ApplicantBag"])
def test_missing_required(minimal: dict[str, Any], key: str) -> None:
    del minimal[key]
    _rejects(minimal, f"/{key}", "required")


def test_missing_nested_required(sample: dict[str, Any]) -> None:
    del sample["GoodsServicesBag"][1]["GoodsServicesDescriptionText"]
    _rejects(sample, "/GoodsServicesBag/1/GoodsServicesDescriptionText", "required")


def test_unknown_member(minimal: dict[str, Any]) -> None:
    minimal["HolderBag"] = []
    _rejects(minimal, "/HolderBag", "unknown-member")
    del minimal["HolderBag"]
    minimal["ApplicantBag"][0]["a/b"] = "x"
    _rejects(minimal, "/ApplicantBag/0/a~1b", "unknown-member")


def test_class_46(sample: dict[str, Any]) -> None:
    sample["GoodsServicesBag"][2]["ClassNumber"] = 46
    _rejects(sample, "/GoodsServicesBag/2/ClassNumber", "nice-class")


def test_class_order_and_duplicates(sample: dict[str, Any]) -> None:
    sample["GoodsServicesBag"][1]["ClassNumber"] = 9
    _rejects(sample, "/GoodsServicesBag/1/ClassNumber", "class-order")


def test_bad_st3(sample: dict[str, Any]) -> None:
    sample["PriorityBag"][0]["PriorityCountryCode"] = "ZZ"
    _rejects(sample, "/PriorityBag/0/PriorityCountryCode", "st3-code")


def test_office_code_for_priority_but_not_address(sample: dict[str, Any]) -> None:
    sample["PriorityBag"][0]["PriorityCountryCode"] = "EM"
    validate_trademark_json(sample)
    sample["ApplicantBag"][0]["PostalStructuredAddress"]["CountryCode"] = "EM"
    _rejects(sample, "/ApplicantBag/0/PostalStructuredAddress/CountryCode", "st3-country")


@pytest.mark.parametrize("date", ["2023-02-30", "2023-1-01", "20230101", "2023-01-01Z", 20230101])
def test_bad_dates(minimal: dict[str, Any], date: object) -> None:
    minimal["ApplicationDate"] = date
    _rejects(minimal, "/ApplicationDate", "date")


@pytest.mark.parametrize(
    ("value", "rule"),
    [("", "empty"), (" X", "whitespace"), ("A  B", "whitespace"), ("A\nB", "whitespace"),
     ("A\x01", "xml-char"), (7, "type")],
)  # fmt: skip
def test_bad_text(minimal: dict[str, Any], value: object, rule: str) -> None:
    minimal["ApplicantBag"][0]["PersonFullName"] = value
    _rejects(minimal, "/ApplicantBag/0/PersonFullName", rule)


def test_party_needs_one_name(minimal: dict[str, Any]) -> None:
    minimal["ApplicantBag"][0]["OrganizationStandardName"] = "Org"
    _rejects(minimal, "/ApplicantBag/0", "party-name")
    minimal["ApplicantBag"][0] = {"CommentText": "nobody"}
    _rejects(minimal, "/ApplicantBag/0", "party-name")


def test_party_one_address(sample: dict[str, Any]) -> None:
    sample["ApplicantBag"][0]["PostalAddressText"] = ["x"]
    _rejects(sample, "/ApplicantBag/0/PostalAddressText", "party-address")


def test_empty_bags_are_not_canonical(minimal: dict[str, Any]) -> None:
    minimal["MarkEventBag"] = []
    _rejects(minimal, "/MarkEventBag", "empty")
    del minimal["MarkEventBag"]
    minimal["ApplicantBag"] = []
    _rejects(minimal, "/ApplicantBag", "empty")


def test_enumerations(sample: dict[str, Any]) -> None:
    sample["MarkRepresentation"]["MarkFeatureCategory"] = "Wordmark"
    _rejects(sample, "/MarkRepresentation/MarkFeatureCategory", "MarkFeatureCategory")
    sample["MarkRepresentation"]["MarkFeatureCategory"] = "Word"
    sample["MarkCategory"] = "Famous mark"
    _rejects(sample, "/MarkCategory", "MarkCategory")
    sample["MarkCategory"] = "Trademark"
    sample["MarkEventBag"][0]["MarkEventCategory"] = "Application Filed"
    _rejects(sample, "/MarkEventBag/0/MarkEventCategory", "MarkEventCategory")


def test_events_chronological(sample: dict[str, Any]) -> None:
    sample["MarkEventBag"][2]["MarkEventDate"] = "2022-09-01"
    _rejects(sample, "/MarkEventBag/2/MarkEventDate", "event-order")


def test_redundant_significant_text(sample: dict[str, Any]) -> None:
    word = sample["MarkRepresentation"]["MarkReproduction"]["WordMarkSpecification"]
    word["MarkSignificantVerbalElementText"] = word["MarkVerbalElementText"]
    _rejects(
        sample,
        "/MarkRepresentation/MarkReproduction/WordMarkSpecification/MarkSignificantVerbalElementText",
        "redundant",
    )


def test_booleans_and_counts(sample: dict[str, Any]) -> None:
    word = sample["MarkRepresentation"]["MarkReproduction"]["WordMarkSpecification"]
    word["MarkStandardCharacterIndicator"] = 1
    _rejects(
        sample,
        "/MarkRepresentation/MarkReproduction/WordMarkSpecification/MarkStandardCharacterIndicator",
        "type",
    )
    word["MarkStandardCharacterIndicator"] = False
    sample["AssignmentBag"][0]["PropertyTotalQuantity"] = 0
    _rejects(sample, "/AssignmentBag/0/PropertyTotalQuantity", "type")
    del sample["AssignmentBag"][0]["PropertyTotalQuantity"]
    _rejects(sample, "/AssignmentBag/0/PropertyTotalQuantity", "required")
