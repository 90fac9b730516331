"""The register's benchmarks: ``registry_ingest``, ``import_st96``, ``extract``.

Every ledger here is a real node (``ipledger.node.init_node`` + ``open_ledger`` on a scratch
directory, validation in worker processes, the register's rules, durable SQLite commits) on
a controllable ledger clock, so years of time events run in seconds.

- ``registry_ingest``: a mixed workload (parties, filings, disclosures, formalities,
  examination, publication, registration by time events, renewal windows by time events,
  renewals). Envelopes are signed before the clock starts; only submission -> durable is
  timed. Entries that depend on each other go in successive waves (one wave is submitted
  whole, then waited for). Numbers are assigned at filing, so the waves after filing are
  signed after it, outside the timed sections. Ceiling: Ed25519 verify/s, all cores.
- ``import_st96``: ST.96 TrademarkBag documents -> parse + validate -> sign -> ledger ->
  durable. Ceiling: the parse-only rate (``trademark_from_st96_xml``) in the same run.
- ``extract``: p99 of ``registry.extract.make_extract`` for random rights of a register of N
  imported trademarks (N: 1,000,000, or as many as the build budget allows). Floor: the same
  record's read from SQLite + its state proof, measured on the same register.

Usage: .venv/bin/python -m bench.registry_bench [--rights N] [--extract-size N]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from bench.common import emit, note, scratch_dir
from ipledger.codec import canonicalize, parse_json
from ipledger.identity import SigningKey, did_key_url, ed25519_verify_ceiling, read_private_key
from ipledger.ledger import Ledger, make_envelope
from ipledger.node import GENESIS_KEY_FILE, init_node, open_ledger
from ipledger.registry.extract import make_extract
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for, right_record
from ipledger.registry.smt import StateTree, record_key
from ipledger.services.st96_import import import_bodies
from ipledger.standards.st96 import trademark_from_st96_xml, trademarks_to_st96_xml

ORIGIN = "bench.ipledger.localhost/register"
DAY_MS = 86_400_000
T0 = 1_790_000_000_000  # 2026-09-21


class Clock:
    """The ledger's clock: moved by the benchmark, never backwards."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


class Register:
    """A scratch node with one office (EUIPO profile), a registrar and an examiner."""

    def __init__(self, name: str, office: str = "EM") -> None:
        data = scratch_dir() / name
        init_node(data, ORIGIN)
        self.clock = Clock(T0)
        self.ledger: Ledger = open_ledger(data, validation_processes=True, clock_ms=self.clock)
        self.office = office
        genesis = read_private_key(data / GENESIS_KEY_FILE)
        self.registrar, self.examiner = SigningKey.generate(), SigningKey.generate()
        self.wave([self.sign(genesis, "office.register",
                             {"office": office, "name": "Bench office", "profile": "euipo"})])
        self.wave([self.sign(k, "party.register", {"name": n, "country": "ES",
                                                   "kind": "natural"})
                   for k, n in ((self.registrar, "Registrar"), (self.examiner, "Examiner"))])
        self.wave([self.sign(genesis, "role.grant", {"office": office, "party": self.party(k),
                                                     "role": role})
                   for k, role in ((self.registrar, "registrar"), (self.examiner, "examiner"))])

    @staticmethod
    def party(key: SigningKey) -> str:
        return party_id_for(did_key_url(key.public_key))

    def sign(self, key: SigningKey, entry_type: str, body: dict[str, Any]) -> bytes:
        return canonicalize(make_envelope(key, ORIGIN, entry_type, body,
                                          created_ms=self.clock.now_ms))

    def wave(self, raws: Sequence[bytes], timeout: float = 600) -> float:
        """Submit ``raws`` and wait until all are durable; seconds taken. Any refusal raises."""
        start = time.perf_counter()
        for f in self.ledger.submit_many(raws):
            f.result(timeout=timeout)
        return time.perf_counter() - start

    def record(self, record_id: str) -> dict[str, Any]:
        return dict(parse_json(self.ledger.store.read_record(record_id)))

    def close(self) -> None:
        self.ledger.close()
        self.ledger.store.close()


# -- registry_ingest --------------------------------------------------------------------


MARK = {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
    "WordMarkSpecification": {"MarkVerbalElementText": "MARK"}}}}


def bench_registry_ingest(ceiling: float, rights: int) -> None:
    reg = Register("ingest")
    try:
        timed = 0.0
        size0 = reg.ledger.store.tree_size()
        applicants = [SigningKey.generate() for _ in range(rights)]
        data = [{**MARK, "GoodsServicesBag": [{"ClassNumber": 9 + i % 30,
                                               "GoodsServicesDescriptionText": f"Goods {i}"}]}
                for i in range(rights)]
        salts = [f"{i:032x}" for i in range(rights)]
        parties = [reg.sign(k, "party.register", {"name": f"Applicant {i}", "country": "FR",
                                                  "kind": "legal"})
                   for i, k in enumerate(applicants)]
        filings = [reg.sign(k, "right.file", {
            "office": reg.office, "kind": "trademark", "applicants": [reg.party(k)],
            "classes": [9 + i % 30], "commitment": content_commitment(salts[i], data[i]),
            "payment": {"amount": 85_000, "currency": "EUR"}})
            for i, k in enumerate(applicants)]
        timed += reg.wave(parties)
        timed += reg.wave(filings)

        # Which number each filing got (the sequencer numbers them in arrival order).
        by_party = {reg.party(k): i for i, k in enumerate(applicants)}
        number_of = [""] * rights
        for record_id in reg.ledger.store.record_ids(f"right/{reg.office}/trademark/"):
            right = reg.record(record_id)
            number_of[by_party[right["owners"][0]["party"]]] = right["number"]

        def act(key: SigningKey, i: int, action: str, **extra: Any) -> bytes:
            return reg.sign(key, "right.act", {"office": reg.office, "kind": "trademark",
                                               "number": number_of[i], "action": action,
                                               **extra})

        waves = [
            [reg.sign(k, "right.disclose", {"office": reg.office, "kind": "trademark",
                                            "number": number_of[i], "data": data[i],
                                            "salt": salts[i]})
             for i, k in enumerate(applicants)],
            [act(reg.examiner, i, "check_formalities") for i in range(rights)],
            [act(reg.examiner, i, "start_examination") for i in range(rights)],
            [act(reg.registrar, i, "publish", attest=["examination_passed"])
             for i in range(rights)],
        ]
        for wave in waves:
            timed += reg.wave(wave)
        # Four months on: every opposition period is over; the next entries carry the
        # registrations (system entries) in front of them.
        reg.clock.now_ms = T0 + 120 * DAY_MS
        updates = [reg.sign(k, "party.update", {"address": f"{i} Rue de la Paix, Paris"})
                   for i, k in enumerate(applicants)]
        timed += reg.wave(updates)
        # Nine years and eight months on: renewal windows open (system), owners renew.
        reg.clock.now_ms = T0 + (9 * 365 + 245) * DAY_MS
        renewals = [act(k, i, "renew", payment={"amount": 85_000, "currency": "EUR"})
                    for i, k in enumerate(applicants)]
        timed += reg.wave(renewals)
        entries = reg.ledger.store.tree_size() - size0
        sample = reg.record(right_record(reg.office, "trademark", number_of[0]))
        assert sample["state"] == "registered", sample
        assert sample["dates"]["renewals"] == 1, sample
        batches = reg.ledger.sequencer.batches
    finally:
        reg.close()
    emit("registry_ingest", entries / timed, "tx/s", ceiling, rights=rights, entries=entries,
         system_entries=2 * rights, batches=batches, seconds=round(timed, 2), target=15_000,
         workload="party.register, right.file, right.disclose, check_formalities, "
                  "start_examination, publish, party.update (+ registration by time event), "
                  "renew (+ renewal window by time event)",
         ceiling_is="Ed25519 verify/s, PyNaCl, all cores, same run",
         timed="submission to durable, per wave of dependent entries; signing excluded")


# -- import_st96 ------------------------------------------------------------------------


def synthetic_record(i: int, office: str = "EM") -> dict[str, Any]:
    """A realistic-size published trademark (two classes, events, an owner of 1,000)."""
    year = 2018 + i % 8  # in force: every term ends after the ledger clock (T0)
    owner = i % 1000
    return {
        "RegistrationOfficeCode": office,
        "ApplicationNumber": {"ApplicationNumberText": f"{i + 1:09d}"},
        "ApplicationDate": f"{year}-03-{1 + i % 28:02d}",
        "RegistrationNumber": f"{i + 1:09d}",
        "RegistrationDate": f"{year}-09-{1 + i % 28:02d}",
        "MarkCurrentStatusCode": "Registered",
        "MarkCurrentStatusDate": f"{year}-09-{1 + i % 28:02d}",
        "MarkCategory": "Individual mark",
        "MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": f"BENCHMARK {i}"}}},
        "GoodsServicesBag": [
            {"ClassNumber": 9, "GoodsServicesDescriptionText":
             "Computer software; downloadable mobile applications; electronic publications"},
            {"ClassNumber": 42, "GoodsServicesDescriptionText":
             "Software as a service; design and development of computer software"}],
        "ApplicantBag": [{"OrganizationStandardName": f"Owner {owner} S.L.",
                          "PostalStructuredAddress": {
                              "AddressLineText": [f"Calle Mayor {owner}"], "CityName": "Madrid",
                              "CountryCode": "ES", "PostalCode": "28013"},
                          "IncorporationCountryCode": "ES"}],
        "MarkEventBag": [
            {"MarkEventCategory": "Application filed", "MarkEventDescriptionText": "Filed",
             "MarkEventDate": f"{year}-03-{1 + i % 28:02d}"},
            {"MarkEventCategory": "Application published",
             "MarkEventDescriptionText": "Published", "MarkEventDate": f"{year}-05-02"},
            {"MarkEventCategory": "Registration published",
             "MarkEventDescriptionText": "Registered",
             "MarkEventDate": f"{year}-09-{1 + i % 28:02d}"}],
    }


def st96_documents(records: int, per_file: int, start: int = 0) -> list[bytes]:
    return [trademarks_to_st96_xml([synthetic_record(i)  # type: ignore[misc]
                                    for i in range(lo, min(lo + per_file, start + records))],
                                   "EM", validate=False)
            for lo in range(start, start + records, per_file)]


def parse_rate(docs: Sequence[bytes], records: int) -> float:
    start = time.perf_counter()
    for doc in docs:
        trademark_from_st96_xml(doc)
    return records / (time.perf_counter() - start)


def bench_import_st96(records: int, per_file: int = 100) -> None:
    docs = st96_documents(records, per_file)
    ceiling = max(parse_rate(docs, records) for _ in range(2))
    reg = Register("import")
    try:
        size0 = reg.ledger.store.tree_size()
        futures: list[Future[Any]] = []
        start = time.perf_counter()
        for i, doc in enumerate(docs):
            raws = [reg.sign(reg.registrar, "right.import", item.body or {})
                    for item in import_bodies(doc, f"doc{i}")]
            futures += reg.ledger.submit_many(raws)
        for f in futures:
            f.result(timeout=600)
        elapsed = time.perf_counter() - start
        entries = reg.ledger.store.tree_size() - size0
        assert entries == records, (entries, records)
    finally:
        reg.close()
    emit("import_st96", records / elapsed, "records/s", ceiling, records=records,
         files=len(docs), records_per_file=per_file, seconds=round(elapsed, 2), target=5_000,
         ceiling_is="trademark_from_st96_xml parse-only records/s, one thread, same run",
         timed="parse + validate + sign + submit -> durable (client and node in one process)")


# -- extract ----------------------------------------------------------------------------


def bench_extract(target: int, budget_s: float, samples: int = 1_000) -> None:
    reg = Register("extract")
    built = 0
    chunk = 10_000
    start = time.perf_counter()
    try:
        pending: list[Future[Any]] = []
        while built < target and time.perf_counter() - start < budget_s:
            n = min(chunk, target - built)
            raws = [reg.sign(reg.registrar, "right.import", {
                "office": reg.office, "kind": "trademark", "state": "registered",
                "record": synthetic_record(built + i)}) for i in range(n)]
            for f in pending:
                f.result(timeout=600)
            pending = reg.ledger.submit_many(raws)
            built += n
        for f in pending:
            f.result(timeout=600)
        build_s = time.perf_counter() - start
        store = reg.ledger.store
        checkpoint = reg.ledger.wait_for_checkpoint(store.tree_size(), timeout=30)
        rng = random.Random(7)
        ids = [right_record(reg.office, "trademark", f"{rng.randrange(built) + 1:09d}")
               for _ in range(samples)]
        for record_id in ids[:50]:  # warm the caches the API would have warm
            make_extract(reg.ledger, record_id, checkpoint)
        times = []
        for record_id in ids:
            t = time.perf_counter()
            doc = make_extract(reg.ledger, record_id, checkpoint)
            times.append((time.perf_counter() - t) * 1000)
            assert doc["record"] is not None
        root = store.state_root_at(checkpoint.tree_size)
        assert root is not None
        from ipledger.registry.extract import _RootNodes

        floor = []
        for record_id in ids:
            t = time.perf_counter()
            store.read_record_at(record_id, checkpoint.tree_size)
            StateTree(_RootNodes(store, root)).prove(record_key(record_id))
            floor.append((time.perf_counter() - t) * 1000)
    finally:
        reg.close()
    times.sort()
    floor.sort()
    p99 = times[int(len(times) * 0.99)]
    floor_p99 = floor[int(len(floor) * 0.99)]
    extra: dict[str, Any] = {}
    if built < target:
        extra["note"] = (f"register of {built:,} rights, not {target:,}: building it through "
                         f"the ledger took {build_s:.0f} s, the budget is {budget_s:.0f} s")
    emit("extract", p99, "ms", floor_p99, rights=built, target_rights=target,
         p50_ms=round(times[len(times) // 2], 3), samples=len(times),
         build_seconds=round(build_s, 1), build_rights_per_s=round(built / build_s),
         ceiling_is="p99 of one SQLite record read + its SMT proof (a floor), same register",
         **extra)


def run(ceiling: float, rights: int = 3_000, imports: int = 20_000,
        extract_size: int = 1_000_000, extract_budget_s: float = 120.0) -> None:
    note(f"registry_ingest ({rights} rights through their lifecycle)")
    bench_registry_ingest(ceiling, rights)
    note(f"import_st96 ({imports} records)")
    bench_import_st96(imports)
    note(f"extract (register of up to {extract_size:,} rights, build budget "
         f"{extract_budget_s:.0f} s)")
    bench_extract(extract_size, extract_budget_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rights", type=int, default=3_000)
    parser.add_argument("--imports", type=int, default=20_000)
    parser.add_argument("--extract-size", type=int, default=1_000_000)
    parser.add_argument("--extract-budget", type=float, default=120.0)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    ceiling = ed25519_verify_ceiling(2.0, cores)
    emit("ed25519_verify", ceiling, "verify/s", ceiling, threads=cores)
    run(ceiling, args.rights, args.imports, args.extract_size, args.extract_budget)


if __name__ == "__main__":
    main()
