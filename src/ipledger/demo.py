"""Sample data for ``ipledger demo``: a small register built once through the real node.

Every entry is signed and sequenced by the node's own ledger, on a demo clock that walks
ledger time from 2014 to October 2026, so the time events (registration after opposition,
lapse after non-renewal) fire as they would and the gazette has issues to show:

- EM (EUIPO-like): NORDLICHT (filed 2014, never renewed: lapsed), AURORA BREW (registered,
  licensed to Gamma Cafés, an authenticity batch of labelled bottles), HARBOUR LIGHT
  (registered, then assigned to Beta Kaffee), ORORA BRU (published, in its opposition
  period), SILVER FERN (filed, not yet published);
- GB (generic profile): the priority document of an earlier patent application, deposited;
- XX (generic profile): a patent claiming that priority, referencing the deposit.

The keys are random (kept in ``DATA/keys/demo-*.key``); contents, salts and dates are fixed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ipledger.codec import canonicalize
from ipledger.config import Config
from ipledger.documents.filesystem import FilesystemDocumentStore
from ipledger.identity import SigningKey, did_key_url, read_private_key, write_private_key
from ipledger.ledger import Ledger, make_envelope
from ipledger.node import GENESIS_KEY_FILE, open_ledger
from ipledger.registry.families.priority import access_code_hash
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.profiles import load_profile
from ipledger.registry.records import party_id_for
from ipledger.services.authenticity_client import write_labels
from ipledger.services.evidence import STAMP_TYPE, stamp_body
from ipledger.services.priority_client import new_access_code
from ipledger.services.serials import MEDIA_TYPE, commitment, encode_list, label_url

SAMPLES = Path(__file__).parent / "samples"
STAFF_KEY = "keys/demo-registrar.key"  # registrar and examiner of EM, GB and XX
LABELS_DIR = "authenticity"
PRIORITY_CODE_FILE = "priority/access-code.txt"
# The numbers the build order gives (each office numbers its rights in filing order).
LAPSED, LICENSED, ASSIGNED, OPPOSITION, FILED = (f"{n:09d}" for n in range(1, 6))
PATENT = ("XX", "patent", "XXP2026000001")  # the generic profile numbers as office XX
EARLIER = {"office": "GB", "number": "2518234", "filing_date": "2025-10-06", "kind": "patent"}
PRIORITY_DOC = (b"%PDF-1.4\n% ipledger demo: priority document GB 2518234, filed 2025-10-06\n"
                b"% Self-cleaning filter cartridge for espresso machines\n%%EOF\n")
AURORA = [(30, "Coffee; coffee-based beverages"), (43, "Cafés")]
HARBOUR = [(9, "Navigation software"), (42, "Software as a service")]
PARTIES = {"registrar": ("Ana Registrar", "ES", "natural"),
           "applicant": ("Aurora Brew GmbH", "DE", "legal"),
           "buyer": ("Beta Kaffee GmbH", "DE", "legal"),
           "licensee": ("Gamma Cafés SARL", "FR", "legal"),
           "inventor": ("Dr. Lena Weber", "DE", "natural")}
SERIALS = [f"AB-{n:04d}" for n in range(1, 6)]


def word_mark(text: str, goods: list[tuple[int, str]]) -> dict[str, Any]:
    """The ST.96-shaped data of a word mark with its goods and services."""
    return {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
        "WordMarkSpecification": {"MarkVerbalElementText": text}}},
        "GoodsServicesBag": [{"ClassNumber": c, "GoodsServicesDescriptionText": d}
                             for c, d in goods]}


def ms(day: str) -> int:
    """Ledger time at 10:00 UTC of ``day`` (ISO date)."""
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000) + 36_000_000


class DemoClock:
    """The ledger clock while the demo is built: set by the builder, never the wall clock."""

    def __init__(self, day: str) -> None:
        self.now_ms = ms(day)

    def __call__(self) -> int:
        return self.now_ms


def _key(data: Path, name: str) -> SigningKey:
    path = data / "keys" / f"demo-{name}.key"
    if path.exists():
        return read_private_key(path)
    key = SigningKey.generate()
    write_private_key(path, key)
    return key


def _salt(label: str) -> str:
    return hashlib.sha256(f"ipledger demo {label}".encode()).hexdigest()[:32]


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class DemoRegister:
    """Writes the sample register through ``ledger`` (opened on ``clock``)."""

    def __init__(self, ledger: Ledger, data: Path, clock: DemoClock | None = None,
                 documents: FilesystemDocumentStore | None = None, base_url: str = "") -> None:
        self.ledger, self.data, self.clock = ledger, data, clock
        self.documents, self.base_url = documents, base_url
        self.genesis = read_private_key(data / GENESIS_KEY_FILE)

    def key(self, name: str) -> SigningKey:
        return self.genesis if name == "genesis" else _key(self.data, name)

    def pid(self, name: str) -> str:
        return party_id_for(did_key_url(self.key(name).public_key))

    def submit(self, signer: str, entry_type: str, body: dict[str, Any],
               endorsers: tuple[str, ...] = ()) -> None:
        """Sign and sequence one entry (created now on the demo clock, if there is one)."""
        env = make_envelope(self.key(signer), self.ledger.origin, entry_type, body,
                            created_ms=self.clock.now_ms if self.clock else None,
                            endorsers=[self.key(e) for e in endorsers])
        self.ledger.submit(canonicalize(env)).result(timeout=30)

    def at(self, day: str) -> None:
        assert self.clock is not None, "a dated step needs the demo clock"
        self.clock.now_ms = ms(day)

    def tick(self, day: str) -> None:
        """Let ledger time reach ``day`` and write something, so due time events fire."""
        self.at(day)
        self.submit("applicant", "party.update", {"address": "Hafenstraße 5, 20457 Hamburg"})

    def store(self, data: bytes, media_type: str) -> str:
        assert self.documents is not None, "documents need the node's document store"
        asyncio.run(self.documents.put(_once(data), media_type))
        return hashlib.sha256(data).hexdigest()

    def mark(self, text: str, goods: list[tuple[int, str]], publish: bool = True) -> None:
        content, salt = word_mark(text, goods), _salt(text)
        self.submit("applicant", "right.file", {
            "office": "EM", "kind": "trademark", "applicants": [self.pid("applicant")],
            "classes": [c for c, _ in goods], "commitment": content_commitment(salt, content),
            "payment": {"amount": 85_000 + 5_000 * (len(goods) - 1), "currency": "EUR"}})
        number = self.ledger.store.record_ids("right/EM/trademark/")[-1].rsplit("/", 1)[1]
        right = {"office": "EM", "kind": "trademark", "number": number}
        self.submit("applicant", "right.disclose", {**right, "data": content, "salt": salt})
        if publish:
            for action in ("check_formalities", "start_examination"):
                self.submit("registrar", "right.act", {**right, "action": action})
            self.submit("registrar", "right.act", {**right, "action": "publish",
                                                   "attest": ["examination_passed"]})

    def office(self, parties: tuple[str, ...]) -> None:
        """EM (EUIPO-like) with its registrar, and the parties named."""
        self.submit("genesis", "office.register", {"office": "EM", "profile": "euipo",
                                                   "name": "EUIPO (demo profile)"})
        for name in parties:
            country, kind = PARTIES[name][1:]
            self.submit(name, "party.register", {"name": PARTIES[name][0],
                                                 "country": country, "kind": kind})
        for role in ("registrar", "examiner"):
            self.submit("genesis", "role.grant", {"office": "EM", "role": role,
                                                  "party": self.pid("registrar")})

    def stamps(self) -> None:
        for path in sorted(SAMPLES.iterdir()):
            self.submit("stamper", STAMP_TYPE, stamp_body(path))

    def basic(self) -> None:
        """Three stamps and two published marks, on the ledger's own clock."""
        self.stamps()
        self.office(("registrar", "applicant"))
        self.mark("AURORA BREW", AURORA)
        self.mark("HARBOUR LIGHT", HARBOUR)

    def build(self) -> None:
        """The demo's register, from 2014 to October 2026 on the demo clock."""
        self.at("2014-03-03")
        self.office(tuple(PARTIES))
        self.mark("NORDLICHT", [(33, "Spirits")])  # never renewed
        self.tick("2014-06-10")  # registered
        self.tick("2024-09-10")  # expired 2024-03-03, grace over: lapsed

        self.at("2026-05-04")
        self.stamps()
        self.mark("AURORA BREW", AURORA)
        self.mark("HARBOUR LIGHT", HARBOUR)
        self.tick("2026-08-10")  # both registered
        self.at("2026-08-17")
        licensed = {"office": "EM", "kind": "trademark", "number": LICENSED}
        self.submit("applicant", "licence.grant", {
            **licensed, "licensee": self.pid("licensee"), "type": "non_exclusive",
            "territory": ["FR"], "start": "2026-09-01",
            "payment": {"amount": 20_000, "currency": "EUR"}}, endorsers=("licensee",))
        self.batch()
        self.at("2026-08-24")
        self.submit("applicant", "assignment.record", {
            "office": "EM", "kind": "trademark", "number": ASSIGNED,
            "from": self.pid("applicant"), "to": self.pid("buyer"), "share": [1, 1],
            "executed": "2026-08-20",
            "payment": {"amount": 20_000, "currency": "EUR"}}, endorsers=("buyer",))
        self.priority()
        self.at("2026-09-14")
        self.mark("ORORA BRU", [(30, "Tea")])  # in its opposition period until December
        self.at("2026-10-05")
        self.mark("SILVER FERN", [(30, "Chocolate")], publish=False)

    def batch(self) -> None:
        """A batch of labelled bottles of AURORA BREW; labels and QR codes under DATA."""
        salts = {s: hashlib.sha256(f"ipledger demo label {s}".encode()).digest()[:16]
                 for s in SERIALS}
        data = encode_list(commitment("EM", LICENSED, s, salt) for s, salt in salts.items())
        sha256 = self.store(data, MEDIA_TYPE)
        self.submit("applicant", "authenticity.batch", {
            "office": "EM", "number": LICENSED, "product": "Aurora Brew cold brew, 250 ml",
            "count": len(SERIALS), "commitments_sha256": sha256})
        out = self.data / LABELS_DIR
        out.mkdir(parents=True, exist_ok=True)
        (out / "commitments.txt").write_bytes(data)
        write_labels(out, [(s, salt, label_url(self.base_url, "EM", LICENSED, s, salt))
                           for s, salt in salts.items()], "svg")

    def priority(self) -> None:
        """GB deposits the earlier application; a patent filed at XX claims its priority."""
        for office, name in (("GB", "UK IPO (demo, generic profile)"),
                             ("XX", "A patent office (demo, generic profile)")):
            self.submit("genesis", "office.register", {"office": office, "profile": "generic",
                                                       "name": name})
            for role in ("registrar", "examiner"):
                self.submit("genesis", "role.grant", {"office": office, "role": role,
                                                      "party": self.pid("registrar")})
        sha256 = self.store(PRIORITY_DOC, "application/pdf")
        code, salt = new_access_code()
        self.submit("registrar", "priority.deposit", {
            **EARLIER, "sha256": sha256, "media_type": "application/pdf",
            "applicants": [self.pid("inventor")], "salt": salt,
            "access_code_hash": access_code_hash(salt, code)})
        (self.data / PRIORITY_CODE_FILE).parent.mkdir(parents=True, exist_ok=True)
        (self.data / PRIORITY_CODE_FILE).write_text(code + "\n", encoding="ascii")
        content = {"InventionTitle": "Self-cleaning filter cartridge",
                   "IPCRClassificationBag": ["A47J 31/44"], "ClaimTotalQuantity": 12}
        office, kind, number = PATENT
        salt = _salt("patent")
        self.submit("inventor", "right.file", {
            "office": office, "kind": kind, "applicants": [self.pid("inventor")],
            "commitment": content_commitment(salt, content),
            "payment": {"amount": load_profile("generic").rules(kind).fees.filing or 0,
                        "currency": load_profile("generic").currency},
            "priority_claims": [{**EARLIER, "deposit": {
                "office": "GB", "number": EARLIER["number"], "sha256": sha256}}]})
        self.submit("inventor", "right.disclose", {"office": office, "kind": kind,
                                                   "number": number, "data": content,
                                                   "salt": salt})


def seed(ledger: Ledger, data: Path) -> str:
    """A small register on a running ledger's own clock (for tests): three stamps, office
    EM, two published trademarks (000000001 AURORA BREW, 000000002 HARBOUR LIGHT)."""
    DemoRegister(ledger, data).basic()
    return (f"stamped {len(list(SAMPLES.iterdir()))} sample documents; office EM with "
            "2 published trademarks in their opposition period "
            "(e.g. /v1/rights/EM/trademark/000000001)")


def build_if_empty(data: Path, settings: Config,
                   opener: Callable[..., Ledger] = open_ledger) -> str | None:
    """Build the sample register in the node at ``data`` unless its log holds anything;
    say what was made (None: nothing done)."""
    clock = DemoClock("2014-03-03")
    ledger = opener(data, settings=settings, clock_ms=clock, validation_processes=False,
                    checkpoint_interval_s=0.05)
    try:
        if ledger.store.tree_size() != 0:
            return None
        DemoRegister(ledger, data, clock, FilesystemDocumentStore.from_config(settings),
                     settings.server.base_url()).build()
        ledger.wait_for_checkpoint(ledger.store.tree_size(), timeout=30)
        return (f"built the sample register: {ledger.store.tree_size()} signed entries from "
                "2014 to 2026 (offices EM, GB, XX; 5 trademarks, a patent claiming priority, "
                f"{len(SERIALS)} labelled products)")
    finally:
        ledger.close()
        ledger.store.close()


def what_to_open(data: Path, base_url: str) -> str:
    """The short tour printed at every start."""
    base = base_url.rstrip("/")
    right = f"{base}/rights/EM/trademark/{LICENSED}"
    api = f"{base}/v1/rights/EM/trademark/{LICENSED}"
    labels = data / LABELS_DIR / "labels.csv"
    lines = [
        "what to open:",
        f"  home page (search, latest checkpoint)  {base}/",
        f"  a record page with its verified badge  {right}",
        f"  its registration certificate (PDF)     {api}/certificate.pdf",
        f"  its verifiable credential              {api}/credential",
        f"  a patent claiming priority (JSON)      {base}/v1/rights/{'/'.join(PATENT)}",
        f"  the priority document it references    {base}/v1/priority/GB/{EARLIER['number']}",
        f"  the gazette                            {base}/gazette",
        f"  online filing                          {base}/file",
        f"  back office: sign in with the key file {data / STAFF_KEY}",
        f"                                         {base}/office",
    ]
    if labels.exists():
        first = labels.read_text(encoding="utf-8").splitlines()[1].rsplit(",", 1)[1]
        lines += [f"  verify a labelled product              {first}",
                  f"  all labels and QR codes                {labels.parent}"]
    lines.append(f"  demo keys (applicant, buyer, ...)      {data / 'keys'}")
    return "\n".join(lines)
