"""``ipledger demo``'s sample register: built once through the node, every page it points at
answers with the sample data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.codec import parse_json
from ipledger.demo import (
    ASSIGNED,
    FILED,
    LAPSED,
    LICENSED,
    OPPOSITION,
    PATENT,
    SERIALS,
    STAFF_KEY,
    build_if_empty,
    what_to_open,
)
from ipledger.node import init_node, load_node_config, open_ledger
from ipledger.registry.engine import replay_register
from ipledger.registry.records import right_record

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("demo") / "demo"
    init_node(data, "demo.ipledger.localhost/evidence")
    built = build_if_empty(data, load_node_config(data))
    assert built is not None and "5 trademarks" in built
    return data, what_to_open(data, BASE)


@pytest.fixture(scope="module")
def client(demo: tuple[Path, str]) -> Any:
    ledger = open_ledger(demo[0], validation_processes=False)
    app = create_app(ledger)
    app.state.config = load_node_config(demo[0])  # as ``ipledger serve`` does
    try:
        with TestClient(app) as c:
            yield c
    finally:
        ledger.close()
        ledger.store.close()


def right(client: TestClient, office: str, kind: str, number: str) -> dict[str, Any]:
    resp = client.get(f"/v1/rights/{office}/{kind}/{number}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["right"])


def test_the_register_holds_every_state_the_tour_promises(client: TestClient) -> None:
    states = {n: right(client, "EM", "trademark", n)["state"]
              for n in (LAPSED, LICENSED, ASSIGNED, OPPOSITION, FILED)}
    assert states == {LAPSED: "lapsed", LICENSED: "registered", ASSIGNED: "registered",
                      OPPOSITION: "opposition_period", FILED: "filed"}
    licensed = client.get(f"/rights/EM/trademark/{LICENSED}").text
    assert "AURORA BREW" in licensed and "Gamma Caf" in licensed
    assert "Beta Kaffee GmbH" in client.get(f"/rights/EM/trademark/{ASSIGNED}").text
    (claim,) = right(client, *PATENT)["priority_claims"]
    assert claim["deposit"]["office"] == "GB" and claim["number"] == "2518234"
    assert client.get("/v1/priority/GB/2518234").status_code == 200


def test_every_url_of_the_tour_answers(demo: tuple[Path, str], client: TestClient) -> None:
    data, tour = demo
    urls = re.findall(re.escape(BASE) + r"(\S*)", tour)
    assert len(urls) >= 9
    for path in urls:
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.text[:300])
    assert str(data / STAFF_KEY) in tour and (data / STAFF_KEY).exists()
    pdf = client.get(f"/v1/rights/EM/trademark/{LICENSED}/certificate.pdf")
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["content-type"] == "application/pdf"
    credential = client.get(f"/v1/rights/EM/trademark/{LICENSED}/credential").json()
    assert "VerifiableCredential" in credential["type"]
    home = client.get("/").text
    assert "AURORA BREW" in home and "HARBOUR LIGHT" in home


def test_the_labels_verify_as_genuine(demo: tuple[Path, str], client: TestClient) -> None:
    data, tour = demo
    rows = (data / "authenticity" / "labels.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == SERIALS
    assert all((data / "authenticity" / "qr" / f"{s}.svg").exists() for s in SERIALS)
    url = rows[-1].rsplit(",", 1)[1]
    assert url.startswith(BASE + "/authenticity/verify?")
    assert rows[0].rsplit(",", 1)[1] in tour  # the tour's label is the first one
    page = client.get(url.removeprefix(BASE))
    assert 'data-verdict="genuine"' in page.text
    query = url.split("?", 1)[1]
    answer = client.get(f"/v1/authenticity/verify?{query}").json()
    assert answer["verdict"] == "genuine", answer
    forged = client.get(f"/v1/authenticity/verify?{query[:-4]}0000").json()
    assert forged["verdict"] != "genuine"


def test_the_gazette_has_issues_across_the_years(client: TestClient) -> None:
    page = client.get("/gazette").text
    issues = set(re.findall(r"/gazette/(EM-[0-9]{4}-W[0-9]{2})", page))
    assert {"EM-2026-W19", "EM-2026-W38"} <= issues  # AURORA BREW and ORORA BRU published
    issue = client.get("/gazette/EM-2026-W38").text
    assert "ORORA BRU" in issue


def test_a_second_start_builds_nothing(demo: tuple[Path, str]) -> None:
    data, _ = demo
    settings = load_node_config(data)
    labels = (data / "authenticity" / "labels.csv").read_bytes()
    ledger = open_ledger(data, validation_processes=False)
    try:
        size = ledger.store.tree_size()
        report = replay_register(ledger.store, ledger.origin)
        assert report.ok, report.problems
        raw = ledger.store.read_record(right_record("EM", "trademark", LICENSED))
        assert raw is not None and parse_json(raw)["state"] == "registered"
    finally:
        ledger.close()
        ledger.store.close()
    assert build_if_empty(data, settings) is None
    ledger = open_ledger(data, validation_processes=False)
    try:
        assert ledger.store.tree_size() == size
        assert ledger.store.record_ids("right/EM/trademark/")[-1].endswith(FILED)
    finally:
        ledger.close()
        ledger.store.close()
    assert (data / "authenticity" / "labels.csv").read_bytes() == labels
