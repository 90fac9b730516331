"""``/v1/authenticity``: product batches and their verification (docs/authenticity.md).

``GET /v1/authenticity/verify`` answers whether an item is genuine from what its label
carries (mark, serial, salt), with the mark's status, owners and authorized distributors
(``services/authenticity.py``); anyone may ask, nothing is recorded. ``POST
/v1/authenticity/batches`` takes a signed ``authenticity.batch`` entry and, before it is
sequenced, checks that the commitment list it names is in the document store and well
formed (right count, sorted): a batch whose items could never be verified is refused and
changes nothing. ``GET /v1/authenticity/batches/{sha256}`` shows a batch and its index state.

The serial index lives in ``DATA/authenticity/serials.sqlite`` (derived; rebuilt from the
log and the stored lists if deleted) and is brought up to the committed register before
each answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ipledger.api.bodies import entry_of_type, read_body
from ipledger.api.documents import IMMUTABLE, document_store
from ipledger.api.problems import problem_responses
from ipledger.codec import parse_json
from ipledger.documents import DocumentStore, FilesystemDocumentStore, is_sha256_hex
from ipledger.identity import SigningKey
from ipledger.ledger import MAX_SUBMITTED_BYTES, Ledger, Rejection, make_envelope
from ipledger.registry.engine import RULES
from ipledger.registry.extract import make_extract
from ipledger.registry.families.authenticity import batch_record
from ipledger.registry.schema import check_object
from ipledger.services.authenticity import Label, verify
from ipledger.services.serial_index import SerialIndex
from ipledger.services.serials import (
    NUMBER_PATTERN,
    SALT_PATTERN,
    SERIAL_PATTERN,
    SerialError,
    parse_list,
)
from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import validate_st3, validate_st3_country

INDEX_FILE = Path("authenticity") / "serials.sqlite"
LABEL_PARAMS = ("office", "number", "serial", "salt")
PROOF_PARAM = "proofs"
PLACE_PARAMS = ("country", "point")
MAX_POINT = 100


# -- the index ------------------------------------------------------------------------


def serial_index(request: Request) -> SerialIndex:
    """The app's serial index: ``app.state.serial_index`` if set, else in the node's data
    directory (``app.state.config``), else beside a SQLite ledger, else a scratch dir."""
    state = request.app.state
    index: SerialIndex | None = getattr(state, "serial_index", None)
    if index is None:
        config = getattr(state, "config", None)
        sqlite_file = getattr(state.ledger.store, "path", None)
        if config is not None:
            directory = Path(config.data_dir)
        elif isinstance(sqlite_file, str):
            directory = Path(sqlite_file).parent
        else:
            state.serial_scratch = tempfile.TemporaryDirectory(prefix="ipledger-serials-")
            directory = Path(state.serial_scratch.name)
        index = state.serial_index = SerialIndex(directory / INDEX_FILE)
    return index


async def _collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def list_reader(store: DocumentStore) -> Any:
    """A commitment list's bytes by SHA-256 (None if not stored), callable from a thread."""
    def read(sha256: str) -> bytes | None:
        if isinstance(store, FilesystemDocumentStore):
            try:
                return store.path_of(sha256).read_bytes()
            except FileNotFoundError:
                return None
        if not store.exists(sha256):
            return None
        return asyncio.run(_collect(store.read(sha256)))
    return read


def refresh_index(ledger: Ledger, index: SerialIndex, store: DocumentStore) -> int:
    """Bring ``index`` up to the committed register; the tree size it reflects."""
    size = ledger.store.tree_size()
    feed: Any = ledger.store  # storage.sql.SQLStore: changed_record_ids, read_record_at
    index.refresh(feed, size, list_reader(store))
    return size


# -- verification -----------------------------------------------------------------------


def _param(params: dict[str, str], name: str, check: Any, required: bool = True
           ) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise Rejection("bad-parameter", f"query parameter '{name}' is required",
                            f"/{name}")
        return None
    check(value, name)
    return value


def _matches(regex: str, what: str) -> Any:
    compiled = re.compile(regex)

    def check(value: str, name: str) -> None:
        if not compiled.fullmatch(value):
            raise Rejection("bad-parameter", f"'{name}' must be {what}", f"/{name}")
    return check


def _standard(validate: Any) -> Any:
    def check(value: str, name: str) -> None:
        try:
            validate(value, f"/{name}")
        except StandardsError as exc:
            raise Rejection("bad-parameter", f"'{name}': {exc.detail}", f"/{name}") from None
    return check


def _point(value: str, name: str) -> None:
    if not value.strip() or len(value) > MAX_POINT:
        raise Rejection("bad-parameter", f"'{name}' must be 1-{MAX_POINT} characters",
                        f"/{name}")


def parse_label(request: Request, allowed_extra: tuple[str, ...] = (),
                blank_is_absent: bool = False) -> Label:
    """The label and place a verification request names, or a 400 problem naming the
    parameter (unknown and repeated parameters included). ``blank_is_absent``: an empty
    optional field of the HTML form counts as not given."""
    query = request.query_params
    known = (*LABEL_PARAMS, *PLACE_PARAMS, *allowed_extra)
    for name in query:
        if name not in known:
            raise Rejection("bad-parameter", f"unknown query parameter '{name}'", f"/{name}")
        if len(query.getlist(name)) > 1:
            raise Rejection("bad-parameter", f"'{name}' is given more than once", f"/{name}")
    params = {k: v for k, v in query.items() if not (blank_is_absent and k in PLACE_PARAMS
                                                      and not v.strip())}
    office = _param(params, "office", _standard(validate_st3))
    number = _param(params, "number", _matches(NUMBER_PATTERN, "an office number"))
    serial = _param(params, "serial", _matches(SERIAL_PATTERN, "1-64 of A-Z a-z 0-9 . _ -"))
    salt = _param(params, "salt", _matches(SALT_PATTERN, "32 lowercase hex digits"))
    country = _param(params, "country", _standard(validate_st3_country), required=False)
    point = _param(params, "point", _point, required=False)
    if office is None or number is None or serial is None or salt is None:
        raise AssertionError("required parameters are checked above")
    return Label(office, number, serial, bytes.fromhex(salt), country, point)


async def verify_label(request: Request, label: Label) -> dict[str, Any]:
    """The answer for ``label`` as of the committed register."""
    ledger: Ledger = request.app.state.ledger
    index = serial_index(request)
    size = ledger.store.tree_size()
    if not index.is_current(size):  # loading a batch's list takes a while: not on the loop
        size = await asyncio.to_thread(refresh_index, ledger, index, document_store(request))
    # A few point reads (well under a millisecond): cheaper inline than a thread hop.
    return {**verify(ledger.store.read_record, index, label), "tree_size": size}


async def _batch_extract(request: Request, batch: dict[str, Any]) -> dict[str, Any]:
    """The register extract of a batch record, at a checkpoint that covers its entry."""
    ledger: Ledger = request.app.state.ledger
    checkpoint = ledger.latest_checkpoint()
    waiter = getattr(request.app.state, "waiter", None)
    if checkpoint.tree_size <= batch["entry_index"] and waiter is not None:
        checkpoint = await waiter.wait_for(batch["entry_index"] + 1)
    return await asyncio.to_thread(make_extract, ledger, batch_record(batch["batch"]),
                                   checkpoint)


async def get_verify(request: Request) -> Response:
    proofs = request.query_params.get(PROOF_PARAM)
    if proofs not in (None, "0", "1"):
        raise Rejection("bad-parameter", "'proofs' must be 0 or 1", "/proofs")
    label = parse_label(request, allowed_extra=(PROOF_PARAM,))
    answer = await verify_label(request, label)
    if proofs == "1" and answer["batch"] is not None:
        answer["extract"] = await _batch_extract(request, answer["batch"])
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


# -- batches ---------------------------------------------------------------------------


def _batch_body(raw: bytes) -> dict[str, Any]:
    envelope = entry_of_type(raw, "authenticity.batch")
    return check_object(envelope.get("body"), RULES["authenticity.batch"].schema, "/body")


def check_list(store: DocumentStore, sha256: str, count: int) -> None:
    """The commitment list ``sha256`` is stored and holds ``count`` sorted commitments."""
    data = list_reader(store)(sha256)
    if data is None:
        raise Rejection("not-found", "no commitment list with this SHA-256 is in the document "
                        "store: upload it first (PUT /v1/documents/{sha256}, text/plain)",
                        "/body/commitments_sha256", status=422)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Rejection("hash-mismatch", "the stored list does not hash to its name",
                        "/body/commitments_sha256", status=422)
    try:
        parse_list(data, count)
    except SerialError as exc:
        raise Rejection("invalid-value", f"the commitment list is malformed: {exc}",
                        "/body/count" if "lines of" in str(exc) else "/body/commitments_sha256",
                        status=422) from None


def label_base(request: Request) -> str:
    """Where item labels point: ``[server] public_url`` (else this server's address)."""
    config = getattr(request.app.state, "config", None)
    if config is not None:
        return str(config.server.base_url())
    return str(request.base_url).rstrip("/")


async def post_batch(request: Request) -> Response:
    raw = await read_body(request, MAX_SUBMITTED_BYTES, ("application/json",))
    body = _batch_body(raw)
    store = document_store(request)
    await asyncio.to_thread(check_list, store, body["commitments_sha256"], body["count"])
    ledger: Ledger = request.app.state.ledger
    sequenced = await asyncio.wrap_future(ledger.submit(raw))
    index = serial_index(request)
    await asyncio.to_thread(refresh_index, ledger, index, store)
    return JSONResponse({"batch": body["commitments_sha256"], "count": body["count"],
                         "index": sequenced.index, "label_base": label_base(request)},
                        status_code=201, headers={
                            "Location": f"/v1/authenticity/batches/{body['commitments_sha256']}"})


async def get_batch(request: Request) -> Response:
    sha256, raw = _registered_batch(request)
    ledger: Ledger = request.app.state.ledger
    index = serial_index(request)
    await asyncio.to_thread(refresh_index, ledger, index, document_store(request))
    state = next((b for b in index.batches() if b.batch == sha256), None)
    return JSONResponse({**dict(parse_json(raw)),
                         "index_state": state.state if state else "pending",
                         "index_detail": state.detail if state else ""})


def _registered_batch(request: Request) -> tuple[str, bytes]:
    sha256 = request.path_params["sha256"]
    if not is_sha256_hex(sha256):
        raise Rejection("bad-parameter", "a batch is named by the SHA-256 of its commitment "
                        "list: 64 lowercase hex digits", "/sha256")
    ledger: Ledger = request.app.state.ledger
    raw = ledger.store.read_record(batch_record(sha256))
    if raw is None:
        raise Rejection("not-found", "no batch registered with this commitment list",
                        "/sha256", status=404)
    return sha256, raw


async def get_commitments(request: Request) -> Response:
    """A registered batch's commitment list: public (it hides the serials), for offline
    proofs."""
    sha256, _ = _registered_batch(request)
    store = document_store(request)
    if not store.exists(sha256):
        raise Rejection("not-found", "the batch's commitment list is not stored on this node",
                        "/sha256", status=404)
    return StreamingResponse(store.read(sha256), media_type="text/plain; charset=utf-8",
                             headers={"ETag": f'"{sha256}"', "Cache-Control": IMMUTABLE,
                                      "X-Content-Type-Options": "nosniff"})


routes = [
    Route("/v1/authenticity/verify", get_verify, methods=["GET"]),
    Route("/v1/authenticity/batches/{sha256}/commitments", get_commitments, methods=["GET"]),
    Route("/v1/authenticity/batches", post_batch, methods=["POST"]),
    Route("/v1/authenticity/batches/{sha256}", get_batch, methods=["GET"]),
]


# -- OpenAPI ------------------------------------------------------------------------------


def _query(name: str, description: str, schema: dict[str, Any], required: bool = True,
           example: str | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema, **({"example": example} if example else {})}


def label_parameters(required: bool) -> list[dict[str, Any]]:
    """The query parameters of a label (as in its QR code's URL) and of the asker's place.

    The HTML form (``required`` False) sends its optional fields empty when left blank."""
    blank = "" if required else "|"
    return [
        _query("office", "ST.3 code of the office of the trade mark", {
            "type": "string", "pattern": "^[A-Z]{2}$"}, required, "EM"),
        _query("number", "the trade mark's number", {
            "type": "string", "pattern": f"^{NUMBER_PATTERN}$"}, required, "000000001"),
        _query("serial", "the item's serial", {
            "type": "string", "pattern": f"^{SERIAL_PATTERN}$"}, required, "SN-000042"),
        _query("salt", "the item's salt (from its label)", {
            "type": "string", "pattern": f"^{SALT_PATTERN}$"}, required,
            "5a17b2c3d4e5f60718293a4b5c6d7e8f"),
        _query("country", "ST.3 country where the item is being checked", {
            "type": "string", "pattern": f"^({blank}[A-Z]{{2}})$"}, False, "DE"),
        _query("point", "the inspection point or shop (not blank)", {
            "type": "string", "minLength": 0 if blank else 1, "maxLength": MAX_POINT},
            False, "Hamburg port"),
    ]


_PARTY = {"type": "object", "properties": {"party": {"type": "string"},
                                           "name": {"type": ["string", "null"]},
                                           "country": {"type": ["string", "null"]}}}
_VERIFY_EXAMPLE = {
    "verdict": "genuine", "tree_size": 42, "clone_warning": None,
    "in_distribution_territory": True,
    "mark": {"office": "EM", "number": "000000001", "title": "AURORA BREW",
             "status": "registered", "in_force": True, "expiry_date": "2036-09-21",
             "owners": [{"party": "P4A1F2C3D4E5F60718293", "name": "Aurora Brew GmbH",
                         "country": "DE"}]},
    "batch": {"batch": "3b1f" * 16, "product": "AURORA BREW cold brew, 250 ml", "count": 1000,
              "registered_by": {"party": "P4A1F2C3D4E5F60718293", "name": "Aurora Brew GmbH",
                                "country": "DE"},
              "as": "owner", "licence": None, "entry_index": 17},
    "distributors": [{"party": "P9B2E3F4A5B6C7D8E9F01", "name": "Nordkaffee KG",
                      "country": "DE", "territory": ["DE", "AT"]}],
    "inspections": {"count": 0, "recent": []},
}
_BATCH_EXAMPLE = {
    "batch": "3b1f" * 16, "office": "EM", "number": "000000001",
    "product": "AURORA BREW cold brew, 250 ml", "count": 1000, "by": "P4A1F2C3D4E5F60718293",
    "as": "owner", "licence": None, "index": 17, "time_ms": 1_790_000_000_000,
    "index_state": "loaded", "index_detail": ""}


def _batch_example() -> dict[str, Any]:
    """A real, signed authenticity.batch envelope (fixed key, nonce and time) for the docs."""
    body = {k: _BATCH_EXAMPLE[k] for k in ("office", "number", "product", "count")}
    return make_envelope(SigningKey.from_seed(bytes(32)), "office.example/register",
                         "authenticity.batch", {**body, "commitments_sha256": "3b1f" * 16},
                         nonce="doc-example-0003", created_ms=1_790_000_000_000)


OPENAPI_PATHS: dict[str, Any] = {
    "/v1/authenticity/verify": {"get": {
        "summary": "Verify a product from its label: genuine, unknown or seen-elsewhere",
        "description": "The label's mark, serial and salt give the item's commitment, looked "
        "up in the node's serial index. `genuine`: listed in a registered batch; `unknown`: "
        "not listed (a wrong serial or salt is unknown too); `seen-elsewhere`: genuine, but "
        "customs recorded the same item at another place than `country`/`point` (or at two "
        "places when no place is given): a clone warning. With the mark's current status and "
        "owners, the batch and the authorized distributors. Nothing is recorded "
        "(docs/authenticity.md).",
        "parameters": [*label_parameters(True),
                       _query(PROOF_PARAM, "1: include `extract`, the register extract of the "
                              "item's batch (verify offline with the commitment list, "
                              "`ipledger authenticity check`)",
                              {"type": "string", "enum": ["0", "1"]}, False, "1")],
        "responses": {"200": {"description": "The answer", "content": {"application/json": {
            "schema": {"type": "object", "required": ["verdict", "mark", "batch",
                                                      "distributors", "tree_size"],
                       "properties": {
                           "verdict": {"type": "string",
                                       "enum": ["genuine", "unknown", "seen-elsewhere"]},
                           "mark": {"type": ["object", "null"], "properties": {
                               "owners": {"type": "array", "items": _PARTY}}},
                           "batch": {"type": ["object", "null"]},
                           "distributors": {"type": "array", "items": _PARTY},
                           "inspections": {"type": ["object", "null"]},
                           "clone_warning": {"type": ["string", "null"]},
                           "in_distribution_territory": {"type": ["boolean", "null"]},
                           "tree_size": {"type": "integer"},
                           "extract": {"$ref": "#/components/schemas/Extract"}}},
            "example": _VERIFY_EXAMPLE}}},
            **problem_responses(400)}}},
    "/v1/authenticity/batches": {"post": {
        "summary": "Register a batch of products: the body is a signed authenticity.batch "
        "entry (the trade mark's owner, or a licensee whose licence is in force)",
        "description": "Upload the batch's commitment list first (PUT /v1/documents/{sha256}, "
        "text/plain: one lowercase hex commitment per line, sorted). The node checks that it "
        "is stored, hashes to `commitments_sha256` and holds `count` sorted commitments, then "
        "sequences the entry (the register checks the mark is in force and the signer's "
        "right to it at that ledger time) and indexes the serials. `label_base` is where "
        "item labels point ([server] public_url).",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Envelope"},
            "example": _batch_example()}}},
        "responses": {"201": {"description": "Registered and indexed", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "batch": {"type": "string"}, "count": {"type": "integer"},
                "index": {"type": "integer"}, "label_base": {"type": "string"}}},
                "example": {"batch": "3b1f" * 16, "count": 1000, "index": 17,
                            "label_base": "https://register.office.example"}}}},
            **problem_responses(400, 403, 404, 409, 413, 415, 422)}}},
    "/authenticity/verify": {"get": {
        "summary": "The public verification page an item's QR code opens (HTML, no "
        "JavaScript)",
        "description": "Without label parameters: a form. With them: the answer of "
        "/v1/authenticity/verify as a page; a malformed label is a 400 page saying why.",
        "parameters": [*label_parameters(False),
                       _query("lang", "the reader's language (other pages' links carry it)",
                              {"type": "string"}, False)],
        "responses": {code: {"description": what, "content": {"text/html": {
            "schema": {"type": "string"}}}} for code, what in (
                ("200", "The form, or the answer"), ("400", "The label cannot be read"))}}},
    "/v1/authenticity/batches/{sha256}/commitments": {"get": {
        "summary": "A registered batch's commitment list (public: it hides the serials)",
        "description": "Lowercase hex commitments, sorted, one per line; hashes to the "
        "batch's SHA-256. With the batch's extract it proves an item offline.",
        "parameters": [{"name": "sha256", "in": "path", "required": True,
                        "description": "SHA-256 of the batch's commitment list",
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "example": "3b1f" * 16}],
        "responses": {"200": {"description": "The list", "content": {"text/plain": {
            "schema": {"type": "string"}, "example": "0a3f" * 16 + "\n" + "7c21" * 16 + "\n"}}},
            **problem_responses(400, 404)}}},
    "/v1/authenticity/batches/{sha256}": {"get": {
        "summary": "A registered batch and whether its serials are indexed",
        "parameters": [{"name": "sha256", "in": "path", "required": True,
                        "description": "SHA-256 of the batch's commitment list",
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "example": "3b1f" * 16}],
        "responses": {"200": {"description": "The batch record, with `index_state` (loaded, "
                              "missing, invalid or pending)", "content": {"application/json": {
                                  "schema": {"type": "object"},
                                  "example": _BATCH_EXAMPLE}}},
                      **problem_responses(400, 404)}}},
}
