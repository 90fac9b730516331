"""A shared ledger ordered by a 3-server JetStream cluster (R=3), validated by four offices.

The office nodes run in this process (real SQLite stores, real NATS servers from
Debian's package); every test checks that all offices hold the identical log and state.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from ipledger.codec import parse_json
from ipledger.identity import CosignatureSigner, SigningKey, did_key_url
from ipledger.ledger import Rejection
from ipledger.ledger.sequencer import Sequenced
from ipledger.network.config import NETWORK_FILE, NetworkConfig, NetworkConfigError
from ipledger.network.finality import FinalityError, cosigned_body, verify_finality
from ipledger.registry.records import party_id_for
from ipledger.storage.base import StorageError
from tests.network.offices import OFFICES, Offices, assert_identical, cosigner_key, results

pytestmark = pytest.mark.slow


def register_office(offices: Offices) -> SigningKey:
    """The office EM with a registrar, through node 0: returns the registrar's key."""
    registrar = SigningKey.generate()
    party = party_id_for(did_key_url(registrar.public_key))
    node = offices.node(0)
    results(node.submit_many([
        offices.sign(offices.genesis, "office.register",
                     {"office": "EM", "name": "Shared office", "profile": "euipo"}),
        offices.sign(registrar, "party.register",
                     {"name": "Registrar", "country": "ES", "kind": "natural"})]))
    results(node.submit_many([offices.sign(offices.genesis, "role.grant",
                                           {"office": "EM", "party": party,
                                            "role": "registrar"})]))
    return registrar


def test_every_office_applies_the_same_order_and_reaches_the_same_state(
        offices: Offices) -> None:
    register_office(offices)
    applicants = [SigningKey.generate() for _ in range(40)]
    futures: list[Future[Sequenced]] = []
    for i, key in enumerate(applicants):  # each office takes a share of the clients
        raws = [offices.sign(key, "party.register", {"name": f"Applicant {i}",
                                                     "country": "FR", "kind": "legal"}),
                offices.sign(key, "evidence.stamp",
                             {"sha256": hashlib.sha256(f"doc {i}".encode()).hexdigest()})]
        futures += offices.node(i % OFFICES).submit_many(raws)
    done = results(futures)
    size = max(s.index for s in done) + 1
    nodes = offices.settled(size)
    assert_identical(nodes)
    # Ledger time comes from the stream: the same on every node, never going back.
    times = [parse_json(e)["seq"]["time"] for e in nodes[0].store.read_entries(0, size)]
    assert times == sorted(times)
    # Each applicant's party record, on each office, is the one the log derives.
    party = party_id_for(did_key_url(applicants[7].public_key))
    records = {n.store.read_record(f"party/{party}") for n in nodes}
    assert len(records) == 1 and None not in records


def test_a_refused_entry_is_refused_by_every_office(offices: Offices) -> None:
    key = SigningKey.generate()
    raw = offices.sign(key, "party.register", {"name": "Once", "country": "FR",
                                               "kind": "legal"})
    (first,) = results(offices.node(1).submit_many([raw]))
    # The same signed entry again, through another office: a replay, refused everywhere.
    with pytest.raises(Rejection) as refused:
        offices.node(2).submit(raw).result(30)
    assert refused.value.rule == "replayed-nonce"
    # A rule the register enforces (an unknown office), also decided identically.
    with pytest.raises(Rejection) as unknown:
        offices.node(3).submit(offices.sign(offices.genesis, "role.grant", {
            "office": "XX", "party": party_id_for(did_key_url(key.public_key)),
            "role": "registrar"})).result(30)
    assert unknown.value.status in (404, 409, 422)
    nodes = offices.settled(first.index + 1)
    time.sleep(0.3)  # give every node time to (not) apply the refused ones
    assert_identical(nodes)
    assert nodes[0].sequencer.tree_size == first.index + 1


def test_finality_needs_a_quorum_of_cosignatures_and_verifies_offline(
        offices: Offices) -> None:
    key = SigningKey.generate()
    done = results(offices.node(0).submit_many(
        [offices.sign(key, "evidence.stamp", {"sha256": hashlib.sha256(b"final").hexdigest()})]))
    size = done[0].index + 1
    proofs = [offices.node(i).finality.wait_final(size, timeout=10) for i in range(OFFICES)]
    network = offices.network
    for proof in proofs:
        checkpoint, members = verify_finality(proof, network)
        assert checkpoint.tree_size >= size
        assert len(members) >= network.quorum == 3
    # One cosignature short of the quorum is not final.
    text, _, lines = proofs[0].partition("\n\n")
    short = text + "\n\n" + "".join(line + "\n" for line in lines.splitlines()[:2])
    with pytest.raises(FinalityError, match="quorum is 3"):
        verify_finality(short, network)
    # A changed root invalidates every cosignature.
    forged = proofs[0].replace(text.splitlines()[2], "A" * 43 + "=", 1)
    with pytest.raises(FinalityError):
        verify_finality(forged, network)
    # Cosignatures by a key that is not a member's do not count.
    stranger = NetworkConfig.from_json({**network.to_json(), "quorum": OFFICES})
    with pytest.raises(FinalityError):
        verify_finality(proofs[0], stranger) if len(proofs[0].splitlines()) < 8 else \
            verify_finality(short, stranger)


def test_an_office_restarted_later_catches_up_from_the_stream(offices: Offices) -> None:
    key = SigningKey.generate()
    stamp = lambda i: offices.sign(key, "evidence.stamp",  # noqa: E731
                                   {"sha256": hashlib.sha256(b"%d" % i).hexdigest()})
    results(offices.node(0).submit_many([stamp(i) for i in range(50)]))
    offices.close(3)
    done = results(offices.node(1).submit_many([stamp(i) for i in range(50, 300)]))
    size = max(s.index for s in done) + 1
    offices.open(3)
    nodes = offices.settled(size)
    assert_identical(nodes)
    # ... and cosigns again: finality reaches the newest size with all four online.
    assert verify_finality(offices.node(3).finality.wait_final(size, 10), offices.network)


def test_a_node_that_cosigns_a_forked_checkpoint_is_caught_with_evidence(
        offices: Offices) -> None:
    key = SigningKey.generate()
    (done,) = results(offices.node(0).submit_many(
        [offices.sign(key, "evidence.stamp", {"sha256": hashlib.sha256(b"x").hexdigest()})]))
    size = done.index + 1
    offices.settled(size)
    # Office d's key signs a checkpoint of the same size with another root.
    member = offices.network.members[3]
    signer = CosignatureSigner(member.name, cosigner_key(offices, 3))
    forked = cosigned_body(offices.network.ledger, size, b"\x01" * 32, None, 999)
    line = signer.sign(forked).line()
    announcement = json.dumps({"member": member.name, "body": forked, "line": line}).encode()
    offices.node(0).finality.receive(announcement)
    (evidence,) = offices.node(0).finality.divergences
    assert evidence.member == member.name and evidence.size == size
    assert evidence.theirs == forked + "\n" + line  # their signed body: proof they signed it
    assert verify_finality(offices.node(0).finality.wait_final(size, 10), offices.network)


def test_network_description_is_checked(tmp_path: Path, offices: Offices) -> None:
    raw = json.loads((offices.directory / NETWORK_FILE).read_text())
    for bad in ({**raw, "quorum": 0}, {**raw, "quorum": 5}, {**raw, "extra": 1},
                {**raw, "members": raw["members"] + raw["members"][:1]},
                {**raw, "stream": "has space"}):
        with pytest.raises(NetworkConfigError):
            NetworkConfig.from_json(bad)


def test_a_node_whose_stored_copy_is_corrupt_refuses_to_start(offices: Offices) -> None:
    key = SigningKey.generate()
    results(offices.node(2).submit_many([offices.sign(key, "evidence.stamp", {
        "sha256": hashlib.sha256(b"%d" % i).hexdigest()}) for i in range(20)]))
    data = offices.directory / offices.network.members[2].name
    offices.close(2)
    with sqlite3.connect(data / "ledger.sqlite") as db:  # flip one bit of one stored hash
        tile_id, tile = db.execute("SELECT id, data FROM tiles ORDER BY id LIMIT 1").fetchone()
        db.execute("UPDATE tiles SET data = ? WHERE id = ?",
                   (bytes([tile[0] ^ 1]) + tile[1:], tile_id))
    with pytest.raises(StorageError, match="the store is corrupt"):
        offices.open(2)


def test_a_node_the_quorum_disowns_stops_writing_and_is_not_ready(offices: Offices) -> None:
    key = SigningKey.generate()
    (done,) = results(offices.node(0).submit_many(
        [offices.sign(key, "evidence.stamp", {"sha256": hashlib.sha256(b"y").hexdigest()})]))
    size = done.index + 1
    offices.settled(size)
    node = offices.node(0)
    other = cosigned_body(offices.network.ledger, size, b"\x02" * 32, None, 1)
    for i, member in enumerate(offices.network.members):
        if i == 0:
            continue  # the other three: a quorum, not node 0
        signer = CosignatureSigner(member.name, cosigner_key(offices, i))
        node.finality.receive(json.dumps({"member": member.name, "body": other,
                                          "line": signer.sign(other).line()}).encode())
    assert node.finality.diverged_at == size
    assert node.readiness()["network"]["status"] == "fail"
    with pytest.raises(Rejection, match="diverged"):
        node.submit(offices.sign(key, "evidence.stamp",
                                 {"sha256": hashlib.sha256(b"z").hexdigest()})).result(10)
