"""Synthetic but realistic trade-mark register content for the search benchmark and the
search-quality test: mark words (dictionary words and invented, brand-like coinages),
descriptors, owners (company names with legal forms), Nice classes weighted as filings are,
statuses and filing dates. Deterministic: record ``i`` is always the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORDS = _words(
    "ALPHA ALPINE AMBER ANCHOR APEX ARCTIC ARROW ATLAS AURORA AZURE BALANCE BAMBOO BEACON "
    "BEAR BELL BERRY BIRCH BLACK BLAZE BLOOM BLUE BOLD BRAVE BREEZE BRIDGE BRIGHT BROOK "
    "BUFFALO BUTTERFLY CACTUS CANYON CAPITAL CARDINAL CASTLE CEDAR CHAMPION CHERRY CIRCLE "
    "CITRUS CLEAR CLOUD CLOVER COAST COBALT COMET CORAL CORE COSMIC COUNTRY CRANE CREST "
    "CROWN CRYSTAL CUBE DAWN DELTA DESERT DIAMOND DOLPHIN DOVE DRAGON DREAM DUNE EAGLE "
    "EARTH ECHO EDEN ELEMENT ELITE EMBER EMERALD EMPIRE ENERGY EPIC EQUINOX EVEREST FALCON "
    "FERN FIELD FIRE FJORD FLAME FLASH FOREST FORTUNE FOX FREEDOM FRESH FROST FUSION GALAXY "
    "GARDEN GEM GIANT GLACIER GLOBAL GOLD GOLDEN GRACE GRAND GRANITE GREEN HARBOR HARMONY "
    "HARVEST HAWK HAZEL HEART HERITAGE HILL HONEY HORIZON ICON INFINITY IRIS IRON ISLAND "
    "IVORY JADE JAGUAR JASMINE JET JEWEL JUNGLE JUPITER KEY KING KITE LAGOON LAKE LARK "
    "LASER LEAF LEGACY LEGEND LEMON LIBERTY LIGHT LILY LION LOTUS LUCKY LUNAR MAGIC MAGNOLIA "
    "MAPLE MARBLE MARINER MEADOW MERCURY METRO MIDNIGHT MINT MIRACLE MISTRAL MONARCH MOON "
    "MOUNTAIN NATURE NEBULA NECTAR NEXUS NOBLE NORTH NOVA OAK OASIS OCEAN OLIVE OMEGA ONYX "
    "OPAL ORANGE ORBIT ORCHID PACIFIC PALM PANDA PANTHER PARADISE PEAK PEARL PEBBLE PELICAN "
    "PHOENIX PILOT PINE PIONEER PLANET PLATINUM POLAR PRIME PRISM PULSE PURE QUANTUM QUEEN "
    "QUEST RADIANT RAIN RAINBOW RAVEN RED REEF RIDGE RIVER ROCKET ROSE ROYAL RUBY SAFARI "
    "SAGE SAPPHIRE SATURN SCARLET SEA SHADOW SHIELD SIERRA SILK SILVER SKY SMART SNOW SOLAR "
    "SONIC SPARK SPIRIT SPRING STAR STEEL STONE STORM SUMMIT SUN SUNRISE SUPREME SWAN SWIFT "
    "TANGO TERRA THUNDER TIDE TIGER TITAN TOPAZ TORCH TRAIL TRUE TULIP TUNDRA TURBO TWIN "
    "UNITY URBAN VALLEY VELVET VENUS VERTEX VICTORY VINTAGE VIOLET VISION VITAL VOYAGER WAVE "
    "WHALE WILD WILLOW WIND WINTER WOLF WONDER ZENITH ZEPHYR ZEST"
)
DESCRIPTORS = _words(
    "LABS TECH SYSTEMS SOFTWARE DIGITAL CLOUD MEDIA GAMES COFFEE TEA BREW BAKERY FOODS "
    "KITCHEN FARMS ORGANICS NATURALS BEAUTY COSMETICS SKIN CARE HEALTH PHARMA CLINIC "
    "FASHION APPAREL WEAR SHOES SPORTS FITNESS TRAVEL TOURS HOTELS HOME LIVING DESIGN "
    "MOTORS AUTO ENERGY POWER SOLAR WATER CAPITAL FINANCE INSURANCE PAY BANK LOGISTICS "
    "EXPRESS TOYS KIDS PETS WINES SPIRITS BEER JEWELS WATCHES BIO GROUP INTERNATIONAL"
)
_ONSETS = _words("B BR C CH CL CR D DR F FL FR G GL GR H J K KL KR L M N P PL PR QU R S SH SK SL "
           "SN SP ST STR T TH TR V W Z")
_VOWELS = _words("A E I O U A E I O AI EA IO OU Y")
_CODAS = ("", "", "", "", "N", "R", "L", "S", "X", "M", "NT", "RK", "ST")
_SURNAMES = _words(
    "MUELLER SCHMIDT GARCIA MARTIN ROSSI BIANCHI DUBOIS LAURENT NOVAK KOWALSKI SMITH "
    "JOHNSON BROWN TANAKA SATO KIM LEE CHEN WANG SILVA SANTOS OLSEN HANSEN JANSSEN "
    "PETERS FISCHER WEBER MOREAU LEROY FERRARI ROMANO LOPEZ PEREZ GONZALEZ NIELSEN "
    "ANDERSSON LINDQVIST VIRTANEN HORVATH NAGY POPESCU IVANOV PETROV DIAZ COSTA"
)
_FORMS = ("GmbH", "S.L.", "S.A.", "Ltd", "Inc.", "SAS", "S.p.A.", "B.V.", "AB", "Oy",
          "LLC", "Kft.", "Sp. z o.o.", "A/S", "AG")
# Nice classes roughly as often as EUIPO filings name them (9, 35, 42, 25 ... most often).
_CLASS_WEIGHTS = {9: 14, 35: 13, 42: 9, 25: 7, 41: 7, 3: 5, 5: 4, 30: 4, 43: 3, 16: 3, 18: 3,
                  28: 3, 29: 3, 32: 3, 33: 2, 36: 3, 44: 3, 11: 2, 12: 2, 14: 2, 20: 2, 21: 2,
                  31: 2, 37: 2, 39: 2, 45: 2}
CLASSES = tuple(c for c, w in _CLASS_WEIGHTS.items() for _ in range(w))
# Published states and how common each is in a live register.
STATUSES = (("registered", 70), ("expired", 10), ("published", 5), ("opposition_period", 3),
            ("opposed", 1), ("refused", 3), ("withdrawn", 3), ("cancelled", 2),
            ("surrendered", 1), ("renewal_due", 2))
_STATUS_POOL = tuple(s for s, w in STATUSES for _ in range(w))
OWNERS = 50_000  # distinct owners in a large register


def coined_word(rng: random.Random) -> str:
    """An invented, brand-like word of two or three syllables (``VELORA``, ``TRISKAN``)."""
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS)
                   for _ in range(rng.choice((2, 2, 3)))) + rng.choice(_CODAS)


def mark_title(rng: random.Random) -> str:
    """A word mark as registers hold them: one word, a word and a descriptor, two words."""
    shape = rng.random()
    if shape < 0.35:
        return coined_word(rng)
    if shape < 0.55:
        return f"{rng.choice((coined_word(rng), rng.choice(WORDS)))} {rng.choice(DESCRIPTORS)}"
    if shape < 0.80:
        return f"{rng.choice(WORDS)} {rng.choice((rng.choice(WORDS), coined_word(rng)))}"
    if shape < 0.92:
        return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(DESCRIPTORS)}"
    return f"{coined_word(rng)} {coined_word(rng)}"


def owner_name(n: int) -> str:
    rng = random.Random(f"owner/{n}")
    shape = rng.random()
    if shape < 0.5:
        stem = f"{rng.choice(_SURNAMES).title()} {rng.choice(('&', 'und', 'y', 'et'))} " \
               f"{rng.choice(_SURNAMES).title()}"
    else:
        stem = f"{rng.choice(WORDS).title()} {rng.choice(DESCRIPTORS).title()}"
    return f"{stem} {rng.choice(_FORMS)}"


@dataclass(frozen=True)
class Mark:
    number: int
    title: str
    owner: int  # 0 .. OWNERS-1
    classes: tuple[int, ...]
    status: str
    filing_date: str  # YYYY-MM-DD


def mark(i: int) -> Mark:
    """Record ``i`` of the synthetic register."""
    rng = random.Random(i)
    classes = tuple(sorted({rng.choice(CLASSES) for _ in range(rng.choice((1, 1, 2, 3)))}))
    # Large owners hold many marks: owner numbers skewed towards the small ones.
    owner = min(OWNERS - 1, int(OWNERS * rng.random() ** 2))
    year = 1996 + rng.randrange(30)
    return Mark(i, mark_title(rng), owner, classes, rng.choice(_STATUS_POOL),
                f"{year}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}")
