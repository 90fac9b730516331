"""A register walked across several gazette periods, served over HTTP on a loopback port.

Built on the web tests' sample register (tests/web/sample_register.py), then:

- 2026-W39: AURORA BREW and ORORA BRU published (opposition until 2026-12-21);
- 2026-W52: both registered automatically when ledger time passes their opposition period;
- 2027-W05: AURORA BREW half assigned and licensed; AURORA BREWING withdrawn; HARBOUR LIGHT
  examined; SECRET MARK filed and checked but never disclosed (confidential);
- 2027-W06: a publication batch (``ipledger gazette publish-batch``, by the tests) publishes
  HARBOUR LIGHT; ledger time then moves to 2027-W07, which closes W06.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import httpx
import pytest

from ipledger.api.app import create_app
from ipledger.identity import SigningKey
from ipledger.node import init_node
from tests.conftest import T0, FakeClock
from tests.http_server import serving
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import ms
from tests.web.sample_register import SampleRegister


@dataclass
class Served:
    url: str
    node: Node
    register: SampleRegister
    batch: list[tuple[int, str]]  # (exit code, output) of each publish-batch run
    http: httpx.Client  # one connection for the tests' requests


def cli(*argv: str) -> tuple[int, str]:
    """Run ``ipledger ARGV``: its exit code and what it printed (stdout and stderr)."""
    from ipledger.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def publication_batch(url: str, key_file: str, node: Node) -> list[tuple[int, str]]:
    """2027-W06: a registrar's publication batch, first without the attestation publishing
    needs (nothing is published), then a dry run, then for real; 2027-W07 closes W06."""
    common = ("gazette", "publish-batch", "--node", url, "--office", "EM", "--key", key_file)
    # The CLI signs with the wall clock; the node's ledger time is the test's clock.
    with mock.patch("ipledger.ledger.envelope.wall_clock_ms", node.clock):
        runs = [cli(*common), cli(*common, "--attest", "examination_passed", "--dry-run"),
                cli(*common, "--attest", "examination_passed")]
    node.clock.now_ms = ms("2027-02-16")
    node.submit(SigningKey.generate(), "party.register", {"name": "Late Corp", "country": "FR",
                                                  "kind": "legal"})
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
    return runs


def walk_to_week_6(register: SampleRegister) -> None:
    """The 2027-W05 events after the sample register (whose ledger time is 2027-02-01)."""
    office, numbers = register.office, register.numbers
    office.act(office.applicant, numbers["AURORA BREWING"], "withdraw")
    office.act(office.examiner, numbers["HARBOUR LIGHT"], "check_formalities")
    office.act(office.examiner, numbers["HARBOUR LIGHT"], "start_examination")
    office.act(office.examiner, numbers["SECRET MARK"], "check_formalities")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from ipledger.identity import write_private_key

    base = tmp_path_factory.mktemp("gazette")
    data = base / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(T0))
    register = SampleRegister(node)
    walk_to_week_6(register)
    key_file = base / "registrar.key"
    write_private_key(key_file, register.office.registrar)
    node.clock.now_ms = ms("2027-02-09")  # 2027-W06: the publication batch comes next
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
    try:
        with serving(create_app(node.ledger)) as url, httpx.Client(timeout=30) as http:
            batch = publication_batch(url, str(key_file), node)
            yield Served(url, node, register, batch, http)
    finally:
        node.close()
