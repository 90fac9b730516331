"""``extract_1m``: register extracts on a register of 1,000,000 rights.

Building a million rights through signed entries takes ~15 minutes on two cores, so this
bench bulk-loads the register through the storage layer instead: one (unsigned) filing entry
per right in the log, the right's record, its lookup key and the state tree, batch by batch,
exactly as the sequencer would write them. Extracts are then built by the node's own code
(``registry.extract.make_extract``: record, state proof, history receipts, checkpoint).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from bench.common import emit, note, percentile, scratch_dir
from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger
from ipledger.ledger.timefmt import format_rfc3339_ms
from ipledger.log import TreeAppender, leaf_hash
from ipledger.node import entry_types
from ipledger.registry.engine import RegistryRules
from ipledger.registry.extract import make_extract
from ipledger.registry.records import lookup_key, right_record
from ipledger.registry.smt import StateTree, record_key, record_value_hash
from ipledger.registry.tree_nodes import StoreNodes
from ipledger.storage.base import AppendBatch, StateWrite
from ipledger.storage.sqlite import SQLiteStore

ORIGIN = "bench.ipledger.localhost/register"
T0 = 1_790_000_000_000


def _right(i: int) -> tuple[str, dict[str, object]]:
    number = f"{i:09d}"
    return right_record("EM", "trademark", number), {
        "office": "EM", "kind": "trademark", "number": number, "state": "registered",
        "owners": [{"party": f"P{i % 50_000:020X}", "share": [1, 1]}], "classes": [30, 32],
        "commitment": f"{i:064x}", "data": {"MarkRepresentation": {"MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": f"MARK {i}"}}}},
        "dates": {"filing_date": "2026-09-21", "registration_date": "2026-12-23",
                  "renewals": 0, "maintenance_paid": []},
        "history": [{"action": "file", "state": "filed", "date": "2026-09-21", "index": i}],
    }


RightMaker = Callable[[int], tuple[str, dict[str, object]]]


def build(size: int, batch: int = 50_000, right: RightMaker = _right,
          extra: Mapping[str, dict[str, object]] | None = None) -> SQLiteStore:
    """A register of ``size`` rights (``right(i)``: record id and record) and the
    ``extra`` records (parties ...), written with the first batch."""
    store = SQLiteStore(scratch_dir() / "register.sqlite")
    tree = TreeAppender()
    nodes = StoreNodes(store, None)
    state = StateTree(nodes)
    time_text = format_rfc3339_ms(T0)
    for start in range(0, size, batch):
        rights = [right(i) for i in range(start, min(size, start + batch))]
        entries = [canonicalize({"v": 1, "ledger": ORIGIN, "type": "right.file",
                                 "actor": "bench", "body": {"number": r["number"]},
                                 "seq": {"index": start + k, "time": time_text}})
                   for k, (_, r) in enumerate(rights)]
        records = {rid: canonicalize(r) for rid, r in rights}
        if start == 0:
            records.update((rid, canonicalize(r)) for rid, r in (extra or {}).items())
        root = state.update({record_key(rid): record_value_hash(raw)
                             for rid, raw in records.items()})
        result = tree.append([leaf_hash(e) for e in entries])
        store.append(AppendBatch(
            first_index=start, entries=entries, tiles=result.tiles, root_hash=result.root_hash,
            keys=[(lookup_key(rid), start + k) for k, (rid, _) in enumerate(rights)],
            state=StateWrite(records=records, nodes=nodes.take_pending(), root=root)))
    store.set_meta("registry.genesis", "did:key:bench")
    return store


def run(size: int = 1_000_000, samples: int = 2_000) -> None:
    t = time.perf_counter()
    store = build(size)
    note(f"bulk-loaded a register of {size} rights in {time.perf_counter() - t:.0f} s")
    rules = RegistryRules(store, "did:key:bench", ORIGIN)
    ledger = Ledger(store, ORIGIN, SigningKey.from_seed(b"\x09" * 32), entry_types(),
                    rules=rules).start()
    try:
        checkpoint = ledger.latest_checkpoint()
        rng = random.Random(7)
        ids = [right_record("EM", "trademark", f"{rng.randrange(size):09d}")
               for _ in range(samples)]
        for record_id in ids[:200]:  # warm the tile and node caches like a serving node
            make_extract(ledger, record_id, checkpoint)
        times = []
        for record_id in ids:
            t = time.perf_counter()
            doc = make_extract(ledger, record_id, checkpoint)
            times.append((time.perf_counter() - t) * 1000)
            assert doc["record"] is not None
        floor = []
        for record_id in ids[:500]:
            t = time.perf_counter()
            store.read_record(record_id)
            floor.append((time.perf_counter() - t) * 1000)
        emit("extract_1m", percentile(times, 0.99), "ms", percentile(floor, 0.99),
             p50_ms=round(percentile(times, 0.5), 4), rights=size, samples=samples,
             target=5.0, ceiling_is="p99 of one SQLite record read (a floor)",
             note="register bulk-loaded through the storage layer; extract by the node's code")
    finally:
        ledger.close()
        store.close()


if __name__ == "__main__":
    run()
