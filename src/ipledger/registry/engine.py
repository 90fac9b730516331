"""The register as a deterministic state machine over the ledger (``StateRules``)."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Mapping
from itertools import islice
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
from ipledger.registry.smt import EMPTY_ROOT, StateTree, record_key, record_value_hash
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


class StoreNodes:
    """The state tree's node store: committed nodes in the ledger store, new ones pending.

    Pending nodes are handed to the sequencer in the batch's ``StateWrite`` and so are
    written in the same transaction as the entries that produced them.
    """

    CACHE_NODES = 262_144  # committed nodes are immutable (one content per reference)

    def __init__(self, store: LedgerStore, root: bytes | None) -> None:
        self._store = store
        self._cache: dict[bytes, bytes] = {}
        self._pending: dict[bytes, bytes] = {}
        # The nodes of the last two applied batches, which may not be stored yet (one is
        # being written while the next is prepared); the cache may drop them, these not.
        self._unstored: deque[dict[bytes, bytes]] = deque(maxlen=2)
        self._roots: dict[int, bytes] = {} if root is None else {0: root}

    def get_node(self, node_hash: bytes) -> bytes | None:
        node = self._pending.get(node_hash) or self._cache.get(node_hash)
        if node is None:
            for nodes in self._unstored:
                if (node := nodes.get(node_hash)) is not None:
                    return node
            node = self._store.read_state_node(node_hash)
            if node is not None:
                self._make_room(1)
                self._cache[node_hash] = node
        return node

    def _make_room(self, n: int) -> None:
        """Keep the cache bounded: drop the oldest half (dicts keep insertion order; the hot
        upper levels are rewritten, so re-inserted, by every batch)."""
        if len(self._cache) + n > self.CACHE_NODES:
            keep = max(0, min(len(self._cache), self.CACHE_NODES - n) // 2)
            self._cache = dict(islice(self._cache.items(), len(self._cache) - keep, None))

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        self._pending.update(nodes)

    def get_root(self, version: int) -> bytes | None:
        return self._roots.get(version)

    def put_root(self, version: int, root: bytes) -> None:
        self._roots[version] = root

    def latest_version(self) -> int | None:
        return max(self._roots) if self._roots else None

    def take_pending(self) -> list[tuple[bytes, bytes]]:
        nodes = sorted(self._pending.items())
        self._make_room(len(self._pending))
        self._cache.update(self._pending)  # about to be written with the batch
        self._unstored.append(self._pending)
        self._pending = {}
        return nodes

    def rollback(self, version: int | None) -> None:
        """Forget every version after ``version`` (a batch that was never committed)."""
        self._pending.clear()
        for v in [v for v in self._roots if version is None or v > version]:
            del self._roots[v]
        if version is not None:  # keep only the committed root in memory
            self._roots = {version: self._roots[version]}


class RegistryRules:
    """``StateRules`` for the IP register."""

    def __init__(self, store: LedgerStore, genesis: str, origin: str) -> None:
        self.store = store
        self.genesis = genesis
        self.origin = origin
        self.last_write: StateWrite | None = None  # the newest durable batch's changes
        self._load()

    def _load(self) -> None:
        """The state as the store holds it (at start, and after a batch failed to store)."""
        store = self.store
        self.schedule: list[str] = store.record_ids(DUE_PREFIX)  # sorted: due time first
        sizes = store.state_root_sizes()
        committed_root = store.state_root_at(sizes[-1]) if sizes else None
        self.nodes = StoreNodes(store, committed_root)
        self.tree = StateTree(self.nodes)
        self.committed_version = self.nodes.latest_version()
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
        self.nodes.rollback(self.committed_version)
        return RegistryBatch(self, time_ms)

    def applied(self, write: StateWrite) -> None:
        self.committed_version = self.nodes.latest_version()
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
        if self.committed_version is None:
            return EMPTY_ROOT
        return self.tree.root_at(self.committed_version)


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
        root = self.rules.root()
        if tree_changes:
            # The tree version is the batch's first log index: it grows from batch to batch
            # and across restarts, so each batch's nodes are stored next to each other.
            latest = self.rules.tree.version
            version = max(self._first_index or 0, -1 if latest is None else latest + 1)
            root = self.rules.tree.update(tree_changes, version)
        return StateWrite(records=dict(changes), nodes=self.rules.nodes.take_pending(),
                          root=root)
