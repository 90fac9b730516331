"""Filing an opposition online (``/oppose/{office}/{kind}/{number}``): a public form for a
published application in its opposition period.

The opponent names their party (or uses their browser key: ``static/filing.js``), states the
grounds and pays the profile's opposition fee (``registry/fee_quote.py``); the page then
answers with the ``right.act`` entry (``action: file_opposition``, grounds in ``note``) to
sign in the browser or with ``ipledger submit``, as the filing pages do (``web/filing.py``).
Every check is the register's own (the entry schema, the transition's preconditions such as
``within_opposition_period``), run before anything is paid; the ledger checks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.filing import charge, gateway
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.engine import RULES
from ipledger.registry.families.rights import _opposition_end, right_dates
from ipledger.registry.fee_quote import FeeQuote, quote_for_right
from ipledger.registry.records import right_record
from ipledger.registry.schema import check_object
from ipledger.search.fields import title_of
from ipledger.services.filing import offices, party_of, precheck_action, read_json
from ipledger.web.filing import MAX_FORM, _applicant_id, _check_party, _sign_page
from ipledger.web.filing_forms import FormErrors
from ipledger.web.forms import read_form
from ipledger.web.templating import render

ACTION = "file_opposition"
# Where the register's complaints about the entry land on the form.
_FIELDS = {"/party": "party", "/body/note": "grounds", "/body/payment": "card",
           "/body/action": ""}


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _field(pointer: str) -> str:
    for prefix, name in _FIELDS.items():
        if pointer == prefix or pointer.startswith(prefix + "/"):
            return name
    return ""


def _opposable(ledger: Ledger, right: dict[str, Any]) -> tuple[FeeQuote | None, str]:
    """The fee of an opposition now, or None and why not (the register's own words)."""
    profile = offices(ledger).get(right["office"])
    if profile is None or "data" not in right:  # unpublished: not for the public
        return None, "this application is not published"
    try:
        fee = quote_for_right(profile, right, ACTION)
        body = {"office": right["office"], "kind": right["kind"], "number": right["number"],
                "action": ACTION, **({"payment": fee.payment()} if fee.payment() else {})}
        precheck_action(ledger, profile, right, ACTION, body)
    except ValueError as exc:
        return None, str(exc)
    except Rejection as exc:
        return None, exc.detail
    return fee, ""


def _page(request: Request, right: dict[str, Any], values: Mapping[str, str],
          errors: Mapping[str, str], status: int = 200) -> Response:
    ledger = _ledger(request)
    fee, closed = _opposable(ledger, right)
    profile = offices(ledger).get(right["office"])
    end = None if profile is None else _opposition_end(profile.rules(right["kind"]),
                                                       right_dates(right))
    ends = None if end is None else end.isoformat()
    return render(request, "opposition_form.html", status=status, right=right,
                  title=title_of(right), fee=fee, closed=closed, ends=ends, values=values,
                  errors=errors)


async def _right(request: Request) -> dict[str, Any] | None:
    p = request.path_params
    return await asyncio.to_thread(read_json, _ledger(request),
                                   right_record(p["office"], p["kind"], p["number"]))


def _not_found(request: Request) -> Response:
    p = request.path_params
    return render(request, "not_found.html", status=404, office=p["office"], kind=p["kind"],
                  number=p["number"])


async def form_page(request: Request) -> Response:
    right = await _right(request)
    if right is None or "data" not in right:
        return _not_found(request)
    party = request.query_params.get("party", "")
    return _page(request, right, {"party": party} if party else {}, {})


def check_opposition(ledger: Ledger, right: dict[str, Any], form: Mapping[str, str]
                     ) -> tuple[str, dict[str, Any], FeeQuote]:
    """The opponent and the ``right.act`` body the form asks for, judged by the register's
    rules before payment; FormErrors naming the fields otherwise."""
    errors: dict[str, str] = {}
    party = _applicant_id(form.get("party", ""))
    try:
        _check_party(party, "/party")
        if party_of(ledger, party) is None:
            raise Rejection("not-found", f"no party {party} in the register: register as a "
                            "party first (for example with your first filing)", "/party")
    except Rejection as exc:
        errors["party"] = exc.detail
    grounds = form.get("grounds", "").strip()
    if not grounds:
        errors["grounds"] = "required"
    body: dict[str, Any] = {"office": right["office"], "kind": right["kind"],
                            "number": right["number"], "action": ACTION, "note": grounds}
    fee = None
    try:
        profile = offices(ledger)[right["office"]]
        fee = quote_for_right(profile, right, ACTION)
        if fee.payment():
            body["payment"] = fee.payment()
        check_object(body, RULES["right.act"].schema, "/body")
        precheck_action(ledger, profile, right, ACTION, body)
    except (KeyError, ValueError) as exc:
        errors[""] = str(exc)
    except Rejection as exc:
        errors.setdefault(_field(exc.pointer), exc.detail)
    if errors or fee is None:
        raise FormErrors(errors or {"": "no opposition is possible"})
    return party, body, fee


async def file_opposition(request: Request) -> Response:
    """The form checked by the register's rules, paid, then answered with the entry to sign."""
    right = await _right(request)
    if right is None or "data" not in right:
        return _not_found(request)
    form = await read_form(request, MAX_FORM)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "card"}
    ledger = _ledger(request)
    try:
        party, body, fee = await asyncio.to_thread(check_opposition, ledger, right, values)
        if fee.total:
            body["payment"] = charge(gateway(request), fee, str(form.get("card", "")))
    except FormErrors as exc:
        return _page(request, right, values, exc.errors, status=400)
    except Rejection as exc:  # the payment was declined
        return _page(request, right, values, {"card": exc.detail}, status=400)
    return _sign_page(request, party, [("right.act", body)], None, fee, body.get("payment"))


routes = [
    Route("/oppose/{office}/{kind}/{number}", form_page, methods=["GET"]),
    Route("/oppose/{office}/{kind}/{number}", file_opposition, methods=["POST"]),
]
