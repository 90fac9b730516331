"""Who may see what, judged from the committed register (for the read side: API, web).

Writes are judged by the rules inside the ledger (``registry/context.py``); these helpers
apply the same records to reads: whose key a DID is now (``key/<did>``), which staff roles a
party holds at an office (``role/<office>/<party>``), and who is a party to a right's file.
They are pure functions of a record reader, so the register stays the only source of truth:
nothing is cached or frozen at login.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ipledger.registry.records import (
    key_record,
    key_valid_at,
    office_record,
    role_record,
)

Reader = Callable[[str], bytes | None]
Lister = Callable[[str], list[str]]

# Office staff who work on every file of their office (as in families/rights.py: STAFF).
STAFF_ROLES = ("registrar", "examiner")


def _read(read: Reader, record_id: str) -> dict[str, Any] | None:
    raw = read(record_id)
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value


def key_status(read: Reader, did_url: str, time_ms: int) -> tuple[str | None, str]:
    """``(party, "valid")`` if ``did_url`` is a party key at ``time_ms``, else ``(None, why)``.

    ``why`` is ``"unknown"`` (no party registered this key), ``"rotated-out"`` (it was
    replaced) or ``"not-yet-valid"``.
    """
    key = _read(read, key_record(did_url))
    if key is None:
        return None, "unknown"
    if key_valid_at(key, time_ms):
        party: str = key["party"]
        return party, "valid"
    if key.get("until") is not None and key["until"] <= time_ms:
        return None, "rotated-out"
    return None, "not-yet-valid"


def roles_at(read: Reader, office: str, party: str) -> set[str]:
    """The staff roles ``party`` holds at ``office`` now."""
    record = _read(read, role_record(office, party))
    return set(record["roles"]) if record else set()


def all_roles(read: Reader, list_ids: Lister, party: str) -> dict[str, list[str]]:
    """Every office at which ``party`` holds a role, with the roles (sorted)."""
    prefix = office_record("")
    out: dict[str, list[str]] = {}
    for office_id in list_ids(prefix):
        office = office_id[len(prefix):]
        roles = roles_at(read, office, party)
        if roles:
            out[office] = sorted(roles)
    return out


def parties_to_the_file(right: Mapping[str, Any]) -> set[str]:
    """The applicants/owners and representatives of a right."""
    return ({o["party"] for o in right.get("owners", [])}
            | set(right.get("representatives", [])))


def may_read_confidential(read: Reader, right: Mapping[str, Any], party: str) -> bool:
    """Whether ``party`` may see a right before publication: a party to its file, or staff
    (registrar or examiner) of its office."""
    if party in parties_to_the_file(right):
        return True
    return bool(roles_at(read, right["office"], party) & set(STAFF_ROLES))


def is_published(right: Mapping[str, Any] | None) -> bool:
    """Whether a right's content is public: disclosed (before that, the register holds
    only the filing's commitment, and every read side answers as if it did not exist)."""
    return right is not None and "data" in right
