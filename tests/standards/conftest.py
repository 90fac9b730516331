"""Fixtures for the standards tests: sample records and the ST.96 schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ipledger.standards.st96 import load_schema, st96_schema_dir

FIXTURES = Path(__file__).parent / "fixtures"

SAMPLE: dict[str, Any] = {
    "RegistrationOfficeCode": "EM",
    "ApplicationNumber": {"ApplicationNumberText": "018765432"},
    "ApplicationDate": "2022-09-14",
    "RegistrationNumber": "018765432",
    "RegistrationDate": "2023-01-20",
    "ExpiryDate": "2032-09-14",
    "MarkCurrentStatusCode": "Registration published",
    "MarkCurrentStatusDate": "2023-01-20",
    "MarkCategory": "Individual mark",
    "MarkRepresentation": {
        "MarkFeatureCategory": "Word",
        "MarkReproduction": {
            "WordMarkSpecification": {
                "MarkVerbalElementText": "BRÜCKENWERK",
                "MarkSignificantVerbalElementText": "BRUCKENWERK",
                "MarkStandardCharacterIndicator": True,
            }
        },
    },
    "GoodsServicesBag": [
        {"ClassNumber": 9, "GoodsServicesDescriptionText": "Bridge-monitoring sensors; software"},
        {"ClassNumber": 37, "GoodsServicesDescriptionText": "Repair of bridges & <tunnels>"},
        {"ClassNumber": 42, "GoodsServicesDescriptionText": "Structural engineering services"},
    ],
    "PriorityBag": [
        {
            "PriorityCountryCode": "DE",
            "ApplicationNumber": {"ApplicationNumberText": "302022012345.6"},
            "PriorityApplicationFilingDate": "2022-04-01",
        }
    ],
    "ApplicantBag": [
        {
            "OrganizationStandardName": "Brückenwerk GmbH",
            "LegalEntityName": "GmbH",
            "PostalStructuredAddress": {
                "AddressLineText": ["Hafenstraße 5", "Gebäude B"],
                "CityName": "Hamburg",
                "CountryCode": "DE",
                "PostalCode": "20457",
            },
            "IncorporationCountryCode": "DE",
        },
        {"PersonFullName": "Ana Ionescu", "NationalityCode": "RO"},
    ],
    "RepresentativeBag": [
        {
            "OrganizationStandardName": "Kanzlei Nord PartG mbB",
            "PostalAddressText": ["Jungfernstieg 1", "20354 Hamburg"],
        }
    ],
    "MarkEventBag": [
        {
            "MarkEventCategory": "Application filed",
            "MarkEventDescriptionText": "Application filed",
            "MarkEventDate": "2022-09-14",
        },
        {
            "MarkEventCategory": "Application published",
            "MarkEventCode": "PUB",
            "MarkEventDescriptionText": "Application published in Part A.1",
            "MarkEventDate": "2022-10-05",
        },
        {
            "MarkEventCategory": "Registration published",
            "MarkEventCode": "REG",
            "MarkEventDescriptionText": "Registration published",
            "MarkEventDate": "2023-01-20",
        },
    ],
    "AssignmentBag": [
        {
            "AssignmentIdentifier": "T-2024-000017",
            "AssignmentConveyanceCategory": "Transfer of ownership",
            "PropertyTotalQuantity": 1,
            "AssignmentRecordedDate": "2024-03-02",
            "AssignmentExecutedDate": "2024-02-15",
            "AssignorBag": [{"OrganizationStandardName": "Brücken AG"}],
            "AssigneeBag": [{"OrganizationStandardName": "Brückenwerk GmbH"}],
        }
    ],
}

MINIMAL: dict[str, Any] = {
    "ApplicationNumber": {"ApplicationNumberText": "1"},
    "ApplicationDate": "2024-01-02",
    "ApplicantBag": [{"PersonFullName": "A. N. Applicant"}],
}


@pytest.fixture
def sample() -> dict[str, Any]:
    """A full trademark record (deep copy, safe to mutate)."""
    return copy.deepcopy(SAMPLE)


@pytest.fixture
def minimal() -> dict[str, Any]:
    """The smallest valid trademark record."""
    return copy.deepcopy(MINIMAL)


@pytest.fixture(scope="session")
def st96_dir() -> Path:
    try:
        return st96_schema_dir()
    except FileNotFoundError as exc:  # pragma: no cover - depends on the checkout
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def trademark_xsd(st96_dir: Path) -> Any:
    """Trademark_V6_0.xsd, compiled once per run (it takes seconds)."""
    return load_schema("Trademark_V6_0.xsd")


@pytest.fixture(scope="session")
def transaction_xsd(st96_dir: Path) -> Any:
    """TrademarkTransaction_V6_0.xsd, compiled once per run."""
    return load_schema("TrademarkTransaction_V6_0.xsd")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
