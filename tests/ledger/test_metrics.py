"""The ledger's own metrics registry: entry families, rejections, backlog, checkpoint lag."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ipledger.ledger import Ledger, Rejection, ReplayWindow
from ipledger.ledger.metrics import entry_family
from ipledger.ledger.validation import Validator
from ipledger.ledger.validation_pool import Outcome, ValidationPool
from ipledger.node import init_node
from ipledger.services.evidence import EvidenceStamp
from tests.conftest import ORIGIN, T0, FakeClock, LedgerFactory, raw, stamp
from tests.registry.conftest import ORIGIN as REGISTRY_ORIGIN
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import Office, file_trademark, ms


def samples(ledger: Ledger, name: str) -> dict[frozenset[tuple[str, str]], float]:
    text = generate_latest(ledger.metrics.registry).decode()
    return {frozenset(s.labels.items()): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == name}


def rejections(ledger: Ledger) -> dict[str, float]:
    return {dict(labels)["rule"]: v
            for labels, v in samples(ledger, "ipledger_rejections_total").items()}


def test_entry_family_is_the_type_prefix() -> None:
    assert entry_family("right.file") == "right"
    assert entry_family("system.right_event") == "system"
    assert entry_family("evidence.stamp") == "evidence"


def test_rejections_are_counted_where_they_are_decided(open_test_ledger: LedgerFactory,
                                                       stamper, clock: FakeClock) -> None:
    ledger = open_test_ledger(window=ReplayWindow(past_ms=60_000, future_ms=60_000))
    ok = raw(stamp(stamper, 1))
    ledger.submit(ok).result(timeout=10)
    outcomes = [ledger.submit(r) for r in (
        ok,                                                   # sequencer: replayed nonce
        raw(stamp(stamper, 2, created_ms=T0 - 120_000)),      # sequencer: stale
        raw(stamp(stamper, 3, created_ms=T0 + 120_000)),      # sequencer: future
        raw(stamp(stamper, 4, ledger="other.example/log")),   # validation: wrong ledger
        b"{not json",                                         # validation: invalid JSON
    )]
    rules = [f.exception(timeout=10).rule for f in outcomes]  # type: ignore[union-attr]
    assert rules == ["replayed-nonce", "stale-created", "future-created", "wrong-ledger",
                     "invalid-json"]
    assert rejections(ledger) == dict.fromkeys(rules, 1.0)
    assert ledger.rejections["wrong-ledger"] == 1  # the older per-ledger tally still holds
    # Counting the same rejection again (as the API's problem handler does) changes nothing.
    again = outcomes[0].exception()
    assert isinstance(again, Rejection) and again.counted
    ledger.metrics.rejected(again)
    assert rejections(ledger)["replayed-nonce"] == 1
    assert samples(ledger, "ipledger_entries_appended_total") == {
        frozenset({("family", "evidence")}): 1.0}


def test_register_entries_are_counted_by_family(tmp_path: Path) -> None:
    init_node(tmp_path / "node", REGISTRY_ORIGIN)
    clock = FakeClock(ms("2026-09-21"))
    node = Node(tmp_path / "node", clock)
    try:
        office = Office(node)  # office.register, 3 x party.register, 2 x role.grant
        number = file_trademark(office)  # right.file, right.disclose
        office.act(office.examiner, number, "check_formalities")
        office.act(office.examiner, number, "start_examination")
        office.act(office.registrar, number, "publish", attest=["examination_passed"])
        office.tick("2026-12-23")  # party.update; registration falls due: one system entry
        refused = office.refuse(office.applicant, number, "renew",
                                payment={"amount": 1, "currency": "EUR"})
        counted = {dict(labels)["family"]: v for labels, v in
                   samples(node.ledger, "ipledger_entries_appended_total").items()}
        assert counted == {"office": 1, "party": 4, "role": 2, "right": 5, "system": 1}
        assert sum(counted.values()) == node.ledger.store.tree_size()
        assert rejections(node.ledger) == {refused.rule: 1}  # a register rule's refusal
    finally:
        node.close()


class _Gate(Validator):
    """Validation that waits for a gate: work piles up in the pool."""

    def __init__(self) -> None:
        super().__init__(ORIGIN, {"evidence.stamp": EvidenceStamp()})
        self.gate = threading.Event()

    def validate_many(self, raws: Sequence[bytes]) -> list[Outcome]:
        self.gate.wait(10)
        return super().validate_many(raws)


def test_validation_backlog_counts_entries_in_flight() -> None:
    validator = _Gate()
    pool = ValidationPool(validator, workers=1, processes=False)
    try:
        done = [pool.submit([b"a", b"b", b"c"]), pool.submit([b"d"])]
        assert pool.backlog() == 4
        validator.gate.set()
        for f in done:
            f.result(timeout=10)
        assert pool.backlog() == 0
    finally:
        pool.shutdown()


def test_queue_depth_and_checkpoint_lag_gauges(open_test_ledger: LedgerFactory,
                                               stamper) -> None:
    ledger = open_test_ledger()
    assert samples(ledger, "ipledger_sequencer_queue_depth") == {frozenset(): 0.0}
    ledger.submit(raw(stamp(stamper, 1))).result(timeout=10)
    ledger.wait_for_checkpoint(1, timeout=10)
    assert samples(ledger, "ipledger_checkpoint_lag_seconds") == {frozenset(): 0.0}
    assert samples(ledger, "ipledger_tree_size") == {frozenset(): 1.0}
    ledger.checkpoints.stop()  # nothing signs any more: the next entry waits
    ledger.submit(raw(stamp(stamper, 2))).result(timeout=10)
    now = ledger.checkpoints.published_at + 100
    assert 99 < ledger.checkpoints.lag_s(now) <= 100
    (lag,) = samples(ledger, "ipledger_checkpoint_lag_seconds").values()
    assert lag > 0
    assert samples(ledger, "ipledger_checkpoint_tree_size") == {frozenset(): 1.0}
    assert samples(ledger, "ipledger_tree_size") == {frozenset(): 2.0}
