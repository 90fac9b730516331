"""The state tree in a worker process (registry/tree_process.py): the same roots, proofs and
refusals as the tree in the sequencer's thread, and no broken state when the worker dies or
a batch fails to store after the worker stored its nodes."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from ipledger.ledger import Rejection
from ipledger.ledger.sequencer import OrderedBatch, Sequenced
from ipledger.node import init_node
from ipledger.registry.engine import RegistryRules, replay_register
from ipledger.registry.smt import StateTree
from ipledger.registry.tree_nodes import StoreNodes
from ipledger.registry.tree_process import TreeProcess
from ipledger.storage.base import StorageError
from ipledger.storage.sqlite import SQLiteStore
from tests.conftest import T0, FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.registry.flaky_store import OpenFirstNodeWriteFails

# The extract and lifecycle tests again, on this module's node (tree in a process).
from tests.registry.test_extracts import (  # noqa: F401
    client,
    test_absence_is_proven_and_cannot_be_faked,
    test_extract_as_of_an_earlier_checkpoint_and_date,
    test_party_extract_verifies_offline_with_history,
)
from tests.registry.test_rights_lifecycle import (  # noqa: F401
    Office,
    file_trademark,
    ms,
    test_forbidden_actions_say_why,
    test_trademark_from_filing_to_lapse,
    test_us_patent_maintenance_fees,
)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    init_node(tmp_path / "node", ORIGIN)
    n = Node(tmp_path / "node", FakeClock(T0), tree_process=True)
    yield n
    n.close()


@pytest.fixture(name="office")
def office_fixture(node: Node) -> Office:
    node.clock.now_ms = ms("2026-09-21")
    return Office(node)


def tree_of(node: Node) -> TreeProcess:
    rules = node.ledger.rules
    assert isinstance(rules, RegistryRules) and isinstance(rules.tree, TreeProcess)
    return rules.tree


def registered_trademark(office: Office) -> str:
    number = file_trademark(office)
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    office.act(office.registrar, number, "publish", attest=["examination_passed"])
    office.tick("2026-12-23")  # the opposition period ends: registration, a time event
    assert office.right(number)["state"] == "registered"
    return number


def assert_replays(node: Node) -> None:
    report = replay_register(node.ledger.store, ORIGIN)
    assert report.ok, report.problems[:3]
    assert report.final_root == node.ledger.rules.root()


def test_roots_equal_the_inline_tree_s_on_replay(office: Office, node: Node) -> None:
    registered_trademark(office)
    file_trademark(office, classes=(9, 30))
    assert node.ledger.store.state_root_sizes()  # the roots were stored with their batches
    assert_replays(node)
    waits = node.ledger.metrics.registry.get_sample_value(
        "ipledger_state_root_wait_seconds_count")
    assert waits == node.ledger.sequencer.batches > 0  # one wait per committed batch


def test_a_killed_worker_fails_at_most_one_batch_then_a_new_one_takes_over(
        office: Office, node: Node) -> None:
    first = registered_trademark(office)
    pid = tree_of(node).worker_pid()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    outcomes = []
    for day in ("2027-01-05", "2027-01-06", "2027-01-07"):
        try:
            office.tick(day)
            outcomes.append("stored")
        except Rejection as exc:
            outcomes.append(exc.rule)
    assert outcomes[-1] == "stored" and outcomes.count("unavailable") <= 1, outcomes
    assert set(outcomes) <= {"stored", "unavailable"}, outcomes
    assert tree_of(node).worker_pid() != pid
    file_trademark(office)
    assert office.right(first)["state"] == "registered"
    assert_replays(node)


def test_a_batch_that_fails_to_store_after_its_nodes_changes_nothing(
        office: Office, node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    number = registered_trademark(office)
    store = node.ledger.store
    size, root = store.tree_size(), node.ledger.rules.root()
    real_append = store.append
    monkeypatch.setattr(store, "append", lambda batch: (_ for _ in ()).throw(
        StorageError("disk I/O error (injected)")))
    with pytest.raises(Rejection) as refused:  # renewal window opens (a time event) + update
        office.tick("2036-04-01")
    assert refused.value.rule == "unavailable"
    assert store.tree_size() == size and store.state_root_at(size) == root
    assert office.right(number)["state"] == "registered"
    monkeypatch.setattr(store, "append", real_append)
    office.tick("2036-04-02")
    assert office.right(number)["state"] == "renewal_due"
    assert node.ledger.rules.root() != root
    assert_replays(node)


def test_closing_the_ledger_ends_the_worker(tmp_path: Path) -> None:
    init_node(tmp_path / "node", ORIGIN)
    node = Node(tmp_path / "node", FakeClock(T0), tree_process=True)
    pid = tree_of(node).worker_pid()
    node.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"the tree worker {pid} outlived its ledger")


def test_on_postgresql_the_worker_stores_the_nodes_of_each_root(
        tmp_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    init_node(tmp_path / "node", ORIGIN, store=postgres_dsn)
    node = Node(tmp_path / "node", FakeClock(T0), tree_process=True)
    try:
        node.clock.now_ms = ms("2026-09-21")
        office = Office(node)
        number = registered_trademark(office)
        store = node.ledger.store
        monkeypatch.setattr(store, "append", lambda batch: (_ for _ in ()).throw(
            StorageError("connection lost (injected)")))
        with pytest.raises(Rejection):
            office.tick("2036-04-01")
        monkeypatch.undo()
        office.tick("2036-04-02")
        assert office.right(number)["state"] == "renewal_due"
        assert_replays(node)
    finally:
        node.close()


def test_a_stream_batch_goes_through_after_the_worker_died_between_batches(
        office: Office, node: Node) -> None:
    os.kill(tree_of(node).worker_pid(), signal.SIGKILL)
    time.sleep(0.5)
    size = node.ledger.store.tree_size()
    entry = node.ledger.validator.validate(
        node.envelope(office.applicant, "party.update", {"address": "Calle Mayor 1"}))
    done: Future[Sequenced] = Future()
    node.ledger.sequencer.enqueue_ordered(
        OrderedBatch([(entry, done)], node.clock.now_ms, {"stream.seq": "7"}))
    assert done.result(30).index == size  # never skipped: the node would diverge
    assert node.ledger.store.get_meta("stream.seq") == "7"
    assert_replays(node)


def test_updates_built_on_nodes_that_failed_to_store_fail_until_the_reset(
        tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    SQLiteStore(path).close()
    k1, k2, v1, v2 = (hashlib.sha256(x).digest() for x in (b"k1", b"k2", b"v1", b"v2"))
    tree = TreeProcess(OpenFirstNodeWriteFails(path), None)
    try:
        first = tree.write({}, {k1: v1}, 10)
        tree.applied()
        second = tree.write({}, {k2: v2}, 20)  # queued behind the first, built on it
        tree.applied()
        assert first.pending_root is not None and second.pending_root is not None
        with pytest.raises(StorageError):
            first.pending_root.result(60)
        with pytest.raises(RuntimeError, match="waits for a reset"):
            second.pending_root.result(60)
        tree.reset(None)  # as the rules do once the first batch failed to store
        again = tree.write({}, {k1: v1, k2: v2}, 20)
        tree.applied()
        assert again.pending_root is not None
        root = again.pending_root.result(60)
    finally:
        tree.close()
    store = SQLiteStore(path)
    try:  # every node under the root is stored: nothing was built on the lost nodes
        state = StateTree(StoreNodes(store, root))
        assert state.get(k1, 0) == v1 and state.get(k2, 0) == v2
    finally:
        store.close()
