"""``POST /witness/add-checkpoint`` against the C2SP tlog-witness spec, status by status."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.codec import b64_encode
from ipledger.identity import NoteSignature, NoteSigner, SigningKey, note_signatures, open_note
from ipledger.ledger.checkpoints import signed_checkpoint
from tests.witness.conftest import B_ORIGIN, LogB, WitnessA

PROBLEM = "application/problem+json"


def logged(witness: WitnessA) -> dict[str, Any]:
    (entry,) = witness.client.get("/witness/logs").json()["logs"]
    return entry


def metric(client: TestClient, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def assert_problem(resp: Any, status: int, rule: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["rule"] == rule


def test_first_checkpoint_then_growth_are_cosigned(witness_a: WitnessA, log_b: LogB) -> None:
    cp = log_b.grow(3)
    resp = witness_a.add(0, [], cp.note)
    assert resp.status_code == 200, resp.text
    assert resp.text.startswith("— ") and resp.text.endswith("\n")
    opened = open_note(cp.note + resp.text, [witness_a.verifier])
    assert opened.verified[0].name == witness_a.verifier.name
    assert logged(witness_a)["size"] == 3

    cp2 = log_b.grow(300)  # crosses a tile boundary: a real multi-hash proof
    resp = witness_a.add(3, log_b.proof(3, cp2.tree_size), cp2.note)
    assert resp.status_code == 200, resp.text
    open_note(cp2.note + resp.text, [witness_a.verifier])
    assert logged(witness_a)["size"] == cp2.tree_size


def test_old_size_mismatch_is_409_text_x_tlog_size(witness_a: WitnessA, log_b: LogB) -> None:
    cp = log_b.grow(5)
    assert witness_a.add(0, [], cp.note).status_code == 200
    cp2 = log_b.grow(2)
    for wrong_old in (0, 3, 6):
        proof = log_b.proof(wrong_old, 7) if wrong_old else []
        resp = witness_a.add(wrong_old, proof, cp2.note)
        assert resp.status_code == 409
        assert resp.headers["content-type"] == "text/x.tlog.size"
        assert resp.text == "5\n"
    assert logged(witness_a)["size"] == 5


def test_replayed_old_checkpoint_is_refused_and_changes_nothing(witness_a: WitnessA,
                                                                log_b: LogB) -> None:
    first = log_b.grow(4)
    assert witness_a.add(0, [], first.note).status_code == 200
    second = log_b.grow(4)
    assert witness_a.add(4, log_b.proof(4, 8), second.note).status_code == 200
    # The exact earlier request again: the witness has moved on.
    resp = witness_a.add(0, [], first.note)
    assert (resp.status_code, resp.text) == (409, "8\n")
    # An older checkpoint claiming the current size as its old size: old > size is a 400.
    assert_problem(witness_a.add(8, [], first.note), 400, "malformed-request")
    assert logged(witness_a)["size"] == 8


def test_the_same_checkpoint_again_is_cosigned_again(witness_a: WitnessA, log_b: LogB) -> None:
    cp = log_b.grow(2)
    assert witness_a.add(0, [], cp.note).status_code == 200
    again = witness_a.add(2, [], cp.note)
    assert again.status_code == 200
    open_note(cp.note + again.text, [witness_a.verifier])


def test_unknown_origin_is_404(witness_a: WitnessA) -> None:
    other = NoteSigner("office-z.example/log", SigningKey.from_seed(b"\x7a" * 32))
    note = signed_checkpoint(other.name, 0, b"\0" * 32, other)
    assert_problem(witness_a.add(0, [], note), 404, "unknown-log")


def test_signatures_not_from_a_trusted_key_are_403(witness_a: WitnessA, log_b: LogB) -> None:
    cp = log_b.grow(1)
    impostor = NoteSigner(B_ORIGIN, SigningKey.from_seed(b"\x13" * 32))  # same name, other key
    forged = signed_checkpoint(B_ORIGIN, 1, log_b.ledger.store.root_hash() or b"", impostor)
    assert_problem(witness_a.add(0, [], forged), 403, "untrusted-checkpoint")
    # The trusted key's line with a broken signature.
    text, (sig,) = note_signatures(cp.note)
    flipped = NoteSignature(sig.name, sig.key_id, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    broken = text + "\n" + flipped.line()
    assert_problem(witness_a.add(0, [], broken), 403, "untrusted-checkpoint")
    assert logged(witness_a)["size"] == 0
    assert witness_a.add(0, [], cp.note).status_code == 200


def _note(log_b: LogB) -> str:
    return log_b.grow(2).note


MALFORMED = {
    "empty": lambda note: b"",
    "no empty line": lambda note: b"old 0\n" + note.encode(),
    "no old line": lambda note: b"\n" + note.encode(),
    "new instead of old": lambda note: b"new 0\n\n" + note.encode(),
    "two spaces": lambda note: b"old  0\n\n" + note.encode(),
    "leading zero": lambda note: b"old 00\n\n" + note.encode(),
    "negative": lambda note: b"old -1\n\n" + note.encode(),
    "2^64": lambda note: b"old 18446744073709551616\n\n" + note.encode(),
    "proof not base64": lambda note: b"old 1\n!!!!\n\n" + note.encode(),
    "proof wrong length": lambda note: b"old 1\n" + b64_encode(b"x" * 31).encode()
    + b"\n\n" + note.encode(),
    "64 proof lines": lambda note: b"old 1\n" + (b64_encode(b"x" * 32) + "\n").encode() * 64
    + b"\n" + note.encode(),
    "not utf-8": lambda note: b"old 0\n\n\xff" + note.encode(),
    "no signature": lambda note: b"old 0\n\n" + note.split("\n\n")[0].encode() + b"\n",
    "bad checkpoint": lambda note: b"old 0\n\nx\n01\nroot\n\n" + note.split("\n\n")[1].encode(),
    "old above size": lambda note: b"old 3\n\n" + note.encode(),
    "proof with old 0": lambda note: b"old 0\n" + (b64_encode(b"x" * 32) + "\n").encode()
    + b"\n" + note.encode(),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_bodies_are_400_problems(witness_a: WitnessA, log_b: LogB,
                                           case: str) -> None:
    body = MALFORMED[case](_note(log_b))
    resp = witness_a.client.post("/witness/add-checkpoint", content=body)
    assert_problem(resp, 400, "malformed-request")
    assert logged(witness_a)["size"] == 0


def test_body_too_large_is_413(witness_a: WitnessA) -> None:
    resp = witness_a.client.post("/witness/add-checkpoint", content=b"old 0\n" * 20_000)
    assert_problem(resp, 413, "body-too-large")


def test_bad_consistency_proof_is_422_and_kept_as_evidence(witness_a: WitnessA,
                                                           log_b: LogB) -> None:
    cp = log_b.grow(3)
    assert witness_a.add(0, [], cp.note).status_code == 200
    cp2 = log_b.grow(3)
    wrong = [b"\x01" * 32, *log_b.proof(3, 6)[1:]]
    assert_problem(witness_a.add(3, wrong, cp2.note), 422, "inconsistent-checkpoint")
    assert logged(witness_a)["size"] == 3
    (record,) = witness_a.client.get("/witness/evidence").json()["evidence"]
    assert record["kind"] == "consistency-proof-failed"
    assert record["origin"] == B_ORIGIN
    assert record["recorded_checkpoint"] == cp.note
    assert record["offered_checkpoint"] == cp2.note
    assert record["old_size"] == 3
    assert record["consistency_proof"] == [b64_encode(h) for h in wrong]
    assert metric(witness_a.client, "ipledger_witness_evidence_total",
                  kind="consistency-proof-failed") == 1
    assert metric(witness_a.client, "ipledger_witness_evidence_kept") == 1
    # The same offer again: refused again, kept once.
    assert witness_a.add(3, wrong, cp2.note).status_code == 422
    assert len(witness_a.client.get("/witness/evidence").json()["evidence"]) == 1
    # The honest proof still goes through.
    assert witness_a.add(3, log_b.proof(3, 6), cp2.note).status_code == 200


def test_same_size_other_root_is_409_and_kept_as_evidence(witness_a: WitnessA,
                                                          log_b: LogB) -> None:
    cp = log_b.grow(4)
    assert witness_a.add(0, [], cp.note).status_code == 200
    fork = log_b.fork(4)
    for old in (4, 0):  # whatever old size is claimed, a same-size fork is caught
        resp = witness_a.add(old, [], fork)
        assert_problem(resp, 409, "inconsistent-checkpoint")
    # The same two checkpoints are one piece of evidence, however often offered.
    (record,) = witness_a.client.get("/witness/evidence").json()["evidence"]
    assert record["kind"] == "same-size-different-root"
    assert (record["recorded_checkpoint"], record["offered_checkpoint"]) == (cp.note, fork)
    assert logged(witness_a)["size"] == 4
    assert metric(witness_a.client, "ipledger_witness_evidence_total",
                  kind="same-size-different-root") == 1


def test_without_witnessing_the_endpoints_are_404(ledger: Any) -> None:
    with TestClient(create_app(ledger)) as client:
        assert_problem(client.post("/witness/add-checkpoint", content=b"old 0\n\n"), 404,
                       "no-witness")
        assert_problem(client.get("/witness/evidence"), 404, "no-witness")


def test_vkey_is_served_and_published(witness_a: WitnessA, tmp_path: Any) -> None:
    served = witness_a.client.get("/witness/vkey").text.strip()
    assert served == (tmp_path / "a" / "witness.vkey").read_text().strip()
    assert served == witness_a.verifier.verifier_key()


def test_openapi_documents_the_witness(witness_a: WitnessA) -> None:
    paths = witness_a.client.get("/openapi.json").json()["paths"]
    for path in ("/witness/add-checkpoint", "/witness/evidence", "/witness/logs",
                 "/witness/vkey"):
        assert path in paths
    responses = paths["/witness/add-checkpoint"]["post"]["responses"]
    assert set(responses) >= {"200", "400", "403", "404", "409", "422"}
