"""The register's benchmarks: ``registry_ingest``, ``import_st96``, ``extract``.

Every ledger here is a real node (``ipledger.node.init_node`` + ``open_ledger`` on a scratch
directory, validation in worker processes, the register's rules, durable SQLite commits) on
a controllable ledger clock, so years of time events run in seconds.

- ``registry_ingest``: a steady mixed stream. Rights move in cohorts, one lifecycle stage
  per wave, so every wave mixes stages: this cohort registers its parties while the previous
  one files, older ones disclose, are examined, published, registered (time event), assigned
  (half) and licensed (half; licence expiry is a time event); rights filed ten years earlier
  (built untimed first) are renewed as their renewal windows open (time event). Ledger time
  moves 15 days per wave. A wave is signed before its clock starts (numbers are assigned at
  filing, so later stages are signed after it) and only submission -> durable is timed.
  Ceiling: Ed25519 verify/s, all cores. ``rules_alone_per_s``: the same log replayed through
  the rules on one core afterwards (the rules' own speed; the replay must match every root).
- ``registry_ingest_staged``: the first workload, one stage at a time for all rights
  (parties, filings, disclosures, formalities, examination, publication, registration and
  renewal windows by time events, renewals): the pipeline drains between stages.
- ``import_st96``: ST.96 TrademarkBag documents -> parse + validate -> sign in a pool of
  client processes (as ``ipledger import st96`` is a process of its own; started before the
  clock) -> ``submit_many`` to the in-process node -> validated, sequenced, durable.
  Ceiling: the parse-only rate (``trademark_from_st96_xml``, one thread) in the same run.
- ``extract``: p99 of ``registry.extract.make_extract`` for random rights of a register of N
  imported trademarks (N: 1,000,000, or as many as the build budget allows). Floor: the same
  record's read from SQLite + its state proof, measured on the same register.

Usage: .venv/bin/python -m bench.registry_bench [--rights N] [--extract-size N]
"""

from __future__ import annotations

import argparse
import multiprocessing
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
from ipledger.registry.calendar import add_days, date_of_ms, format_iso_date
from ipledger.registry.engine import replay_register
from ipledger.registry.extract import make_extract
from ipledger.registry.families.imports import IMPORT_TYPE
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

    def __init__(self, name: str, office: str = "EM", start_ms: int = T0) -> None:
        data = scratch_dir() / name
        init_node(data, ORIGIN)
        self.clock = Clock(start_ms)
        self.ledger: Ledger = open_ledger(data, validation_processes=True, clock_ms=self.clock)
        self.office = office
        self.numbered: set[str] = set()  # right ids whose number a cohort has learnt
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

    def sign(self, key: SigningKey, entry_type: str, body: dict[str, Any],
             endorsers: Sequence[SigningKey] = ()) -> bytes:
        return canonicalize(make_envelope(key, ORIGIN, entry_type, body,
                                          created_ms=self.clock.now_ms, endorsers=endorsers))

    def wave(self, raws: Sequence[bytes], timeout: float = 600) -> float:
        """Submit ``raws`` and wait until all are durable; seconds taken. Any refusal raises."""
        start = time.perf_counter()
        for f in self.ledger.submit_many(raws):
            f.result(timeout=timeout)
        return time.perf_counter() - start

    def record(self, record_id: str) -> dict[str, Any]:
        raw = self.ledger.store.read_record(record_id)
        assert raw is not None, record_id
        return dict(parse_json(raw))

    def close(self) -> None:
        self.ledger.close()
        self.ledger.store.close()


# -- registry_ingest --------------------------------------------------------------------


MARK = {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
    "WordMarkSpecification": {"MarkVerbalElementText": "MARK"}}}}


STEP_MS = 15 * DAY_MS  # ledger time between two waves of the mixed stream
EUR = "EUR"
LICENCE_DAYS = 90


class Cohort:
    """Rights filed together that then move through their lifecycle one stage per wave."""

    def __init__(self, reg: Register, first: int, size: int, assignees: Sequence[SigningKey],
                 licensees: Sequence[SigningKey]) -> None:
        self.reg = reg
        self.ids = range(first, first + size)
        self.applicants = [SigningKey.generate() for _ in self.ids]
        self.owner = dict(zip(self.ids, self.applicants, strict=True))  # current owner's key
        self.assignee = {i: assignees[i % len(assignees)] for i in self.ids if i % 2 == 0}
        self.licensee = {i: licensees[i % len(licensees)] for i in self.ids if i % 4 < 2}
        self.number: dict[int, str] = {}
        self.data = {i: {**MARK, "GoodsServicesBag": [{"ClassNumber": 9 + i % 30,
                                                       "GoodsServicesDescriptionText":
                                                       f"Goods {i}"}]} for i in self.ids}

    def stage(self, offset: int) -> list[bytes]:
        """The cohort's entries ``offset`` waves after its parties registered (signed now)."""
        reg, sign = self.reg, self.reg.sign
        office = reg.office
        if offset == 0:
            return [sign(k, "party.register", {"name": f"Applicant {i}", "country": "FR",
                                               "kind": "legal"}) for i, k in self.owner.items()]
        if offset == 1:
            return [sign(k, "right.file", {
                "office": office, "kind": "trademark", "applicants": [reg.party(k)],
                "classes": [9 + i % 30], "commitment": content_commitment(f"{i:032x}",
                                                                          self.data[i]),
                "payment": {"amount": 85_000, "currency": EUR}}) for i, k in self.owner.items()]
        if offset == 2:
            self._learn_numbers()
            return [sign(k, "right.disclose", {"office": office, "kind": "trademark",
                                               "number": self.number[i], "data": self.data[i],
                                               "salt": f"{i:032x}"})
                    for i, k in self.owner.items()]
        if offset == 3:
            return [self.act(reg.examiner, i, "check_formalities") for i in self.ids]
        if offset == 4:
            return [self.act(reg.examiner, i, "start_examination") for i in self.ids]
        if offset == 5:  # registration follows by time event when the opposition period ends
            return [self.act(reg.registrar, i, "publish", attest=["examination_passed"])
                    for i in self.ids]
        if offset == 13:  # the owner assigns the whole right; the assignee endorses
            today = format_iso_date(date_of_ms(reg.clock.now_ms))
            raws = [reg.sign(self.owner[i], "assignment.record", {
                "office": office, "kind": "trademark", "number": self.number[i],
                "from": reg.party(self.owner[i]), "to": reg.party(to), "share": [1, 1],
                "executed": today, "payment": {"amount": 20_000, "currency": EUR}},
                endorsers=[to]) for i, to in self.assignee.items()]
            self.owner.update(self.assignee)
            return raws
        if offset == 14:  # an exclusive licence for 90 days (expiry: a time event)
            day = date_of_ms(reg.clock.now_ms)
            return [reg.sign(self.owner[i], "licence.grant", {
                "office": office, "kind": "trademark", "number": self.number[i],
                "licensee": reg.party(to), "type": "exclusive", "territory": ["DE", "FR"],
                "start": format_iso_date(day),
                "end": format_iso_date(add_days(day, LICENCE_DAYS)),
                "payment": {"amount": 20_000, "currency": EUR}}, endorsers=[to])
                for i, to in self.licensee.items()]
        return []

    DEPTH = 15  # waves from party registration to the licence

    def act(self, key: SigningKey, i: int, action: str, **extra: Any) -> bytes:
        return self.reg.sign(key, "right.act", {"office": self.reg.office, "kind": "trademark",
                                                "number": self.number[i], "action": action,
                                                **extra})

    def renewals(self) -> list[bytes]:
        return [self.act(self.owner[i], i, "renew",
                         payment={"amount": 85_000, "currency": EUR}) for i in self.ids]

    def _learn_numbers(self) -> None:
        """Which number each filing got (the sequencer numbers them in arrival order)."""
        by_party = {self.reg.party(k): i for i, k in self.owner.items()}
        for record_id in self.reg.ledger.store.record_ids(f"right/{self.reg.office}/trademark/"):
            if record_id in self.reg.numbered:  # another cohort's, already read
                continue
            right = self.reg.record(record_id)
            i = by_party.get(right["owners"][0]["party"])
            if i is not None:
                self.number[i] = right["number"]
                self.reg.numbered.add(record_id)

    def right(self, i: int) -> dict[str, Any]:
        return self.reg.record(right_record(self.reg.office, "trademark", self.number[i]))


def mixed_stream(reg: Register, cohorts: Sequence[Cohort], start_ms: int,
                 renewing: Sequence[Sequence[Cohort]] = ()) -> tuple[float, int]:
    """Wave w (at ``start_ms + w * STEP_MS``): cohort c at stage w - c, and the renewals of
    ``renewing[w]``. Returns (seconds from submission to durable, waves)."""
    waves = max(len(cohorts) + Cohort.DEPTH - 1, len(renewing))
    timed = 0.0
    for w in range(waves):
        reg.clock.now_ms = start_ms + w * STEP_MS
        raws = [raw for c, cohort in enumerate(cohorts) if 0 <= w - c < Cohort.DEPTH
                for raw in cohort.stage(w - c)]
        if w < len(renewing):
            raws += [raw for cohort in renewing[w] for raw in cohort.renewals()]
        random.Random(w).shuffle(raws)  # independent entries arrive interleaved
        timed += reg.wave(raws)
    return timed, waves


def bench_registry_ingest(ceiling: float, rights: int, cohort_size: int = 100) -> None:
    """A steady mixed stream: in every wave one cohort files while the previous one discloses,
    older ones are examined, published, registered (time event), assigned and licensed, and
    rights filed ~9.5 years earlier (built untimed first) are renewed as their renewal
    windows open (time event). Signing is outside the timed sections."""
    t_old = T0 - 10 * 365 * DAY_MS
    reg = Register("ingest", start_ms=t_old)
    try:
        pool = [SigningKey.generate() for _ in range(64)]  # assignees and licensees
        reg.wave([reg.sign(k, "party.register", {"name": f"Company {j}", "country": "DE",
                                                 "kind": "legal"}) for j, k in enumerate(pool)])
        assignees, licensees = pool[:32], pool[32:]
        count = max(1, rights // cohort_size)
        fresh = [Cohort(reg, c * cohort_size, cohort_size, assignees, licensees)
                 for c in range(count)]
        waves = count + Cohort.DEPTH - 1
        # The renewal book: rights filed 10 years before the stream, one cohort per wave.
        book_size = max(1, cohort_size // 2)
        book = [Cohort(reg, rights + b * book_size, book_size, assignees, licensees)
                for b in range(waves)]
        mixed_stream(reg, book, reg.clock.now_ms)
        reg.clock.now_ms += 200 * DAY_MS  # every registration and licence expiry of the book
        reg.wave([reg.sign(reg.registrar, "party.update", {"address": "Avenida de Europa 4"})])
        opens = [c.right(c.ids[0])["next_event"] for c in book]
        assert all(o["action"] == "open_renewal_window" for o in opens), opens
        start_ms = opens[0]["due_ms"] + DAY_MS
        renewing: list[list[Cohort]] = [[] for _ in range(waves)]
        for cohort, due in zip(book, opens, strict=True):  # renewed once its window opened
            w = -(-(due["due_ms"] - start_ms) // STEP_MS)
            renewing += [[] for _ in range(w + 1 - len(renewing))]
            renewing[w].append(cohort)

        size0 = reg.ledger.store.tree_size()
        batches0 = reg.ledger.sequencer.batches
        timed, waves = mixed_stream(reg, fresh, start_ms, renewing)
        entries = reg.ledger.store.tree_size() - size0
        batches = reg.ledger.sequencer.batches - batches0

        first, old = fresh[0], book[-1]
        assigned, kept = first.right(first.ids[0]), first.right(first.ids[1])
        assert assigned["state"] == kept["state"] == "registered", (assigned, kept)
        assert [o["party"] for o in assigned["owners"]] == [reg.party(first.owner[0])]
        assert assigned["owner_history"][-1]["action"] == "assign"
        assert kept["owners"] == [{"party": reg.party(first.applicants[1]), "share": [1, 1]}]
        assert len(assigned["licences"]) == 1
        assert "licences" not in first.right(first.ids[2])
        renewed = old.right(old.ids[-1])
        assert renewed["state"] == "registered", renewed
        assert renewed["dates"]["renewals"] == 1, renewed
        rules_alone = rules_alone_rate(reg)
    finally:
        reg.close()
    emit("registry_ingest", entries / timed, "tx/s", ceiling, rights=count * cohort_size,
         renewed=len(book) * book_size, entries=entries, waves=waves, batches=batches,
         seconds=round(timed, 2), target=15_000,
         rules_alone_per_s=round(rules_alone),
         rules_alone_is="the whole log replayed through the register's rules, state tree and "
                        "state writes on one thread, no signatures (ipledger replay); it must "
                        "reproduce every state root",
         workload="steady mixed stream, cohorts of "
                  f"{cohort_size} one stage apart per wave: party.register, right.file, "
                  "right.disclose, check_formalities, start_examination, publish, "
                  "registration (time event), assignment.record (1/2), licence.grant (1/2), "
                  "licence expiry (time event); renewal window (time event) and renew of "
                  f"{book_size} older rights per wave",
         ceiling_is="Ed25519 verify/s, PyNaCl, all cores, same run",
         timed="submission to durable, per wave (every stage's cohort at once); signing "
               "excluded")


def rules_alone_rate(reg: Register) -> float:
    """Entries/s of replaying the register's whole log (the rules' own speed, one core)."""
    store = reg.ledger.store
    start = time.perf_counter()
    report = replay_register(store, ORIGIN, compare_records=False)
    seconds = time.perf_counter() - start
    assert report.ok, report.problems[:3]
    return store.tree_size() / seconds


def bench_registry_ingest_staged(ceiling: float, rights: int) -> None:
    """The first workload: one stage at a time (the pipeline drains between waves)."""
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
    emit("registry_ingest_staged", entries / timed, "tx/s", ceiling, rights=rights, entries=entries,
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


# The client of ``ipledger import st96 FILE --node URL`` is a process of its own: here a
# pool of client processes parses and signs, and the node (this process) validates and
# sequences, so client and node do not share a GIL.
_client_key: SigningKey | None = None
_client_ms = 0


def _init_client(seed: bytes, created_ms: int) -> None:
    global _client_key, _client_ms
    _client_key, _client_ms = SigningKey.from_seed(seed), created_ms


def _client_sign(job: tuple[int, bytes]) -> list[bytes]:
    """One ST.96 document -> its signed ``right.import`` entries (in a client process)."""
    assert _client_key is not None, "client not initialised"
    i, doc = job
    raws = []
    for item in import_bodies(doc, f"doc{i}"):
        assert item.body is not None, item.problem
        raws.append(canonicalize(make_envelope(_client_key, ORIGIN, IMPORT_TYPE, item.body,
                                               created_ms=_client_ms)))
    return raws


def bench_import_st96(records: int, per_file: int = 100, clients: int | None = None) -> None:
    docs = st96_documents(records, per_file)
    ceiling = max(parse_rate(docs, records) for _ in range(2))
    clients = clients or os.cpu_count() or 1
    reg = Register("import")
    pool = multiprocessing.get_context("spawn").Pool(
        clients, _init_client, (reg.registrar.seed, reg.clock.now_ms))
    try:
        pool.map(_client_sign, [(0, docs[0])] * clients)  # started, imported, warm
        size0 = reg.ledger.store.tree_size()
        futures: list[Future[Any]] = []
        start = time.perf_counter()
        for raws in pool.imap(_client_sign, enumerate(docs)):
            futures += reg.ledger.submit_many(raws)
        for f in futures:
            f.result(timeout=600)
        elapsed = time.perf_counter() - start
        entries = reg.ledger.store.tree_size() - size0
        assert entries == records, (entries, records)
    finally:
        pool.terminate()
        pool.join()
        reg.close()
    emit("import_st96", records / elapsed, "records/s", ceiling, records=records,
         files=len(docs), records_per_file=per_file, clients=clients,
         seconds=round(elapsed, 2), target=5_000,
         ceiling_is="trademark_from_st96_xml parse-only records/s, one thread, same run",
         timed=f"parse + validate + sign in {clients} client processes (started before) "
               "-> submit to the in-process node -> validated, sequenced and durable")


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
    note(f"registry_ingest ({rights} rights through their lifecycle, mixed stream)")
    bench_registry_ingest(ceiling, rights)
    note(f"registry_ingest_staged ({rights} rights, one stage at a time)")
    bench_registry_ingest_staged(ceiling, rights)
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
