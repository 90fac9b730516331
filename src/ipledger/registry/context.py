"""A batch's working copy of the register and the context one entry is applied in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ipledger.codec import canonicalize
from ipledger.ledger import Rejection
from ipledger.registry.records import (
    did_of,
    due_record,
    key_record,
    key_valid_at,
    lookup_key,
    owned_record,
    party_record,
    role_record,
)
from ipledger.storage.base import record_ids_after

Reader = Callable[[str], bytes | None]


class Overlay:
    """Records changed in this batch over the committed register."""

    def __init__(self, read_committed: Reader,
                 list_committed: Callable[[str], list[str]] | None = None) -> None:
        self._read = read_committed
        self._list = list_committed
        self.changes: dict[str, bytes | None] = {}
        self._committed: dict[str, bytes | None] = {}  # reads of this batch, by id
        self._decoded: dict[str, tuple[bytes, dict[str, Any]]] = {}  # for peek, by id

    def ids(self, prefix: str, staged: Mapping[str, bytes | None] = {}) -> list[str]:
        """Ids starting with ``prefix`` as this batch (and ``staged``) leave them, sorted."""
        committed = self._list(prefix) if self._list is not None else []
        return record_ids_after(committed, prefix, self.changes, staged)

    def _raw(self, record_id: str) -> bytes | None:
        if record_id in self.changes:
            return self.changes[record_id]
        if record_id in self._committed:
            return self._committed[record_id]
        raw = self._committed[record_id] = self._read(record_id)
        return raw

    def get(self, record_id: str) -> dict[str, Any] | None:
        raw = self._raw(record_id)
        return None if raw is None else _decode(raw)

    def peek(self, record_id: str) -> Mapping[str, Any] | None:
        """Like :meth:`get`, but a value shared between calls: read it, never change it."""
        raw = self._raw(record_id)
        if raw is None:
            return None
        hit = self._decoded.get(record_id)
        if hit is not None and hit[0] is raw:
            return hit[1]
        value = _decode(raw)
        self._decoded[record_id] = (raw, value)
        return value


def _owner_parties(right: Mapping[str, Any]) -> set[str]:
    return {o["party"] for o in right.get("owners", [])}


def _not_found(record_id: str, what: str, pointer: str) -> Rejection:
    return Rejection("not-found", f"no {what} {record_id.split('/', 1)[1]!r}", pointer,
                     status=422)


def _decode(raw: bytes) -> dict[str, Any]:
    # Records are the register's own canonical JSON (written by put); the strict parser's
    # checks are for untrusted input. A tampered store is caught by replay and fsck.
    value: dict[str, Any] = orjson.loads(raw)
    return value


class EntryContext:
    """Everything a rule may read or change while applying one entry.

    Changes are staged and reach the batch only if the whole entry applies.
    """

    def __init__(self, overlay: Overlay, entry: Mapping[str, Any], index: int, time_ms: int,
                 genesis: str) -> None:
        self.overlay = overlay
        self.entry = entry
        self.index = index
        self.time_ms = time_ms
        self.genesis = genesis
        self.actor: str = entry["actor"]
        self.staged: dict[str, bytes | None] = {}
        self.keys: list[bytes] = []
        self._owners: dict[str, set[str]] = {}  # right id -> owners as `owned/` indexes them

    # -- reading and writing records ------------------------------------------------

    def get(self, record_id: str) -> dict[str, Any] | None:
        if record_id in self.staged:
            raw = self.staged[record_id]
            return None if raw is None else _decode(raw)
        value = self.overlay.get(record_id)
        if value is not None and record_id.startswith("right/") \
                and record_id not in self._owners:
            self._owners[record_id] = _owner_parties(value)
        return value

    def peek(self, record_id: str) -> Mapping[str, Any] | None:
        """A record as this entry sees it, to read only (a value shared with later calls:
        office, role and key records that almost every entry reads)."""
        if record_id in self.staged:
            raw = self.staged[record_id]
            return None if raw is None else _decode(raw)
        return self.overlay.peek(record_id)

    def put(self, record_id: str, value: Mapping[str, Any]) -> None:
        if record_id.startswith("right/"):
            self._index_owners(record_id, value)
        self.staged[record_id] = canonicalize(value)
        self.keys.append(lookup_key(record_id))

    def ids(self, prefix: str) -> list[str]:
        """Record ids starting with ``prefix``, as they stand in this entry."""
        return self.overlay.ids(prefix, self.staged)

    def _index_owners(self, record_id: str, value: Mapping[str, Any]) -> None:
        """Keep ``owned/<party>/<right id>``: which rights each party owns."""
        old = self._owners.get(record_id)
        if old is None:
            before = self.get(record_id)
            old = _owner_parties(before) if before else set()
        new = self._owners[record_id] = _owner_parties(value)
        for party in sorted(old - new):
            self.staged[owned_record(party, record_id)] = None
        for party in sorted(new - old):
            self.staged[owned_record(party, record_id)] = b"{}"

    def delete(self, record_id: str) -> None:
        self._owners.pop(record_id, None)
        self.staged[record_id] = None

    def schedule(self, due_ms: int, record_id: str, entry_type: str,
                 body: Mapping[str, Any]) -> None:
        """Schedule the system entry ``entry_type``/``body`` at ledger time ``due_ms``.

        At most one event per record and time; the engine emits it, in due-time order,
        before the first entry sequenced at or after ``due_ms``.
        """
        if not entry_type.startswith("system."):
            raise ValueError("scheduled entries are system entries")
        self.staged[due_record(due_ms, record_id)] = canonicalize(
            {"type": entry_type, "body": dict(body)})

    def unschedule(self, due_ms: int, record_id: str) -> None:
        self.staged[due_record(due_ms, record_id)] = None

    def require(self, record_id: str, what: str, pointer: str) -> dict[str, Any]:
        value = self.get(record_id)
        if value is None:
            raise _not_found(record_id, what, pointer)
        return value

    def require_shared(self, record_id: str, what: str, pointer: str) -> Mapping[str, Any]:
        """Like :meth:`require`, but the shared value of :meth:`peek` (read it only)."""
        value = self.peek(record_id)
        if value is None:
            raise _not_found(record_id, what, pointer)
        return value

    # -- who is acting ---------------------------------------------------------------

    @property
    def endorsers(self) -> list[str]:
        return [e["actor"] for e in self.entry.get("endorsements", [])]

    def key_is_valid(self, did_url: str) -> Mapping[str, Any] | None:
        """The key record (to read only) if ``did_url`` is a party key valid at this ledger
        time."""
        key = self.peek(key_record(did_url))
        return key if key_valid_at(key, self.time_ms) else None

    def acting_party(self) -> str:
        """The registered party whose key signed this entry (valid at its ledger time)."""
        key = self.key_is_valid(self.actor)
        if key is None:
            raise Rejection("not-authorized", "the signing key belongs to no registered party "
                            "at this ledger time (register it, or it was rotated out)", "/actor",
                            status=403)
        party: str = key["party"]
        return party

    def require_genesis(self) -> None:
        if did_of(self.actor) != self.genesis:
            raise Rejection("not-authorized", "only the ledger's genesis key may sign this",
                            "/actor", status=403)

    def roles(self, office: str, party: str) -> set[str]:
        record = self.peek(role_record(office, party))
        return set(record["roles"]) if record else set()

    def require_role(self, office: str, *allowed: str) -> str:
        party = self.acting_party()
        if not self.roles(office, party) & set(allowed):
            raise Rejection("not-authorized",
                            f"needs the role {' or '.join(allowed)} at office {office}",
                            "/actor", status=403)
        return party

    def party(self, party: str, pointer: str) -> dict[str, Any]:
        return self.require(party_record(party), "party", pointer)
