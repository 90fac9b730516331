"""Locarno Classification (International Classification for Industrial Designs).

Class list and headings: Locarno Classification, list of classes (11th edition,
in force 1 January 2017); later editions (12th-15th) keep classes 1-32. Notation
follows the Locarno recommendations: class and subclass in Arabic figures, the
subclass always two digits, joined by a dash. ipledger's canonical form pads the
class to two digits as well (``"07-01"``); subclass ``99`` is "miscellaneous".
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from ipledger.standards.errors import StandardsError

__all__ = [
    "LOCARNO_CLASSES",
    "LOCARNO_EDITION",
    "is_locarno_class",
    "is_locarno_subclass",
    "locarno_heading",
    "validate_locarno_class",
    "validate_locarno_subclass",
]

LOCARNO_EDITION: Final = "Locarno 11th edition (list of classes)"

_HEADINGS: Final[dict[int, str]] = {
    1: "Foodstuffs",
    2: "Articles of clothing and haberdashery",
    3: "Travel goods, cases, parasols and personal belongings, not elsewhere specified",
    4: "Brushware",
    5: "Textile piecegoods, artificial and natural sheet material",
    6: "Furnishing",
    7: "Household goods, not elsewhere specified",
    8: "Tools and hardware",
    9: "Packages and containers for the transport or handling of goods",
    10: "Clocks and watches and other measuring instruments, checking and signalling instruments",
    11: "Articles of adornment",
    12: "Means of transport or hoisting",
    13: "Equipment for production, distribution or transformation of electricity",
    14: "Recording, communication or information retrieval equipment",
    15: "Machines, not elsewhere specified",
    16: "Photographic, cinematographic and optical apparatus",
    17: "Musical instruments",
    18: "Printing and office machinery",
    19: "Stationery and office equipment, artists' and teaching materials",
    20: "Sales and advertising equipment, signs",
    21: "Games, toys, tents and sports goods",
    22: "Arms, pyrotechnic articles, articles for hunting, fishing and pest killing",
    23: (
        "Fluid distribution equipment, sanitary, heating, ventilation and air-conditioning"
        " equipment, solid fuel"
    ),
    24: "Medical and laboratory equipment",
    25: "Building units and construction elements",
    26: "Lighting apparatus",
    27: "Tobacco and smokers' supplies",
    28: "Pharmaceutical and cosmetic products, toilet articles and apparatus",
    29: "Devices and equipment against fire hazards, for accident prevention and for rescue",
    30: "Articles for the care and handling of animals",
    31: "Machines and appliances for preparing food or drink, not elsewhere specified",
    32: "Graphic symbols and logos, surface patterns, ornamentation",
}

LOCARNO_CLASSES: Final = MappingProxyType(_HEADINGS)
"""Class number -> heading, classes 1-32."""

_SUBCLASS = re.compile(r"(\d{2})-(\d{2})")


def is_locarno_class(n: object) -> bool:
    """True if ``n`` is an ``int`` naming a Locarno class 1-32."""
    return isinstance(n, int) and not isinstance(n, bool) and n in _HEADINGS


def locarno_heading(n: int) -> str:
    """The heading of Locarno class ``n``."""
    return _HEADINGS[validate_locarno_class(n)]


def validate_locarno_class(n: object, pointer: str = "") -> int:
    """Return ``n`` if it is a Locarno class, else raise (rule ``locarno-class``)."""
    if not is_locarno_class(n):
        raise StandardsError("locarno-class", f"{n!r} is not a Locarno class (1-32)", pointer)
    assert isinstance(n, int)
    return n


def is_locarno_subclass(code: object) -> bool:
    """True if ``code`` is a subclass in canonical form, e.g. ``"07-01"``."""
    if not isinstance(code, str):
        return False
    m = _SUBCLASS.fullmatch(code)
    return m is not None and int(m.group(1)) in _HEADINGS and int(m.group(2)) >= 1


def validate_locarno_subclass(code: object, pointer: str = "") -> str:
    """Return ``code`` if it is a canonical subclass, else raise (rule ``locarno-subclass``)."""
    if not is_locarno_subclass(code):
        raise StandardsError(
            "locarno-subclass",
            f"{code!r} is not a Locarno subclass of the form 'CC-SS' (class 01-32, subclass 01-99)",
            pointer,
        )
    assert isinstance(code, str)
    return code
