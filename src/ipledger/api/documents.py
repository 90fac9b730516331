"""``/v1/documents/{sha256}``: the document store over HTTP, confidential until publication.

``PUT`` streams a document into the store (``documents/``): the body is the file, its
``Content-Type`` its media type, the path its SHA-256. It needs a session (``api/auth.py``).

``GET``/``HEAD`` serve a document to whoever may read it:

- **anyone**, if a published right lists it (``right.add_document``): a right whose content
  is disclosed, as ``api/registry.py`` decides what it serves publicly;
- otherwise only a party to the file of a right that lists it (applicant/owner,
  representative) or staff of that right's office (``registry/access.py:
  may_read_confidential``), or a party who uploaded these very bytes.

Anyone else gets the same 404 as for a hash nothing is stored under: the answer never says
whether a confidential document exists. Which rights list a document is the register's
index ``docref/<sha256>/<right record id>``, written by ``right.add_document``: one range
read, whatever the size of the register.

An upload answers 201 when the document is new *to the uploader* and 200 when the uploader
could read it already (re-sending it is idempotent); uploading bytes someone else stored
confidentially also answers 201 and is written and hashed in full like a new document, so
neither the status nor the time taken reveals that they were there.
"""

from __future__ import annotations

import logging
import mimetypes
import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ipledger.api.auth import CONFIDENTIAL, NO_STORE, Party, current_party, require_party
from ipledger.codec import parse_json
from ipledger.documents import (
    DocumentError,
    DocumentInfo,
    DocumentStore,
    FilesystemDocumentStore,
    is_sha256_hex,
)
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.access import may_read_confidential
from ipledger.registry.records import document_ref_record

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
_UTF8 = ("utf-8", "utf8", "us-ascii")


def document_store(request: Request) -> DocumentStore:
    """The app's document store: ``app.state.documents`` if set, else the one the node's
    configuration (``app.state.config``: ``[documents]``) names, else ``documents/`` next to
    a SQLite ledger, else a temporary directory."""
    state = request.app.state
    store: DocumentStore | None = getattr(state, "documents", None)
    if store is None:
        config = getattr(state, "config", None)
        if config is not None:
            store = FilesystemDocumentStore.from_config(config)
        else:
            store = FilesystemDocumentStore(_default_directory(state.ledger))
        state.documents = store
    return store


def _default_directory(ledger: Ledger) -> Path:
    sqlite_file = getattr(ledger.store, "path", None)
    if isinstance(sqlite_file, str):
        return Path(sqlite_file).parent / "documents"
    directory = Path(tempfile.mkdtemp(prefix="ipledger-documents-"))
    log.warning("no [documents] configuration: documents are kept in %s", directory)
    return directory


def _name(request: Request) -> str:
    sha256: str = request.path_params["sha256"]
    if not is_sha256_hex(sha256):
        raise Rejection("bad-parameter", "a document is named by its SHA-256: 64 lowercase "
                        "hex digits", "/sha256")
    return sha256


def _not_found() -> Rejection:
    # One answer for "nothing stored" and "not for you": no existence oracle.
    return Rejection("not-found", "no document with this SHA-256 is available", "/sha256",
                     status=404)


def _rights_listing(ledger: Ledger, sha256: str) -> list[dict[str, Any]]:
    """The rights that list the document (``docref/`` index, checked against each right)."""
    prefix = document_ref_record(sha256, "")
    rights = []
    for ref in ledger.store.record_ids(prefix):
        raw = ledger.store.read_record(ref[len(prefix):])
        if raw is None:
            continue
        right = dict(parse_json(raw))
        if any(d.get("sha256") == sha256 for d in right.get("documents", [])):
            rights.append(right)
    return rights


def _published(right: dict[str, Any]) -> bool:
    """Public as in ``api/registry.py: get_right``: the right's content is disclosed."""
    return "data" in right


def _visible(request: Request, store: DocumentStore, sha256: str,
             party: Party | None) -> tuple[DocumentInfo, bool] | None:
    """``(info, public)`` if ``party`` (None: the public) may read the document, else None."""
    ledger: Ledger = request.app.state.ledger
    rights = _rights_listing(ledger, sha256)
    info = store.info(sha256)
    if info is None:
        return None
    if any(_published(r) for r in rights):
        return info, True
    if party is None:
        return None
    if party.id in info.uploaders or any(
            may_read_confidential(party.read, r, party.id) for r in rights):
        return info, False
    return None


def _declared_media_type(request: Request) -> str:
    header = request.headers.get("content-type", "")
    media_type, *params = (p.strip() for p in header.split(";"))
    media_type = media_type.lower()
    if not media_type:
        raise Rejection("unsupported-media-type", "send the document's media type as "
                        "Content-Type", "/headers/content-type", status=415)
    for param in params:  # parameters are not kept; a text/plain charset must be UTF-8
        name, _, value = param.partition("=")
        if media_type == "text/plain" and name.strip().lower() == "charset" \
                and value.strip().strip('"').lower() not in _UTF8:
            raise Rejection("unsupported-media-type", "text/plain is accepted in UTF-8 only",
                            "/headers/content-type", status=415)
    return media_type


def _problem(exc: DocumentError) -> Rejection:
    pointer = {"hash-mismatch": "/sha256", "bad-parameter": "/sha256",
               "unsupported-media-type": "/headers/content-type",
               "media-type-mismatch": "/headers/content-type"}.get(exc.rule, "")
    return Rejection(exc.rule, exc.detail, pointer, status=exc.status)


async def put_document(request: Request) -> Response:
    sha256 = _name(request)
    party = require_party(request)  # 401 before a byte of the body is read
    store = document_store(request)
    media_type = _declared_media_type(request)
    if media_type not in store.allowed_media_types:
        raise Rejection("unsupported-media-type", f"{media_type} is not accepted; accepted: "
                        f"{', '.join(sorted(store.allowed_media_types))}",
                        "/headers/content-type", status=415)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > store.max_bytes:
        raise Rejection("body-too-large", f"the document is {int(length)} bytes; at most "
                        f"{store.max_bytes}", status=413)
    known = _visible(request, store, sha256, party) is not None
    try:
        stored = await store.put(request.stream(), media_type, sha256=sha256,
                                 uploader=party.id, skip_write_if_stored=known)
    except DocumentError as exc:
        raise _problem(exc) from None
    except ClientDisconnect:
        raise Rejection("bad-parameter", "the client went away before the whole document "
                        "arrived; nothing was stored") from None
    created = not (known and not stored.created)
    return JSONResponse(
        {"sha256": stored.sha256, "size": stored.size, "media_type": stored.media_type,
         "created": created},
        status_code=201 if created else 200,
        headers={"Location": f"/v1/documents/{sha256}", **NO_STORE})


def _filename(sha256: str, media_type: str) -> str:
    ext = mimetypes.guess_extension(media_type, strict=False) or ""
    return f"{sha256}{ext}"


async def get_document(request: Request) -> Response:
    sha256 = _name(request)
    party = current_party(request)  # a bad token is a 401 whether or not the document exists
    store = document_store(request)
    found = _visible(request, store, sha256, party)
    if found is None:
        raise _not_found()
    info, public = found
    media_type = info.media_type or "application/octet-stream"
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{_filename(sha256, media_type)}"',
        "X-Content-Type-Options": "nosniff",
        **({"Cache-Control": IMMUTABLE} if public else CONFIDENTIAL),
    }
    content_type = f"{media_type}; charset=utf-8" if media_type == "text/plain" else media_type
    wanted = request.headers.get("if-none-match", "")
    if wanted.strip() == "*" or etag in {t.strip().removeprefix("W/") for t in
                                         wanted.split(",")}:
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(info.size)
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=content_type)
    return StreamingResponse(store.read(sha256), headers=headers, media_type=content_type)


routes = [
    Route("/v1/documents/{sha256}", get_document, methods=["GET", "HEAD"]),
    Route("/v1/documents/{sha256}", put_document, methods=["PUT"]),
]
