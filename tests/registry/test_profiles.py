"""registry.profiles: builtin office profiles and strict validation of profile TOML."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ipledger.registry.calendar import Duration
from ipledger.registry.profiles import (
    RIGHT_KINDS,
    OfficeProfile,
    ProfileError,
    builtin_profile_names,
    builtin_profiles,
    load_profile,
    loads_profile,
    parse_profile,
)

MINIMAL = """
schema = 1
name = "mini"

[office]
code = "ZZ"
name = "Test office"
currency = "EUR"
fees_effective = "2025-01-01"

[rights.trademark]
steps = ["formalities", "examination", "publication", "opposition"]
term = "P10Y"
opposition_period = "P3M"

[rights.trademark.renewal]
period = "P10Y"
window_before = "P6M"
grace_after = "P6M"

[rights.trademark.fees]
filing = 85000
per_extra_class = [5000, 15000]
renewal = [85000]
renewal_surcharge_percent = 25

[rights.trademark.numbers.application]
pattern = "[0-9]{9}"
template = "{seq:9}"
example = "018123456"

[rights.trademark.numbers.registration]
pattern = "[0-9]{9}"
template = "{application}"
example = "018123456"

[rights.patent]
steps = ["formalities", "examination"]
term = "P20Y"

[rights.patent.maintenance]
due = ["P3Y6M", "P7Y6M", "P11Y6M"]
window_before = "P6M"
grace_after = "P6M"

[rights.patent.fees]
maintenance = [215000, 404000, 828000]
maintenance_surcharge = 54000

[rights.patent.numbers.application]
pattern = "[0-9]{8}"
template = "18{seq:6}"
example = "16123456"

[rights.patent.numbers.registration]
pattern = "[1-9][0-9]{6,7}"
template = "{seq}"
example = "12345678"
"""


def base() -> dict[str, Any]:
    return tomllib.loads(MINIMAL)


def expect_error(mutate: Callable[[dict[str, Any]], None], path: str, message: str) -> None:
    data = base()
    mutate(data)
    with pytest.raises(ProfileError) as info:
        parse_profile(data, "test.toml")
    assert info.value.path == path, str(info.value)
    assert message in info.value.message, str(info.value)
    assert str(info.value).startswith(f"test.toml: {path}: ")


# -- builtins ---------------------------------------------------------------------------------


def test_builtins_load() -> None:
    profiles = builtin_profiles()
    assert tuple(profiles) == builtin_profile_names() == ("euipo", "generic", "uspto")
    assert profiles["euipo"].office_code == "EM"
    assert profiles["uspto"].office_code == "US"
    assert profiles["generic"].office_code == "XX"
    assert profiles["generic"].supported_kinds == RIGHT_KINDS
    assert profiles["euipo"].supported_kinds == ("trademark", "industrial_design")
    assert profiles["uspto"].supported_kinds == ("trademark", "patent", "industrial_design")
    assert profiles["euipo"].currency == "EUR"
    assert profiles["euipo"].currency_exponent == 2
    assert profiles["uspto"].fees_effective == date(2025, 1, 19)
    for p in profiles.values():
        assert tuple(p.rights) == RIGHT_KINDS
        assert load_profile(p.name) is p  # cached, immutable


def test_euipo_trademark_facts() -> None:
    tm = load_profile("euipo").rules("trademark")
    assert tm.steps == ("formalities", "examination", "publication", "opposition")
    assert tm.term == Duration(10)
    assert tm.term_anchor == "filing_date"
    assert tm.opposition_period == Duration(0, 3)
    assert tm.renewal is not None
    assert tm.renewal.window_before == Duration(0, 6)
    assert tm.renewal.grace_after == Duration(0, 6)
    assert tm.renewal.max_renewals is None
    fees = tm.fees
    assert fees.filing == 85000
    assert fees.filing + fees.extra_class_fees(1) == 85000
    assert fees.filing + fees.extra_class_fees(2) == 90000
    assert fees.filing + fees.extra_class_fees(3) == 105000
    assert fees.filing + fees.extra_class_fees(5) == 135000
    assert fees.renewal_fee(1) == fees.renewal_fee(7) == 85000
    assert fees.renewal_surcharge_for(85000) == 21250  # 25 %
    assert fees.opposition == 32000
    assert fees.defined("renewal_surcharge")
    assert not fees.defined("maintenance")
    assert not fees.defined("no_such_fee")


def test_euipo_design_facts() -> None:
    d = load_profile("euipo").rules("industrial_design")
    assert d.term == Duration(5)
    assert d.renewal is not None
    assert d.renewal.max_renewals == 4
    assert [d.fees.renewal_fee(n) for n in (1, 2, 3, 4)] == [15000, 25000, 40000, 70000]
    assert d.fees.filing == 35000
    assert d.fees.extra_design_fees(3) == 25000
    assert d.opposition_period is None
    assert "opposition" not in d.steps


def test_uspto_patent_facts() -> None:
    p = load_profile("uspto").rules("patent")
    assert p.term == Duration(20)
    assert p.term_anchor == "filing_date"
    assert p.renewal is None
    assert p.maintenance is not None
    assert p.maintenance.anchor == "registration_date"
    assert p.maintenance.due == (Duration(3, 6), Duration(7, 6), Duration(11, 6))
    assert p.maintenance.window_before == Duration(0, 6)
    assert p.maintenance.grace_after == Duration(0, 6)
    assert p.fees.maintenance == (215000, 404000, 828000)
    assert p.fees.maintenance_surcharge == 54000
    tm = load_profile("uspto").rules("trademark")
    assert tm.term_anchor == "registration_date"
    assert tm.opposition_period == Duration(0, 0, 30)


def test_number_formats() -> None:
    em = load_profile("euipo").rules("trademark").numbers
    assert em is not None
    assert em.application.format(18123456) == "018123456"
    assert em.registration.format(0, application="018123456") == "018123456"
    assert em.application.matches("018123456")
    assert not em.application.matches("18123456")
    assert not em.application.matches("0181234567")
    us = load_profile("uspto").rules("patent").numbers
    assert us is not None
    assert us.application.format(123456) == "18123456"  # "18/123,456"
    assert us.application.matches("16123456")
    assert not us.application.matches("16/123,456")
    assert us.registration.format(12345678) == "12345678"
    with pytest.raises(ValueError, match="does not match"):
        us.application.format(1234567)  # too many digits for the serial
    with pytest.raises(ValueError, match="non-negative"):
        us.application.format(-1)
    xx = load_profile("generic").rules("trademark").numbers
    assert xx is not None
    assert xx.application.format(1, office="XX", year=2026) == "XXT2026000001"
    design = load_profile("euipo").rules("industrial_design").numbers
    assert design is not None
    assert design.registration.format(0, application="015012345") == "015012345-0001"
    for profile in builtin_profiles().values():
        for kind in profile.supported_kinds:
            numbers = profile.rules(kind).numbers
            assert numbers is not None
            assert numbers.application.matches(numbers.application.example)
            assert numbers.registration.matches(numbers.registration.example)


def test_profiles_are_frozen() -> None:
    p = load_profile("euipo")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.office_code = "DE"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.rights["patent"] = p.rights["trademark"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.rules("trademark").fees.filing = 1  # type: ignore[misc]


def test_rules_lookup() -> None:
    p = load_profile("euipo")
    assert not p.supports("patent")
    assert not p.supports("spaceship")
    assert not p.rules("patent").supported
    with pytest.raises(ValueError, match="unknown right kind"):
        p.rules("spaceship")


# -- loading ----------------------------------------------------------------------------------


def test_minimal_profile_and_path_loading(tmp_path: Path) -> None:
    profile = loads_profile(MINIMAL)
    assert isinstance(profile, OfficeProfile)
    assert profile.supported_kinds == ("trademark", "patent")
    assert profile.rules("patent").maintenance is not None
    path = tmp_path / "mini.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_profile(path) == loads_profile(MINIMAL, str(path))
    assert load_profile(str(path)).name == "mini"


def test_load_unknown_name() -> None:
    with pytest.raises(FileNotFoundError, match="builtins: euipo, generic, uspto"):
        load_profile("no-such-office")


def test_invalid_toml() -> None:
    with pytest.raises(ProfileError, match="not valid TOML"):
        loads_profile("schema = = 1")


# -- strict validation: every error names its key path ------------------------------------------


def test_unknown_key_at_root() -> None:
    expect_error(lambda d: d.update(extra=1), "extra", "unknown key")


def test_unknown_key_nested() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["renewal"].update(windw_before="P6M"),
        "rights.trademark.renewal.windw_before",
        "unknown key",
    )


def test_unknown_fee() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(tip=5),
        "rights.trademark.fees.tip",
        "unknown key",
    )


def test_unknown_right_kind() -> None:
    expect_error(
        lambda d: d["rights"].update(plant_variety={"supported": False}),
        "rights.plant_variety",
        "unknown right kind",
    )


def test_negative_period() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(opposition_period="-P3M"),
        "rights.trademark.opposition_period",
        "ISO 8601 duration",
    )


def test_period_as_integer() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(term=10),
        "rights.trademark.term",
        "must be a string",
    )


def test_zero_term() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(term="P0D"),
        "rights.trademark.term",
        "positive",
    )


@pytest.mark.parametrize("currency", ["EURO", "eur", "ABC", "€", ""])
def test_bad_currency(currency: str) -> None:
    expect_error(lambda d: d["office"].update(currency=currency), "office.currency", "ISO 4217")


def test_fee_as_float() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(filing=850.0),
        "rights.trademark.fees.filing",
        "must be an integer (fees are in minor units), got float 850.0",
    )


def test_fee_float_in_list() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(per_extra_class=[50, 1.5]),
        "rights.trademark.fees.per_extra_class[1]",
        "float",
    )


def test_fee_negative_bool_string() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(opposition=-1),
        "rights.trademark.fees.opposition",
        ">= 0",
    )
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(opposition=True),
        "rights.trademark.fees.opposition",
        "got boolean",
    )
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(opposition="320"),
        "rights.trademark.fees.opposition",
        "got string",
    )


def test_surcharge_twice() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(renewal_surcharge=100),
        "rights.trademark.fees.renewal_surcharge_percent",
        "not both",
    )


def test_percent_bound() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"]["fees"].update(renewal_surcharge_percent=101),
        "rights.trademark.fees.renewal_surcharge_percent",
        "<= 100",
    )


def test_office_code() -> None:
    expect_error(lambda d: d["office"].update(code="EUR"), "office.code", "ST.3")
    expect_error(lambda d: d["office"].update(code="em"), "office.code", "ST.3")


def test_office_missing_name() -> None:
    expect_error(lambda d: d["office"].pop("name"), "office.name", "missing required key")


def test_fees_effective_date() -> None:
    expect_error(
        lambda d: d["office"].update(fees_effective="2025-02-30"),
        "office.fees_effective",
        "no such date",
    )


def test_schema_version() -> None:
    expect_error(lambda d: d.update(schema=2), "schema", "unsupported schema")
    expect_error(lambda d: d.pop("schema"), "schema", "missing")


def test_profile_name() -> None:
    expect_error(lambda d: d.update(name="Bad Name"), "name", "must match")


def test_unknown_step() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(steps=["formalities", "lottery"]),
        "rights.trademark.steps[1]",
        "unknown step",
    )


def test_opposition_needs_publication() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(steps=["examination", "opposition"]),
        "rights.trademark.steps",
        "directly follow",
    )


def test_opposition_period_needs_step() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].update(steps=["formalities", "examination"]),
        "rights.trademark.opposition_period",
        "required exactly when",
    )


def test_duplicate_step() -> None:
    expect_error(
        lambda d: d["rights"]["patent"].update(steps=["formalities", "formalities"]),
        "rights.patent.steps",
        "twice",
    )


def test_renewal_needs_term() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].pop("term"), "rights.trademark.renewal", "needs"
    )


def test_renewal_and_maintenance_exclusive() -> None:
    def both(d: dict[str, Any]) -> None:
        d["rights"]["trademark"]["maintenance"] = copy.deepcopy(
            d["rights"]["patent"]["maintenance"]
        )

    expect_error(both, "rights.trademark.maintenance", "not both")


def test_maintenance_fee_count() -> None:
    expect_error(
        lambda d: d["rights"]["patent"]["fees"].update(maintenance=[1, 2]),
        "rights.patent.fees.maintenance",
        "one fee per due date",
    )


def test_maintenance_due_order() -> None:
    expect_error(
        lambda d: d["rights"]["patent"]["maintenance"].update(due=["P7Y6M", "P3Y6M", "P11Y"]),
        "rights.patent.maintenance.due[1]",
        "strictly increasing",
    )


def test_maintenance_due_negative() -> None:
    expect_error(
        lambda d: d["rights"]["patent"]["maintenance"].update(due=["P3Y", "-P1Y", "P11Y"]),
        "rights.patent.maintenance.due[1]",
        "ISO 8601",
    )


def test_renewal_fees_beyond_max() -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["rights"]["trademark"]["renewal"]["max_renewals"] = 1
        d["rights"]["trademark"]["fees"]["renewal"] = [1, 2]

    expect_error(mutate, "rights.trademark.fees.renewal", "max_renewals")


def test_unsupported_kind_is_bare() -> None:
    expect_error(
        lambda d: d["rights"].update(copyright={"supported": False, "term": "P70Y"}),
        "rights.copyright.term",
        "unknown key",
    )


def test_supported_needs_numbers() -> None:
    expect_error(
        lambda d: d["rights"]["trademark"].pop("numbers"),
        "rights.trademark.numbers",
        "missing required key",
    )


def test_number_template_errors() -> None:
    app = ("rights", "trademark", "numbers", "application")

    def set_app(**kw: str) -> Callable[[dict[str, Any]], None]:
        def mutate(d: dict[str, Any]) -> None:
            d[app[0]][app[1]][app[2]][app[3]].update(kw)

        return mutate

    path = "rights.trademark.numbers.application"
    expect_error(set_app(template="{seq:9"), f"{path}.template", "stray brace")
    expect_error(set_app(template="{serial}"), f"{path}.template", "unknown token")
    expect_error(set_app(template="{application}"), f"{path}.template", "unknown token")
    expect_error(set_app(template="{year:4}{seq}"), f"{path}.template", "only {seq}")
    expect_error(set_app(template="{seq}{seq}"), f"{path}.template", "exactly one")
    expect_error(set_app(example="18123456"), f"{path}.example", "does not match")
    expect_error(set_app(pattern="[0-9"), f"{path}.pattern", "regular expression")


def test_no_supported_kind() -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["rights"] = {"trademark": {"supported": False}}

    expect_error(mutate, "rights", "supports no right kind")


def test_tables_must_be_tables() -> None:
    expect_error(lambda d: d.update(office="EM"), "office", "must be a table")
