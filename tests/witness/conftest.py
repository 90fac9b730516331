"""A witnessed log (office B's ledger) and a witness node (office A) served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.identity import CosignatureVerifier, SigningKey
from ipledger.ledger import Ledger
from ipledger.ledger.checkpoints import signed_checkpoint
from ipledger.network.witnessing import Witnessing, open_witnessing
from ipledger.services.evidence import EvidenceStamp
from ipledger.storage.base import StoredCheckpoint
from ipledger.storage.sqlite import SQLiteStore
from tests.conftest import FakeClock, LedgerFactory, raw, stamp

B_ORIGIN = "office-b.example/log"
B_KEY = SigningKey.from_seed(b"\x0b" * 32)
STAMPER = SigningKey.from_seed(b"\x5a" * 32)


@dataclass
class LogB:
    """Office B's log: grows by real entries; ``fork`` signs a checkpoint B never made."""

    ledger: Ledger
    written: int = 0

    def grow(self, n: int) -> StoredCheckpoint:
        futures = [self.ledger.submit(raw(stamp(STAMPER, self.written + i, origin=B_ORIGIN)))
                   for i in range(n)]
        for f in futures:
            f.result(timeout=30)
        self.written += n
        return self.ledger.wait_for_checkpoint(self.written, timeout=30)

    def checkpoint_at(self, size: int) -> StoredCheckpoint:
        cp = self.ledger.store.checkpoint_at(size)
        assert cp is not None
        return cp

    def fork(self, size: int, root: bytes = b"\x66" * 32) -> str:
        """A validly signed checkpoint of ``size`` with another root (a second key-holder)."""
        return signed_checkpoint(B_ORIGIN, size, root, self.ledger.note_signer)

    def proof(self, old: int, new: int) -> list[bytes]:
        return self.ledger.consistency_proof(old, new)


@pytest.fixture
def log_b(tmp_path: Path, clock: FakeClock) -> Iterator[LogB]:
    ledger = Ledger(SQLiteStore(tmp_path / "b.sqlite"), B_ORIGIN, B_KEY,
                    {"evidence.stamp": EvidenceStamp()}, clock_ms=clock,
                    checkpoint_interval_s=0.01).start()
    yield LogB(ledger)
    ledger.close()
    ledger.store.close()


@dataclass
class WitnessA:
    client: TestClient
    witnessing: Witnessing

    @property
    def verifier(self) -> CosignatureVerifier:
        return self.witnessing.witness.signer.verifier()

    def add(self, old: int, proof: list[bytes], note: str) -> object:
        from ipledger.network.witness_client import add_checkpoint_body

        return self.client.post("/witness/add-checkpoint",
                                content=add_checkpoint_body(old, proof, note))


@pytest.fixture
def witness_a(tmp_path: Path, open_test_ledger: LedgerFactory,
              log_b: LogB) -> Iterator[WitnessA]:
    ledger = open_test_ledger("a.sqlite")
    witnessing = open_witnessing(tmp_path / "a", ledger)
    witnessing.store.add_log(B_ORIGIN, [log_b.ledger.verifier_key])
    with TestClient(create_app(ledger, witnessing=witnessing)) as client:
        yield WitnessA(client, witnessing)
