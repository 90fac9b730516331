"""Witness state on every backend: atomic check-and-persist under concurrent add-checkpoint.

Each racing request has its own store object (its own database connections), as two
node processes sharing a PostgreSQL database, or a node and the CLI, would.
"""

from __future__ import annotations

import threading

from ipledger.identity import CosignatureSigner, SigningKey
from ipledger.log import Checkpoint
from ipledger.network.witness import Witness, WitnessRefusal
from ipledger.network.witness_client import add_checkpoint_body
from ipledger.storage.witness import Evidence, WitnessStore
from tests.storage.conftest import Backend
from tests.witness.conftest import B_ORIGIN, LogB, log_b

__all__ = ["log_b"]

SIGNER = CosignatureSigner("a.example/witness", SigningKey.from_seed(b"\x77" * 32))




def race(open_store: Backend, bodies: list[bytes]) -> list[int | str]:
    """Submit ``bodies`` at once, each through its own store; 'ok' or the refused status
    with the size a 409 reported."""
    witnesses = [Witness(WitnessStore(open_store()), SIGNER) for _ in bodies]
    gate = threading.Barrier(len(bodies))
    results: list[int | str] = [0] * len(bodies)

    def run(i: int) -> None:
        gate.wait()
        try:
            witnesses[i].add_checkpoint(bodies[i])
            results[i] = "ok"
        except WitnessRefusal as refusal:
            results[i] = refusal.known_size if refusal.status == 409 else refusal.status

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_add_checkpoint_never_rolls_back(open_store: Backend, log_b: LogB) -> None:
    state = WitnessStore(open_store())
    state.add_log(B_ORIGIN, [log_b.ledger.verifier_key])
    checkpoints = [log_b.grow(1) for _ in range(12)]  # sizes 1..12
    size = 0
    for round_ in range(3):
        # Four requests from the same old size to four different larger checkpoints.
        offered = checkpoints[size:size + 4] if round_ < 2 else checkpoints[size:]
        bodies = [add_checkpoint_body(size, log_b.proof(size, cp.tree_size) if size else [],
                                      cp.note) for cp in offered]
        results = race(open_store, bodies)
        winners = [cp.tree_size for cp, r in zip(offered, results, strict=True) if r == "ok"]
        assert len(winners) == 1, results  # exactly one request advanced the log
        new_size = winners[0]
        # Every loser was told the winner's size: no request saw a rolled-back state.
        assert sorted(r for r in results if r != "ok") == [new_size] * (len(offered) - 1)
        logged = state.log(B_ORIGIN)
        assert logged is not None and logged.size == new_size
        assert logged.note == log_b.checkpoint_at(new_size).note
        assert logged.root == Checkpoint.parse(logged.note.partition("\n\n")[0] + "\n").root_hash
        assert new_size > size
        size = new_size


def test_a_stale_conditional_update_changes_nothing(open_store: Backend) -> None:
    store = WitnessStore(open_store())
    store.add_log("o.example/log", ["o.example/log+00000000+AQ=="])
    seen = store.log("o.example/log")
    assert seen is not None and (seen.size, seen.version) == (0, 0)
    assert store.advance(seen, 5, b"\1" * 32, "note-5")
    assert not store.advance(seen, 3, b"\2" * 32, "note-3")  # raced: stale version
    now = store.log("o.example/log")
    assert now is not None and (now.size, now.root, now.note) == (5, b"\1" * 32, "note-5")
    # Keys can be replaced without losing the state; re-reading a reopened store agrees.
    store.add_log("o.example/log", ["o.example/log+11111111+AQ=="])
    again = WitnessStore(open_store()).log("o.example/log")
    assert again is not None and (again.size, again.vkeys) == (5, ("o.example/log+11111111+AQ==",))


def test_evidence_is_durable_and_kept_once(open_store: Backend) -> None:
    record = Evidence("ab" * 32, "o.example/log", "same-size-different-root", "note-a",
                      "note-b", 4, (b"\3" * 32,), "2026-01-01T00:00:00Z")
    assert WitnessStore(open_store()).add_evidence(record)
    assert not WitnessStore(open_store()).add_evidence(record)
    reopened = WitnessStore(open_store())
    assert reopened.evidence() == [record]
    assert reopened.evidence_count() == 1
