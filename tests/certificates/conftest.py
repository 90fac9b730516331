"""A real node served over HTTP (uvicorn on a loopback port) with an EM register: trademark
000000001 registered (two owners, one named in Chinese with an Arabic address, and a
representative), 000000002 published but not registered, 000000003 unpublished."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ipledger.api.app import create_app
from ipledger.identity import SigningKey, did_key_url
from ipledger.node import init_node
from ipledger.registry.records import party_id_for
from tests.conftest import FakeClock
from tests.http_server import serving
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import Office, file_trademark, ms

REGISTERED = "EM/trademark/000000001"
PENDING = "EM/trademark/000000002"
UNPUBLISHED = "EM/trademark/000000003"
CO_OWNER_NAME = "张伟 Zhang Wei"
CO_OWNER_ADDRESS = "شارع النيل 5, القاهرة"


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    node: Node
    vkey: Path  # the log's verifier key file
    size: int  # the checkpoint every certificate below is as of
    co_owner: str  # party id
    certificate: bytes  # REGISTERED's certificate as of ``size``

    def get(self, path: str, **params: object) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)


def _register(node: Node) -> str:
    node.clock.now_ms = ms("2026-09-21")
    office = Office(node)
    co_owner, agent = SigningKey.generate(), SigningKey.generate()
    node.submit(co_owner, "party.register", {"name": CO_OWNER_NAME, "country": "EG",
                                             "kind": "natural"})
    node.submit(co_owner, "party.update", {"address": CO_OWNER_ADDRESS})
    node.submit(agent, "party.register", {"name": "Müller & Söhne (Patentanwälte)",
                                          "country": "DE", "kind": "legal"})
    co_party, agent_party = (party_id_for(did_key_url(k.public_key)) for k in (co_owner, agent))
    original = office.node.submit

    def with_co_owner(key: SigningKey, entry_type: str, body: dict, *a: object) -> object:
        if entry_type == "right.file":
            body = {**body, "applicants": [*body["applicants"], co_party],
                    "representatives": [agent_party]}
        return original(key, entry_type, body, *a)

    office.node.submit = with_co_owner  # type: ignore[method-assign]
    number = file_trademark(office)
    office.node.submit = original  # type: ignore[method-assign]
    office.act(office.examiner, number, "check_formalities")
    office.act(office.examiner, number, "start_examination")
    office.act(office.registrar, number, "publish", attest=["examination_passed"])
    office.tick("2026-12-23")  # the opposition period ended: registered
    file_trademark(office)  # 000000002: published below, never registered
    office.act(office.examiner, "000000002", "check_formalities")
    file_trademark(office, disclose=False)  # 000000003: confidential
    node.submit(office.applicant, "party.update", {"address": "Calle Mayor 1, 28013 Madrid"})
    return co_party


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("certificates") / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(ms("2026-09-21")))
    co_owner = _register(node)
    size = node.ledger.store.tree_size()
    node.ledger.wait_for_checkpoint(size, timeout=10)
    vkey = data.parent / "log.vkey"
    vkey.write_text(node.ledger.verifier_key + "\n")
    try:
        with serving(create_app(node.ledger)) as url:
            resp = httpx.get(f"{url}/v1/rights/{REGISTERED}/certificate.pdf",
                             params={"size": size}, timeout=30)
            assert resp.status_code == 200, resp.text
            yield Served(url, node, vkey, size, co_owner, resp.content)
    finally:
        node.close()
