"""``/v1/documents``: uploads over HTTP, and who may read a document (confidential until the
right that lists it is published).

Real Ed25519 keys and a real register built through the ledger (tests/api/access_scenario.py);
``right.add_document`` entries go through the ledger too.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from ipledger.codec import parse_json
from ipledger.documents import FilesystemDocumentStore
from ipledger.registry.engine import replay_register
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import document_ref_record
from ipledger.services.auth_client import AuthSession, login
from tests.api.access_scenario import Register, problem
from tests.registry.conftest import ORIGIN
from tests.registry.test_rights_lifecycle import MARK, SALT

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def session(client: TestClient, register: Register, who: str) -> AuthSession:
    return login("", register.keys[who], client=client, expected_origin=ORIGIN)


def upload(client: TestClient, s: AuthSession | None, data: bytes,
           media_type: str = "application/pdf", name: str | None = None,
           **kw: Any) -> Any:
    headers = {"Content-Type": media_type, **(s.headers if s else {})}
    return client.put(f"/v1/documents/{name or sha(data)}", content=data, headers=headers,
                      **kw)


def add_document(register: Register, who: str, number: str, data: bytes,
                 media_type: str = "application/pdf") -> None:
    register.node.submit(register.keys[who], "right.add_document", {
        "office": "EM", "kind": "trademark", "number": number, "sha256": sha(data),
        "media_type": media_type, "title": "Mark representation", "category": "representation"})


def content_files(client: TestClient) -> list[Path]:
    store = client.app.state.documents
    return sorted(p for p in (store.root / "sha256").rglob("*") if p.is_file())


# -- uploading ---------------------------------------------------------------------------


def test_uploads_need_a_session(client: TestClient, register: Register) -> None:
    doc = problem(upload(client, None, PDF), 401, "invalid-token", "/headers/authorization")
    assert doc["detail"]
    resp = upload(client, None, PDF)
    assert resp.headers["www-authenticate"].startswith("Bearer")
    bad = client.put(f"/v1/documents/{sha(PDF)}", content=PDF, headers={
        "Content-Type": "application/pdf", "Authorization": "Bearer nope"})
    problem(bad, 401, "invalid-token")
    assert not (register.node.data / "documents" / "sha256").exists()


def test_upload_is_stored_once_under_its_hash(client: TestClient, register: Register) -> None:
    s = session(client, register, "applicant")
    resp = upload(client, s, PDF)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"sha256": sha(PDF), "size": len(PDF), "media_type": "application/pdf",
                           "created": True}
    assert resp.headers["location"] == f"/v1/documents/{sha(PDF)}"
    # The default store of a node without [documents] settings: DATA/documents.
    path = register.node.data / "documents" / "sha256" / sha(PDF)[:2] / sha(PDF)[2:4] / sha(PDF)
    assert path.read_bytes() == PDF
    again = upload(client, s, PDF)
    assert again.status_code == 200 and again.json()["created"] is False
    chunked = client.put(f"/v1/documents/{sha(PDF)}", content=iter([PDF[:1000], PDF[1000:]]),
                         headers={"Content-Type": "application/pdf; charset=binary",
                                  **s.headers})
    assert chunked.status_code == 200, chunked.text
    assert content_files(client) == [path]


def test_refused_uploads_are_problems_and_leave_nothing(client: TestClient,
                                                        register: Register) -> None:
    s = session(client, register, "applicant")
    client.app.state.documents = FilesystemDocumentStore(
        register.node.data / "small", max_bytes=100_000,
        allowed_media_types=("application/pdf", "image/png", "text/plain"))
    big = PDF + os.urandom(100_000)
    problem(upload(client, s, big), 413, "body-too-large")
    streamed = client.put(f"/v1/documents/{sha(big)}", content=iter([big[:60_000], big[60_000:]]),
                          headers={"Content-Type": "application/pdf", **s.headers})
    problem(streamed, 413, "body-too-large")
    problem(upload(client, s, PDF, "application/x-msdownload"), 415, "unsupported-media-type",
            "/headers/content-type")
    problem(upload(client, s, PDF, ""), 415, "unsupported-media-type")
    problem(upload(client, s, b"plain", "text/plain; charset=latin-1"), 415,
            "unsupported-media-type")
    problem(upload(client, s, PNG, "application/pdf"), 415, "media-type-mismatch",
            "/headers/content-type")
    problem(upload(client, s, PDF, "image/png"), 415, "media-type-mismatch")
    problem(upload(client, s, b"text\x00", "text/plain"), 415, "media-type-mismatch")
    doc = problem(upload(client, s, PDF, name=sha(PNG)), 422, "hash-mismatch", "/sha256")
    assert sha(PDF) in doc["detail"]
    problem(upload(client, s, PDF, name="A" * 64), 400, "bad-parameter", "/sha256")
    problem(client.get("/v1/documents/abc"), 400, "bad-parameter")
    leftovers = [p for p in (register.node.data / "small").rglob("*") if p.is_file()]
    assert leftovers == []
    assert upload(client, s, PNG, "image/png").status_code == 201


# -- reading: who may see what -----------------------------------------------------------

VIEWERS = ("applicant", "representative", "registrar", "examiner")
STRANGERS = ("other_party", "us_registrar")


def _get(client: TestClient, s: AuthSession | None, data: bytes, method: str = "GET",
         **headers: str) -> Any:
    return client.request(method, f"/v1/documents/{sha(data)}",
                          headers={**(s.headers if s else {}), **headers})


def test_confidential_until_the_right_is_published(client: TestClient,
                                                   register: Register) -> None:
    sessions = {who: session(client, register, who) for who in (*VIEWERS, *STRANGERS)}
    assert upload(client, sessions["applicant"], PDF).status_code == 201
    add_document(register, "applicant", "000000001", PDF)  # the unpublished application

    missing = _get(client, None, b"never uploaded")
    hidden = _get(client, None, PDF)
    for resp in (missing, hidden):
        problem(resp, 404, "not-found", "/sha256")
    # The same answer as for nothing at all: no existence oracle.
    strip = ("instance",)
    assert {k: v for k, v in hidden.json().items() if k not in strip} == \
        {k: v for k, v in missing.json().items() if k not in strip}
    for who in STRANGERS:
        resp = _get(client, sessions[who], PDF)
        problem(resp, 404, "not-found")
        assert resp.json()["detail"] == missing.json()["detail"]
        assert _get(client, sessions[who], PDF, "HEAD").status_code == 404
    for who in VIEWERS:
        resp = _get(client, sessions[who], PDF)
        assert resp.status_code == 200, (who, resp.text)
        assert resp.content == PDF
        assert resp.headers["content-type"] == "application/pdf"
        assert resp.headers["content-length"] == str(len(PDF))
        assert resp.headers["content-disposition"] == f'attachment; filename="{sha(PDF)}.pdf"'
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["etag"] == f'"{sha(PDF)}"'
        assert resp.headers["cache-control"] == "private, no-store"
        assert "Authorization" in resp.headers["vary"]
        assert "access-control-allow-origin" not in resp.headers
        head = _get(client, sessions[who], PDF, "HEAD")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(PDF))
    problem(_get(client, None, PDF, Authorization="Bearer not-a-session"), 401, "invalid-token")

    # Published: anyone, cached for good.
    register.node.submit(register.keys["applicant"], "right.disclose", {
        "office": "EM", "kind": "trademark", "number": "000000001", "data": MARK, "salt": SALT})
    public = _get(client, None, PDF, Origin="https://verifier.example")
    assert public.status_code == 200 and public.content == PDF
    assert public.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert public.headers["access-control-allow-origin"] == "*"
    for who in STRANGERS:
        assert _get(client, sessions[who], PDF).status_code == 200
    unchanged = _get(client, None, PDF, **{"If-None-Match": f'"{sha(PDF)}"'})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == f'"{sha(PDF)}"'
    # The index is register state, reproduced by replay.
    store = register.node.ledger.store
    ref = document_ref_record(sha(PDF), "right/EM/trademark/000000001")
    assert store.record_ids(document_ref_record(sha(PDF), "")) == [ref]
    assert parse_json(store.read_record(ref)) == {}
    report = replay_register(store, register.node.ledger.origin)
    assert report.ok, report.problems


def test_a_published_right_makes_its_documents_public_at_once(
        client: TestClient, register: Register) -> None:
    registrar = session(client, register, "registrar")
    assert upload(client, registrar, PNG, "image/png").status_code == 201
    assert _get(client, None, PNG).status_code == 404
    add_document(register, "registrar", "000000002", PNG, "image/png")  # disclosed right
    resp = _get(client, None, PNG)
    assert resp.status_code == 200 and resp.content == PNG
    assert resp.headers["content-type"] == "image/png"
    assert resp.headers["content-disposition"] == f'attachment; filename="{sha(PNG)}.png"'
    # Re-sending a public document is idempotent for anyone: 200.
    other = session(client, register, "other_party")
    again = upload(client, other, PNG, "image/png")
    assert again.status_code == 200 and again.json()["created"] is False


def test_an_uploader_may_read_what_it_uploaded_and_nobody_else(
        client: TestClient, register: Register) -> None:
    other, applicant = (session(client, register, w) for w in ("other_party", "applicant"))
    text = "Entwurf, vertraulich ✓\n".encode()
    first = upload(client, other, text, "text/plain; charset=utf-8")
    assert first.status_code == 201, first.text
    resp = _get(client, other, text)
    assert resp.status_code == 200 and resp.content == text
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.headers["cache-control"] == "private, no-store"
    for s in (None, applicant, session(client, register, "registrar")):
        assert _get(client, s, text).status_code == 404
    # Sending bytes someone else holds confidentially does not reveal that they are there:
    # 201 like a new document (and the sender may read what it evidently has).
    second = upload(client, applicant, text, "text/plain")
    assert second.status_code == 201 and second.json()["created"] is True
    assert _get(client, applicant, text).status_code == 200
    assert upload(client, applicant, text, "text/plain").status_code == 200
    assert len(content_files(client)) == 1


def test_a_listed_but_never_uploaded_document_is_404_for_everyone(
        client: TestClient, register: Register) -> None:
    add_document(register, "applicant", "000000002", PDF)
    applicant = session(client, register, "applicant")
    assert _get(client, None, PDF).status_code == 404
    assert _get(client, applicant, PDF).status_code == 404
    assert upload(client, applicant, PDF).status_code == 201
    assert _get(client, None, PDF).status_code == 200


def test_the_register_index_names_each_listing_right(register: Register) -> None:
    node = register.node
    node.submit(register.keys["applicant"], "right.file", {
        "office": "EM", "kind": "trademark", "applicants": [register.party("applicant")],
        "classes": [30], "commitment": content_commitment(SALT, MARK),
        "payment": {"amount": 85_000, "currency": "EUR"}})
    for number in ("000000001", "000000003"):
        add_document(register, "applicant", number, PDF)
    ids = node.ledger.store.record_ids(document_ref_record(sha(PDF), ""))
    assert ids == [document_ref_record(sha(PDF), f"right/EM/trademark/{n}")
                   for n in ("000000001", "000000003")]
    assert replay_register(node.ledger.store, node.ledger.origin).ok


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]["/v1/documents/{sha256}"]
    assert set(paths) == {"put", "get", "head"}
    assert {"201", "200", "401", "413", "415", "422"} <= set(paths["put"]["responses"])
    rules = spec["components"]["schemas"]["Problem"]["properties"]["rule"]["enum"]
    assert {"hash-mismatch", "media-type-mismatch"} <= set(rules)
    assert client.get("/problems/hash-mismatch").status_code == 200
