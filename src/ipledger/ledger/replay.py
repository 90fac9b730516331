"""Replay: rebuild the state from the log alone and compare every recorded state root."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipledger.codec import parse_json
from ipledger.ledger.errors import Rejection
from ipledger.ledger.state import SYSTEM_ACTOR, StateBatch, StateRules
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.storage.base import AppendBatch, LedgerStore
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


def _log(store: LedgerStore, size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    for start in range(0, size, _CHUNK):
        end = min(size, start + _CHUNK)
        for offset, raw in enumerate(store.read_entries(start, end)):
            yield start + offset, parse_json(raw)


def _without_seq(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "seq"}


def replay(
    store: LedgerStore, make_rules: Callable[[LedgerStore], StateRules],
    *, compare_records: bool = True,
) -> ReplayReport:
    """Re-run the rules over every entry of ``store`` in a scratch store and compare roots.

    Every recorded state root must be reproduced (a live store records one per batch, an
    export one per checkpoint). System entries must be exactly those the rules derive,
    where they derive them; no logged entry may be refused. With ``compare_records``,
    every record the store serves must equal the derived one.
    """
    report = ReplayReport()
    size = store.tree_size()  # replay a consistent prefix even if the node is still writing
    boundaries = {s for s in store.state_root_sizes() if s <= size}
    with tempfile.TemporaryDirectory(prefix="ipledger-replay-") as scratch:
        shadow = SQLiteStore(Path(scratch) / "replay.sqlite")
        rules = make_rules(shadow)
        batch: StateBatch | None = None
        batch_time = 0

        def end_batch(size: int) -> None:
            nonlocal batch
            if batch is not None:
                write = batch.finish()
                # The shadow store keeps state only; its log stays empty.
                shadow.append(AppendBatch(first_index=0, entries=[], tiles={}, root_hash=b"",
                                          state=write))
                rules.committed(write)
                batch = None
            if size in boundaries:
                report.roots_compared += 1
                if store.state_root_at(size) != rules.root():
                    report.problems.append(
                        f"state root after entry {size - 1} differs from the recorded one")

        for index, entry in _log(store, size):
            if index in boundaries:
                end_batch(index)
            report.entries += 1
            is_system = entry.get("actor") == SYSTEM_ACTOR
            if not is_system and not rules.handles(entry["type"]):
                continue
            time_ms = parse_rfc3339_ms(entry["seq"]["time"])
            if batch is not None and time_ms != batch_time:
                end_batch(index)  # a batch has one ledger time: this entry began the next
            if batch is None:
                batch, batch_time = rules.begin(time_ms), time_ms
            due = batch.due_entries()
            if is_system and (not due or due[0] != _without_seq(entry)):
                report.problems.append(
                    f"entry {index} is a system entry the rules do not derive here")
                break
            if not is_system and due:
                report.problems.append(f"entry {index}: the log skipped a due {due[0]['type']}")
                break
            try:
                batch.apply(entry, index)
            except Rejection as exc:
                report.problems.append(f"entry {index} is refused on replay: {exc}")
                break
        if not report.problems:
            end_batch(size)
            if compare_records:
                _compare_records(store, shadow, size, report)
        report.final_root = rules.root()
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
