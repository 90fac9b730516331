"""``/v1``: submit entries (one or a batch), read them, prove them."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import int_param, read_body
from ipledger.api.observability import timed_proof
from ipledger.codec import b64_encode
from ipledger.ledger import MAX_SUBMITTED_BYTES, Ledger, Rejection, Sequenced
from ipledger.log import leaf_hash
from ipledger.registry.engine import GENESIS_META
from ipledger.services.evidence import evidence_key

MAX_BATCH_ENTRIES = 1000
MAX_BATCH_BYTES = 8 * 1024 * 1024
_JSON = ("application/json",)
_NDJSON = ("application/x-ndjson", "application/jsonl")


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _path_index(request: Request) -> int:
    raw = request.path_params["index"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
        raise Rejection("bad-parameter", "index must be a non-negative decimal integer", "/index")
    return int(raw)


async def _receipts_for(request: Request, sequenced: list[Sequenced]) -> list[dict[str, Any]]:
    ledger = _ledger(request)
    checkpoint = await request.app.state.waiter.wait_for(max(s.index for s in sequenced) + 1)
    return await timed_proof(request, "receipt", ledger.receipts, [s.index for s in sequenced],
                             checkpoint)


async def post_entry(request: Request) -> Response:
    raw = await read_body(request, MAX_SUBMITTED_BYTES, _JSON)
    sequenced = await asyncio.wrap_future(_ledger(request).submit(raw))
    (receipt,) = await _receipts_for(request, [sequenced])
    return JSONResponse(receipt, status_code=201,
                        headers={"Location": f"/v1/entries/{sequenced.index}"})


def _receipts_wanted(request: Request) -> bool:
    """``?receipts=none``: durable indexes only, no receipts (bulk submitters that fetch
    receipts later or wait for a shared ledger's finality proof)."""
    value = request.query_params.get("receipts", "full")
    if value not in ("full", "none"):
        raise Rejection("bad-parameter", "receipts must be 'full' or 'none'", "/receipts")
    return value == "full"


async def post_batch(request: Request) -> Response:
    """NDJSON: one canonical envelope per line; per-line receipts or problems, in order."""
    raw = await read_body(request, MAX_BATCH_BYTES, _NDJSON)
    lines = [line for line in raw.split(b"\n") if line]
    if not lines:
        raise Rejection("invalid-value", "the batch holds no entries")
    if len(lines) > MAX_BATCH_ENTRIES:
        raise Rejection("body-too-large", f"at most {MAX_BATCH_ENTRIES} entries per batch",
                        status=413)
    with_receipts = _receipts_wanted(request)
    futures = _ledger(request).submit_many(lines)
    outcomes = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures),
                                    return_exceptions=True)
    accepted = [o for o in outcomes if isinstance(o, Sequenced)]
    receipts = iter(await _receipts_for(request, accepted)
                    if accepted and with_receipts else [])
    results: list[dict[str, Any]] = []
    for outcome in outcomes:
        if isinstance(outcome, Sequenced):
            results.append({"status": 201, "receipt": next(receipts)} if with_receipts
                           else {"status": 201, "index": outcome.index})
        elif isinstance(outcome, Rejection):
            results.append({"status": outcome.status, "problem": outcome.problem()})
        else:
            raise outcome
    return JSONResponse({"accepted": len(accepted), "rejected": len(lines) - len(accepted),
                         "results": results})


async def get_entry(request: Request) -> Response:
    index = _path_index(request)
    entry = await asyncio.to_thread(_ledger(request).entry, index)
    cache = "public, max-age=31536000, immutable"
    return Response(entry, media_type="application/json", headers={"Cache-Control": cache})


async def get_inclusion_proof(request: Request) -> Response:
    ledger = _ledger(request)
    index = _path_index(request)
    size = int_param(request, "size", ledger.tree_size())
    proof = await timed_proof(request, "inclusion", ledger.inclusion_proof, index, size)
    entry = await asyncio.to_thread(ledger.entry, index)
    checkpoint = ledger.store.checkpoint_at(size)
    return JSONResponse({
        "index": index,
        "tree_size": size,
        "leaf_hash": b64_encode(leaf_hash(entry)),
        "inclusion_proof": [b64_encode(h) for h in proof],
        "checkpoint": checkpoint.note if checkpoint else None,
    })


async def get_receipt(request: Request) -> Response:
    ledger = _ledger(request)
    index = _path_index(request)
    return JSONResponse(await timed_proof(request, "receipt", ledger.receipt, index))


async def get_consistency_proof(request: Request) -> Response:
    ledger = _ledger(request)
    old = int_param(request, "from")
    new = int_param(request, "to", ledger.tree_size())
    proof = await timed_proof(request, "consistency", ledger.consistency_proof, old, new)
    return JSONResponse({"from": old, "to": new, "proof": [b64_encode(h) for h in proof]})


async def get_evidence(request: Request) -> Response:
    """Every stamp of a SHA-256, each with a receipt against the latest checkpoint."""
    digest = request.path_params["sha256"]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise Rejection("bad-parameter", "sha256 must be 64 lowercase hex digits", "/sha256")
    ledger = _ledger(request)
    checkpoint = ledger.latest_checkpoint()
    indexes = [i for i in ledger.store.lookup_key(evidence_key(digest))
               if i < checkpoint.tree_size]
    receipts = await timed_proof(request, "receipt", ledger.receipts, indexes[:100], checkpoint)
    return JSONResponse({"sha256": digest, "count": len(indexes), "receipts": receipts})


async def get_log_info(request: Request) -> Response:
    ledger = _ledger(request)
    checkpoint = ledger.latest_checkpoint()
    return JSONResponse({
        "origin": ledger.origin,
        "tree_size": checkpoint.tree_size,
        "checkpoint": checkpoint.note,
        "verifier_key": ledger.verifier_key,
        # The register's genesis DID, for mirrors (network/mirror.py); replay checks it.
        "genesis": ledger.store.get_meta(GENESIS_META),
        "entry_types": sorted(ledger.validator.entry_types),
    })


routes = [
    Route("/v1/entries", post_entry, methods=["POST"]),
    Route("/v1/entries/batch", post_batch, methods=["POST"]),
    Route("/v1/entries/{index}", get_entry, methods=["GET"]),
    Route("/v1/entries/{index}/proof", get_inclusion_proof, methods=["GET"]),
    Route("/v1/entries/{index}/receipt", get_receipt, methods=["GET"]),
    Route("/v1/proofs/consistency", get_consistency_proof, methods=["GET"]),
    Route("/v1/evidence/{sha256}", get_evidence, methods=["GET"]),
    Route("/v1/log", get_log_info, methods=["GET"]),
]
