"""Search criteria, checked: every bad parameter is named with what it must be."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ipledger.registry.lifecycle import ALL_STATES
from ipledger.registry.profiles import RIGHT_KINDS
from ipledger.search.fields import text_key
from ipledger.standards.errors import StandardsError
from ipledger.standards.nice import validate_nice_class
from ipledger.standards.st3 import validate_st3

MATCHES = ("contains", "prefix", "exact", "similar", "fuzzy", "phonetic")
# What each ranked match accepts (search/similarity.py); the others are plain filters.
RANKED: dict[str, frozenset[str]] = {
    "similar": frozenset({"exact", "contains", "fuzzy", "phonetic"}),
    "fuzzy": frozenset({"exact", "fuzzy"}),
    "phonetic": frozenset({"exact", "phonetic"}),
}
MAX_TEXT = 200
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
PARAMS = ("q", "match", "owner", "number", "class", "status", "office", "kind",
          "filed_from", "filed_to", "register", "limit", "proofs")


class SearchParamError(ValueError):
    """A search parameter is invalid; ``param`` names it."""

    def __init__(self, param: str, detail: str) -> None:
        super().__init__(f"{param}: {detail}")
        self.param = param
        self.detail = detail


@dataclass(frozen=True)
class SearchQuery:
    """What to find. Text criteria are kept as :func:`~ipledger.search.fields.text_key`."""

    text: str | None = None  # the title / verbal element
    match: str = "contains"
    owner: str | None = None  # a substring of an owner's name
    nice_class: int | None = None
    status: str | None = None
    office: str | None = None
    kind: str | None = None
    register: str | None = None  # an origin (or a mirror's name)
    limit: int = DEFAULT_LIMIT
    proofs: bool = False
    number: str | None = None  # the right's number, exactly
    filed_from: str | None = None  # filing date on or after (YYYY-MM-DD)
    filed_to: str | None = None  # filing date on or before

    @property
    def ranked(self) -> bool:
        """Whether results are ordered by similarity score (``match`` similar, fuzzy,
        phonetic) rather than by title."""
        return self.text is not None and self.match in RANKED


def _text(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    key = text_key(raw)
    if not key:
        raise SearchParamError(name, "must not be empty")
    if len(raw) > MAX_TEXT:
        raise SearchParamError(name, f"must be at most {MAX_TEXT} characters")
    return key


def _integer(raw: str, name: str, lo: int, hi: int) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not lo <= int(raw) <= hi:
        raise SearchParamError(name, f"must be an integer {lo}..{hi}")
    return int(raw)


def _date(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            return date.fromisoformat(raw).isoformat()
    except ValueError:
        pass
    raise SearchParamError(name, "must be a date YYYY-MM-DD")


def parse_query(params: Mapping[str, str], repeated: set[str] | None = None) -> SearchQuery:
    """The query that URL parameters ``params`` ask for; :class:`SearchParamError` if any
    is unknown, repeated (``repeated``) or invalid."""
    for name in sorted(params):
        if name not in PARAMS:
            raise SearchParamError(name, f"is not a search parameter ({', '.join(PARAMS)})")
    for name in sorted(repeated or ()):
        raise SearchParamError(name, "must be given at most once")
    match = params.get("match", "contains")
    if match not in MATCHES:
        raise SearchParamError("match", f"must be one of {', '.join(MATCHES)}")
    nice_class = None
    if "class" in params:
        try:
            nice_class = validate_nice_class(_integer(params["class"], "class", 1, 99))
        except StandardsError as exc:
            raise SearchParamError("class", exc.detail) from None
    status = params.get("status")
    if status is not None and status not in ALL_STATES:
        raise SearchParamError("status", f"must be a lifecycle state ({', '.join(ALL_STATES)})")
    office = params.get("office")
    if office is not None:
        try:
            validate_st3(office)
        except StandardsError as exc:
            raise SearchParamError("office", f"must be an ST.3 code: {exc.detail}") from None
    kind = params.get("kind")
    if kind is not None and kind not in RIGHT_KINDS:
        raise SearchParamError("kind", f"must be one of {', '.join(RIGHT_KINDS)}")
    register = params.get("register")
    if register is not None and not 1 <= len(register) <= 200:
        raise SearchParamError("register", "must be a register's origin")
    limit = _integer(params["limit"], "limit", 1, MAX_LIMIT) if "limit" in params \
        else DEFAULT_LIMIT
    proofs = params.get("proofs", "0")
    if proofs not in ("0", "1"):
        raise SearchParamError("proofs", "must be 0 or 1")
    number = params.get("number")
    if number is not None and not re.fullmatch(r"[A-Za-z0-9./-]{1,40}", number):
        raise SearchParamError("number", "must be a right's number (letters, digits, . / -)")
    filed_from, filed_to = _date(params, "filed_from"), _date(params, "filed_to")
    if filed_from and filed_to and filed_from > filed_to:
        raise SearchParamError("filed_to", "must not be before filed_from")
    return SearchQuery(text=_text(params, "q"), match=match, owner=_text(params, "owner"),
                       nice_class=nice_class, status=status, office=office, kind=kind,
                       register=register, limit=limit, proofs=proofs == "1", number=number,
                       filed_from=filed_from, filed_to=filed_to)
