"""Product authenticity over HTTP with real signatures: batches by the owner and by a
licensee, every refusal a problem that changes nothing, verification answers, clone
warnings from customs inspections, replay and index rebuild."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.ledger import MAX_SUBMITTED_BYTES
from ipledger.registry.engine import RULES, replay_register
from ipledger.registry.schema import check_object
from ipledger.services.authenticity import Label, ProofError, check_offline, verify
from ipledger.services.serial_index import SerialIndex
from tests.api.access_scenario import problem
from tests.authenticity.scenario import DAY_MS, Batch, Brand, pid, post_batch, post_entry, upload

SERIALS = [f"SN-{i:06d}" for i in range(1, 51)]


def register(client: TestClient, brand: Brand, batch: Batch, signer: str = "owner") -> Any:
    upload(client, brand.key(signer), batch.data)
    resp = post_batch(client, brand, signer, batch.body())
    assert resp.status_code == 201, resp.text
    return resp.json()


def answer(client: TestClient, batch: Batch, serial: str, **place: str) -> dict[str, Any]:
    resp = client.get("/v1/authenticity/verify", params=batch.params(serial, **place))
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def unchanged(brand: Brand) -> tuple[int, bytes | None]:
    ledger = brand.node.ledger
    return ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None


def test_owner_registers_a_batch_and_items_verify(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS)
    done = register(client, brand, batch)
    assert done["batch"] == batch.sha256 and done["count"] == 50
    assert done["label_base"] == "http://testserver"
    entry = client.get(f"/v1/entries/{done['index']}").text
    assert "SN-000001" not in entry and batch.salts["SN-000001"].hex() not in entry
    assert client.get(f"/v1/authenticity/batches/{batch.sha256}").json()["index_state"] == \
        "loaded"
    distributor = pid(brand.keys["distributor"])
    resp = post_entry(client, brand, "owner", "authenticity.distributors", {
        "office": "EM", "number": brand.number,
        "distributors": [{"party": distributor, "territory": ["DE", "AT"]}]})
    assert resp.status_code == 201, resp.text

    doc = answer(client, batch, "SN-000007", country="AT")
    assert doc["verdict"] == "genuine" and doc["clone_warning"] is None
    assert doc["mark"]["status"] == "registered" and doc["mark"]["in_force"] is True
    assert doc["mark"]["title"] == "AURORA BREW"
    assert doc["mark"]["owners"] == [{"party": pid(brand.owner), "name": "Applicant",
                                      "country": "ES"}]
    assert doc["batch"]["as"] == "owner" and doc["batch"]["count"] == 50
    assert doc["distributors"] == [{"party": distributor, "name": "Distributor",
                                    "country": "DE", "territory": ["AT", "DE"]}]
    assert doc["in_distribution_territory"] is True
    assert answer(client, batch, "SN-000007", country="FR")["in_distribution_territory"] \
        is False

    unknown = answer(client, batch, "SN-999999")
    assert unknown["verdict"] == "unknown" and unknown["batch"] is None
    assert unknown["mark"]["number"] == brand.number  # the mark is public, the serial unknown
    wrong_salt = client.get("/v1/authenticity/verify", params={
        **batch.params("SN-000007"), "salt": "00" * 16}).json()
    assert wrong_salt["verdict"] == "unknown"
    other_mark = client.get("/v1/authenticity/verify", params={
        **batch.params("SN-000007"), "number": brand.pending}).json()
    assert other_mark["verdict"] == "unknown" and other_mark["mark"]["status"] == "filed"

    page = client.get("/authenticity/verify", params=batch.params("SN-000007"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-verdict="genuine"' in page.text and "AURORA BREW" in page.text
    assert "<script" not in page.text
    page = client.get("/authenticity/verify", params=batch.params("SN-999999"))
    assert 'data-verdict="unknown"' in page.text
    form = client.get("/authenticity/verify")
    assert form.status_code == 200 and '<form method="get"' in form.text


def test_a_licensee_in_force_registers_batches(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:5])
    register(client, brand, batch, "licensee")
    doc = answer(client, batch, "SN-000001")
    assert doc["verdict"] == "genuine"
    assert doc["batch"]["as"] == "licensee" and doc["batch"]["licence"] == "L1"
    assert doc["batch"]["registered_by"]["party"] == pid(brand.keys["licensee"])


def test_refusals_are_problems_and_change_nothing(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:10])
    for signer in ("owner", "outsider", "expiring"):
        upload(client, brand.key(signer), batch.data)
    before = unchanged(brand)
    doc = problem(post_batch(client, brand, "outsider", batch.body()), 403,
                  "not-authorized", "/actor")
    assert "licensee whose recorded licence is in force" in doc["detail"]
    pending = Batch(brand.pending, SERIALS[:10])
    upload(client, brand.owner, pending.data)
    doc = problem(post_batch(client, brand, "owner", pending.body()), 409,
                  "right-not-in-force", "/body/number")
    assert "filed" in doc["detail"]
    problem(post_batch(client, brand, "owner", batch.body(colour="red")), 422,
            "unknown-field", "/body/colour")
    problem(post_batch(client, brand, "owner", batch.body(count=0)), 422,
            "invalid-value", "/body/count")
    problem(post_batch(client, brand, "owner", batch.body(product=" ")), 422,
            "invalid-value", "/body/product")
    problem(post_batch(client, brand, "owner", batch.body(
        commitments_sha256="ABC")), 422, "invalid-value", "/body/commitments_sha256")
    problem(post_batch(client, brand, "owner", batch.body(
        commitments_sha256="9" * 64)), 422, "not-found", "/body/commitments_sha256")
    problem(post_batch(client, brand, "owner", batch.body(count=11)), 422,
            "invalid-value", "/body/count")
    unsorted = b"".join(sorted(batch.data.splitlines(keepends=True), reverse=True))
    upload(client, brand.owner, unsorted)
    bad = Batch(brand.number, SERIALS[:10])
    bad.data, bad.sha256 = unsorted, hashlib.sha256(unsorted).hexdigest()
    problem(post_batch(client, brand, "owner", bad.body()), 422,
            "invalid-value", "/body/commitments_sha256")
    other = brand.node.envelope(brand.owner, "authenticity.distributors", {
        "office": "EM", "number": brand.number, "distributors": []})
    problem(client.post("/v1/authenticity/batches", content=other,
                                       headers={"Content-Type": "application/json"}), 422,
            "invalid-value", "/type")
    problem(client.post("/v1/authenticity/batches", content=b"{",
                                       headers={"Content-Type": "application/json"}), 400,
            "invalid-json")
    signed = brand.node.envelope(brand.owner, "authenticity.batch", batch.body())
    problem(client.post("/v1/authenticity/batches", content=signed,
                        headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
    problem(client.post("/v1/authenticity/batches", content=b" " * (MAX_SUBMITTED_BYTES + 1),
                        headers={"Content-Type": "application/json"}), 413, "body-too-large")
    problem(post_entry(client, brand, "licensee", "authenticity.distributors", {
        "office": "EM", "number": brand.number, "distributors": []}), 403, "not-authorized")
    problem(post_entry(client, brand, "owner", "authenticity.distributors", {
        "office": "EM", "number": brand.number, "distributors": [
            {"party": pid(brand.keys["distributor"]), "territory": ["ZZ"]}]}), 422,
        "st3-code", "/body/distributors/0/territory/0")
    problem(post_entry(client, brand, "outsider", "authenticity.inspect", {
        "authority": "DE", "commitment": "ab" * 32, "country": "DE", "point": "Hamburg",
        "outcome": "released"}), 403, "not-authorized", "/actor")
    assert unchanged(brand) == before

    register(client, brand, batch)
    problem(post_batch(client, brand, "owner", batch.body()), 409,
            "already-exists", "/body/commitments_sha256")
    # The day after its end date the second licence has expired: its licensee is refused.
    brand.tick(brand.node.clock.now_ms + DAY_MS)
    late = Batch(brand.number, SERIALS[20:25])
    upload(client, brand.keys["expiring"], late.data)
    before = unchanged(brand)
    doc = problem(post_batch(client, brand, "expiring", late.body()), 403,
                  "not-authorized", "/actor")
    assert "licence L2 is expired" in doc["detail"]
    assert unchanged(brand) == before
    assert answer(client, late, "SN-000021")["verdict"] == "unknown"


def test_bad_queries_are_400_problems(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:1])
    good = batch.params("SN-000001")
    for change, pointer in (({"salt": "xyz"}, "/salt"), ({"serial": "a b"}, "/serial"),
                            ({"office": "ZZ"}, "/office"), ({"country": "EM"}, "/country"),
                            ({"point": " "}, "/point"), ({"extra": "1"}, "/extra")):
        problem(client.get("/v1/authenticity/verify", params={**good, **change}), 400,
                "bad-parameter", pointer)
    problem(client.get("/v1/authenticity/verify", params={"office": "EM"}), 400,
            "bad-parameter", "/number")
    problem(client.get("/v1/authenticity/batches/" + "0" * 64), 404, "not-found")
    problem(client.get("/v1/authenticity/batches/nothex"), 400, "bad-parameter")
    page = client.get("/authenticity/verify", params={**good, "salt": "xyz"})
    assert page.status_code == 400 and "salt" in page.text
    page = client.get("/authenticity/verify", params={**good, "country": "", "point": ""})
    assert page.status_code == 200  # the form's empty optional fields


def test_inspections_elsewhere_give_a_clone_warning(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:3])
    register(client, brand, batch)
    url = batch.url("SN-000002")
    from ipledger.services.authenticity_client import label_commitment

    inspect = {"authority": "DE", "commitment": label_commitment(url), "country": "DE",
               "point": "Hamburg port", "outcome": "released"}
    resp = post_entry(client, brand, "customs", "authenticity.inspect", inspect)
    assert resp.status_code == 201, resp.text
    here = answer(client, batch, "SN-000002", country="DE", point="Hamburg port")
    assert here["verdict"] == "genuine" and here["inspections"]["count"] == 1
    assert answer(client, batch, "SN-000002")["verdict"] == "genuine"  # one place only
    away = answer(client, batch, "SN-000002", country="FR", point="Le Havre")
    assert away["verdict"] == "seen-elsewhere"
    assert "DE Hamburg port" in away["clone_warning"]
    assert answer(client, batch, "SN-000003", country="FR")["verdict"] == "genuine"

    resp = post_entry(client, brand, "customs", "authenticity.inspect",
                      {**inspect, "country": "NL", "point": "Rotterdam", "outcome": "detained"})
    assert resp.status_code == 201, resp.text
    twice = answer(client, batch, "SN-000002")
    assert twice["verdict"] == "seen-elsewhere" and twice["inspections"]["count"] == 2
    assert "2 different places" in twice["clone_warning"]
    page = client.get("/authenticity/verify", params=batch.params("SN-000002"))
    assert 'data-verdict="seen-elsewhere"' in page.text and "Rotterdam" in page.text


def test_a_lapsed_mark_takes_no_batches_but_old_items_still_verify(
        client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:3])
    register(client, brand, batch)
    # Never renewed: ten years on, past the grace period, the mark lapses by itself.
    expiry = brand.mark()["dates"]["expiry_date_computed"]
    brand.tick(brand.node.clock.now_ms + 3_800 * DAY_MS)
    assert brand.mark()["state"] == "lapsed", expiry
    late = Batch(brand.number, SERIALS[10:12])
    upload(client, brand.owner, late.data)
    before = unchanged(brand)
    doc = problem(post_batch(client, brand, "owner", late.body()), 409, "right-not-in-force",
                  "/body/number")
    assert "lapsed" in doc["detail"] and unchanged(brand) == before
    old = answer(client, batch, "SN-000001")
    assert old["verdict"] == "genuine"
    assert old["mark"]["status"] == "lapsed" and old["mark"]["in_force"] is False
    page = client.get("/authenticity/verify", params=batch.params("SN-000001"))
    # The status is named in the reader's language (English here: "Lapsed").
    assert re.search(r"lapsed\s*\(not in force\)", page.text, re.IGNORECASE)


def test_replay_equals_live_and_a_rebuilt_index_answers_the_same(
        client: TestClient, brand: Brand, tmp_path: Path) -> None:
    batches = [Batch(brand.number, SERIALS[i:i + 10]) for i in (0, 10)]
    register(client, brand, batches[0])
    register(client, brand, batches[1], "licensee")
    post_entry(client, brand, "customs", "authenticity.inspect", {
        "authority": "DE", "commitment": "ab" * 32, "country": "DE", "point": "Kiel",
        "outcome": "seized"})
    ledger = brand.node.ledger
    report = replay_register(ledger.store, ledger.origin)
    assert report.ok, report.problems
    assert report.final_root == ledger.rules.root()

    live = client.app.state.serial_index  # type: ignore[attr-defined]
    rebuilt = SerialIndex(tmp_path / "rebuilt.sqlite")
    from ipledger.api.authenticity import refresh_index
    from ipledger.api.documents import FilesystemDocumentStore

    store = FilesystemDocumentStore(brand.node.data / "documents")
    # Twice, a little at a time: catching up in steps gives the same index as in one go.
    rebuilt.refresh(ledger.store, ledger.store.tree_size() - 3,  # type: ignore[arg-type]
                    lambda sha: store.path_of(sha).read_bytes())
    refresh_index(ledger, rebuilt, store)
    assert rebuilt.count() == live.count() == 20
    assert [(b.batch, b.state) for b in rebuilt.batches()] == \
        [(b.batch, b.state) for b in live.batches()]
    labels = [Label("EM", brand.number, s, b.salts.get(s, bytes(16)), "DE")
              for b in batches for s in SERIALS[:25]]
    read = ledger.store.read_record
    assert [verify(read, rebuilt, lab) for lab in labels] == \
        [verify(read, live, lab) for lab in labels]
    assert sum(verify(read, rebuilt, lab)["verdict"] == "genuine" for lab in labels) == 20
    rebuilt.close()


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    verify_op = paths["/v1/authenticity/verify"]["get"]
    assert verify_op["responses"]["200"]["content"]["application/json"]["example"]["verdict"]
    assert all("example" in p for p in verify_op["parameters"])
    assert "201" in paths["/v1/authenticity/batches"]["post"]["responses"]
    assert "404" in paths["/v1/authenticity/batches/{sha256}"]["get"]["responses"]
    assert "text/html" in paths["/authenticity/verify"]["get"]["responses"]["200"]["content"]
    types = client.get("/v1/types").json()["register"]
    for name in ("authenticity.batch", "authenticity.distributors", "authenticity.inspect"):
        check_object(types[name]["example"], RULES[name].schema, "/body")  # a valid body


def test_a_genuine_item_is_provable_offline(client: TestClient, brand: Brand) -> None:
    batch = Batch(brand.number, SERIALS[:20])
    register(client, brand, batch)
    doc = client.get("/v1/authenticity/verify",
                     params={**batch.params("SN-000005"), "proofs": "1"}).json()
    extract = doc["extract"]
    listed = client.get(f"/v1/authenticity/batches/{batch.sha256}/commitments")
    assert listed.status_code == 200 and listed.content == batch.data
    verifiers = [brand.node.ledger.note_signer.verifier()]
    label = Label("EM", brand.number, "SN-000005", batch.salts["SN-000005"])
    proven = check_offline(label, extract, listed.content, verifiers)
    assert proven["batch"] == batch.sha256 and proven["by"] == pid(brand.owner)

    def fails(step: str, label: Label = label, extract: dict[str, Any] = extract,
              data: bytes = batch.data) -> None:
        with pytest.raises(ProofError) as info:
            check_offline(label, extract, data, verifiers)
        assert info.value.step == step, info.value

    fails("serial", Label("EM", brand.number, "SN-000005", bytes(16)))
    fails("mark", Label("EM", brand.pending, "SN-000005", batch.salts["SN-000005"]))
    fails("commitment-list", data=batch.data[:-65])
    fails("extract-state-proof", extract={**extract, "record": {**extract["record"],
                                                                "product": "Forged"}})
    unknown = client.get("/v1/authenticity/verify",
                         params={**batch.params("SN-999999"), "proofs": "1"}).json()
    assert "extract" not in unknown
    problem(client.get("/v1/authenticity/verify", params={**batch.params("SN-000005"),
                                                          "proofs": "2"}), 400,
            "bad-parameter", "/proofs")
    problem(client.get("/v1/authenticity/batches/" + "1" * 64 + "/commitments"), 404,
            "not-found")
