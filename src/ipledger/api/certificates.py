"""``/v1/rights/{office}/{kind}/{number}/certificate.pdf``: a registration certificate."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.observability import timed_proof
from ipledger.api.problems import problem_responses
from ipledger.api.registers import ledger_of
from ipledger.api.registry import _checkpoint_as_of, _no_published_right
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.extract import make_extract
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.records import right_record
from ipledger.services.certificate import certificate_pdf, collect_proof
from ipledger.storage.base import StoredCheckpoint

PDF = "application/pdf"


def public_base_url(request: Request) -> str:
    """``[server] public_url`` (or the listening address) when serving; without a
    configuration (embedded apps, tests), the origin the request came to."""
    config = getattr(request.app.state, "config", None)
    if config is not None:
        return str(config.server.base_url())
    return f"{request.url.scheme}://{request.url.netloc}"


def _certificate(ledger: Ledger, office: str, kind: str, number: str,
                 checkpoint: StoredCheckpoint, base_url: str) -> bytes:
    extract = make_extract(ledger, right_record(office, kind, number), checkpoint)
    right: dict[str, Any] | None = extract["record"]
    if right is None or "data" not in right:  # absent or unpublished: no existence oracle
        raise _no_published_right(office, kind, number)
    if LIFE_STATUS.get(right["state"]) != "in_force":
        raise Rejection("not-registered", f"{office}/{kind}/{number} is {right['state']} as "
                        f"of the checkpoint of size {checkpoint.tree_size}; a certificate is "
                        "issued for a registered right in force (ask for an earlier one with "
                        "?size= or ?at=)", "/number", status=409)
    return certificate_pdf(collect_proof(ledger, extract, checkpoint), base_url)


async def get_certificate(request: Request) -> Response:
    ledger = ledger_of(request)
    p = request.path_params
    checkpoint = _checkpoint_as_of(request, ledger)
    pdf = await timed_proof(request, "certificate", _certificate, ledger, p["office"],
                            p["kind"], p["number"], checkpoint, public_base_url(request))
    name = f"certificate-{p['office']}-{p['kind']}-{p['number']}-{checkpoint.tree_size}.pdf"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return Response(pdf, media_type=PDF,
                    headers={"Content-Disposition": f'inline; filename="{safe}"'})


def openapi_paths(right: list[dict[str, Any]], as_of: list[dict[str, Any]]) -> dict[str, Any]:
    """The route's OpenAPI entry (``right``: the path parameters, ``as_of``: size/at)."""
    return {"/v1/rights/{office}/{kind}/{number}/certificate.pdf": {"get": {
        "summary": "Registration certificate as PDF, with its proof embedded",
        "description": "A published right in force (registered, granted, renewal due, in "
        "grace period) as of the latest checkpoint, or the one `size`/`at` name. The PDF "
        "shows the office, the right, its owners with shares and addresses, classes, dates, "
        "status, the checkpoint and its root hash, and a QR code linking to the right's "
        "extract as of that checkpoint; it embeds the extracts that prove it (PDF file "
        "attachments). Check it offline with `ipledger verify certificate FILE --vkey VKEY` "
        "(docs/certificates.md). 404 for an unknown or unpublished right, 409 (rule "
        "`not-registered`) for one not in force.",
        "parameters": [*right, *as_of],
        "responses": {
            "200": {"description": "PDF 1.7 certificate", "content": {PDF: {
                "schema": {"type": "string", "format": "binary"},
                "example": "%PDF-1.7 …"}}},
            **problem_responses(400, 404, 409)}}}}


routes = [
    Route("/v1/rights/{office}/{kind}/{number}/certificate.pdf", get_certificate,
          methods=["GET"]),
]
