"""Property: any sequence of valid and invalid transactions leaves a register that replays to
the same state root, and every refused transaction changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipledger.identity import SigningKey, did_key_url
from ipledger.ledger import Rejection
from ipledger.node import init_node
from ipledger.registry.engine import replay_register
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from ipledger.registry.tree_process import TreeProcess
from tests.conftest import FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import MARK, SALT, ms

OUTCOMES = {"accepted": 0, "refused": 0}
ACTIONS = ("check_formalities", "start_examination", "publish", "withdraw", "renew", "surrender",
           "refuse")
op = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 3), st.sampled_from(["DE", "FR", "ZZ"])),
    st.tuples(st.just("file"), st.integers(0, 3), st.sampled_from([1, 2, 46])),
    st.tuples(st.just("disclose"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("act"), st.integers(0, 3), st.sampled_from(ACTIONS)),
    st.tuples(st.just("wait"), st.integers(1, 400), st.just(0)),
    st.tuples(st.just("grant"), st.integers(0, 3), st.sampled_from(["registrar", "examiner"])),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=5, max_size=25))
def test_random_sequences_replay_to_the_live_state(ops: list[tuple]) -> None:
    run_sequence(ops, tree_process=False)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=5, max_size=25))
def test_random_sequences_with_the_tree_in_its_own_process(ops: list[tuple]) -> None:
    run_sequence(ops, tree_process=True)


def run_sequence(ops: list[tuple], tree_process: bool) -> None:
    """Apply ``ops``: a refusal changes nothing, and replay ends on the live root."""
    with tempfile.TemporaryDirectory() as tmp:
        init_node(Path(tmp) / "node", ORIGIN)
        node = Node(Path(tmp) / "node", FakeClock(ms("2026-09-21")), tree_process=tree_process)
        assert isinstance(node.ledger.rules.tree, TreeProcess) is tree_process
        try:
            node.submit(node.genesis, "office.register",
                        {"office": "EM", "name": "EUIPO", "profile": "euipo"})
            keys = [SigningKey.from_seed(bytes([i]) * 32) for i in range(4)]
            parties = [party_id_for(did_key_url(k.public_key)) for k in keys]
            for kind, who, arg in ops:
                key = keys[who % 4]
                size, root = node.ledger.store.tree_size(), node.ledger.rules.root()
                try:
                    if kind == "register":
                        node.submit(key, "party.register",
                                    {"name": f"P{who}", "country": arg, "kind": "legal"})
                    elif kind == "file":
                        node.submit(key, "right.file", {
                            "office": "EM", "kind": "trademark", "applicants": [parties[who]],
                            "classes": list(range(1, arg + 1)) if arg < 46 else [46],
                            "commitment": content_commitment(SALT, MARK),
                            "payment": {"amount": 85_000 + 5_000 * (arg - 1),
                                        "currency": "EUR"}})
                    elif kind == "disclose":
                        node.submit(key, "right.disclose", {
                            "office": "EM", "kind": "trademark", "number": "000000001",
                            "data": MARK, "salt": SALT if arg else "00" * 16})
                    elif kind == "act":
                        node.submit(key, "right.act", {
                            "office": "EM", "kind": "trademark", "number": "000000001",
                            "action": arg, "attest": ["examination_passed"]})
                    elif kind == "grant":
                        node.submit(node.genesis, "role.grant",
                                    {"office": "EM", "party": parties[who], "role": arg})
                    else:
                        node.clock.now_ms += who * 86_400_000
                    OUTCOMES["accepted"] += 1
                except Rejection:
                    OUTCOMES["refused"] += 1
                    assert node.ledger.store.tree_size() == size
                    assert node.ledger.rules.root() == root
            report = replay_register(node.ledger.store, ORIGIN)
            assert report.ok, report.problems
            assert report.final_root == node.ledger.rules.root()
        finally:
            node.close()


def test_the_sequences_exercise_both_outcomes() -> None:
    test_random_sequences_replay_to_the_live_state()
    assert OUTCOMES["accepted"] > 10
    assert OUTCOMES["refused"] > 10
