"""The register as a deterministic state machine over the ledger (``StateRules``)."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Mapping
from typing import Any

from ipledger.ledger import Rejection
from ipledger.ledger.replay import ReplayReport, replay
from ipledger.ledger.state import SYSTEM_ACTOR, StateWrite
from ipledger.registry.context import EntryContext, Overlay
from ipledger.registry.families import (
    assignment,
    authenticity,
    governance,
    imports,
    licence,
    network,
    party,
    priority,
    rights,
)
from ipledger.registry.families.base import Rule
from ipledger.registry.records import DUE_PREFIX, parse_due_record
from ipledger.registry.schema import check_object, json_schema
from ipledger.registry.smt import record_key, record_value_hash
from ipledger.registry.tree_nodes import InlineTree, RegisterTree
from ipledger.registry.tree_process import StoreOpener, TreeProcess
from ipledger.storage.base import LedgerStore, record_ids_after

_FAMILIES = (governance, party, rights, assignment, licence, imports, network, priority,
             authenticity)
RULES: dict[str, Rule] = {k: v for f in _FAMILIES for k, v in f.RULES.items()}
SYSTEM_RULES: dict[str, Rule] = {k: v for f in _FAMILIES for k, v in f.SYSTEM_RULES.items()}
FAMILIES = frozenset(name.split(".", 1)[0] for name in RULES)


class RegistryEntryType:
    """Body validation of one register entry type (pickles by name for worker processes)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def check_body(self, body: Mapping[str, Any]) -> None:
        check_object(body, RULES[self.name].schema, "/body")

    def index_keys(self, body: Mapping[str, Any]) -> list[bytes]:
        return []  # the rules name the records an entry touches when they apply it

    def __reduce__(self) -> tuple[type[RegistryEntryType], tuple[str]]:
        return (RegistryEntryType, (self.name,))


def entry_type_catalogue() -> dict[str, dict[str, Any]]:
    """Every register entry type with its summary and body schema (for docs and OpenAPI)."""
    return {name: {"summary": rule.summary, "body": json_schema(rule.schema),
                   **({"example": dict(rule.example)} if rule.example else {})}
            for name, rule in sorted(RULES.items())}


def registry_entry_types() -> dict[str, RegistryEntryType]:
    return {name: RegistryEntryType(name) for name in RULES}


class RegistryRules:
    """``StateRules`` for the IP register."""

    def __init__(self, store: LedgerStore, genesis: str, origin: str, *,
                 tree_store: StoreOpener | None = None) -> None:
        """``tree_store`` opens ``store`` again: the state tree then runs in a worker process
        of its own (registry/tree_process.py) instead of the sequencer's thread."""
        self.store = store
        self.genesis = genesis
        self.origin = origin
        self.last_write: StateWrite | None = None  # the newest durable batch's changes
        self._tree_store = tree_store
        self._tree_process: TreeProcess | None = None
        self._load()

    def _load(self) -> None:
        """The state as the store holds it (at start, and after a batch failed to store)."""
        store = self.store
        self.schedule: list[str] = store.record_ids(DUE_PREFIX)  # sorted: due time first
        sizes = store.state_root_sizes()
        committed_root = store.state_root_at(sizes[-1]) if sizes else None
        if self._tree_store is None:
            self.tree: RegisterTree = InlineTree(store, committed_root)
        elif self._tree_process is None:
            self.tree = self._tree_process = TreeProcess(self._tree_store, committed_root)
        else:
            self._tree_process.reset(committed_root)
        # Records written by recent batches (the next batches mostly touch them again).
        self._recent: dict[str, bytes | None] = {}
        # The records of the last two applied batches, which may not be stored yet.
        self._unstored: deque[Mapping[str, bytes | None]] = deque(maxlen=2)

    RECENT_RECORDS = 200_000

    def read_record(self, record_id: str) -> bytes | None:
        """A record as the newest applied batch left it: recent writes, else the store."""
        try:
            return self._recent[record_id]
        except KeyError:
            return self.store.read_record(record_id)

    def record_ids(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix`` as the newest applied batch left them, sorted."""
        return record_ids_after(self.store.record_ids(prefix), prefix, *self._unstored)

    def handles(self, entry_type: str) -> bool:
        return entry_type.split(".", 1)[0] in FAMILIES

    def begin(self, time_ms: int) -> RegistryBatch:
        self.tree.discard_unapplied()
        return RegistryBatch(self, time_ms)

    def applied(self, write: StateWrite) -> None:
        self.tree.applied()
        self._unstored.append(write.records)
        if len(self._recent) + len(write.records) > self.RECENT_RECORDS:
            self._recent.clear()
            for records in self._unstored:  # the store may not have these yet
                self._recent.update(records)
        self._recent.update(write.records)
        for record_id, value in write.records.items():
            if not record_id.startswith(DUE_PREFIX):
                continue
            pos = bisect.bisect_left(self.schedule, record_id)
            present = pos < len(self.schedule) and self.schedule[pos] == record_id
            if value is None and present:
                del self.schedule[pos]
            elif value is not None and not present:
                self.schedule.insert(pos, record_id)

    def durable(self, write: StateWrite) -> None:
        self.last_write = write

    def reset(self) -> None:
        self._load()

    def root(self) -> bytes:
        return self.tree.root()

    def close(self) -> None:
        self.tree.close()


GENESIS_META = "registry.genesis"


def replay_register(store: LedgerStore, origin: str, *,
                    compare_records: bool = True) -> ReplayReport:
    """Rebuild the register from ``store``'s log and compare every recorded state root."""
    genesis = store.get_meta(GENESIS_META)
    if genesis is None:
        raise ValueError("the store records no genesis key")
    return replay(store, lambda shadow: RegistryRules(shadow, genesis, origin),
                  compare_records=compare_records)


class RegistryBatch:
    """One batch at one ledger time: entries applied in order over an overlay."""

    def __init__(self, rules: RegistryRules, time_ms: int) -> None:
        self.rules = rules
        self.time_ms = time_ms
        self.overlay = Overlay(rules.read_record, rules.record_ids)
        self._added: list[str] = []  # due ids scheduled in this batch, sorted
        # rules.schedule[:_consumed] are all deleted in this batch. Deleted ids stay
        # deleted unless put again, and a put id is in _added, so the cursor only advances.
        self._consumed = 0
        self._first_index: int | None = None  # of the entries applied

    def due_entries(self) -> list[dict[str, Any]]:
        """The earliest scheduled automatic event, if it is due at this batch's time."""
        changes, schedule = self.overlay.changes, self.rules.schedule
        while self._consumed < len(schedule) and changes.get(schedule[self._consumed], b"") is None:
            self._consumed += 1
        first = schedule[self._consumed] if self._consumed < len(schedule) else None
        candidates = [d for d in (first, self._added[0] if self._added else None)
                      if d is not None]
        if not candidates:
            return []
        due_id = min(candidates)
        due_ms, _ = parse_due_record(due_id)
        if due_ms > self.time_ms:
            return []
        event = self.overlay.get(due_id)
        assert event is not None
        return [{"v": 1, "ledger": self.rules.origin, "type": event["type"],
                 "actor": SYSTEM_ACTOR, "body": event["body"]}]

    def apply(self, entry: Mapping[str, Any], index: int) -> list[bytes]:
        if self._first_index is None:
            self._first_index = index
        rule = RULES.get(entry["type"])
        if entry.get("actor") == SYSTEM_ACTOR:
            rule = SYSTEM_RULES.get(entry["type"])
        if rule is None:
            raise Rejection("unknown-type", f"the register has no rule for {entry['type']}",
                            "/type")
        ctx = EntryContext(self.overlay, entry, index, self.time_ms, self.rules.genesis)
        rule.apply(ctx, dict(entry["body"]))
        self.overlay.changes.update(ctx.staged)  # only now: the entry applied whole
        for record_id, value in ctx.staged.items():
            if record_id.startswith(DUE_PREFIX):  # keep this batch's schedule sorted
                pos = bisect.bisect_left(self._added, record_id)
                present = pos < len(self._added) and self._added[pos] == record_id
                if value is None and present:
                    del self._added[pos]
                elif value is not None and not present:
                    self._added.insert(pos, record_id)
        return sorted(set(ctx.keys))

    def finish(self) -> StateWrite:
        changes = self.overlay.changes
        tree_changes = {
            record_key(record_id): None if value is None else record_value_hash(value)
            for record_id, value in sorted(changes.items())
        }
        return self.rules.tree.write(dict(changes), tree_changes, self._first_index or 0)
