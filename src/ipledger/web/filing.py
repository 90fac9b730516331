"""Online filing (the WIPO File part): forms per right type, fees, test payment, signing,
status tracking and follow-up requests.

The server never signs for an applicant. A valid form is paid for (``services/payments``),
then answered with the exact entry bodies to sign: in the browser with the applicant's own
key (``static/filing.js``, WebCrypto Ed25519) or with ``ipledger submit --out``, whose
signed envelope the page accepts pasted or uploaded. Validation is the register's own
(the entry types' schemas, ``rights.check_content``); fees are ``registry/fee_quote``'s.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.filing import charge, gateway
from ipledger.ledger import MAX_SUBMITTED_BYTES, Ledger, Rejection
from ipledger.registry.engine import RULES
from ipledger.registry.families.rights import check_content, content_commitment
from ipledger.registry.fee_quote import FeeQuote, quote, quote_for_right
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.profiles import FEE_NAMES, RIGHT_KINDS
from ipledger.registry.records import party_id_for, right_record
from ipledger.registry.schema import check_object, pattern
from ipledger.services.filing import (
    offices,
    party_filings,
    party_of,
    precheck_action,
    read_json,
)
from ipledger.web.filing_forms import (
    APPLICANT_FIELDS,
    FIELDS,
    FormErrors,
    classes_of,
    field_for,
    parse_content,
)
from ipledger.web.forms import read_form
from ipledger.web.templating import render

FOLLOW_UPS = {"renew": "right.act", "withdraw": "right.act",
              "transfer": "assignment.record", "licence": "licence.grant"}
MAX_FORM = 64 * 1024
# Entries the other party must endorse, and the body field that names that party.
ENDORSED_BY = {"assignment.record": "to", "licence.grant": "licensee"}


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _supporting(ledger: Ledger, kind: str) -> list[str]:
    return [code for code, profile in offices(ledger).items() if profile.supports(kind)]


def _applicant_id(text: str) -> str:
    """A party id as typed, or the party id of a did:key (what the browser key shows)."""
    text = text.strip()
    return party_id_for(text) if text.startswith("did:key:") else text


def _rejection_to(errors: dict[str, str], kind: str, exc: Rejection) -> None:
    errors.setdefault(field_for(kind, exc.pointer), exc.detail)


def _form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "card"}


async def start_page(request: Request) -> Response:
    return render(request, "filing_start.html", kinds=RIGHT_KINDS,
                  supported={k: bool(_supporting(_ledger(request), k)) for k in RIGHT_KINDS})


def _form_page(request: Request, kind: str, values: Mapping[str, str],
               errors: Mapping[str, str], status: int = 200) -> Response:
    ledger = _ledger(request)
    codes = _supporting(ledger, kind)
    office = values.get("office") or (codes[0] if codes else "")
    fee: FeeQuote | None = None
    if office in codes:
        try:
            content = parse_content(kind, values) if values else {}
        except FormErrors:
            content = {}
        fee = quote(offices(ledger)[office], kind, "file",
                    classes=len(classes_of(kind, content)))
    return render(request, "filing_form.html", status=status, kind=kind, offices=codes,
                  fields=FIELDS[kind], applicant_fields=APPLICANT_FIELDS, values=values,
                  errors=errors, fee=fee, office=office, fee_names=FEE_NAMES)


async def form_page(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in RIGHT_KINDS:
        return render(request, "not_found.html", status=404, office="", kind=kind, number="")
    return _form_page(request, kind, dict(request.query_params), {})


def _check_party(party: str, pointer: str) -> None:
    pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123 (or your did:key)")(
        party, pointer)


def check_filing(ledger: Ledger, kind: str, form: Mapping[str, str]
                 ) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any], FeeQuote]:
    """The entries a filing form asks for (party.register if the applicant is new, then
    right.file) and the right.disclose body without its number, judged by the register's
    rules; FormErrors naming the fields otherwise."""
    errors: dict[str, str] = {}
    all_offices = offices(ledger)
    office = form.get("office", "")
    if office not in _supporting(ledger, kind):
        errors["office"] = "choose an office that registers this kind of right"
    applicant = _applicant_id(form.get("applicant", ""))
    content: dict[str, Any] = {}
    try:
        content = parse_content(kind, form)
    except FormErrors as exc:
        errors.update(exc.errors)
    steps: list[tuple[str, dict[str, Any]]] = []
    party_record = None
    try:
        _check_party(applicant, "/right/applicants/0")
        party_record = party_of(ledger, applicant)
    except Rejection as exc:
        _rejection_to(errors, kind, exc)
    if party_record is None and "applicant" not in errors:
        party = {k: form.get(n, "").strip() for k, n in (("name", "name"), ("country", "country"),
                                                         ("address", "address"),
                                                         ("kind", "party_kind"))}
        party = {k: v for k, v in party.items() if v}
        try:
            check_object(party, RULES["party.register"].schema, "/party")
            steps.append(("party.register", party))
            # As party.register will record it (families/party.py).
            party_record = {"party": applicant, "kind": party["kind"], "keys": [],
                            "details": [{k: v for k, v in party.items() if k != "kind"}]}
        except Rejection as exc:
            _rejection_to(errors, kind, exc)
    classes = classes_of(kind, content)
    fee = None
    if office in all_offices and not errors.keys() & {"office"}:
        fee = quote(all_offices[office], kind, "file", classes=len(classes))
    if content and party_record is not None and "office" not in errors:
        draft = {"office": office, "kind": kind, "number": "0", "state": "filed",
                 "owners": [{"party": applicant, "share": [1, 1]}], "representatives": [],
                 "classes": classes, "history": [],
                 "dates": {"filing_date": datetime.now(UTC).date().isoformat()}}
        record = party_record
        try:
            check_content(draft, content, lambda p: record if p == applicant else None)
        except Rejection as exc:
            _rejection_to(errors, kind, exc)
    salt = secrets.token_hex(16)
    body: dict[str, Any] = {"office": office, "kind": kind, "applicants": [applicant],
                            "commitment": content_commitment(salt, content)}
    if classes:
        body["classes"] = classes
    if fee is not None and fee.payment():
        body["payment"] = fee.payment()
    if not errors:
        try:
            check_object(body, RULES["right.file"].schema, "/right")
        except Rejection as exc:
            _rejection_to(errors, kind, exc)
    if errors or fee is None:
        raise FormErrors(errors or {"office": "choose an office"})
    steps.append(("right.file", body))
    disclose = {"office": office, "kind": kind, "data": content, "salt": salt}
    return steps, disclose, fee


async def file_form(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in RIGHT_KINDS:
        return render(request, "not_found.html", status=404, office="", kind=kind, number="")
    form = await read_form(request, MAX_FORM)
    values = _form_values(form)
    ledger = _ledger(request)
    try:
        steps, disclose, fee = await asyncio.to_thread(check_filing, ledger, kind, values)
        if fee.total:
            payment = charge(gateway(request), fee, str(form.get("card", "")))
            steps[-1][1]["payment"] = payment
    except FormErrors as exc:
        return _form_page(request, kind, values, exc.errors, status=400)
    except Rejection as exc:  # the payment was declined
        return _form_page(request, kind, values, {"card": exc.detail}, status=400)
    applicant = steps[-1][1]["applicants"][0]
    return _sign_page(request, applicant, steps, disclose, fee, steps[-1][1].get("payment"))


def _sign_page(request: Request, party: str, steps: list[tuple[str, dict[str, Any]]],
               disclose: dict[str, Any] | None, fee: FeeQuote | None,
               payment: Mapping[str, Any] | None) -> Response:
    base = str(request.base_url).rstrip("/")
    plan: list[dict[str, Any]] = [{"type": t, "body": b} for t, b in steps]
    for step in plan:
        if step["type"] in ENDORSED_BY:
            step["endorser"] = step["body"][ENDORSED_BY[step["type"]]]
    if disclose is not None:
        plan.append({"type": "right.disclose", "body": disclose, "needs_number": True})
    commands = []
    for i, step in enumerate(plan, 1):
        commands.append({
            "type": step["type"], "file": f"step{i}-{step['type'].replace('.', '-')}.json",
            "body": json.dumps(step["body"], ensure_ascii=False, indent=1),
            "needs_number": step.get("needs_number", False)})
    # JSON in a <script type="application/json"> block: no entity decoding happens there,
    # so it is not HTML-escaped; <, > and & are escaped in JSON instead (no "</script>").
    plan_json = json.dumps(plan, ensure_ascii=False).replace("<", "\\u003c").replace(
        ">", "\\u003e").replace("&", "\\u0026")
    endorser = next((step["endorser"] for step in plan if "endorser" in step), None)
    return render(request, "filing_sign.html", party=party, plan=Markup(plan_json),  # noqa: S704
                  commands=commands, fee=fee, payment=payment, node=base,
                  origin=_ledger(request).origin, endorser=endorser)


async def endorse_page(request: Request) -> Response:
    """A request to endorse (or, once endorsed, to sign): all of it is in the link's
    fragment, read by ``static/endorse.js``; the server keeps nothing."""
    return render(request, "endorse.html", origin=_ledger(request).origin)


async def envelope_page(request: Request) -> Response:
    """A signed envelope pasted or uploaded (``ipledger submit --out``), submitted as is."""
    try:
        form = await read_form(request, 2 * MAX_SUBMITTED_BYTES + 4096)
        upload = form.get("file")
        raw = upload.strip() if isinstance(upload, bytes) else b""
        if not raw:
            text = form.get("envelope", "")
            raw = text.strip().encode() if isinstance(text, str) else b""
        if not raw:
            raise Rejection("missing-field", "paste or upload a signed envelope", "")
        if len(raw) > MAX_SUBMITTED_BYTES:
            raise Rejection("body-too-large", "an entry is at most 65,471 bytes", "")
        sequenced = await asyncio.wrap_future(_ledger(request).submit(raw))
    except Rejection as exc:
        return render(request, "filing_result.html", status=exc.status, error=exc.problem(),
                      index=None)
    return render(request, "filing_result.html", status=201, error=None,
                  index=sequenced.index)


async def status_page(request: Request) -> Response:
    party = _applicant_id(request.query_params.get("party", ""))
    state = request.query_params.get("state", "")
    filings: list[dict[str, Any]] = []
    error = None
    if party:
        try:
            _check_party(party, "/party")
            filings = await asyncio.to_thread(party_filings, _ledger(request), party)
        except Rejection as exc:
            error = exc.detail
    states = sorted({f["state"] for f in filings})
    if state:
        filings = [f for f in filings if f["state"] == state]
    return render(request, "filings.html", status=400 if error else 200, party=party,
                  filings=filings, error=error, states=states, state=state)


def _follow_up_body(right: dict[str, Any], request_name: str, form: Mapping[str, str],
                    party: str) -> dict[str, Any]:
    ident = {"office": right["office"], "kind": right["kind"], "number": right["number"]}
    if request_name in ("renew", "withdraw"):
        return {**ident, "action": request_name}
    if request_name == "transfer":
        body: dict[str, Any] = {**ident, "from": party, "to": _applicant_id(form.get("to", "")),
                                "executed": form.get("executed", "").strip()}
        share = form.get("share", "1/1").strip() or "1/1"
        num, _, den = share.partition("/")
        body["share"] = [int(num), int(den or 1)] if num.isdigit() and (den or "1").isdigit() \
            else share
        return body
    territory = form.get("territory", "").replace(",", " ").split()
    return {**ident, "licensee": _applicant_id(form.get("licensee", "")),
            "type": form.get("type", ""), "territory": territory,
            "start": form.get("start", "").strip()}


_FOLLOW_UP_FIELDS = {"/body/to": "to", "/body/share": "share", "/body/executed": "executed",
                     "/body/licensee": "licensee", "/body/type": "type",
                     "/body/territory": "territory", "/body/start": "start",
                     "/body/action": "", "/body/payment": "card"}


def _follow_up_field(pointer: str) -> str:
    for prefix, name in _FOLLOW_UP_FIELDS.items():
        if pointer == prefix or pointer.startswith(prefix + "/"):
            return name
    return ""


async def filing_page(request: Request) -> Response:
    return await _filing_page(request, None, {}, {})


async def _filing_page(request: Request, active: str | None, values: Mapping[str, str],
                       errors: Mapping[str, str], status: int = 200) -> Response:
    ledger = _ledger(request)
    p = request.path_params
    right = await asyncio.to_thread(read_json, ledger,
                                    right_record(p["office"], p["kind"], p["number"]))
    if right is None:
        return render(request, "not_found.html", status=404, office=p["office"],
                      kind=p["kind"], number=p["number"])
    party = _applicant_id(request.query_params.get("party", "")
                          or values.get("party", ""))
    profile = offices(ledger).get(right["office"])
    fees: dict[str, FeeQuote | None] = {}
    for name, entry_type in FOLLOW_UPS.items():
        action = name if entry_type == "right.act" else entry_type
        try:
            fees[name] = quote_for_right(profile, right, action) if profile else None
        except ValueError:
            fees[name] = None  # not possible in the right's state
    return render(request, "filing_record.html", status=status, right=right, party=party,
                  fees=fees, life=LIFE_STATUS.get(right["state"], ""), active=active,
                  values=values, errors=errors,
                  currency=(profile.currency, profile.currency_exponent) if profile else None)


async def follow_up(request: Request) -> Response:
    """A follow-up request's form: checked by the register's schema, paid, then signed."""
    ledger = _ledger(request)
    p = request.path_params
    name = p["request"]
    if name not in FOLLOW_UPS:
        return render(request, "not_found.html", status=404, office=p["office"],
                      kind=p["kind"], number=p["number"])
    form = await read_form(request, MAX_FORM)
    values = _form_values(form)
    right = await asyncio.to_thread(read_json, ledger,
                                    right_record(p["office"], p["kind"], p["number"]))
    if right is None:
        return await filing_page(request)
    party = _applicant_id(values.get("party", ""))
    entry_type = FOLLOW_UPS[name]
    body = _follow_up_body(right, name, values, party)
    errors: dict[str, str] = {}
    fee = None
    try:
        _check_party(party, "/party")
    except Rejection as exc:
        errors["party"] = exc.detail
    try:
        profile = offices(ledger)[right["office"]]
        fee = quote_for_right(profile, right, name if entry_type == "right.act" else entry_type)
        if fee.payment():
            body["payment"] = fee.payment()
        check_object(body, RULES[entry_type].schema, "/body")
        if entry_type == "right.act":
            precheck_action(ledger, profile, right, name, body)
    except ValueError as exc:
        errors[""] = str(exc)
    except Rejection as exc:
        errors.setdefault(_follow_up_field(exc.pointer), exc.detail)
    if not errors and fee is not None and fee.total:
        try:
            body["payment"] = charge(gateway(request), fee, str(form.get("card", "")))
        except Rejection as exc:
            errors["card"] = exc.detail
    if errors:
        return await _filing_page(request, name, values, errors, status=400)
    return _sign_page(request, party, [(entry_type, body)], None, fee, body.get("payment"))


routes = [
    Route("/file", start_page, methods=["GET"]),
    Route("/endorse", endorse_page, methods=["GET"]),
    Route("/file/envelope", envelope_page, methods=["POST"]),
    Route("/file/{kind}", form_page, methods=["GET"]),
    Route("/file/{kind}", file_form, methods=["POST"]),
    Route("/filings", status_page, methods=["GET"]),
    Route("/filings/{office}/{kind}/{number}", filing_page, methods=["GET"]),
    Route("/filings/{office}/{kind}/{number}/{request}", follow_up, methods=["POST"]),
]
