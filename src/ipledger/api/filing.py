"""``/v1``: online filing helpers: fee quotes, fee payment, an applicant's filings.

``POST /v1/fees/quote`` computes fees exactly as the register will check them (the same
function as the filing pages); ``POST /v1/payments`` charges a quote through the node's
payment gateway (``app.state.payments``; the built-in test gateway unless an office sets
its own) and answers the ``payment`` member to put in the entry; ``GET
/v1/parties/{party}/filings`` lists an applicant's filings with their status history.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ipledger.api.bodies import read_body
from ipledger.api.problems import problem_responses
from ipledger.codec import parse_json
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.fee_quote import FeeQuote
from ipledger.registry.lifecycle import ALL_STATES
from ipledger.registry.schema import Field, check_object, pattern
from ipledger.services.filing import QUOTE_EXAMPLE, fee_quote, party_filings
from ipledger.services.payments import PaymentGateway, PaymentRequest, TestGateway

MAX_BODY = 8192
PAYMENT_FIELDS = {"quote": Field(dict), "card_number": Field(str, check=pattern(
    r"[0-9 -]{12,30}", "a card number (12-19 digits, spaces or dashes allowed)"))}


def gateway(request: Request) -> PaymentGateway:
    """The node's payment gateway (a test gateway is installed on first use)."""
    state = request.app.state
    if getattr(state, "payments", None) is None:
        state.payments = TestGateway()
    found: PaymentGateway = state.payments
    return found


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, MAX_BODY, ("application/json",))
    try:
        value = parse_json(raw, allow_floats=False)
    except ValueError as exc:
        raise Rejection("invalid-json", f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Rejection("wrong-type", "the body must be a JSON object", "")
    return dict(value)


def charge(payments: PaymentGateway, quote: FeeQuote, card_number: str,
           pointer: str = "/card_number") -> dict[str, Any]:
    """Charge ``quote``'s total; the ``payment`` member for the entry, or a 402 Rejection."""
    if quote.total == 0:
        raise Rejection("invalid-value", "nothing is due: no payment to make", "/quote")
    result = payments.charge(PaymentRequest(
        quote.total, quote.currency, card_number,
        f"{quote.action} {quote.kind} {quote.office}"))
    if not result.approved or result.reference is None:
        raise Rejection("payment-declined", f"the payment was declined ({result.decline_code})",
                        pointer, status=402)
    return {"amount": quote.total, "currency": quote.currency, "reference": result.reference}


async def post_quote(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    body = await _json_body(request)
    quote = await asyncio.to_thread(fee_quote, ledger, body)
    return JSONResponse(quote.as_json())


async def post_payment(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    body = check_object(await _json_body(request), PAYMENT_FIELDS, "")
    try:
        quote = await asyncio.to_thread(fee_quote, ledger, body["quote"])
    except Rejection as exc:
        raise Rejection(exc.rule, exc.detail, "/quote" + exc.pointer, exc.status) from None
    payment = charge(gateway(request), quote, body["card_number"])
    return JSONResponse({"gateway": gateway(request).name, "quote": quote.as_json(),
                         "payment": payment}, status_code=201)


async def get_filings(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    party = request.path_params["party"]
    pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123")(party, "/party")
    state = request.query_params.get("state")
    if state is not None and state not in ALL_STATES:
        raise Rejection("bad-parameter", f"state must be one of: {', '.join(ALL_STATES)}",
                        "/state")
    filings = await asyncio.to_thread(party_filings, ledger, party)
    if state is not None:
        filings = [f for f in filings if f["state"] == state]
    return JSONResponse({"party": party, "filings": filings})


routes = [
    Route("/v1/fees/quote", post_quote, methods=["POST"]),
    Route("/v1/payments", post_payment, methods=["POST"]),
    Route("/v1/parties/{party}/filings", get_filings, methods=["GET"]),
]

_QUOTE_ANSWER = {"office": "EM", "kind": "trademark", "action": "file", "currency": "EUR",
                 "exponent": 2, "total": 105000, "total_text": "1050.00 EUR",
                 "lines": [{"fee": "filing", "count": 1, "amount": 85000},
                           {"fee": "per_extra_class", "count": 2, "amount": 20000}]}
_PAYMENT_EXAMPLE = {"quote": QUOTE_EXAMPLE, "card_number": "4242 4242 4242 4242"}

OPENAPI_PATHS: dict[str, Any] = {
    "/v1/fees/quote": {"post": {
        "summary": "Official fees of a filing or of an action on a right, from the office "
        "profile, exactly as the register checks the entry's payment",
        "description": "A filing: office, kind, classes (number of Nice classes). An action "
        "on a right (renew, renew_late, pay_maintenance_fee ...) or a recordal "
        "(assignment.record, licence.grant): office, kind, number, action. docs/filing.md.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": False, "required": [
                "office", "kind"], "properties": {
                "office": {"type": "string"}, "kind": {"type": "string"},
                "action": {"type": "string", "default": "file"},
                "classes": {"type": "integer", "minimum": 1, "maximum": 45},
                "number": {"type": "string"}}},
            "example": QUOTE_EXAMPLE}}},
        "responses": {"200": {"description": "The quote, amounts in minor units", "content": {
            "application/json": {"schema": {"type": "object"}, "example": _QUOTE_ANSWER}}},
            **problem_responses(400, 404, 409, 413, 415, 422)}}},
    "/v1/payments": {"post": {
        "summary": "Pay a fee quote through the node's payment gateway (the built-in test "
        "gateway moves no money); answers the payment member to put in the entry body",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": False,
                       "required": ["quote", "card_number"], "properties": {
                           "quote": {"type": "object"}, "card_number": {"type": "string"}}},
            "example": _PAYMENT_EXAMPLE}}},
        "responses": {"201": {"description": "Approved", "content": {"application/json": {
            "schema": {"type": "object"}, "example": {
                "gateway": "test", "quote": _QUOTE_ANSWER, "payment": {
                    "amount": 105000, "currency": "EUR",
                    "reference": "TEST-000001-3F2A9C1B7D4E"}}}}},
            **problem_responses(400, 402, 404, 409, 413, 415, 422)}}},
    "/v1/parties/{party}/filings": {"get": {
        "summary": "An applicant's filings (any state, published or not), newest first, "
        "with status and dated history; never undisclosed content",
        "parameters": [{"name": "party", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^P[0-9A-F]{20}$"},
                        "example": "P4A1F2C3D4E5F60718293"},
                       {"name": "state", "in": "query", "required": False,
                        "description": "only filings in this state",
                        "schema": {"type": "string", "enum": list(ALL_STATES)},
                        "example": "filed"}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object"}, "example": {
                "party": "P4A1F2C3D4E5F60718293", "filings": [{
                    "office": "EM", "kind": "trademark", "number": "000000005",
                    "state": "filed", "title": "NORTHWIND", "filing_date": "2027-02-01",
                    "filed_index": 42, "disclosed": True, "classes": [30],
                    "history": [{"action": "file", "state": "filed", "date": "2027-02-01",
                                 "index": 42, "by": "P4A1F2C3D4E5F60718293",
                                 "paid": 85000,
                                 "payment_reference": "TEST-000001-3F2A9C1B7D4E"}]}]}}}},
            **problem_responses(400, 422)}}},
}
