"""ISO 639-1 two-letter language codes, as WIPO ST.96 V6_0 encodes them.

The list is ``com:ISOLanguageCodeType`` of ``Common_V6_0.xsd`` (185 codes, ISO 639-1:2002),
so every code accepted here is a valid ``com:languageCode`` in the ST.96 documents we export.
The schema's former codes (``com:ISOFormerLanguageCodeType``: ``jw``, ``sh``) are refused.
"""

from __future__ import annotations

from typing import Final

from ipledger.standards.errors import StandardsError

__all__ = ["ISO639_1_CODES", "validate_iso639_1"]

_CODES: Final = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks
ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng
nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk
sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz
ve vi vo wa wo xh yi yo za zh zu
"""
ISO639_1_CODES: Final = frozenset(_CODES.split())


def validate_iso639_1(value: object, pointer: str = "") -> str:
    """Return ``value`` if it is an ISO 639-1 code (lower case); else raise ``iso639-code``."""
    if not isinstance(value, str) or value not in ISO639_1_CODES:
        raise StandardsError(
            "iso639-code",
            f"{value!r} is not an ISO 639-1 language code (two lower-case letters, e.g. 'en')",
            pointer,
        )
    return value
