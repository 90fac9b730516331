"""What of a right is searchable, taken from its register record."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.registry.access import is_published
from ipledger.registry.records import party_details

# Where each kind keeps its title (WIPO ST.96 element names, registry/right_data.py).
_TITLE_PATHS: dict[str, tuple[str, ...]] = {
    "trademark": ("MarkRepresentation", "MarkReproduction", "WordMarkSpecification",
                  "MarkVerbalElementText"),
    "patent": ("InventionTitle",),
    "utility_model": ("InventionTitle",),
    "industrial_design": ("DesignTitle",),
    "copyright": ("WorkTitle",),
    "geographical_indication": ("GeographicalIndicationName",),
}

PartyReader = Callable[[str], Mapping[str, Any] | None]


def text_key(text: str) -> str:
    """``text`` as compared by search: compatibility forms, no accents, case-folded, single
    spaces (``"Café  Noir"`` and ``"cafe noir"`` match)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def title_of(right: Mapping[str, Any]) -> str:
    """The verbal element of a trademark, the title of a patent, design or work, the
    name of a geographical indication ("" if it has none, e.g. a figurative mark)."""
    value: Any = right.get("data", {})
    for step in _TITLE_PATHS.get(str(right.get("kind")), ()):
        value = value.get(step) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class IndexedRight:
    record_id: str
    office: str
    kind: str
    number: str
    status: str
    title: str
    owners: tuple[str, ...]  # party ids
    owner_names: tuple[str, ...]
    classes: tuple[int, ...]
    filing_date: str = ""  # YYYY-MM-DD ("" if the right has none)


def indexed_right(record_id: str, right: Mapping[str, Any] | None,
                  read_party: PartyReader) -> IndexedRight | None:
    """The searchable fields of a right, or None if it must not be found (unpublished)."""
    if right is None or not is_published(right):
        return None
    owners = tuple(str(o["party"]) for o in right.get("owners", []))
    names = []
    for party in owners:
        record = read_party(party)
        name = party_details(record).get("name") if record is not None else None
        names.append(str(name) if name else party)
    classes = tuple(sorted({int(c) for c in right.get("classes", []) if isinstance(c, int)}))
    filed = right.get("dates", {}).get("filing_date")
    return IndexedRight(record_id=record_id, office=str(right["office"]),
                        kind=str(right["kind"]), number=str(right["number"]),
                        status=str(right.get("state", "")), title=title_of(right),
                        owners=owners, owner_names=tuple(names), classes=classes,
                        filing_date=filed if isinstance(filed, str) else "")
