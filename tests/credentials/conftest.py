"""The W3C test vectors in vectors/, a loader that also knows the examples context, and a
register scenario whose credentials are revoked one by one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipledger.credentials.loader import OfflineLoader
from ipledger.credentials.verify import Verified, verify_credential
from ipledger.ledger import parse_rfc3339_ms
from ipledger.node import init_node
from tests.conftest import T0, FakeClock
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_assignments import assign, party
from tests.registry.test_licences import Licensing, pid
from tests.registry.test_rights_lifecycle import file_trademark

VECTORS = Path(__file__).parent / "vectors"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def vector(name: str) -> Any:
    text = (VECTORS / name).read_text("utf-8")
    return json.loads(text) if name.endswith((".json", ".jsonld")) else text


#: After every ledger time of the scenario: credentials are judged valid then.
LATER_MS = parse_rfc3339_ms("2030-01-01T00:00:00Z")


def verify(credential: Any, did_document: Any, status_list: Any = None) -> Verified:
    """:func:`verify_credential` at :data:`LATER_MS`."""
    return verify_credential(credential, did_document, status_list, now_ms=LATER_MS)


@pytest.fixture(scope="session")
def examples_loader() -> OfflineLoader:
    return OfflineLoader({EXAMPLES_V2: vector("examples-v2.jsonld")})


@dataclass
class Scenario:
    """A register whose credentials change status over three checkpoints.

    ``sizes[0]``: trademark ``number`` registered, licences L1 and L2 active, no assignment.
    ``sizes[1]``: L1 terminated; assignment ``assignments[0]`` (owner -> buyer) recorded.
    ``sizes[2]``: L2 expired (its end date passed); ``assignments[1]`` (buyer -> heir)
    recorded, so the first is superseded; the right surrendered (ceased).
    ``pending``: a published trademark never registered; ``unpublished``: confidential.
    """

    node: Node
    data: Path
    number: str
    pending: str
    unpublished: str
    sizes: list[int]
    assignments: list[int]


def _build(node: Node) -> tuple[str, str, str, list[int], list[int]]:
    lic = Licensing(node)
    number, office = lic.number, lic.office
    pending = file_trademark(office)
    unpublished = file_trademark(office, disclose=False)
    lic.grant(lic.a, territory=["DE"])
    lic.grant(lic.b, territory=["FR"], end="2027-06-30")
    sizes = [_checkpoint(node)]
    node.submit(lic.owner, "licence.terminate", lic.ref("L1"))
    buyer, buyer_id = party(node, "Käufer GmbH")
    heir, heir_id = party(node, "Heir & Co")
    assignments = []
    node.submit(lic.owner, "assignment.record",
                assign(office, number, pid(lic.owner), buyer_id, [1, 1]), endorsers=[buyer])
    assignments.append(node.ledger.store.tree_size() - 1)
    sizes.append(_checkpoint(node))
    office.tick("2027-07-02")  # L2's end date has passed: system.licence_expire
    node.submit(buyer, "assignment.record",
                assign(office, number, buyer_id, heir_id, [1, 1], executed="2027-07-01"),
                endorsers=[heir])
    assignments.append(node.ledger.store.tree_size() - 1)
    office.act(heir, number, "surrender", attest=["recorded_right_holders_consent"])
    sizes.append(_checkpoint(node))
    return number, pending, unpublished, sizes, assignments


def _checkpoint(node: Node) -> int:
    size = node.ledger.store.tree_size()
    node.ledger.wait_for_checkpoint(size, timeout=10)
    return size


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    data = tmp_path_factory.mktemp("credentials") / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(T0))
    try:
        number, pending, unpublished, sizes, assignments = _build(node)
        yield Scenario(node, data, number, pending, unpublished, sizes, assignments)
    finally:
        node.close()
