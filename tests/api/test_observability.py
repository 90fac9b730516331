"""``/metrics`` (read with prometheus_client's own parser), ``/healthz``, ``/readyz``, logs."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger
from ipledger.logs import JsonFormatter
from tests.conftest import raw, stamp

JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger), raise_server_exceptions=False) as c:
        yield c


def scrape(client: TestClient) -> Samples:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled counter child that does not exist yet."""
    key = (name, frozenset(labels.items()))
    if key not in samples:
        assert labels, f"{name} is not exposed"
        return 0.0
    return samples[key]


def fill(client: TestClient, key: SigningKey, n: int, start: int = 0) -> None:
    body = b"\n".join(raw(stamp(key, i)) for i in range(start, start + n))
    resp = client.post("/v1/entries/batch", content=body, headers=NDJSON)
    assert resp.status_code == 200 and resp.json()["accepted"] == n, resp.text


def test_counters_move_as_entries_are_appended(client: TestClient, ledger: Ledger,
                                               stamper: SigningKey) -> None:
    before = scrape(client)
    assert value(before, "ipledger_entries_appended_total", family="evidence") == 0
    assert value(before, "ipledger_tree_size") == 0
    fill(client, stamper, 10)
    fill(client, stamper, 5, start=10)
    after = scrape(client)
    assert value(after, "ipledger_entries_appended_total", family="evidence") == 15
    batches = value(after, "ipledger_batches_committed_total")
    assert 2 <= batches <= 15
    assert value(after, "ipledger_batch_commit_seconds_count") == batches
    assert value(after, "ipledger_batch_commit_seconds_sum") > 0
    assert value(after, "ipledger_batch_entries_sum") == 15
    # Gauges read at scrape time: the receipts were answered, so everything is covered.
    assert value(after, "ipledger_tree_size") == 15
    assert value(after, "ipledger_checkpoint_tree_size") == 15
    assert value(after, "ipledger_sequencer_queue_depth") == 0
    assert value(after, "ipledger_validation_backlog") == 0
    assert 0 <= value(after, "ipledger_checkpoint_age_seconds") < 60
    assert value(after, "ipledger_checkpoint_lag_seconds") == 0
    assert value(after, "ipledger_checkpoints_published_total") >= 2  # size 0, then 10, 15
    # The same numbers the ledger itself holds.
    assert ledger.sequencer.batches == batches


def test_each_rejection_is_counted_once_under_its_rule(client: TestClient,
                                                       stamper: SigningKey) -> None:
    once = raw(stamp(stamper, 1))
    assert client.post("/v1/entries", content=once, headers=JSON).status_code == 201
    replay = client.post("/v1/entries", content=once, headers=JSON)
    assert replay.status_code == 409 and replay.json()["rule"] == "replayed-nonce"
    samples = scrape(client)
    # Refused by the sequencer, then answered by the API's problem handler: one count.
    assert value(samples, "ipledger_rejections_total", rule="replayed-nonce") == 1

    forged = stamp(stamper, 2)
    forged["sig"] = forged["sig"][:-2] + ("AA" if forged["sig"][-2:] != "AA" else "BA")
    assert client.post("/v1/entries", content=raw(forged), headers=JSON).status_code == 422
    # In a batch: per-line problems, never through the handler.
    batch = b"\n".join([once, raw(stamp(stamper, 3)), b'{"v":1}'])
    assert client.post("/v1/entries/batch", content=batch, headers=NDJSON).json()[
        "rejected"] == 2
    # Request-level rejections, counted by the handler.
    assert client.get("/v1/entries/99").status_code == 400
    assert client.get("/no/such/thing").status_code == 404
    assert client.delete("/v1/entries").status_code == 405
    samples = scrape(client)
    assert value(samples, "ipledger_rejections_total", rule="replayed-nonce") == 2
    assert value(samples, "ipledger_rejections_total", rule="bad-signature") == 1
    assert value(samples, "ipledger_rejections_total", rule="missing-field") == 1
    assert value(samples, "ipledger_rejections_total", rule="out-of-range") == 1
    assert value(samples, "ipledger_rejections_total", rule="not-found") == 1
    assert value(samples, "ipledger_rejections_total", rule="method-not-allowed") == 1
    assert value(samples, "ipledger_entries_appended_total", family="evidence") == 2


def test_http_metrics_are_labelled_by_route_template(client: TestClient,
                                                     stamper: SigningKey) -> None:
    fill(client, stamper, 3)
    paths = ("/v1/entries/0", "/v1/entries/1", "/v1/entries/2/proof", "/v1/entries/1/proof",
             "/v1/entries/7", "/tlog/tile/0/000.p/3", "/v1/state/party/P1", "/nope/42")
    for path in paths:
        client.get(path)
    samples = scrape(client)
    routes = {dict(labels)["route"] for name, labels in samples
              if name == "ipledger_http_requests_total"}
    assert {"/v1/entries/{index}", "/v1/entries/{index}/proof", "/v1/entries/batch",
            "/tlog/tile/{path}", "/v1/state/{record_id}", "<unmatched>"} <= routes
    assert not routes & set(paths), routes
    get_entry = {"route": "/v1/entries/{index}", "method": "GET"}
    assert value(samples, "ipledger_http_requests_total", status="200", **get_entry) == 2
    assert value(samples, "ipledger_http_requests_total", status="400", **get_entry) == 1
    assert value(samples, "ipledger_http_request_duration_seconds_count", **get_entry) == 3
    assert value(samples, "ipledger_http_requests_total", route="<unmatched>", method="GET",
                 status="404") == 1


def test_proof_building_is_timed(client: TestClient, stamper: SigningKey) -> None:
    fill(client, stamper, 4)  # the batch's receipts: one "receipt" observation
    assert client.get("/v1/entries/1/proof", params={"size": 3}).status_code == 200
    assert client.get("/v1/entries/1/receipt").status_code == 200
    assert client.get("/v1/proofs/consistency", params={"from": 2, "to": 4}).status_code == 200
    assert client.get("/v1/entries/9/proof").status_code == 400  # refused: not timed
    samples = scrape(client)
    assert value(samples, "ipledger_proof_seconds_count", kind="inclusion") == 1
    assert value(samples, "ipledger_proof_seconds_count", kind="consistency") == 1
    assert value(samples, "ipledger_proof_seconds_count", kind="receipt") == 2
    assert value(samples, "ipledger_proof_seconds_bucket", kind="inclusion", le="+Inf") == 1


def test_every_ledger_has_its_own_registry(open_test_ledger, stamper: SigningKey) -> None:
    first, second = open_test_ledger("a.sqlite"), open_test_ledger("b.sqlite")
    first.submit(raw(stamp(stamper, 1))).result(timeout=10)
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        assert value(scrape(a), "ipledger_entries_appended_total", family="evidence") == 1
        assert value(scrape(b), "ipledger_entries_appended_total", family="evidence") == 0
    with TestClient(create_app(first)) as again:  # a second app over the same ledger
        assert value(scrape(again), "ipledger_tree_size") == 1


def test_healthz_answers(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def assert_not_ready(client: TestClient, failed: list[str]) -> dict:
    resp = client.get("/readyz")
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    doc = resp.json()
    assert doc["type"] == "/problems/not-ready" and doc["rule"] == "not-ready"
    assert doc["status"] == 503 and doc["title"]
    assert doc["failed"] == failed
    for name in failed:
        assert doc["checks"][name]["status"] == "fail"
        assert doc["detail"].count(f"{name}: ") == 1
    return doc


def test_readyz_is_ready_on_a_working_node(client: TestClient, stamper: SigningKey) -> None:
    fill(client, stamper, 3)
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["status"] == "ready"
    assert {name: check["status"] for name, check in doc["checks"].items()} == {
        "store": "ok", "sequencer": "ok", "checkpoint": "ok"}
    assert doc["checks"]["store"]["tree_size"] == 3
    assert doc["checks"]["checkpoint"]["tree_size"] == 3


def test_readyz_fails_when_the_store_is_closed(client: TestClient, ledger: Ledger) -> None:
    assert client.get("/readyz").status_code == 200
    ledger.store.close()
    doc = assert_not_ready(client, ["store"])
    assert "store failed a read" in doc["checks"]["store"]["detail"]
    assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_readyz_fails_when_the_checkpoint_signer_stopped(client: TestClient,
                                                         ledger: Ledger) -> None:
    ledger.checkpoints.stop()
    doc = assert_not_ready(client, ["checkpoint"])
    assert "not running" in doc["checks"]["checkpoint"]["detail"]


def test_readyz_fails_when_the_sequencer_stopped(client: TestClient, ledger: Ledger) -> None:
    ledger.sequencer.stop()
    assert_not_ready(client, ["sequencer"])


def test_readyz_fails_when_durable_entries_wait_for_a_checkpoint(
    client: TestClient, ledger: Ledger, stamper: SigningKey, monkeypatch: pytest.MonkeyPatch,
) -> None:
    readiness = client.app.state.observability.readiness  # type: ignore[attr-defined]
    # An old checkpoint over an idle log is fine: nothing waits for it.
    readiness.clock = lambda: time.monotonic() + 3600
    assert client.get("/readyz").status_code == 200

    # A checkpoint signer wedged in a store write: alive, but signing nothing.
    release = threading.Event()
    store_checkpoint = ledger.store.add_checkpoint

    def wedged(checkpoint):  # type: ignore[no-untyped-def]
        release.wait(30)
        store_checkpoint(checkpoint)

    monkeypatch.setattr(ledger.store, "add_checkpoint", wedged)
    try:
        ledger.submit(raw(stamp(stamper, 1))).result(timeout=10)  # durable, not covered
        readiness.clock = time.monotonic
        assert client.get("/readyz").status_code == 200  # not for long yet
        lag = value(scrape(client), "ipledger_checkpoint_lag_seconds")
        assert 0 < lag < 10
        readiness.clock = lambda: time.monotonic() + 60  # a minute later
        doc = assert_not_ready(client, ["checkpoint"])
        check = doc["checks"]["checkpoint"]
        assert check["log_size"] == 1 and check["tree_size"] == 0 and check["lag_s"] >= 60
    finally:
        release.set()
    ledger.wait_for_checkpoint(1, timeout=10)
    readiness.clock = time.monotonic
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """JSON log lines of ipledger's access log and the sequencer's debug log."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("ipledger.access"),
               logging.getLogger("ipledger.ledger.sequencer")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
    yield stream
    for lg, (level, propagate) in zip(loggers, saved, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.propagate = propagate


def test_log_lines_are_json_with_fields(client: TestClient, stamper: SigningKey,
                                        captured: io.StringIO) -> None:
    fill(client, stamper, 4)
    client.get("/v1/entries/2")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert line["time"].endswith("Z")
    access = [line for line in lines if line["logger"] == "ipledger.access"]
    assert [(a["method"], a["path"], a["route"], a["status"]) for a in access] == [
        ("POST", "/v1/entries/batch", "/v1/entries/batch", 200),
        ("GET", "/v1/entries/2", "/v1/entries/{index}", 200)]
    assert all(a["level"] == "INFO" and a["duration_ms"] >= 0 for a in access)
    commits = [line for line in lines if line["logger"] == "ipledger.ledger.sequencer"]
    assert commits and sum(c["batch_size"] for c in commits) == 4
    assert all(c["level"] == "DEBUG" and c["duration_ms"] >= 0 for c in commits)


def test_json_formatter_keeps_exceptions_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=sys.exc_info(),
            extra={"index": 7})
    (line,) = JsonFormatter().format(record).splitlines()
    doc = json.loads(line)
    assert doc["message"] == "failed here" and doc["index"] == 7 and doc["level"] == "ERROR"
    assert "ValueError: boom" in doc["exc_info"]
