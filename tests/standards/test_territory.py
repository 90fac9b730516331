"""Where a right of an office has effect: national, regional and international ST.3 codes."""

from __future__ import annotations

import pytest

from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import ST3_ORGANIZATION_CODES, is_st3_country
from ipledger.standards.territory import (
    INTERNATIONAL_CODES,
    REGIONAL_MEMBERS,
    right_territory,
)

EU_27 = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
         "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}


def test_every_member_is_an_st3_country_and_every_regional_code_an_organization() -> None:
    for office, members in REGIONAL_MEMBERS.items():
        assert office in ST3_ORGANIZATION_CODES
        assert members and all(is_st3_country(m) for m in members), office
    assert INTERNATIONAL_CODES <= ST3_ORGANIZATION_CODES


@pytest.mark.parametrize("office", ["US", "DE", "JP", "CH", "GB"])
def test_a_national_office_is_its_own_territory(office: str) -> None:
    assert right_territory(office) == {office}


def test_regional_offices_expand_to_their_member_states() -> None:
    assert right_territory("EM") == EU_27
    assert right_territory("EU") == right_territory("QZ") == EU_27
    assert right_territory("BX") == {"BE", "LU", "NL"}
    assert right_territory("GC") == {"AE", "BH", "KW", "OM", "QA", "SA"}
    assert right_territory("EA") == {"AM", "AZ", "BY", "KG", "KZ", "RU", "TJ", "TM"}
    assert len(right_territory("OA")) == 17 and {"CM", "SN", "KM"} <= right_territory("OA")
    assert len(right_territory("AP")) == 22 and {"KE", "GH", "CV"} <= right_territory("AP")
    ep = right_territory("EP")
    assert EU_27 | {"CH", "GB", "NO", "TR", "IS", "ME"} <= ep  # EPC contracting states
    assert {"BA", "MA", "MD", "TN", "KH", "GE"} <= ep  # extension and validation states
    assert len(ep) == 39 + 6
    # Not in the EU: an EU trade mark has no effect there.
    assert not {"GB", "CH", "NO", "TR"} & right_territory("EM")


def test_international_rights_have_their_designations() -> None:
    assert right_territory("WO") == frozenset()  # none recorded: only "WO" names it
    assert right_territory("WO", ["DE", "US"]) == {"DE", "US"}
    assert right_territory("IB", ("JP",)) == {"JP"}
    assert right_territory("US", ["DE"]) == {"US"}  # designations matter only for WO/IB
    with pytest.raises(StandardsError) as info:
        right_territory("WO", ["DE", "EP"])
    assert (info.value.rule, info.value.pointer) == ("st3-country", "/designations/1")


def test_other_codes_and_unknown_codes() -> None:
    assert right_territory("XX") == {"XX"}
    with pytest.raises(StandardsError) as info:
        right_territory("ZZ")
    assert info.value.rule == "st3-code"


def test_deterministic_and_immutable() -> None:
    assert right_territory("EP") is right_territory("EP")
    assert isinstance(right_territory("EM"), frozenset)
    with pytest.raises(TypeError):
        REGIONAL_MEMBERS["EM"] = frozenset()  # type: ignore[index]
