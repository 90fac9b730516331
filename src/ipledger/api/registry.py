"""``/v1/state`` and ``/v1/rights``: register records with offline-verifiable extracts."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.auth import confidential_right, current_party
from ipledger.api.bodies import int_param
from ipledger.api.observability import timed_proof
from ipledger.api.registers import is_mirror, ledger_of
from ipledger.codec import parse_json
from ipledger.ledger import Ledger, Rejection, parse_rfc3339_ms
from ipledger.registry.engine import entry_type_catalogue
from ipledger.registry.extract import make_extract
from ipledger.registry.records import party_record, right_record
from ipledger.registry.st96_export import (
    NoST96Document,
    legal_status_xml,
    right_xml,
    trademark_record,
)
from ipledger.storage.base import StoredCheckpoint


def _checkpoint_as_of(request: Request, ledger: Ledger) -> StoredCheckpoint:
    """The latest checkpoint, or the one asked for by ``?size=N`` or ``?at=<RFC 3339>``."""
    store = ledger.store
    if "size" in request.query_params:
        size = int_param(request, "size")
        checkpoint = store.checkpoint_at(size)
        if checkpoint is None:
            raise Rejection("not-found", f"no checkpoint was published at size {size}", "/size",
                            status=404)
        return checkpoint
    if "at" in request.query_params:
        try:
            at_ms = parse_rfc3339_ms(request.query_params["at"])
        except ValueError as exc:
            raise Rejection("bad-parameter", f"'at' {exc}", "/at") from None
        sizes = store.checkpoint_sizes()

        def time_of(size: int) -> int:
            if size == 0:
                return -1
            entry = parse_json(store.read_entries(size - 1, size)[0])
            return parse_rfc3339_ms(entry["seq"]["time"])

        # Checkpoint sizes grow with time: find the last whose newest entry is not after 'at'.
        pos = bisect.bisect_right(range(len(sizes)), at_ms, key=lambda i: time_of(sizes[i]))
        if pos == 0:
            raise Rejection("not-found", "the ledger has no checkpoint that early", "/at",
                            status=404)
        found = store.checkpoint_at(sizes[pos - 1])
        assert found is not None
        return found
    return ledger.latest_checkpoint()


async def get_state_extract(request: Request) -> Response:
    ledger = ledger_of(request)
    record_id = request.path_params["record_id"]
    if record_id.startswith("right/"):
        raise Rejection("not-found", "rights are served under /v1/rights", "/record_id",
                        status=404)
    checkpoint = _checkpoint_as_of(request, ledger)
    doc = await timed_proof(request, "extract", make_extract, ledger, record_id, checkpoint)
    return JSONResponse(doc)


async def get_right_extract(request: Request) -> Response:
    ledger = ledger_of(request)
    p = request.path_params
    record_id = right_record(p["office"], p["kind"], p["number"])
    checkpoint = _checkpoint_as_of(request, ledger)
    doc = await timed_proof(request, "extract", make_extract, ledger, record_id, checkpoint)
    if doc["record"] is not None and "data" not in doc["record"]:
        # Confidential until published: not even the record's existence is confirmed.
        raise _no_published_right(p["office"], p["kind"], p["number"])
    return JSONResponse(doc)


def _no_published_right(office: str, kind: str, number: str) -> Rejection:
    """The one answer for a right that is absent or unpublished (no existence oracle)."""
    return Rejection("not-found", f"no published right {office}/{kind}/{number}", "/number",
                     status=404)


def _read_right(ledger: Ledger, record_id: str) -> dict[str, Any] | None:
    raw = ledger.store.read_record(record_id)
    return None if raw is None else dict(parse_json(raw))


async def _st96_response(make: Callable[..., bytes], *args: Any) -> Response:
    try:
        xml = await asyncio.to_thread(make, *args)
    except NoST96Document as exc:
        raise Rejection("not-found", str(exc), "/kind", status=404) from None
    return Response(xml, media_type="application/xml")


async def get_right(request: Request) -> Response:
    """The right as JSON (``…/{number}``) or ST.96 XML (``…/{number}.xml``), if published."""
    ledger = ledger_of(request)
    p = request.path_params
    number, as_xml = p["number"], p["number"].endswith(".xml")
    number = number.removesuffix(".xml")
    record_id = right_record(p["office"], p["kind"], number)
    party = current_party(request)  # a bad token is a 401 whether or not the right exists
    right = _read_right(ledger, record_id)
    # A mirror never shows an unpublished right: this node's sessions are not the office's.
    confidential = None if as_xml or is_mirror(request) else confidential_right(
        party, record_id, right)
    if confidential is not None:  # unpublished: only parties to the file and office staff
        return confidential
    if right is None or "data" not in right:
        raise _no_published_right(p["office"], p["kind"], number)
    read_party = _party_reader(ledger)
    if as_xml:
        return await _st96_response(right_xml, right, read_party)
    doc: dict[str, Any] = {"record_id": record_id, "right": right}
    if right["kind"] == "trademark":
        doc["st96"] = trademark_record(right, read_party)
    return JSONResponse(doc)


def _party_reader(ledger: Ledger) -> Callable[[str], dict[str, Any] | None]:
    def read_party(party_id: str) -> dict[str, Any] | None:
        value = ledger.store.read_record(party_record(party_id))
        return None if value is None else dict(parse_json(value))

    return read_party


async def get_legal_status(request: Request) -> Response:
    """A published patent's or utility model's legal status as ST.96 (WIPO ST.27 codes)."""
    ledger = ledger_of(request)
    p = request.path_params
    right = _read_right(ledger, right_record(p["office"], p["kind"], p["number"]))
    if right is None or "data" not in right:
        raise _no_published_right(p["office"], p["kind"], p["number"])
    return await _st96_response(legal_status_xml, right, _party_reader(ledger))


async def get_types(request: Request) -> Response:
    ledger = ledger_of(request)
    catalogue = entry_type_catalogue()
    other = sorted(t for t in ledger.validator.entry_types if t not in catalogue)
    return JSONResponse({"register": catalogue, "other": other})


routes = [
    Route("/v1/types", get_types, methods=["GET"]),
    Route("/v1/state/{record_id:path}", get_state_extract, methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/extract", get_right_extract, methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}/legal-status.xml", get_legal_status,
          methods=["GET"]),
    Route("/v1/rights/{office}/{kind}/{number}", get_right, methods=["GET"]),
]
