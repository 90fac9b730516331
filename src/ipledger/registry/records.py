"""Record ids of the register's state and their JSON values (canonical bytes in storage)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


def did_of(did_url: str) -> str:
    """The DID of a DID URL (drops the fragment naming the key)."""
    return did_url.split("#", 1)[0]


def party_id_for(did_url: str) -> str:
    """A party's stable identifier: derived from the key it registered with, never reused."""
    return "P" + hashlib.sha256(did_of(did_url).encode()).hexdigest()[:20].upper()


def office_record(office: str) -> str:
    return f"office/{office}"


def role_record(office: str, party: str) -> str:
    return f"role/{office}/{party}"


def party_record(party: str) -> str:
    return f"party/{party}"


def key_record(did_url: str) -> str:
    return f"key/{did_of(did_url)}"


def key_valid_at(key: Mapping[str, Any] | None, time_ms: int) -> bool:
    """Whether the ``key/<did>`` record ``key`` makes its key a party key at ``time_ms``.

    A key speaks for its party from the ledger time it was registered (or rotated in)
    until the ledger time it was rotated out, that instant excluded.
    """
    if key is None or key["from"] > time_ms:
        return False
    until = key.get("until")
    return until is None or until > time_ms


def right_record(office: str, kind: str, number: str) -> str:
    return f"right/{office}/{kind}/{number}"


def priority_record(office: str, number: str) -> str:
    """A priority document deposited by ``office`` for its application ``number``."""
    return f"priority/{office}/{number}"


def owned_record(party: str, right_record_id: str) -> str:
    """Index entry: ``party`` owns (a share of) the right ``right_record_id``."""
    return f"owned/{party}/{right_record_id}"


DOCREF_PREFIX = "docref/"


def document_ref_record(sha256: str, right_record_id: str) -> str:
    """Index entry: the right ``right_record_id`` lists the document ``sha256``
    (``right.add_document``); ``docref/<sha256>/`` lists every right that does."""
    return f"{DOCREF_PREFIX}{sha256}/{right_record_id}"


DUE_PREFIX = "due/"


def due_record(due_ms: int, record_id: str) -> str:
    """An entry of the schedule of automatic events; ids sort by due time."""
    return f"{DUE_PREFIX}{due_ms:015d}/{record_id}"


def parse_due_record(due_id: str) -> tuple[int, str]:
    _, ms, record_id = due_id.split("/", 2)
    return int(ms), record_id


def lookup_key(record_id: str) -> bytes:
    """The entry-index key under which every entry touching ``record_id`` is found."""
    return b"rec:" + record_id.encode()


def party_details(record: Mapping[str, Any]) -> dict[str, Any]:
    """A party's current name, country and address (the latest value of each detail)."""
    details: dict[str, Any] = {}
    for change in record["details"]:
        details.update({k: v for k, v in change.items() if k not in ("from", "index")})
    return details
