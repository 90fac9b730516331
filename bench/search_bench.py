"""``search`` and ``pages``: register search and record pages on a register of 1,000,000
trade marks (``IPLEDGER_BENCH_SEARCH_RIGHTS`` for fewer).

The register is bulk-loaded through the storage layer as ``extract_1m`` does
(``bench/extract_bulk.py``), with realistic marks (``bench/search_corpus.py``: dictionary
and coined words, descriptors, 50,000 owners, weighted Nice classes and statuses); its
search index is filled in bulk (``RegisterIndex.load``) from the same records through the
search's own field extraction. Queries then go through ``api.search.run_search``, the
function behind ``GET /v1/search`` and the ``/search`` page; record pages through the whole
ASGI app (``/rights/{office}/{kind}/{number}``, httpx's ASGITransport, in-process).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.common import emit, note, percentile, scratch_dir
from bench.extract_bulk import ORIGIN, build
from bench.search_corpus import DESCRIPTORS, OWNERS, WORDS, Mark, mark, owner_name
from ipledger.api.app import create_app
from ipledger.api.search import run_search
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger
from ipledger.node import entry_types
from ipledger.registry.engine import RegistryRules
from ipledger.registry.records import party_record, right_record
from ipledger.search.federated import OWN_INDEX, SEARCH_DIR, Registers
from ipledger.search.fields import IndexedRight, indexed_right
from ipledger.search.index import RegisterIndex
from ipledger.search.query import SearchQuery, parse_query

OFFICE = "EM"
TARGET_SEARCH_MS = 50.0
TARGET_PAGE_MS = 30.0
_COUNTRIES = ("DE", "ES", "FR", "IT", "NL", "PL", "SE", "US", "JP", "CN", "GB", "AT")


def party_id(owner: int) -> str:
    return f"P{owner:020X}"


def party(owner: int) -> dict[str, Any]:
    return {"party": party_id(owner), "kind": "legal", "keys": [], "details": [
        {"from": 0, "index": 0, "name": owner_name(owner),
         "country": _COUNTRIES[owner % len(_COUNTRIES)]}]}


def right(i: int) -> tuple[str, dict[str, Any]]:
    """Trade mark ``i`` as the register records a published one."""
    m = mark(i)
    number = f"{i:09d}"
    registered = m.status not in ("published", "opposition_period", "opposed", "refused",
                                  "withdrawn")
    year = int(m.filing_date[:4])
    history = [{"action": "file", "state": "filed", "date": m.filing_date, "index": i},
               {"action": "publish", "state": "published",
                "date": f"{year}-{m.filing_date[5:7]}-28", "index": i}]
    dates: dict[str, Any] = {"filing_date": m.filing_date, "renewals": 0,
                             "maintenance_paid": []}
    if registered:
        dates["registration_date"] = f"{year + 1}{m.filing_date[4:]}"
        history.append({"action": "register", "state": "registered",
                        "date": dates["registration_date"], "index": i})
    if m.status != history[-1]["state"]:
        history.append({"action": m.status, "state": m.status, "date": "2026-01-15",
                        "index": i})
    return right_record(OFFICE, "trademark", number), {
        "office": OFFICE, "kind": "trademark", "number": number, "state": m.status,
        "owners": [{"party": party_id(m.owner), "share": [1, 1]}],
        "classes": list(m.classes), "commitment": f"{i:064x}",
        "data": {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": m.title}}},
            "GoodsServicesBag": [{"ClassNumber": c, "GoodsServicesDescriptionText":
                                  f"Goods and services of class {c}"} for c in m.classes]},
        "dates": dates, "history": history,
    }


def fill_index(path: Path, size: int) -> float:
    """Load the search index of the register of ``size`` marks into ``path`` (the fields
    through the search's own extraction); the seconds it took."""
    t = time.perf_counter()

    def read_party(pid: str) -> dict[str, Any] | None:
        return party(int(pid[1:], 16))

    def fields() -> Iterator[tuple[str, IndexedRight]]:
        for i in range(size):
            record_id, record = right(i)
            found = indexed_right(record_id, record, read_party)
            assert found is not None
            yield record_id, found

    index = RegisterIndex(path)
    try:
        index.load(fields(), size)  # one log entry per right: the checkpoint's size
    finally:
        index.close()
    return time.perf_counter() - t


class LargeRegister:
    """The bulk-loaded register, its ledger and its search index (built side by side, the
    index in another process)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data = scratch_dir()
        with ProcessPoolExecutor(1) as pool:
            indexing = pool.submit(fill_index, self.data / SEARCH_DIR / OWN_INDEX, size)
            t = time.perf_counter()
            parties = {party_record(party_id(o)): party(o) for o in range(OWNERS)}
            self.store = build(size, right=right, extra=parties)
            self.store_s = time.perf_counter() - t
            self.index_s = indexing.result()
        self.build_s = time.perf_counter() - t
        rules = RegistryRules(self.store, "did:key:bench", ORIGIN)
        self.ledger = Ledger(self.store, ORIGIN, SigningKey.from_seed(b"\x09" * 32),
                             entry_types(), rules=rules).start()
        assert self.ledger.latest_checkpoint().tree_size == size
        self.registers = Registers(self.data, self.ledger)
        assert self.registers.all()[0].index.tree_size == size

    def close(self) -> None:
        """Close and delete the register and its index (a 1,000,000-mark register is
        a few GB)."""
        self.registers.close()
        self.ledger.close()
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(Path(self.store.path).parent, ignore_errors=True)


def _typo(rng: random.Random, word: str) -> str:
    k = rng.randrange(len(word))
    op = rng.randrange(3)
    if op == 0:
        return word[:k] + word[k + 1:] if len(word) > 3 else word + "E"
    if op == 1:
        return word[:k] + rng.choice("AEIOURSTN") + word[k + 1:]
    return word[:k] + rng.choice("AEIOU") + word[k:]


_SOUNDS = (("C", "K"), ("PH", "F"), ("S", "Z"), ("I", "Y"), ("OO", "U"), ("V", "W"),
           ("QU", "KW"), ("X", "KS"))


def _sound_alike(rng: random.Random, title: str) -> str:
    for a, b in rng.sample(_SOUNDS, len(_SOUNDS)):
        if a in title:
            return title.replace(a, b, 1)
        if b in title:
            return title.replace(b, a, 1)
    return title + "E"


def workloads(size: int, rng: random.Random) -> dict[str, list[dict[str, str]]]:
    """The queries of each kind, as URL parameters (parse_query checks them as the API does)."""
    marks: list[Mark] = [mark(rng.randrange(size)) for _ in range(400)]
    words = [*WORDS, *DESCRIPTORS]
    text = ([{"q": rng.choice(words).lower()} for _ in range(100)]
            + [{"q": m.title, "match": "exact"} for m in marks[:50]]
            + [{"q": m.title[:4], "match": "prefix"} for m in marks[50:100]]
            + [{"q": m.title.split()[0][1:6]} for m in marks[100:150]])
    filtered = ([{"q": rng.choice(words), "class": str(rng.choice(m.classes)),
                  "status": "registered"} for m in marks[150:200]]
                + [{"owner": owner_name(m.owner).split()[0], "class": str(m.classes[0])}
                   for m in marks[200:240]]
                + [{"class": str(m.classes[0]), "status": m.status,
                    "filed_from": m.filing_date} for m in marks[240:280]]
                + [{"q": rng.choice(words), "filed_from": "2010-01-01",
                    "filed_to": "2015-12-31"} for _ in range(30)])
    fuzzy = [{"q": " ".join(_typo(rng, w) for w in m.title.split()), "match": "fuzzy"}
             for m in marks[280:330]]
    phonetic = [{"q": _sound_alike(rng, m.title), "match": "phonetic"} for m in marks[330:380]]
    similar = ([{"q": _sound_alike(rng, m.title), "match": "similar"} for m in marks[:60]]
               + [{"q": " ".join(_typo(rng, w) for w in m.title.split()), "match": "similar"}
                  for m in marks[60:120]]
               + [{"q": rng.choice(words), "match": "similar"} for _ in range(30)]
               + [{"q": f"{m.title} {rng.choice(DESCRIPTORS)}", "match": "similar"}
                  for m in marks[120:160]]
               + [{"q": m.title, "match": "similar", "class": str(m.classes[0])}
                  for m in marks[160:200]])
    return {"text": text, "filtered": filtered, "fuzzy": fuzzy, "phonetic": phonetic,
            "similar": similar}


def timed(run: Callable[[], object], repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_search(reg: LargeRegister, rng: random.Random) -> None:
    loads = workloads(reg.size, rng)
    queries = {name: [parse_query(p) for p in params] for name, params in loads.items()}
    for q in [*queries["text"][:20], *queries["similar"][:20]]:  # warm the page cache
        run_search(reg.registers, q)
    floor = [t for i in range(200) for t in timed(lambda i=i: run_search(  # type: ignore[misc]
        reg.registers, SearchQuery(number=f"{rng.randrange(reg.size):09d}")))]
    floor_p95 = percentile(floor, 0.95)
    for name, qs in queries.items():
        times: list[float] = []
        cpu: list[float] = []  # this thread's CPU time: what the load of others leaves out
        hits = 0
        for q in qs:
            t, c = time.perf_counter(), time.thread_time()
            found = run_search(reg.registers, q)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            hits += len(found)
        emit(f"search_{name}", percentile(times, 0.95), "ms", floor_p95, rights=reg.size,
             p50_ms=round(percentile(times, 0.5), 3), p99_ms=round(percentile(times, 0.99), 3),
             max_ms=round(max(times), 3), cpu_p50_ms=round(percentile(cpu, 0.5), 3),
             cpu_p95_ms=round(percentile(cpu, 0.95), 3), load=round(os.getloadavg()[0], 1),
             queries=len(qs), mean_hits=round(hits / len(qs), 1),
             target=TARGET_SEARCH_MS,
             ceiling_is="p95 of an exact number lookup through the same run_search, same run",
             timed="api.search.run_search (parse excluded): index refresh check, SQL, "
                   "ranking, result documents")


async def _pages(reg: LargeRegister,
                 numbers: list[str]) -> tuple[list[float], list[float], list[float]]:
    app = create_app(reg.ledger)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for n in numbers[:30]:  # warm templates and caches
            (await client.get(f"/rights/{OFFICE}/trademark/{n}")).raise_for_status()
        times, cpu = [], []  # cpu: the process's CPU time (pages render in a worker thread)
        for n in numbers:
            t, c = time.perf_counter(), time.process_time()
            response = await client.get(f"/rights/{OFFICE}/trademark/{n}")
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert response.status_code == 200, response.status_code
            assert n in response.text
    floor = []
    for n in numbers:
        t = time.perf_counter()
        reg.ledger.store.read_record(right_record(OFFICE, "trademark", n))
        floor.append((time.perf_counter() - t) * 1000)
    return times, cpu, floor


def bench_pages(reg: LargeRegister, rng: random.Random, samples: int = 1_000) -> None:
    numbers = [f"{rng.randrange(reg.size):09d}" for _ in range(samples)]
    times, cpu, floor = asyncio.run(_pages(reg, numbers))
    emit("pages", percentile(times, 0.95), "ms", percentile(floor, 0.95), rights=reg.size,
         p50_ms=round(percentile(times, 0.5), 3), p99_ms=round(percentile(times, 0.99), 3),
         cpu_p50_ms=round(percentile(cpu, 0.5), 3), cpu_p95_ms=round(percentile(cpu, 0.95), 3),
         samples=len(times), target=TARGET_PAGE_MS, load=round(os.getloadavg()[0], 1),
         ceiling_is="p95 of reading the right's record from the store, same run",
         timed="GET /rights/{office}/trademark/{number} through the whole ASGI app "
               "(httpx ASGITransport, in-process): routing, record and party reads, template")


def run(size: int | None = None) -> None:
    size = size or int(os.environ.get("IPLEDGER_BENCH_SEARCH_RIGHTS", "1000000"))
    reg = LargeRegister(size)
    note(f"register of {size:,} marks bulk-loaded in {reg.store_s:.0f} s, its search index "
         f"in {reg.index_s:.0f} s (another process), {reg.build_s:.0f} s in all")
    try:
        emit("search_build", reg.build_s, "s", reg.store_s, rights=size,
             index_seconds=round(reg.index_s, 1), target=180,
             ceiling_is="seconds to bulk-load the register itself (log, records, state tree)")
        rng = random.Random(11)
        bench_search(reg, rng)
        bench_pages(reg, rng)
    finally:
        reg.close()


if __name__ == "__main__":
    run()
