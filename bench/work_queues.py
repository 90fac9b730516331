"""``work_queues``: the back office's queue counts and first page, on large registers.

The register is bulk-loaded through the storage layer as ``extract_1m`` does
(``bench/extract_bulk.py``): an office on the ``euipo`` profile and rights spread over the
states the queues cover (filed, formalities checked, under examination, opposition period,
opposed, registered). Timed: the counts of every queue plus the first page of the largest,
from the index (``services/queue_index.py``), after it caught up; and, at the small size
only, the same from a scan of every right (``services/work_queues.py``, the old way).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

from bench.common import emit, note, scratch_dir
from bench.extract_bulk import build
from ipledger.registry.records import office_record, right_record
from ipledger.services.queue_index import QueueIndex
from ipledger.services.work_queues import WorkQueues

STATES = ("filed", "formalities_checked", "under_examination", "opposition_period", "opposed",
          "registered", "registered", "registered")


def _right(i: int) -> tuple[str, dict[str, object]]:
    number = f"{i:09d}"
    state = STATES[i % len(STATES)]
    day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
    return right_record("EM", "trademark", number), {
        "office": "EM", "kind": "trademark", "number": number, "state": state,
        "owners": [{"party": f"P{i % 50_000:020X}", "share": [1, 1]}], "classes": [30, 32],
        "commitment": f"{i:064x}", "data": {"MarkRepresentation": {"MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": f"MARK {i}"}}}},
        "dates": {"filing_date": day, "renewals": 0, "maintenance_paid": []},
        "history": [{"action": "file", "state": state, "date": day, "index": i}],
    }


def _best(fn: object, runs: int = 5) -> float:
    """Median milliseconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench(size: int, scan: bool) -> None:
    office = {office_record("EM"): {"office": "EM", "name": "Bench office",
                                    "profile": "euipo", "since": 0}}
    t = time.perf_counter()
    store = build(size, right=_right, extra=office)
    load_s = time.perf_counter() - t
    path = Path(scratch_dir()) / "queues.sqlite"
    try:
        index = QueueIndex(path)
        t = time.perf_counter()
        index.refresh(store)
        catch_up_s = time.perf_counter() - t

        def index_view() -> None:
            index.refresh(store)  # nothing new: one meta read, as every page does
            counts = index.counts(["EM"])
            page = index.page("oppositions", ["EM"])
            assert counts["oppositions"] == page.total == len(range(4, size, len(STATES)))
            assert len(page.items) == min(25, page.total)

        ms = _best(index_view)
        raw = sqlite3.connect(str(path))
        floor = _best(lambda: raw.execute(
            "SELECT queue, count(*) FROM queued GROUP BY queue").fetchall())
        raw.close()
        extra: dict[str, object] = {}
        if scan:
            queues = WorkQueues(store.read_record, store.record_ids)
            extra["scan_ms"] = round(_best(
                lambda: (queues.counts(["EM"]), queues.page("oppositions", ["EM"])), 1))
        index.close()
    finally:
        store.close()
        shutil.rmtree(path.parent, ignore_errors=True)
        shutil.rmtree(Path(store.path).parent, ignore_errors=True)
    emit("work_queues", ms, "ms", floor, rights=size, queues=7, page_size=25,
         catch_up_s=round(catch_up_s, 1), catch_up_rights_per_s=round(size / catch_up_s),
         bulk_load_s=round(load_s, 1),
         ceiling_is="the same counts as one GROUP BY over the index's rows (no counts table)",
         timed="counts of 7 queues + first page of one, index already caught up (median of 5)",
         **extra)


def run(sizes: tuple[int, ...] = (20_000, 200_000)) -> None:
    for size in sizes:
        note(f"work_queues ({size:,} rights, bulk-loaded)")
        bench(size, scan=size <= 20_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    run(tuple(parser.parse_args().sizes))


if __name__ == "__main__":
    main()
