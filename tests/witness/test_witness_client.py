"""The witness client: office B pushes its checkpoints to office A's witness (in process)."""

from __future__ import annotations

import time

from ipledger.identity import CosignatureSigner, NoteVerifier, SigningKey, open_note
from ipledger.network.witness_client import WitnessClient
from ipledger.storage.witness import WitnessStore
from tests.witness.conftest import LogB, WitnessA

URL = "http://testserver/witness"


def client_of(log_b: LogB, witness_a: WitnessA, vkey: str | None = None) -> WitnessClient:
    store = WitnessStore(log_b.ledger.store)  # type: ignore[arg-type]
    store.add_target(URL, vkey or witness_a.verifier.verifier_key())
    return WitnessClient(log_b.ledger, store, http=witness_a.client, retry_s=0.05)


def test_learns_the_witness_size_from_409_and_stores_the_cosignature(
        witness_a: WitnessA, log_b: LogB) -> None:
    first = log_b.grow(3)
    assert witness_a.add(0, [], first.note).status_code == 200  # A saw size 3 already
    latest = log_b.grow(297)
    client = client_of(log_b, witness_a)
    (target,) = client.store.targets()
    assert target.size is None
    result = client.push(target, latest)  # sends old 0, is told 3, proves 3 -> 300
    assert result.ok, result.detail
    (target,) = client.store.targets()
    assert target.size == 300
    note = client.cosigned_note(latest)
    opened = open_note(note, [NoteVerifier.from_vkey(log_b.ledger.verifier_key),
                              witness_a.verifier])
    assert len(opened.verified) == 2
    assert client.push_all(latest) == []  # nothing left to ask


def test_a_cosignature_by_another_key_is_not_kept(witness_a: WitnessA, log_b: LogB) -> None:
    cp = log_b.grow(2)
    stranger = CosignatureSigner("elsewhere.example/witness", SigningKey.from_seed(b"\2" * 32))
    client = client_of(log_b, witness_a, stranger.verifier_key())
    (target,) = client.store.targets()
    result = client.push(target, cp)
    assert not result.ok and "no valid cosignature" in result.detail
    assert client.store.cosignatures_at(cp.tree_size) == []
    assert client.cosigned_note(cp) == cp.note


def test_an_unreachable_witness_is_a_failure_not_a_crash(log_b: LogB) -> None:
    import httpx

    store = WitnessStore(log_b.ledger.store)  # type: ignore[arg-type]
    store.add_target("http://127.0.0.1:9/witness", CosignatureSigner(
        "w.example/w", SigningKey.from_seed(b"\3" * 32)).verifier_key())
    client = WitnessClient(log_b.ledger, store, http=httpx.Client(timeout=1))
    (result,) = client.push_all(log_b.grow(1))
    assert not result.ok and "unreachable" in result.detail


def test_every_new_checkpoint_is_pushed_in_the_background(witness_a: WitnessA,
                                                          log_b: LogB) -> None:
    client = client_of(log_b, witness_a)
    client.start()
    try:
        for _ in range(3):
            cp = log_b.grow(5)
            deadline = time.monotonic() + 10
            while not client.store.cosignatures_at(cp.tree_size):
                assert time.monotonic() < deadline, "not cosigned within 10 s"
                time.sleep(0.02)
    finally:
        client.stop()
    assert client.store.targets()[0].size == 15
