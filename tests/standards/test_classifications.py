"""Nice, Locarno and IPC formats."""

from __future__ import annotations

import pytest

from ipledger.standards import StandardsError
from ipledger.standards.ipc import is_ipc_symbol, normalize_ipc, parse_ipc, validate_ipc
from ipledger.standards.locarno import (
    LOCARNO_CLASSES,
    is_locarno_subclass,
    locarno_heading,
    validate_locarno_class,
    validate_locarno_subclass,
)
from ipledger.standards.nice import (
    NICE_CLASSES,
    NICE_EDITION,
    is_goods_class,
    nice_heading,
    validate_nice_class,
)


def test_nice_classes() -> None:
    assert list(NICE_CLASSES) == list(range(1, 46))
    assert NICE_EDITION.startswith("NCL 12")
    assert is_goods_class(34) and not is_goods_class(35)
    assert "Clothing" in nice_heading(25)
    assert "Legal services" in nice_heading(45)
    assert validate_nice_class(45) == 45


@pytest.mark.parametrize("bad", [0, 46, -1, "9", 9.0, True, None])
def test_nice_rejections(bad: object) -> None:
    with pytest.raises(StandardsError) as err:
        validate_nice_class(bad, "/GoodsServicesBag/0/ClassNumber")
    assert err.value.rule == "nice-class"
    assert err.value.pointer == "/GoodsServicesBag/0/ClassNumber"


def test_locarno() -> None:
    assert list(LOCARNO_CLASSES) == list(range(1, 33))
    assert locarno_heading(7) == "Household goods, not elsewhere specified"
    assert validate_locarno_class(32) == 32
    assert validate_locarno_subclass("07-01") == "07-01"
    assert is_locarno_subclass("32-00") is False
    assert is_locarno_subclass("01-99")


@pytest.mark.parametrize("bad", ["7-01", "33-01", "00-01", "07-1", "07/01", "07-00", 701])
def test_locarno_rejections(bad: object) -> None:
    with pytest.raises(StandardsError) as err:
        validate_locarno_subclass(bad, "/p")
    assert err.value.rule == "locarno-subclass"
    assert err.value.pointer == "/p"
    with pytest.raises(StandardsError):
        validate_locarno_class(33)


@pytest.mark.parametrize("good", ["A47J 31/44", "H01L 21/02063", "G06F 3/00", "C07D 487/04"])
def test_ipc_good(good: str) -> None:
    assert is_ipc_symbol(good)
    assert str(parse_ipc(good)) == good


def test_ipc_parts() -> None:
    sym = parse_ipc("A47J 31/44")
    assert (sym.section, sym.ipc_class, sym.subclass, sym.main_group, sym.subgroup) == (
        "A", "47", "J", "31", "44",
    )  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    ["I47J 31/44", "A4J 31/44", "A47J31/44", "A47J 031/44", "A47J 31/4", "a47j 31/44",
     "A47J 31", "A47J  31/44", "A47J 12345/00", ""],
)  # fmt: skip
def test_ipc_rejections(bad: str) -> None:
    with pytest.raises(StandardsError) as err:
        validate_ipc(bad, "/ipc/0")
    assert err.value.rule == "ipc-symbol"
    assert err.value.pointer == "/ipc/0"


def test_ipc_normalize() -> None:
    assert normalize_ipc(" a47j31 / 44 ") == "A47J 31/44"
    with pytest.raises(StandardsError):
        normalize_ipc("A47J 31/4")
    assert normalize_ipc("A47J 0031/44") == "A47J 31/44"
    with pytest.raises(StandardsError):
        normalize_ipc("Z99Z 1/00")
