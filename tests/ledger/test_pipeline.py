"""The write path: validation, sequencing, durability, checkpoints, receipts."""

from __future__ import annotations

import json
import threading

import pytest

from ipledger.codec import b64url_encode, canonicalize, parse_json
from ipledger.identity import NoteSigner, NoteVerifier, SigningKey, open_note
from ipledger.ledger import Ledger, ReceiptError, Rejection, make_envelope, verify_receipt
from ipledger.ledger.core import validation_chunks
from ipledger.ledger.envelope import MAX_SUBMITTED_BYTES, signing_payload
from ipledger.log import EMPTY_ROOT, Checkpoint, leaf_hash, verify_consistency
from ipledger.storage.base import StorageError
from tests.conftest import ORIGIN, T0, FakeClock, LedgerFactory, raw, stamp


def submit(ledger: Ledger, env: dict | bytes):
    data = env if isinstance(env, bytes) else raw(env)
    return ledger.submit(data).result(timeout=10)


def rejection(ledger: Ledger, env: dict | bytes) -> Rejection:
    data = env if isinstance(env, bytes) else raw(env)
    size = ledger.store.tree_size()
    with pytest.raises(Rejection) as info:
        ledger.submit(data).result(timeout=10)
    assert ledger.store.tree_size() == size, "a rejected entry changed the log"
    return info.value


def test_first_checkpoint_is_size_zero(ledger: Ledger, log_key: SigningKey) -> None:
    note = ledger.latest_checkpoint().note
    opened = open_note(note, [NoteSigner(ORIGIN, log_key).verifier()])
    cp = Checkpoint.parse(opened.text)
    assert (cp.origin, cp.tree_size, cp.root_hash) == (ORIGIN, 0, EMPTY_ROOT)


def test_accepted_entry_is_sequenced_durably(ledger: Ledger, stamper: SigningKey) -> None:
    env = stamp(stamper)
    seq = submit(ledger, env)
    assert seq.index == 0
    stored = ledger.store.read_entries(0, 1)[0]
    assert stored == seq.entry
    obj = parse_json(stored)
    assert obj["seq"] == {"index": 0, "time": "2026-09-21T14:13:20.000Z"}
    assert canonicalize(obj) == stored
    assert {k: v for k, v in obj.items() if k != "seq"} == env
    assert ledger.store.root_hash() == leaf_hash(stored)


def test_receipt_verifies_offline_and_names_each_failure(
    ledger: Ledger, stamper: SigningKey, log_key: SigningKey
) -> None:
    for n in range(5):
        submit(ledger, stamp(stamper, n))
    ledger.wait_for_checkpoint(5, timeout=5)
    receipt = ledger.receipt(3)
    verifier = NoteSigner(ORIGIN, log_key).verifier()
    verified = verify_receipt(receipt, [verifier])
    assert verified.index == 3 and verified.checkpoint.tree_size == 5

    def fails(mutate, step: str, verifiers=(verifier,)) -> None:
        bad = json.loads(json.dumps(receipt))
        mutate(bad)
        with pytest.raises(ReceiptError) as info:
            verify_receipt(bad, list(verifiers))
        assert info.value.step == step, info.value

    fails(lambda r: r["entry"]["body"].update(sha256="f" * 64), "inclusion-proof")
    fails(lambda r: r.update(index=2), "entry-index")
    fails(lambda r: r["inclusion_proof"].pop(), "inclusion-proof")
    fails(lambda r: r.update(checkpoint=r["checkpoint"].replace("\n5\n", "\n6\n")),
          "checkpoint-signature")
    other = NoteVerifier.from_vkey(NoteSigner(ORIGIN, SigningKey.generate()).verifier_key())
    fails(lambda r: None, "checkpoint-signature", (other,))
    fails(lambda r: r.update(format="x"), "format")


def test_receipt_for_a_forged_entry_fails_the_signature_step(
    stamper: SigningKey, log_key: SigningKey
) -> None:
    # A dishonest log could include an entry its actor never signed, with a perfectly
    # good inclusion proof and checkpoint. The receipt must still fail.
    from ipledger.ledger.checkpoints import signed_checkpoint
    from ipledger.ledger.receipts import make_receipt
    from ipledger.log import TreeAppender

    env = stamp(stamper)
    env["body"]["sha256"] = "d" * 64  # changed after the actor signed
    env["seq"] = {"index": 0, "time": "2026-09-21T14:13:20.000Z"}
    entry = canonicalize(env)
    tree = TreeAppender().append([leaf_hash(entry)])
    signer = NoteSigner(ORIGIN, log_key)
    note = signed_checkpoint(ORIGIN, 1, tree.root_hash, signer)
    receipt = make_receipt(entry, env, 0, [], 1, note)
    with pytest.raises(ReceiptError) as info:
        verify_receipt(receipt, [signer.verifier()])
    assert info.value.step == "entry-signature"


@pytest.mark.parametrize(
    ("mutate", "rule", "pointer"),
    [
        (lambda e: e.pop("sig"), "missing-field", "/sig"),
        (lambda e: e.pop("nonce"), "missing-field", "/nonce"),
        (lambda e: e.update(extra=1), "unknown-field", "/extra"),
        (lambda e: e.update(v=2), "unsupported-version", "/v"),
        (lambda e: e.update(v="1"), "wrong-type", "/v"),
        (lambda e: e.update(ledger="other.example/log"), "wrong-ledger", "/ledger"),
        (lambda e: e.update(type="evidence.nope"), "unknown-type", "/type"),
        (lambda e: e.update(type="Evidence"), "invalid-value", "/type"),
        (lambda e: e.update(actor="did:key:z6Mk"), "invalid-actor", "/actor"),
        (lambda e: e.update(actor="did:web:example.com"), "invalid-actor", "/actor"),
        (lambda e: e.update(nonce="short"), "invalid-value", "/nonce"),
        (lambda e: e.update(created="2026-09-21 14:13:20"), "invalid-value", "/created"),
        (lambda e: e.update(body=[]), "wrong-type", "/body"),
        (lambda e: e["body"].update(sha256="ABC"), "invalid-value", "/body/sha256"),
        (lambda e: e["body"].update(size=3), "unknown-field", "/body/size"),
        (lambda e: e["body"].pop("sha256"), "missing-field", "/body/sha256"),
        (lambda e: e["body"].update(media_type=7), "wrong-type", "/body/media_type"),
        (lambda e: e.update(seq={"index": 0}), "sequencer-seq", "/seq"),
        (lambda e: e.update(sig="A" * 86), "bad-signature", "/sig"),
        (lambda e: e.update(sig="abc"), "invalid-value", "/sig"),
    ],
)
def test_bad_envelopes_are_rejected_with_field_and_rule(
    ledger: Ledger, stamper: SigningKey, mutate, rule: str, pointer: str
) -> None:
    env = stamp(stamper)
    mutate(env)
    err = rejection(ledger, env)
    assert (err.rule, err.pointer) == (rule, pointer), err
    assert 400 <= err.status < 500


def test_signature_over_a_different_body_fails(ledger: Ledger, stamper: SigningKey) -> None:
    env = stamp(stamper)
    env["body"]["sha256"] = "e" * 64  # body changed after signing
    assert rejection(ledger, env).rule == "bad-signature"


def test_signature_by_another_key_fails(ledger: Ledger, stamper: SigningKey) -> None:
    env = stamp(stamper)
    env["sig"] = b64url_encode(SigningKey.generate().sign(signing_payload(env)))
    assert rejection(ledger, env).rule == "bad-signature"


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b'{"v": 1}', "not-canonical"),
        (b"{", "invalid-json"),
        (b'{"a":1,"a":2}', "duplicate-key"),
        (b'{"a":1.5}', "no-floats"),
        (b'{"a":1e3}', "no-floats"),
        (b'{"a":9007199254740993}', "integer-range"),
        (b'{"a":"\xff"}', "invalid-utf8"),
        (b"[]", "wrong-type"),
    ],
)
def test_malformed_json_is_rejected(ledger: Ledger, data: bytes, rule: str) -> None:
    assert rejection(ledger, data).rule == rule


def test_float_inside_body_names_its_pointer(ledger: Ledger, stamper: SigningKey) -> None:
    data = raw(stamp(stamper)).replace(b'"media_type"', b'"amount":1.5,"media_type"')
    err = rejection(ledger, data)
    assert (err.rule, err.pointer) == ("no-floats", "/body/amount")


def test_oversize_entry_is_rejected(ledger: Ledger, stamper: SigningKey) -> None:
    env = stamp(stamper)
    env["body"]["media_type"] = "text/" + "x" * MAX_SUBMITTED_BYTES
    assert rejection(ledger, env).rule == "too-large"


def test_replayed_nonce_is_rejected_even_after_restart(
    open_test_ledger: LedgerFactory, stamper: SigningKey
) -> None:
    ledger = open_test_ledger()
    env = stamp(stamper, 1)
    submit(ledger, env)
    assert rejection(ledger, env).rule == "replayed-nonce"
    # Same nonce, different content: still a replay for this actor.
    again = stamp(stamper, 2, nonce=env["nonce"])
    again = make_envelope(stamper, ORIGIN, "evidence.stamp", again["body"], nonce=env["nonce"],
                          created_ms=T0)
    assert rejection(ledger, again).rule == "replayed-nonce"
    ledger.close()
    ledger.store.close()
    reopened = open_test_ledger()
    assert rejection(reopened, env).rule == "replayed-nonce"
    # Another actor may use the same nonce.
    other = make_envelope(SigningKey.generate(), ORIGIN, "evidence.stamp", env["body"],
                          nonce=env["nonce"], created_ms=T0)
    assert submit(reopened, other).index == 1


def test_concurrent_duplicates_only_one_wins(ledger: Ledger, stamper: SigningKey) -> None:
    data = raw(stamp(stamper, 7))
    futures = ledger.submit_many([data] * 20)
    outcomes = [f.exception(timeout=10) for f in futures]
    assert sum(o is None for o in outcomes) == 1
    assert all(o.rule == "replayed-nonce" for o in outcomes if o is not None)
    assert ledger.store.tree_size() == 1


def test_replay_window(ledger: Ledger, stamper: SigningKey, clock: FakeClock) -> None:
    window = ledger.sequencer.window
    err = rejection(ledger, stamp(stamper, 1, created_ms=T0 - window.past_ms - 1))
    assert (err.rule, err.pointer) == ("stale-created", "/created")
    err = rejection(ledger, stamp(stamper, 2, created_ms=T0 + window.future_ms + 1))
    assert err.rule == "future-created"
    assert submit(ledger, stamp(stamper, 3, created_ms=T0 - window.past_ms)).index == 0


def test_ledger_time_is_monotonic_when_the_clock_goes_back(
    ledger: Ledger, stamper: SigningKey, clock: FakeClock
) -> None:
    first = submit(ledger, stamp(stamper, 1))
    clock.now_ms = T0 - 60_000
    second = submit(ledger, stamp(stamper, 2, created_ms=T0 - 60_000))
    assert second.time_ms >= first.time_ms
    clock.now_ms = T0 + 5_000
    third = submit(ledger, stamp(stamper, 3))
    assert third.time_ms == T0 + 5_000


def test_group_commit_batches_many_entries(ledger: Ledger, stamper: SigningKey) -> None:
    raws = [raw(stamp(stamper, n)) for n in range(2000)]
    results = [f.result(timeout=30) for f in ledger.submit_many(raws)]
    assert sorted(r.index for r in results) == list(range(2000))
    assert ledger.sequencer.batches < 200, "entries were not grouped into batches"
    ledger.wait_for_checkpoint(2000, timeout=10)
    for i in (0, 255, 256, 1999):
        verify_receipt(ledger.receipt(i), [NoteSigner(ORIGIN, ledger.note_signer.key).verifier()])


def test_checkpoints_are_rate_limited_and_consistent(
    open_test_ledger: LedgerFactory, stamper: SigningKey
) -> None:
    ledger = open_test_ledger(checkpoint_interval_s=0.1)
    seen: list = []
    ledger.checkpoints.add_listener(seen.append)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            ledger.submit(raw(stamp(stamper, n))).result(timeout=10)
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    stop.wait(1.0)
    stop.set()
    t.join()
    ledger.wait_for_checkpoint(ledger.sequencer.tree_size, timeout=5)
    times = [c for c in seen]
    assert 3 <= len(times) <= 13, f"{len(times)} checkpoints in ~1 s at a 100 ms interval"
    sizes = [c.tree_size for c in seen]
    assert sizes == sorted(sizes)
    latest = seen[-1]
    new_root = Checkpoint.parse(latest.note.split("\n\n")[0] + "\n").root_hash
    for cp in seen[:-1]:
        old_root = Checkpoint.parse(cp.note.split("\n\n")[0] + "\n").root_hash
        proof = ledger.consistency_proof(cp.tree_size, latest.tree_size)
        verify_consistency(cp.tree_size, latest.tree_size, old_root, new_root, proof)


def test_restart_keeps_tree_and_serves_latest_checkpoint(
    open_test_ledger: LedgerFactory, stamper: SigningKey
) -> None:
    ledger = open_test_ledger()
    for f in ledger.submit_many([raw(stamp(stamper, n)) for n in range(300)]):
        f.result(timeout=10)
    ledger.wait_for_checkpoint(300, timeout=5)
    root = ledger.store.root_hash()
    ledger.close()
    ledger.store.close()
    again = open_test_ledger()
    assert again.tree_size() == 300 and again.store.root_hash() == root
    assert submit(again, stamp(stamper, 300)).index == 300


def test_storage_failure_rejects_batch_and_recovers(
    ledger: Ledger, stamper: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(ledger, stamp(stamper, 0))
    real_append = ledger.store.append

    def broken(batch) -> None:
        raise StorageError("disk I/O error (injected)")

    monkeypatch.setattr(ledger.store, "append", broken)
    err = rejection(ledger, stamp(stamper, 1))
    assert (err.rule, err.status) == ("unavailable", 503)
    monkeypatch.setattr(ledger.store, "append", real_append)
    # The same entry may be retried once storage is back: its nonce was never recorded.
    assert submit(ledger, stamp(stamper, 1)).index == 1
    assert submit(ledger, stamp(stamper, 2)).index == 2
    ledger.wait_for_checkpoint(3, timeout=5)
    verify_receipt(ledger.receipt(2), [ledger.note_signer.verifier()])


def test_endorsements_are_verified(ledger: Ledger, stamper: SigningKey) -> None:
    endorser = SigningKey.generate()
    env = make_envelope(stamper, ORIGIN, "evidence.stamp", {"sha256": "a" * 64},
                        created_ms=T0, endorsers=[endorser])
    assert submit(ledger, env).index == 0
    bad = make_envelope(stamper, ORIGIN, "evidence.stamp", {"sha256": "b" * 64},
                        created_ms=T0, endorsers=[endorser])
    bad["endorsements"][0]["sig"] = b64url_encode(endorser.sign(b"something else"))
    # Re-sign the outer envelope so that only the endorsement is wrong.
    bad["sig"] = b64url_encode(stamper.sign(signing_payload(bad)))
    err = rejection(ledger, bad)
    assert (err.rule, err.pointer) == ("bad-signature", "/endorsements/0/sig")


def test_spliced_entries_equal_canonical_json(stamper: SigningKey) -> None:
    """The sequencer's byte splicing gives exactly canonicalize(envelope + seq)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ipledger.ledger.envelope import signing_payload
    from ipledger.ledger.validation import Validator, splice_seq
    from ipledger.node import entry_types

    validator = Validator(ORIGIN, entry_types())
    endorser = SigningKey.from_seed(b"\x05" * 32)

    @settings(max_examples=60, deadline=None)
    @given(n=st.integers(0, 2**40), index=st.integers(0, 2**53 - 1),
           media=st.sampled_from([None, "text/plain", "image/svg+xml"]),
           endorsed=st.booleans())
    def check(n: int, index: int, media: str | None, endorsed: bool) -> None:
        body = {"sha256": f"{n:064x}"} | ({"media_type": media} if media else {})
        env = make_envelope(stamper, ORIGIN, "evidence.stamp", body, created_ms=T0,
                            endorsers=[endorser] if endorsed else [])
        v = validator.validate(raw(env))
        time = "2026-09-21T14:13:20.123Z"
        assert splice_seq(v, index, time) == canonicalize(
            {**env, "seq": {"index": index, "time": time}})
        off = v.seq_offset
        assert v.raw[:off] + v.raw[off + len(env["sig"]) + 9 :] == signing_payload(env)

    check()


def test_validation_in_worker_processes(open_test_ledger: LedgerFactory,
                                        stamper: SigningKey) -> None:
    ledger = open_test_ledger(validation_processes=True, workers=2)
    good = [raw(stamp(stamper, n)) for n in range(300)]
    bad = raw(stamp(stamper, 999, ledger="elsewhere.example/log"))
    futures = ledger.submit_many([*good, bad])
    assert sorted(f.result(timeout=60).index for f in futures[:-1]) == list(range(300))
    err = futures[-1].exception(timeout=60)
    assert isinstance(err, Rejection)
    assert (err.rule, err.pointer) == ("wrong-ledger", "/ledger")


@pytest.mark.parametrize(("n", "workers"),
                         [(0, 2), (1, 2), (15, 2), (600, 2), (10_000, 2), (10_000, 8)])
def test_validation_chunks_cover_every_entry_once_small_first(n: int, workers: int) -> None:
    chunks = list(validation_chunks(n, workers))
    assert [i for start, end in chunks for i in range(start, end)] == list(range(n))
    if n:
        assert chunks[0][1] - chunks[0][0] == min(16, n)  # the sequencer starts early
        assert max(end - start for start, end in chunks) <= max(16, min(256, n // workers + 1))
