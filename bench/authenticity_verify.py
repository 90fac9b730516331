"""``authenticity_verify``: p99 latency of product verification over HTTP with 10,000,000
registered serials (``IPLEDGER_BENCH_SERIALS`` for another size; target ≤ 10 ms).

The register is built through signed entries on a node with a controlled ledger clock: an
office, a trade mark filed, examined, published and registered, then batches of up to
1,000,000 serials by its owner (``authenticity.batch``), each commitment list written into
the node's document store. The serial index is then built from the log and the stored lists
(the node's own code, ``SerialIndex.refresh``): its time is ``build_s``. Queries go through
the node's ASGI app in process (``GET /v1/authenticity/verify``, every middleware; no
socket), half for registered items, half for unknown ones; ``service_p99_ms`` is the
verification alone (``services/authenticity.verify``). The ceiling is the floor of that
work: one primary-key lookup in the serial index, p99, measured on the same index in the
same run.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import emit, note, percentile, scratch_dir
from ipledger.api.app import create_app
from ipledger.api.authenticity import INDEX_FILE, refresh_index
from ipledger.api.hardening import AccessConfig
from ipledger.codec import canonicalize
from ipledger.documents import FilesystemDocumentStore
from ipledger.identity import SigningKey, did_key_url, read_private_key
from ipledger.ledger import Ledger, make_envelope
from ipledger.node import GENESIS_KEY_FILE, init_node, open_ledger
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from ipledger.services.authenticity import Label, verify
from ipledger.services.serial_index import SerialIndex
from ipledger.services.serials import commitment, encode_list

ORIGIN = "bench.ipledger.localhost/authenticity"
T0 = 1_790_000_000_000
DAY_MS = 86_400_000
PER_BATCH = 1_000_000
SAMPLES = 2_000
SALT = "5a17" * 8
MARK = {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
    "WordMarkSpecification": {"MarkVerbalElementText": "AURORA BREW"}}},
    "GoodsServicesBag": [{"ClassNumber": 30, "GoodsServicesDescriptionText": "Coffee"}]}


class _Clock:
    def __init__(self) -> None:
        self.now_ms = T0

    def __call__(self) -> int:
        return self.now_ms


class _Writer:
    def __init__(self, ledger: Ledger, clock: _Clock) -> None:
        self.ledger, self.clock, self.n = ledger, clock, 0

    def submit(self, key: SigningKey, entry_type: str, body: dict[str, object],
               endorsers: tuple[SigningKey, ...] = ()) -> int:
        self.n += 1
        raw = canonicalize(make_envelope(key, ORIGIN, entry_type, body, nonce=f"bench{self.n:08d}",
                                         created_ms=self.clock.now_ms, endorsers=endorsers))
        return self.ledger.submit(raw).result(60).index


def _register_mark(w: _Writer, genesis: SigningKey) -> SigningKey:
    """EM office, staff, and a trade mark owned by the returned key, registered."""
    owner, registrar, examiner = (SigningKey.from_seed(bytes([i]) * 32) for i in (1, 2, 3))
    w.submit(genesis, "office.register", {"office": "EM", "name": "EM", "profile": "euipo"})
    for key, name in ((owner, "Aurora Brew GmbH"), (registrar, "R"), (examiner, "E")):
        w.submit(key, "party.register", {"name": name, "country": "DE", "kind": "legal"})
    for key, role in ((registrar, "registrar"), (examiner, "examiner")):
        w.submit(genesis, "role.grant", {"office": "EM", "role": role,
                                         "party": party_id_for(did_key_url(key.public_key))})
    w.submit(owner, "right.file", {
        "office": "EM", "kind": "trademark", "classes": [30],
        "applicants": [party_id_for(did_key_url(owner.public_key))],
        "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    mark = {"office": "EM", "kind": "trademark", "number": "000000001"}
    w.submit(owner, "right.disclose", {**mark, "data": MARK, "salt": SALT})
    w.submit(examiner, "right.act", {**mark, "action": "check_formalities"})
    w.submit(examiner, "right.act", {**mark, "action": "start_examination"})
    w.submit(registrar, "right.act", {**mark, "action": "publish",
                                      "attest": ["examination_passed"]})
    w.clock.now_ms += 100 * DAY_MS  # the opposition period ends: registered
    w.submit(owner, "party.update", {"address": "Hafenstraße 5, Hamburg"})
    return owner


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 1 << 20):
        yield data[i:i + (1 << 20)]


def build(size: int) -> tuple[Path, Ledger, list[tuple[str, bytes]]]:
    """A node whose register holds ``size`` serials; a sample of their (serial, salt)."""
    data = scratch_dir() / "node"
    init_node(data, ORIGIN)
    clock = _Clock()
    ledger = open_ledger(data, validation_processes=False, clock_ms=clock,
                         checkpoint_interval_s=0.05)
    w = _Writer(ledger, clock)
    owner = _register_mark(w, read_private_key(data / GENESIS_KEY_FILE))
    documents = FilesystemDocumentStore(data / "documents", max_bytes=1 << 40)
    rng = random.Random(20261121)
    keep = max(1, size // SAMPLES)
    sample: list[tuple[str, bytes]] = []
    for start in range(0, size, PER_BATCH):
        items = []
        for i in range(start, min(size, start + PER_BATCH)):
            serial, salt = f"SN{i:09d}", rng.randbytes(16)
            items.append(commitment("EM", "000000001", serial, salt))
            if i % keep == 0:
                sample.append((serial, salt))
        listed = encode_list(items)
        sha256 = hashlib.sha256(listed).hexdigest()
        asyncio.run(documents.put(_chunks(listed), "text/plain", sha256=sha256))
        w.submit(owner, "authenticity.batch", {
            "office": "EM", "number": "000000001", "product": f"batch {start}",
            "count": len(items), "commitments_sha256": sha256})
        note(f"authenticity_verify: {start + len(items):,} serials committed")
    return data, ledger, sample


async def _query(app: Any, queries: list[tuple[tuple[str, bytes], str]]) -> list[float]:
    """Each query's latency through the whole ASGI app (every middleware), in ms."""
    times = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for (serial, salt), expected in queries:
            t = time.perf_counter()
            resp = await client.get("/v1/authenticity/verify", params={
                "office": "EM", "number": "000000001", "serial": serial, "salt": salt.hex()})
            times.append((time.perf_counter() - t) * 1000)
            if resp.json()["verdict"] != expected:
                raise AssertionError(resp.text)
    return times


def run() -> None:
    size = int(os.environ.get("IPLEDGER_BENCH_SERIALS", "10000000"))
    data, ledger, sample = build(size)
    try:
        index = SerialIndex(data / INDEX_FILE)
        documents = FilesystemDocumentStore(data / "documents", max_bytes=1 << 40)
        began = time.perf_counter()
        refresh_index(ledger, index, documents)
        build_s = time.perf_counter() - began
        assert index.count() == size, index.count()
        note(f"authenticity_verify: index of {size:,} serials built in {build_s:.1f} s")

        rng = random.Random(7)
        probes = [os.urandom(32) for _ in range(SAMPLES)]
        floor = []
        for probe in probes:
            t = time.perf_counter()
            index.lookup(probe)
            floor.append((time.perf_counter() - t) * 1000)

        app = create_app(ledger, AccessConfig(requests=None, auth_requests=None,
                                              failed_logins=None))
        app.state.serial_index, app.state.documents = index, documents
        queries = []
        for serial, salt in sample[:SAMPLES // 2]:
            queries.append(((serial, salt), "genuine"))
            queries.append(((serial, rng.randbytes(16)), "unknown"))
        times = asyncio.run(_query(app, queries * 2))  # the first pass warms the caches
        service = []
        for (serial, salt), _ in queries:
            t = time.perf_counter()
            verify(ledger.store.read_record, index, Label("EM", "000000001", serial, salt))
            service.append((time.perf_counter() - t) * 1000)
        measured = times[len(queries):]
        emit("authenticity_verify", percentile(measured, 0.99), "ms", percentile(floor, 0.99),
             p50_ms=round(percentile(measured, 0.5), 3), serials=size,
             service_p99_ms=round(percentile(service, 0.99), 3),
             batches=-(-size // PER_BATCH), build_s=round(build_s, 1),
             index_bytes=(data / INDEX_FILE).stat().st_size, queries=len(measured),
             target_ms=10.0,
             ceiling_is="one serial-index primary-key lookup, p99 (the floor of a verification)")
        index.close()
    finally:
        ledger.close()
        ledger.store.close()
        shutil.rmtree(data.parent, ignore_errors=True)  # gigabytes at 10M serials


if __name__ == "__main__":
    run()
