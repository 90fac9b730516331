"""Network governance: founding members, admitting, removing, rotating, changing the quorum.

Every change needs a quorum of the current members' signatures (actor + endorsements by
their cosigner keys); every office applies it identically; finality follows it.
"""

from __future__ import annotations

import hashlib

import pytest

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import CosignatureSigner, SigningKey
from ipledger.ledger import Rejection, make_envelope
from ipledger.network.config import Member, NetworkConfig
from ipledger.network.finality import FinalityError, verify_finality
from ipledger.registry.families.network import MEMBERS_RECORD
from tests.network.offices import Offices, assert_identical, cosigner_key, results

pytestmark = pytest.mark.slow


def govern(offices: Offices, entry_type: str, body: dict[str, object], signers: list[int],
           via: int = 0) -> int:
    """Submit a governance entry signed by members ``signers`` (first acts, others endorse)."""
    keys = [cosigner_key(offices, i) for i in signers]
    raw = canonicalize(make_envelope(keys[0], offices.network.ledger, entry_type, body,
                                     endorsers=keys[1:]))
    (done,) = results(offices.node(via).submit_many([raw]))
    return done.index


def found(offices: Offices) -> None:
    members = [{"name": m.name, "cosigner": m.cosigner} for m in offices.network.members]
    raw = canonicalize(make_envelope(offices.genesis, offices.network.ledger,
                                     "network.genesis", {"members": members, "quorum": 3}))
    results(offices.node(0).submit_many([raw]))


def stamp(offices: Offices, via: int, text: bytes) -> int:
    key = SigningKey.generate()
    raw = canonicalize(make_envelope(key, offices.network.ledger, "evidence.stamp",
                                     {"sha256": hashlib.sha256(text).hexdigest()}))
    (done,) = results(offices.node(via).submit_many([raw]))
    return done.index + 1


def members_state(offices: Offices, i: int) -> dict[str, object]:
    raw = offices.node(i).store.read_record(MEMBERS_RECORD)
    assert raw is not None
    return dict(parse_json(raw))


def test_changes_need_a_quorum_of_current_members(offices: Offices) -> None:
    found(offices)
    newcomer = CosignatureSigner("office-e", SigningKey.generate())
    admit = {"name": "office-e", "cosigner": newcomer.verifier_key()}
    with pytest.raises(Rejection) as short:  # two of the four members: below the quorum 3
        govern(offices, "network.admit", admit, [0, 1])
    assert short.value.rule == "missing-endorsement" and short.value.status == 403
    with pytest.raises(Rejection) as stranger:  # a non-member's signatures count for nothing
        raw = canonicalize(make_envelope(newcomer.key, offices.network.ledger, "network.admit",
                                         admit, endorsers=[cosigner_key(offices, 0),
                                                           cosigner_key(offices, 1)]))
        offices.node(1).submit(raw).result(30)
    assert stranger.value.rule == "missing-endorsement"
    index = govern(offices, "network.admit", admit, [0, 1, 2], via=3)
    size = stamp(offices, 2, b"after admission")
    nodes = offices.settled(size)
    assert_identical(nodes)
    state = members_state(offices, 1)
    assert [m["name"] for m in state["members"]] == [  # type: ignore[attr-defined]
        "office-a", "office-b", "office-c", "office-d", "office-e"]
    assert state["since"] == index + 1 and len(state["history"]) == 1  # type: ignore[arg-type]
    with pytest.raises(Rejection) as again:
        govern(offices, "network.admit", admit, [0, 1, 2])
    assert again.value.rule == "already-exists"
    with pytest.raises(Rejection) as bad_quorum:
        govern(offices, "network.quorum", {"quorum": 6}, [0, 1, 2])
    assert bad_quorum.value.rule == "invalid-value"


def test_finality_follows_quorum_changes_removals_and_rotations(offices: Offices) -> None:
    found(offices)
    network = offices.network
    govern(offices, "network.quorum", {"quorum": 4}, [0, 1, 2])
    size = stamp(offices, 1, b"four of four")
    proof = offices.node(0).finality.wait_final(size, 10)
    four = NetworkConfig.from_json({**network.to_json(), "quorum": 4})
    checkpoint, signed = verify_finality(proof, four)
    assert checkpoint.tree_size >= size and len(signed) == 4

    # Office d's cosigner key is replaced: its old key's cosignatures no longer count, so
    # with quorum 4 nothing after the rotation is final until d cosigns with the new key.
    rotated = CosignatureSigner("office-d", SigningKey.generate())
    govern(offices, "network.rotate", {"name": "office-d", "cosigner": rotated.verifier_key()},
           [0, 1, 2, 3])
    size = stamp(offices, 0, b"after rotation")
    offices.settled(size)
    with pytest.raises(TimeoutError):
        offices.node(0).finality.wait_final(size, 1.5)
    # d's operator installs the new key and restarts d: finality resumes.
    data = offices.directory / "office-d"
    offices.close(3)
    (data / "keys" / "cosigner.key").unlink()
    from ipledger.identity import write_private_key
    write_private_key(data / "keys" / "cosigner.key", rotated.key)
    (data / "cosigner.vkey").write_text(rotated.verifier_key() + "\n")
    offices.open(3)
    size = stamp(offices, 3, b"after restart")
    proof = offices.node(1).finality.wait_final(size, 10)
    members = tuple(Member(m.name, rotated.verifier_key() if m.name == "office-d"
                           else m.cosigner) for m in network.members)
    current = NetworkConfig.from_json({**four.to_json(), "members": [
        {"name": m.name, "cosigner": m.cosigner} for m in members]})
    assert len(verify_finality(proof, current)[1]) == 4
    with pytest.raises(FinalityError):  # judged with d's old key, one cosignature short
        verify_finality(proof, four)

    # Office b is removed with the quorum back to 3: b's cosignatures stop counting.
    govern(offices, "network.remove", {"name": "office-b", "quorum": 3}, [0, 1, 2, 3])
    size = stamp(offices, 2, b"after removal")
    proof = offices.node(2).finality.wait_final(size, 10)
    assert "office-b" not in {line.split()[1] for line in proof.splitlines()
                              if line.startswith("\u2014")}
    assert_identical(offices.settled(size))
