"""Replay: rebuild the state from the log alone and compare every recorded state root."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipledger.codec import parse_json
from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.errors import Rejection
from ipledger.ledger.state import SYSTEM_ACTOR, StateBatch, StateRules
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.ledger.validation import nonce_key
from ipledger.log import TreeAppender, leaf_hash
from ipledger.storage.base import AppendBatch, LedgerStore, StateWrite
from ipledger.storage.sqlite import SQLiteStore

_CHUNK = 4096


@dataclass
class ReplayReport:
    entries: int = 0
    roots_compared: int = 0
    final_root: bytes | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _log(store: LedgerStore, first: int, size: int
         ) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    for start in range(first, size, _CHUNK):
        end = min(size, start + _CHUNK)
        for offset, raw in enumerate(store.read_entries(start, end)):
            yield start + offset, raw, parse_json(raw)


def _without_seq(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "seq"}


class _Rebuild:
    """The log re-appended into an empty store, batch by batch, with what the rules derive."""

    def __init__(self, target: LedgerStore, entry_types: Mapping[str, EntryType],
                 start: int) -> None:
        self.target, self.entry_types = target, entry_types
        self.tree = TreeAppender.from_reader(target, start) if start else TreeAppender()
        self.entries: list[bytes] = []
        self.keys: list[tuple[bytes, int]] = []
        self.nonces: list[tuple[bytes, int]] = []

    def add(self, index: int, raw: bytes, entry: Mapping[str, Any],
            rule_keys: Sequence[bytes]) -> None:
        self.entries.append(raw)
        self.keys += [(k, index) for k in rule_keys]
        if entry.get("actor") != SYSTEM_ACTOR:
            self.nonces.append((nonce_key(entry["actor"], entry["nonce"]),
                                parse_rfc3339_ms(entry["created"])))
            entry_type = self.entry_types.get(entry["type"])
            if entry_type is not None:
                self.keys += [(k, index) for k in entry_type.index_keys(entry["body"])]

    def flush(self, write: StateWrite | None) -> None:
        if not self.entries and write is None:
            return
        first = self.tree.tree_size
        result = self.tree.append([leaf_hash(e) for e in self.entries])
        self.target.append(AppendBatch(first_index=first, entries=self.entries,
                                       tiles=result.tiles, root_hash=result.root_hash,
                                       keys=self.keys, nonces=self.nonces, state=write))
        self.entries, self.keys, self.nonces = [], [], []


def replay(
    store: LedgerStore, make_rules: Callable[[LedgerStore], StateRules],
    *, compare_records: bool = True, into: LedgerStore | None = None,
    entry_types: Mapping[str, EntryType] | None = None,
) -> ReplayReport:
    """Re-run the rules over every entry of ``store`` in a scratch store and compare roots.

    Every recorded state root must be reproduced (a live store records one per batch, an
    export one per checkpoint). System entries must be exactly those the rules derive,
    where they derive them; no logged entry may be refused. With ``compare_records``,
    every record the store serves must equal the derived one.

    With ``into`` (an empty store), the whole node store is rebuilt there from the log
    alone: every entry with its tiles, lookup keys (``entry_types`` name those of entries
    outside the rules) and replay nonces, and the state the rules derive, versioned at the
    same tree sizes as the original's batches. If ``into`` already holds the first entries
    of the log with their state (a mirror: ``ipledger.network.mirror``, which proves that
    prefix), the rebuild continues after them.
    """
    report = ReplayReport()
    size = store.tree_size()  # replay a consistent prefix even if the node is still writing
    start = into.tree_size() if into is not None else 0
    if start > size:
        report.problems.append(f"the target holds {start} entries, the log only {size}")
        return report
    boundaries = {s for s in store.state_root_sizes() if start <= s <= size}
    with tempfile.TemporaryDirectory(prefix="ipledger-replay-") as scratch:
        shadow = into if into is not None else SQLiteStore(Path(scratch) / "replay.sqlite")
        rebuild = _Rebuild(into, entry_types or {}, start) if into is not None else None
        rules = make_rules(shadow)
        batch: StateBatch | None = None
        batch_time = 0

        def end_batch(size: int) -> None:
            nonlocal batch
            write = batch.finish() if batch is not None else None
            if rebuild is not None:
                rebuild.flush(write)
            elif write is not None:  # the scratch store keeps state only; no log
                shadow.append(AppendBatch(first_index=0, entries=[], tiles={}, root_hash=b"",
                                          state=write))
            if write is not None:
                rules.applied(write)
                rules.durable(write)
            batch = None
            if size in boundaries:
                report.roots_compared += 1
                if store.state_root_at(size) != rules.root():
                    report.problems.append(
                        f"state root after entry {size - 1} differs from the recorded one")

        for index, raw, entry in _log(store, start, size):
            time_ms = parse_rfc3339_ms(entry["seq"]["time"])
            if index in boundaries or (index and time_ms != batch_time):
                end_batch(index)  # a batch has one ledger time: this entry began the next
            batch_time = time_ms
            report.entries += 1
            is_system = entry.get("actor") == SYSTEM_ACTOR
            if not is_system and not rules.handles(entry["type"]):
                if rebuild is not None:
                    rebuild.add(index, raw, entry, ())
                continue
            if batch is None:
                batch = rules.begin(time_ms)
            due = batch.due_entries()
            if is_system and (not due or due[0] != _without_seq(entry)):
                report.problems.append(
                    f"entry {index} is a system entry the rules do not derive here")
                break
            if not is_system and due:
                report.problems.append(f"entry {index}: the log skipped a due {due[0]['type']}")
                break
            try:
                rule_keys = batch.apply(entry, index)
            except Rejection as exc:
                report.problems.append(f"entry {index} is refused on replay: {exc}")
                break
            if rebuild is not None:
                rebuild.add(index, raw, entry, rule_keys)
        if not report.problems:
            end_batch(size)
            if compare_records:
                _compare_records(store, shadow, size, report)
        report.final_root = rules.root()
        if into is None:
            shadow.close()
    return report


def _compare_records(store: LedgerStore, rebuilt: LedgerStore, size: int,
                     report: ReplayReport, limit: int = 20) -> None:
    """Every record the node serves must be the one the log derives (roots alone do not
    cover a record edited in place in the store's tables)."""
    still = store.tree_size() == size  # not written meanwhile: current records are at size
    ids = sorted(set(rebuilt.record_ids("")) | set(store.record_ids("")))
    for record_id in ids:
        derived = rebuilt.read_record(record_id)
        served = [store.read_record_at(record_id, size)]
        if still:
            served.append(store.read_record(record_id))
        if any(value != derived for value in served):
            report.problems.append(f"record {record_id} differs from the one the log derives")
            if len(report.problems) >= limit:
                report.problems.append("(stopped comparing records)")
                return
