"""Message catalogues of the web pages: one JSON file per language in ``web/messages/``.

A catalogue is ``{"_language": {"name": ..., "dir": "ltr" | "rtl", "decimal": ",", "group":
" "}, "key": "text", ...}`` (the separators are optional, English's by default);
texts may hold ``{name}`` placeholders. English is complete and the fallback: a key a
catalogue lacks is shown in English. Adding a language (the six UN languages: ar, en,
es, fr, ru, zh) is adding its file; nothing in the code names a language but English.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

MESSAGES = Path(__file__).parent / "messages"
DEFAULT = "en"


@dataclass(frozen=True)
class Catalogue:
    code: str  # BCP 47 language tag
    name: str  # the language's own name for itself
    direction: str  # "ltr" or "rtl"
    texts: Mapping[str, str]
    decimal: str = "."  # the decimal separator (CLDR's, for Western digits)
    group: str = ","  # the thousands separator
    group_from: int = 4  # group integers of this many digits or more (Spanish: 5)

    def text(self, key: str, **values: object) -> str:
        """The message ``key`` in this language (English if missing), placeholders filled."""
        template = self.texts.get(key)
        if template is None:
            template = catalogues()[DEFAULT].texts.get(key, key) if self.code != DEFAULT else key
        return template.format(**values) if values else template

    def number(self, value: float | Decimal, decimals: int = 0) -> str:
        """``value`` with this language's separators: 12 345,60 in French, 12,345.60 in English."""
        digits = f"{abs(value):.{decimals}f}"
        sign = "-" if value < 0 and digits.strip("0.") else ""
        whole, _, fraction = digits.partition(".")
        if len(whole) >= self.group_from:
            whole = f"{int(whole):,}".replace(",", self.group)
        return sign + whole + (self.decimal + fraction if fraction else "")

    def money(self, amount: int, exponent: int, currency: str) -> str:
        """``amount`` minor units (ISO 4217 ``exponent``) as ``12 345,60 EUR`` in French."""
        return f"{self.number(Decimal(amount).scaleb(-exponent), exponent)} {currency}"


def _load(path: Path) -> Catalogue:
    doc = json.loads(path.read_text(encoding="utf-8"))
    meta = doc.pop("_language")
    if meta["dir"] not in ("ltr", "rtl"):
        raise ValueError(f"{path.name}: _language.dir must be ltr or rtl")
    separators = {k: meta[k] for k in ("decimal", "group", "group_from") if k in meta}
    return Catalogue(path.stem, str(meta["name"]), str(meta["dir"]),
                     {str(k): str(v) for k, v in doc.items()}, **separators)


@cache
def catalogues() -> dict[str, Catalogue]:
    """Every language shipped, by code (read once)."""
    return {c.code: c for c in sorted((_load(p) for p in MESSAGES.glob("*.json")),
                                      key=lambda c: c.code)}


def negotiate(asked: str | None, accept_language: str | None) -> Catalogue:
    """The catalogue for ``?lang=`` if shipped, else the best of ``Accept-Language``
    (RFC 9110 quality values; a primary subtag matches), else English."""
    known = catalogues()
    if asked in known:
        return known[asked]
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for negative_q, _, primary in sorted(ranked):
        if negative_q < 0 and primary in known:
            return known[primary]
    return known[DEFAULT]
