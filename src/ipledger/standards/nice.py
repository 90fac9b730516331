"""Nice Classification (International Classification of Goods and Services).

Edition: NCL 12-2025 (12th edition, version 2025, in force 1 January 2025).
Classes 1-34 are goods, 35-45 services; the class numbers have not changed
since the 8th edition (2002), which split old class 42 into 42-45. The
headings below are short labels taken from the start of each official class
heading, not the full official class headings.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ipledger.standards.errors import StandardsError

__all__ = [
    "GOODS_CLASSES",
    "NICE_CLASSES",
    "NICE_EDITION",
    "SERVICE_CLASSES",
    "is_goods_class",
    "is_nice_class",
    "nice_heading",
    "validate_nice_class",
]

NICE_EDITION: Final = "NCL 12-2025"

_HEADINGS: Final[dict[int, str]] = {
    1: "Chemicals for use in industry, science and agriculture; unprocessed plastics",
    2: "Paints, varnishes, lacquers; colorants; raw natural resins",
    3: "Non-medicated cosmetics and toiletries; cleaning preparations; perfumery",
    4: "Industrial oils and greases; lubricants; fuels; candles",
    5: "Pharmaceuticals and medical preparations; dietary supplements; disinfectants",
    6: "Common metals and their alloys; metal building materials; small items of hardware",
    7: "Machines, machine tools, power-operated tools; motors and engines (not for land vehicles)",
    8: "Hand tools and implements, hand-operated; cutlery; razors",
    9: "Scientific, audiovisual and computing apparatus; recorded software",
    10: "Surgical, medical, dental and veterinary apparatus and instruments",
    11: "Apparatus for lighting, heating, cooking, refrigerating, ventilating and sanitary use",
    12: "Vehicles; apparatus for locomotion by land, air or water",
    13: "Firearms; ammunition and projectiles; explosives; fireworks",
    14: "Precious metals and their alloys; jewellery; horological instruments",
    15: "Musical instruments",
    16: "Paper and cardboard; printed matter; stationery; office requisites",
    17: "Unprocessed and semi-processed rubber and plastics; packing and insulating materials",
    18: "Leather and imitations of leather; luggage and carrying bags; umbrellas",
    19: "Building materials, not of metal",
    20: "Furniture, mirrors, picture frames; containers not of metal",
    21: "Household or kitchen utensils and containers; glassware, porcelain",
    22: "Ropes and string; nets; tents and tarpaulins; sacks; padding materials",
    23: "Yarns and threads for textile use",
    24: "Textiles and substitutes for textiles; household linen",
    25: "Clothing, footwear, headwear",
    26: "Lace, braid and embroidery; buttons, hooks and eyes, pins and needles",
    27: "Carpets, rugs, mats; floor and wall coverings (non-textile wall hangings)",
    28: "Games, toys and playthings; gymnastic and sporting articles",
    29: "Meat, fish, poultry and game; preserved fruits and vegetables; dairy products",
    30: "Coffee, tea, cocoa; rice, pasta; bread, pastries; sugar, honey; spices",
    31: "Raw agricultural and horticultural products; fresh fruits and vegetables; seeds",
    32: "Beers; non-alcoholic beverages; fruit beverages and juices",
    33: "Alcoholic beverages, except beers",
    34: "Tobacco and tobacco substitutes; smokers' articles; matches",
    35: "Advertising; business management, organization and administration; office functions",
    36: "Financial, monetary and banking services; insurance services; real estate affairs",
    37: "Construction services; installation and repair services; mining extraction",
    38: "Telecommunications services",
    39: "Transport; packaging and storage of goods; travel arrangement",
    40: "Treatment of materials; recycling of waste; custom manufacturing",
    41: "Education; providing of training; entertainment; sporting and cultural activities",
    42: "Scientific and technological services; design and development of software",
    43: "Services for providing food and drink; temporary accommodation",
    44: "Medical services; veterinary services; hygienic and beauty care; agriculture services",
    45: "Legal services; security services; personal and social services",
}

NICE_CLASSES: Final = MappingProxyType(_HEADINGS)
"""Class number -> short heading, classes 1-45 in ascending order."""

GOODS_CLASSES: Final = range(1, 35)
SERVICE_CLASSES: Final = range(35, 46)


def is_nice_class(n: object) -> bool:
    """True if ``n`` is an ``int`` (not ``bool``) naming a Nice class 1-45."""
    return isinstance(n, int) and not isinstance(n, bool) and n in _HEADINGS


def is_goods_class(n: int) -> bool:
    """True for goods classes (1-34), False for service classes (35-45)."""
    validate_nice_class(n)
    return n in GOODS_CLASSES


def nice_heading(n: int) -> str:
    """The short heading of class ``n``."""
    return _HEADINGS[validate_nice_class(n)]


def validate_nice_class(n: object, pointer: str = "") -> int:
    """Return ``n`` if it is a Nice class number, else raise (rule ``nice-class``)."""
    if not is_nice_class(n):
        raise StandardsError(
            "nice-class", f"{n!r} is not a Nice class (1-45, {NICE_EDITION})", pointer
        )
    assert isinstance(n, int)
    return n
