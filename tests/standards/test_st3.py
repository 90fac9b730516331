"""WIPO ST.3 codes."""

from __future__ import annotations

import pytest

from ipledger.standards import StandardsError
from ipledger.standards.st3 import (
    ST3_CODES,
    ST3_FORMER_CODES,
    ST3_ORGANIZATION_CODES,
    is_st3_code,
    is_st3_country,
    st3_name,
    validate_st3,
    validate_st3_country,
)


def test_size_and_sorted() -> None:
    assert len(ST3_CODES) == 233
    assert list(ST3_CODES) == sorted(ST3_CODES)
    assert all(len(c) == 2 and c.isupper() and c.isalpha() for c in ST3_CODES)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("EM", "EUIPO"),
        ("WO", "World Intellectual Property Organization"),
        ("IB", "International Bureau"),
        ("EP", "European Patent Office"),
        ("OA", "OAPI"),
        ("AP", "ARIPO"),
        ("EA", "Eurasian Patent Organization"),
        ("GC", "GCC Patent Office"),
        ("BX", "Benelux"),
        ("XN", "Nordic Patent Institute"),
        ("XV", "Visegrad Patent Institute"),
        ("XU", "UPOV"),
        ("QZ", "CPVO"),
        ("XX", "Unknown"),
        ("US", "United States of America"),
        ("CH", "Switzerland"),
        ("KR", "Republic of Korea"),
    ],
)
def test_names(code: str, fragment: str) -> None:
    assert is_st3_code(code)
    assert fragment in st3_name(code)


def test_organizations_are_not_countries() -> None:
    assert {"EM", "WO", "EP", "OA", "AP", "EA", "GC", "BX", "XN", "XV", "XX"} <= (
        ST3_ORGANIZATION_CODES
    )
    assert is_st3_country("FR")
    assert not is_st3_country("EM")
    with pytest.raises(StandardsError) as err:
        validate_st3_country("EP", "/x")
    assert err.value.rule == "st3-country"


def test_former_codes() -> None:
    assert "SU" in ST3_FORMER_CODES
    assert not is_st3_code("SU")
    assert is_st3_code("SU", include_former=True)
    assert st3_name("DD") == "German Democratic Republic"


@pytest.mark.parametrize("bad", ["ZZ", "us", "USA", "", None, 12, "QQ", "AN"])
def test_rejections(bad: object) -> None:
    assert not is_st3_code(bad)
    with pytest.raises(StandardsError) as err:
        validate_st3(bad, "/ApplicantBag/0/NationalityCode")
    assert isinstance(err.value, ValueError)
    assert err.value.rule == "st3-code"
    assert err.value.pointer == "/ApplicantBag/0/NationalityCode"


def test_validate_returns_code() -> None:
    assert validate_st3("JP") == "JP"
    with pytest.raises(KeyError):
        st3_name("ZZ")
