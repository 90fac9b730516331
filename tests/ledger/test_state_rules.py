"""The sequencer runs state rules in log order, atomically with the batch's entries."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

import pytest

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import SigningKey, open_note
from ipledger.ledger import Ledger, Rejection, make_envelope, verify_receipt
from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.ledger.sequencer import OrderedBatch, Sequenced
from ipledger.ledger.state import SYSTEM_ACTOR
from ipledger.log import Checkpoint
from ipledger.node import entry_types
from ipledger.storage.base import StateWrite, StorageError
from ipledger.storage.sqlite import SQLiteStore
from tests.conftest import ORIGIN, T0, FakeClock

LIMIT = 100
ALERT_AT = 50


class CounterType:
    """A toy entry family: ``counter.add {"name", "amount"}``."""

    name = "counter.add"

    def check_body(self, body: Mapping[str, Any]) -> None:
        if set(body) != {"name", "amount"} or type(body["amount"]) is not int:
            raise Rejection("invalid-value", "need name and integer amount", "/body")

    def index_keys(self, body: Mapping[str, Any]) -> list[bytes]:
        return []


def commitment(records: Mapping[str, bytes]) -> bytes:
    return hashlib.sha256(canonicalize({k: v.decode() for k, v in records.items()})).digest()


class CounterBatch:
    def __init__(self, rules: CounterRules, time_ms: int) -> None:
        self.rules, self.time_ms = rules, time_ms
        self.changes: dict[str, bytes | None] = {}

    def _total(self, name: str) -> int:
        raw = self.changes.get(f"counter:{name}", self.rules.records.get(f"counter:{name}"))
        return parse_json(raw)["total"] if raw else 0

    def due_entries(self) -> list[dict[str, Any]]:
        due = []
        for record_id in sorted({*self.rules.records, *self.changes}):
            name = record_id.removeprefix("counter:")
            alerted = f"alert:{name}" in self.rules.records or f"alert:{name}" in self.changes
            if record_id.startswith("counter:") and self._total(name) >= ALERT_AT and not alerted:
                due.append({"v": 1, "ledger": ORIGIN, "type": "system.counter_alert",
                            "actor": SYSTEM_ACTOR, "body": {"name": name}})
        return due

    def apply(self, entry: Mapping[str, Any], index: int) -> list[bytes]:
        body = entry["body"]
        if entry["type"] == "system.counter_alert":
            self.changes[f"alert:{body['name']}"] = b'{"at":%d}' % index
            return []
        total = self._total(body["name"]) + body["amount"]
        if total > LIMIT:
            raise Rejection("invalid-value", f"counter would reach {total} > {LIMIT}",
                            "/body/amount")
        self.changes[f"counter:{body['name']}"] = canonicalize({"total": total})
        return [b"counter:" + body["name"].encode()]

    def finish(self) -> StateWrite:
        merged = {**self.rules.records, **{k: v for k, v in self.changes.items() if v}}
        return StateWrite(records=dict(self.changes), nodes=[], root=commitment(merged))


class CounterRules:
    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.records: dict[str, bytes] = {}
        self.stored = 0

    def handles(self, entry_type: str) -> bool:
        return entry_type.startswith("counter.")

    def begin(self, time_ms: int) -> CounterBatch:
        return CounterBatch(self, time_ms)

    def applied(self, write: StateWrite) -> None:
        self.records.update({k: v for k, v in write.records.items() if v is not None})

    def durable(self, write: StateWrite) -> None:
        self.stored += 1

    def reset(self) -> None:
        self.records = {}
        for record_id in self.store.record_ids(""):
            raw = self.store.read_record(record_id)
            assert raw is not None
            self.records[record_id] = raw

    def root(self) -> bytes:
        return commitment(self.records)

    def close(self) -> None:
        pass


@pytest.fixture
def counter_ledger(tmp_path, clock: FakeClock, log_key: SigningKey):
    store = SQLiteStore(tmp_path / "state.sqlite")
    rules = CounterRules(store)
    types = {**entry_types(), "counter.add": CounterType()}
    ledger = Ledger(store, ORIGIN, log_key, types, clock_ms=clock, checkpoint_interval_s=0.01,
                    rules=rules).start()
    yield ledger, rules, store
    ledger.close()
    store.close()


def add(key: SigningKey, name: str, amount: int, n: int) -> bytes:
    return canonicalize(make_envelope(key, ORIGIN, "counter.add", {"name": name, "amount": amount},
                                      nonce=f"counter-{n:04d}", created_ms=T0))


def test_rules_accept_reject_and_commit_with_the_batch(counter_ledger, stamper) -> None:
    ledger, _rules, store = counter_ledger
    assert ledger.submit(add(stamper, "a", 30, 1)).result(5).index == 0
    with pytest.raises(Rejection) as info:
        ledger.submit(add(stamper, "a", 80, 2)).result(5)
    assert (info.value.rule, info.value.pointer) == ("invalid-value", "/body/amount")
    assert store.tree_size() == 1
    assert parse_json(store.read_record("counter:a")) == {"total": 30}
    # The refused entry's nonce was not consumed: the actor may use it for a valid entry.
    assert ledger.submit(add(stamper, "a", 10, 2)).result(5).index == 1
    assert store.lookup_key(b"counter:a") == [0, 1]


def test_due_system_entries_precede_the_next_entry(counter_ledger, stamper, log_key) -> None:
    ledger, _rules, store = counter_ledger
    ledger.submit(add(stamper, "b", 60, 1)).result(5)  # crosses ALERT_AT
    seq = ledger.submit(add(stamper, "b", 1, 2)).result(5)
    assert seq.index == 2, "a system entry should have been sequenced first"
    system = parse_json(store.read_entries(1, 2)[0])
    assert system["type"] == "system.counter_alert"
    assert system["actor"] == SYSTEM_ACTOR
    assert "sig" not in system
    ledger.wait_for_checkpoint(3, timeout=5)
    receipt = ledger.receipt(1)
    verify_receipt(receipt, [ledger.note_signer.verifier()])
    # Only once: the alert is now part of the state.
    assert ledger.submit(add(stamper, "b", 1, 3)).result(5).index == 3


def test_checkpoints_commit_to_the_state_root(counter_ledger, stamper) -> None:
    ledger, rules, store = counter_ledger
    for n in range(5):
        ledger.submit(add(stamper, f"c{n}", n, n)).result(5)
    cp = ledger.wait_for_checkpoint(5, timeout=5)
    body = Checkpoint.parse(open_note(cp.note, [ledger.note_signer.verifier()]).text)
    assert checkpoint_state_root(body) == rules.root() == store.state_root_at(5)


def test_storage_failure_leaves_rules_state_untouched(counter_ledger, stamper,
                                                      monkeypatch) -> None:
    ledger, rules, store = counter_ledger
    ledger.submit(add(stamper, "d", 5, 1)).result(5)
    before = store.state_root_at(1)

    def broken(batch) -> None:
        raise StorageError("injected")

    monkeypatch.setattr(store, "append", broken)
    with pytest.raises(Rejection):
        ledger.submit(add(stamper, "d", 5, 2)).result(5)
    assert (store.tree_size(), store.state_root_at(1)) == (1, before)
    monkeypatch.undo()
    # The refused batch's +5 is forgotten: the next entry is judged on the stored state.
    ledger.submit(add(stamper, "d", 5, 2)).result(5)
    assert parse_json(store.read_record("counter:d")) == {"total": 10}
    assert rules.root() == store.state_root_at(2)


def test_a_batch_built_on_one_that_fails_to_store_is_judged_again(
        counter_ledger, stamper, monkeypatch) -> None:
    """Batch N+1 is applied while N is written. When N fails, N+1 must not be refused for
    what N did (a total over the limit) nor stored on top of it: it is applied again."""
    ledger, rules, store = counter_ledger
    real_append, real_apply = store.append, CounterBatch.apply
    writing, judged_on_n = threading.Event(), threading.Event()
    totals_seen: list[int] = []  # the total each attempt at the +80 entry started from

    def apply(batch: CounterBatch, entry: Mapping[str, Any], index: int) -> list[bytes]:
        if entry["body"].get("amount") == 80:
            totals_seen.append(batch._total("e"))
            try:
                return real_apply(batch, entry, index)
            finally:
                judged_on_n.set()
        return real_apply(batch, entry, index)

    def append_failing_once(batch) -> None:
        if batch.first_index == 0 and not judged_on_n.is_set():
            writing.set()
            assert judged_on_n.wait(10), "batch N+1 was never applied on top of N"
            raise StorageError("injected after N+1 was applied on N")
        real_append(batch)

    monkeypatch.setattr(CounterBatch, "apply", apply)
    monkeypatch.setattr(store, "append", append_failing_once)
    first = ledger.submit(add(stamper, "e", 30, 1))
    assert writing.wait(10)  # N is with the writer
    second = ledger.submit(add(stamper, "e", 80, 2))  # over the limit on top of N's 30
    with pytest.raises(Rejection) as info:
        first.result(10)
    assert info.value.rule == "unavailable"
    assert second.result(10).index == 0  # judged again on the stored state
    assert totals_seen == [30, 0]
    assert parse_json(store.read_record("counter:e")) == {"total": 80}
    assert store.tree_size() == 1 and rules.root() == store.state_root_at(1)


def test_replay_reproduces_every_state_root(counter_ledger, stamper, clock) -> None:
    from ipledger.ledger.replay import replay

    ledger, rules, store = counter_ledger
    n = 0
    for step in range(6):
        clock.now_ms += 1000
        futures = ledger.submit_many([add(stamper, name, 7 + step, n + i)
                                      for i, name in enumerate(["x", "y", "z", "x"])])
        n += 4
        for f in futures:
            f.exception(5)  # some are refused once a counter passes LIMIT
        ledger.submit(canonicalize(make_envelope(stamper, ORIGIN, "evidence.stamp",
                                                 {"sha256": f"{step:064x}"},
                                                 created_ms=T0))).result(5)
    ledger.wait_for_checkpoint(store.tree_size(), timeout=5)
    systems = [parse_json(e)["type"] for e in store.read_entries(0, store.tree_size())]
    assert "system.counter_alert" in systems
    report = replay(store, CounterRules)
    assert report.ok, report.problems
    assert report.final_root == rules.root()
    assert report.roots_compared == len(store.state_root_sizes())


def test_replay_detects_a_tampered_state(counter_ledger, stamper) -> None:
    import sqlite3

    from ipledger.ledger.replay import replay

    ledger, _rules, store = counter_ledger
    for n in range(3):
        ledger.submit(add(stamper, "t", 20, n)).result(5)
    size = store.tree_size()
    db = sqlite3.connect(store.path)
    db.execute("UPDATE state_roots SET root = ? WHERE size = ?", (b"\x00" * 32, size))
    db.commit()
    db.close()
    report = replay(store, CounterRules)
    assert not report.ok
    assert report.problems == [f"state root after entry {size - 1} differs from the recorded one"]


@pytest.mark.parametrize("table", ["records", "record_versions"])
def test_replay_detects_a_record_edited_in_place(counter_ledger, stamper, table) -> None:
    """The roots can stay intact while a served record is edited: replay compares both."""
    import sqlite3

    from ipledger.ledger.replay import replay

    ledger, _rules, store = counter_ledger
    for n in range(3):
        ledger.submit(add(stamper, "t", 2, n)).result(5)
    assert replay(store, CounterRules).ok
    db = sqlite3.connect(store.path)
    db.execute(f"UPDATE {table} SET data = ? WHERE id = 'counter:t'",
               (b'{"total":999}',))
    db.commit()
    db.close()
    report = replay(store, CounterRules)
    assert report.problems == ["record counter:t differs from the one the log derives"]


def test_a_cancelled_submitter_does_not_stop_the_sequencer(counter_ledger, stamper,
                                                          monkeypatch) -> None:
    """A submitter may cancel its future while its batch is written (asyncio.wrap_future
    does when the awaiting request is cancelled); the other entries are still answered."""
    ledger, _rules, store = counter_ledger
    real_append = store.append
    writing, release = threading.Event(), threading.Event()

    def slow_first_append(batch) -> None:
        if batch.first_index == 0:
            writing.set()
            assert release.wait(10)
        real_append(batch)

    monkeypatch.setattr(store, "append", slow_first_append)
    first = ledger.submit(add(stamper, "f", 1, 1))
    assert writing.wait(10) and first.cancel()
    second = ledger.submit(add(stamper, "f", 1, 2))  # applied on the first while it is written
    release.set()
    assert second.result(10).index == 1
    assert ledger.submit(add(stamper, "f", 1, 3)).result(10).index == 2
    assert parse_json(store.read_record("counter:f")) == {"total": 3}
    assert ledger.sequencer.running()


def test_a_failing_commit_listener_leaves_the_batch_durable(counter_ledger, stamper) -> None:
    ledger, _rules, store = counter_ledger
    calls: list[int] = []

    def listener(size: int, root: bytes, state_root: bytes | None) -> None:
        calls.append(size)
        if len(calls) == 1:
            raise RuntimeError("listener bug (injected)")

    ledger.add_commit_listener(listener)
    assert ledger.submit(add(stamper, "g", 1, 1)).result(10).index == 0
    assert ledger.submit(add(stamper, "g", 1, 2)).result(10).index == 1
    assert calls == [1, 2] and store.tree_size() == 2 and ledger.sequencer.running()


def test_a_store_outage_refuses_batches_until_the_store_answers(counter_ledger, stamper,
                                                                monkeypatch) -> None:
    """Reads fail too (a lost connection): the batch is refused, the sequencer reloads its
    state from the store once it answers again, and goes on."""
    ledger, rules, store = counter_ledger
    ledger.submit(add(stamper, "h", 1, 1)).result(10)
    down = threading.Event()
    down.set()
    for name in ("seen_nonces", "tree_size"):
        real = getattr(store, name)

        def failing(*args: Any, _real: Any = real) -> Any:
            if down.is_set():
                raise StorageError("connection lost (injected)")
            return _real(*args)

        monkeypatch.setattr(store, name, failing)
    with pytest.raises(Rejection) as info:
        ledger.submit(add(stamper, "h", 1, 2)).result(10)
    assert info.value.rule == "unavailable"
    down.clear()
    assert ledger.submit(add(stamper, "h", 1, 2)).result(10).index == 1
    assert parse_json(store.read_record("counter:h")) == {"total": 2}
    assert rules.root() == store.state_root_at(2) and ledger.sequencer.running()


def test_a_stream_batch_that_fails_to_store_is_retried_in_stream_order(
        counter_ledger, stamper, monkeypatch) -> None:
    """A shared ledger's batches come in stream order (enqueue_ordered): one that fails to
    store is written again before the next, never skipped (the node would diverge)."""
    ledger, _rules, store = counter_ledger
    real_append = store.append
    writing, release = threading.Event(), threading.Event()
    attempts: list[int] = []

    def failing_once(batch) -> None:
        attempts.append(batch.first_index)
        if len(attempts) == 1:
            writing.set()
            assert release.wait(10)
            raise StorageError("disk I/O error (injected)")
        real_append(batch)

    def stream_batch(amount: int, n: int, seq: int) -> tuple[OrderedBatch, Future[Sequenced]]:
        fut: Future[Sequenced] = Future()
        entry = ledger.validator.validate(add(stamper, "s", amount, n))
        return OrderedBatch([(entry, fut)], T0, {"stream.seq": str(seq)}), fut

    monkeypatch.setattr(store, "append", failing_once)
    first, first_done = stream_batch(30, 1, 1)
    second, second_done = stream_batch(80, 2, 2)  # over the limit once the first is in
    ledger.sequencer.enqueue_ordered(first)
    assert writing.wait(10)
    ledger.sequencer.enqueue_ordered(second)  # applied on the first while it is written
    release.set()
    assert first_done.result(10).index == 0  # written on the second attempt
    with pytest.raises(Rejection) as info:
        second_done.result(10)
    assert info.value.rule == "invalid-value"  # judged after the first, as on every node
    assert parse_json(store.read_record("counter:s")) == {"total": 30}
    assert store.get_meta("stream.seq") == "1" and attempts == [0, 0]


def test_a_stream_batch_whose_rules_fail_is_tried_again_not_skipped(
        counter_ledger, stamper, monkeypatch) -> None:
    """An outage inside the rules (not a refusal) fails a local batch with ``unavailable``,
    but a shared ledger's stream batch is kept, in stream order, until it goes through."""
    ledger, rules, store = counter_ledger
    real_begin = rules.begin
    failures = [RuntimeError("the state tree's worker is gone (injected)")] * 2

    def failing_begin(time_ms: int) -> CounterBatch:
        if failures:
            raise failures.pop()
        return real_begin(time_ms)

    monkeypatch.setattr(rules, "begin", failing_begin)
    with pytest.raises(Rejection) as info:
        ledger.submit(add(stamper, "s", 5, 1)).result(10)
    assert info.value.rule == "unavailable"
    first, second = Future(), Future()
    for fut, amount, n, seq in ((first, 10, 2, 1), (second, 20, 3, 2)):
        entry = ledger.validator.validate(add(stamper, "s", amount, n))
        ledger.sequencer.enqueue_ordered(OrderedBatch([(entry, fut)], T0, {"stream.seq": str(seq)}))
    assert first.result(10).index < second.result(10).index  # stored, in stream order
    assert parse_json(store.read_record("counter:s")) == {"total": 30}
    assert store.get_meta("stream.seq") == "2"
