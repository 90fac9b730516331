"""The HTTP API: receipts, proofs, tlog-tiles, and RFC 9457 problems for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.codec import b64_decode
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger, verify_receipt
from ipledger.log import (
    Checkpoint,
    decode_entry_bundle,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import raw, stamp

JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger), raise_server_exceptions=False) as c:
        yield c


def fill(client: TestClient, key: SigningKey, n: int, start: int = 0) -> list[dict]:
    body = b"\n".join(raw(stamp(key, i)) for i in range(start, start + n))
    resp = client.post("/v1/entries/batch", content=body, headers=NDJSON)
    assert resp.status_code == 200, resp.text
    return [r["receipt"] for r in resp.json()["results"]]


def assert_problem(resp, status: int, rule: str, pointer: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    doc = resp.json()
    assert doc["status"] == status and doc["rule"] == rule and doc["type"] == f"/problems/{rule}"
    assert doc["title"] and doc["detail"]
    if pointer is not None:
        assert doc.get("pointer") == pointer
    return doc


def test_post_entry_returns_a_verifiable_receipt(client: TestClient, ledger: Ledger,
                                                 stamper: SigningKey) -> None:
    resp = client.post("/v1/entries", content=raw(stamp(stamper)), headers=JSON)
    assert resp.status_code == 201, resp.text
    assert resp.headers["location"] == "/v1/entries/0"
    verified = verify_receipt(resp.json(), [ledger.note_signer.verifier()])
    assert verified.index == 0
    assert client.get("/v1/entries/0").content == ledger.store.read_entries(0, 1)[0]


def test_batch_mixes_receipts_and_problems(client: TestClient, ledger: Ledger,
                                           stamper: SigningKey) -> None:
    good = raw(stamp(stamper, 1))
    lines = [good, b'{"v":1}', good, raw(stamp(stamper, 2))]
    resp = client.post("/v1/entries/batch", content=b"\n".join(lines), headers=NDJSON)
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    statuses = [r["status"] for r in body["results"]]
    assert statuses[0] == 201 and statuses[3] == 201
    assert body["results"][1]["problem"]["rule"] == "missing-field"
    assert body["results"][2]["problem"]["rule"] == "replayed-nonce"
    for r in (body["results"][0], body["results"][3]):
        verify_receipt(r["receipt"], [ledger.note_signer.verifier()])


def test_batch_without_receipts_gives_indexes(client: TestClient, ledger: Ledger,
                                              stamper: SigningKey) -> None:
    lines = [raw(stamp(stamper, 1)), raw(stamp(stamper, 2)), b'{"v":1}']
    resp = client.post("/v1/entries/batch", params={"receipts": "none"},
                       content=b"\n".join(lines), headers=NDJSON)
    results = resp.json()["results"]
    assert [r.get("index") for r in results[:2]] == [0, 1]
    assert all("receipt" not in r for r in results)
    assert results[2]["problem"]["rule"] == "missing-field"
    ledger.wait_for_checkpoint(2, timeout=10)  # durable already; readable once signed
    assert client.get("/v1/entries/1").content == ledger.store.read_entries(1, 2)[0]
    bad = client.post("/v1/entries/batch", params={"receipts": "some"},
                      content=raw(stamp(stamper, 3)), headers=NDJSON)
    assert bad.status_code == 400 and bad.json()["rule"] == "bad-parameter"
    assert ledger.store.tree_size() == 2  # the refused request changed nothing


def test_proofs_and_tiles_agree_with_the_checkpoint(client: TestClient, ledger: Ledger,
                                                   stamper: SigningKey) -> None:
    fill(client, stamper, 300)
    cp_resp = client.get("/tlog/checkpoint")
    assert cp_resp.headers["content-type"] == "text/plain; charset=utf-8"
    cp = Checkpoint.parse(cp_resp.text.split("\n\n")[0] + "\n")
    assert cp.tree_size == 300

    proof = client.get("/v1/entries/257/proof", params={"size": 300}).json()
    entry = client.get("/v1/entries/257").content
    assert b64_decode(proof["leaf_hash"]) == leaf_hash(entry)
    verify_inclusion(leaf_hash(entry), 257, 300, [b64_decode(h) for h in proof["inclusion_proof"]],
                     cp.root_hash)

    full = client.get("/tlog/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert full.headers["content-type"] == "application/octet-stream"
    assert "immutable" in full.headers["cache-control"]
    partial = client.get("/tlog/tile/0/001.p/44")
    assert len(partial.content) == 44 * 32
    bundle = decode_entry_bundle(client.get("/tlog/tile/entries/001.p/44").content)
    assert bundle[1] == entry and len(bundle) == 44
    assert partial.content[32:64] == leaf_hash(entry)
    level1 = client.get("/tlog/tile/1/000.p/1")
    assert len(level1.content) == 32

    # Consistency from an older checkpoint size to the newest.
    old_root = Checkpoint.parse(ledger.store.checkpoint_at(0).note.split("\n\n")[0] + "\n")
    assert old_root.tree_size == 0
    fill(client, stamper, 10, start=300)
    new_cp = Checkpoint.parse(client.get("/tlog/checkpoint").text.split("\n\n")[0] + "\n")
    cons = client.get("/v1/proofs/consistency", params={"from": 300, "to": 310}).json()
    verify_consistency(300, 310, cp.root_hash, new_cp.root_hash,
                       [b64_decode(h) for h in cons["proof"]])


@pytest.mark.parametrize(
    "path",
    [
        "/tlog/tile/0/00", "/tlog/tile/0/001x", "/tlog/tile/0/x000", "/tlog/tile/64/000",
        "/tlog/tile/0/000.p/0", "/tlog/tile/0/000.p/256", "/tlog/tile/0/000.p/",
        "/tlog/tile/0/../000", "/tlog/tile/entries/abc", "/tlog/tile/-1/000",
        "/tlog/tile/0/000.p/5/", "/tlog/tile/0/000/",
    ],
)
def test_garbage_tile_paths_get_404_problems(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404, "not-found")


def test_tiles_beyond_the_checkpoint_are_404(client: TestClient, stamper: SigningKey) -> None:
    fill(client, stamper, 3)
    assert client.get("/tlog/tile/0/000.p/3").status_code == 200
    assert_problem(client.get("/tlog/tile/0/000.p/4"), 404, "not-found")
    assert_problem(client.get("/tlog/tile/0/000"), 404, "not-found")
    assert_problem(client.get("/tlog/tile/entries/001.p/1"), 404, "not-found")


@pytest.mark.parametrize(
    ("url", "status", "rule"),
    [
        ("/v1/entries/5", 400, "out-of-range"),
        ("/v1/entries/-1", 400, "bad-parameter"),
        ("/v1/entries/abc", 400, "bad-parameter"),
        ("/v1/entries/0/proof?size=4", 400, "out-of-range"),
        ("/v1/entries/0/proof?size=0", 400, "out-of-range"),
        ("/v1/entries/2/proof?size=2", 400, "out-of-range"),
        ("/v1/entries/0/proof?size=x", 400, "bad-parameter"),
        ("/v1/proofs/consistency?from=2&to=1", 400, "out-of-range"),
        ("/v1/proofs/consistency?from=1&to=9", 400, "out-of-range"),
        ("/v1/proofs/consistency", 400, "bad-parameter"),
        ("/v1/evidence/XYZ", 400, "bad-parameter"),
        ("/nope", 404, "not-found"),
    ],
)
def test_bad_reads_get_problems(client: TestClient, stamper: SigningKey, url: str, status: int,
                                rule: str) -> None:
    fill(client, stamper, 3)
    assert_problem(client.get(url), status, rule)


@pytest.mark.parametrize(
    ("content", "headers", "status", "rule", "pointer"),
    [
        (b"not json", JSON, 400, "invalid-json", None),
        (b'{"a": 1}', JSON, 400, "not-canonical", None),
        (b'{"a":0.5}', JSON, 400, "no-floats", "/a"),
        (b'{"a":1}', {"Content-Type": "text/plain"}, 415, "unsupported-media-type", None),
        (b"{}", {}, 415, "unsupported-media-type", None),
        (b"x" * 70_000, JSON, 413, "body-too-large", None),
    ],
)
def test_bad_posts_get_problems_and_change_nothing(
    client: TestClient, ledger: Ledger, content: bytes, headers: dict, status: int, rule: str,
    pointer: str | None,
) -> None:
    assert_problem(client.post("/v1/entries", content=content, headers=headers), status, rule,
                   pointer)
    assert ledger.store.tree_size() == 0


def test_envelope_rejections_over_http(client: TestClient, ledger: Ledger,
                                       stamper: SigningKey) -> None:
    env = stamp(stamper, ledger="someone.else/log")
    assert_problem(client.post("/v1/entries", content=raw(env), headers=JSON), 422,
                   "wrong-ledger", "/ledger")
    env = stamp(stamper)
    env["sig"] = env["sig"][:-2] + ("AA" if env["sig"][-2:] != "AA" else "BA")
    assert_problem(client.post("/v1/entries", content=raw(env), headers=JSON), 422,
                   "bad-signature", "/sig")
    ok = raw(stamp(stamper, 9))
    assert client.post("/v1/entries", content=ok, headers=JSON).status_code == 201
    assert_problem(client.post("/v1/entries", content=ok, headers=JSON), 409, "replayed-nonce",
                   "/nonce")
    assert ledger.store.tree_size() == 1


def test_method_not_allowed_is_a_problem(client: TestClient) -> None:
    assert_problem(client.delete("/v1/entries"), 405, "method-not-allowed")


def test_evidence_lookup_returns_receipts(client: TestClient, ledger: Ledger,
                                          stamper: SigningKey) -> None:
    fill(client, stamper, 3)
    digest = stamp(stamper, 1)["body"]["sha256"]
    found = client.get(f"/v1/evidence/{digest}").json()
    assert found["count"] == 1
    verify_receipt(found["receipts"][0], [ledger.note_signer.verifier()])
    assert client.get(f"/v1/evidence/{'9' * 64}").json()["count"] == 0


def test_openapi_lists_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/v1/entries", "/v1/entries/batch", "/v1/entries/{index}",
                 "/v1/entries/{index}/proof", "/v1/proofs/consistency", "/tlog/checkpoint",
                 "/tlog/tile/{path}"):
        assert path in spec["paths"]
    json.dumps(spec)


def test_front_page_shows_the_log(client: TestClient, stamper: SigningKey) -> None:
    fill(client, stamper, 2)
    page = client.get("/")
    assert page.status_code == 200 and "holds <strong>2</strong> entries" in page.text
    assert client.get("/static/check-file.js").status_code == 200
