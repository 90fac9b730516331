"""The public register in HTML: home with search, search results, one page per right.

Pages read the register as the JSON API does (published rights only; an application
not yet published is "not found", like any absent number) and render fully without
JavaScript; the record page's "verified" badge is the one part computed in the browser
(``static/verify-extract.js``) from the right's extract and the office key the page names.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.search import registers_of, run_search
from ipledger.codec import parse_json
from ipledger.ledger import Ledger, Rejection
from ipledger.registry.families.licence import licence_record
from ipledger.registry.lifecycle import ALL_STATES
from ipledger.registry.profiles import RIGHT_KINDS
from ipledger.registry.records import party_details, party_record, right_record
from ipledger.search.fields import title_of
from ipledger.search.query import MATCHES, SearchParamError, SearchQuery, parse_query
from ipledger.web.templating import render

RECENT = 25
# Page parameters that are not search criteria (dropped before parse_query).
PAGE_PARAMS = ("lang",)
ST96_KINDS = ("trademark", "patent", "utility_model", "industrial_design",
              "geographical_indication")


def _json(raw: bytes | None) -> dict[str, Any] | None:
    return None if raw is None else dict(parse_json(raw))


def party_namer(ledger: Ledger) -> Callable[[str], str]:
    """A party id's current name (the id itself if the party has none)."""
    names: dict[str, str] = {}

    def name(party: str) -> str:
        if party not in names:
            record = _json(ledger.store.read_record(party_record(party)))
            names[party] = str(party_details(record).get("name") or party) if record else party
        return names[party]

    return name


def share_text(share: list[int]) -> str:
    value = Fraction(share[0], share[1])
    return "1" if value == 1 else f"{value.numerator}/{value.denominator}"


def published_right(ledger: Ledger, office: str, kind: str, number: str) -> dict[str, Any] | None:
    right = _json(ledger.store.read_record(right_record(office, kind, number)))
    return right if right is not None and "data" in right else None


def right_view(ledger: Ledger, right: Mapping[str, Any]) -> dict[str, Any]:
    """What the record page shows of a published right (names resolved, shares as text)."""
    name = party_namer(ledger)
    office, kind, number = right["office"], right["kind"], right["number"]
    api = f"/v1/rights/{office}/{kind}/{number}"

    def parties(owners: list[Mapping[str, Any]]) -> list[dict[str, str]]:
        return [{"party": o["party"], "name": name(o["party"]), "share": share_text(o["share"])}
                for o in owners]

    licences = []
    for licence_id in right.get("licences", []):
        licence = _json(ledger.store.read_record(licence_record(office, kind, number,
                                                                licence_id)))
        if licence is not None:
            licences.append({**licence, "licensee_name": name(licence["licensee"]),
                             "licensor_names": [name(p) for p in licence["licensors"]]})
    goods = right["data"].get("GoodsServicesBag", []) if kind == "trademark" else []
    return {
        "right": right,
        "title": title_of(right),
        "api": api,
        "owners": parties(right.get("owners", [])),
        "representatives": [{"party": p, "name": name(p)}
                            for p in right.get("representatives", [])],
        "timeline": [{**h, "by_name": name(h["by"]) if "by" in h else None}
                     for h in right.get("history", [])],
        "chain": [{**h, "owners": parties(h.get("owners", [])),
                   "from_name": name(h["from"]) if "from" in h else None,
                   "to_name": name(h["to"]) if "to" in h else None}
                  for h in right.get("owner_history", [])],
        "licences": licences,
        "documents": right.get("documents", []),
        "goods": [g for g in goods if isinstance(g, Mapping)],
        "downloads": {"json": api, "extract": f"{api}/extract",
                      "xml": f"{api}.xml" if kind in ST96_KINDS else None},
    }


def _criteria(request: Request) -> tuple[dict[str, str], set[str]]:
    """The search criteria of a form submission: page parameters and empty fields dropped."""
    params = request.query_params
    given = {k: v for k, v in params.items() if k not in PAGE_PARAMS and v.strip()}
    repeated = {k for k in given if len(params.getlist(k)) > 1}
    return given, repeated


def _form(**extra: Any) -> dict[str, Any]:
    return {"matches": MATCHES, "states": [s for s in ALL_STATES if s != "absent"],
            "kinds": RIGHT_KINDS, **extra}


async def home(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    checkpoint = ledger.latest_checkpoint()
    size = checkpoint.tree_size
    raw = await asyncio.to_thread(ledger.entries, max(0, size - RECENT), size)
    entries = [json.loads(e) for e in reversed(raw)]
    rights = await asyncio.to_thread(recent_rights, ledger)
    return render(request, "home.html", origin=ledger.origin, size=size,
                  checkpoint=checkpoint.note, vkey=ledger.verifier_key,
                  rights=rights, entries=entries, criteria={}, **_form())


def recent_rights(ledger: Ledger, limit: int = RECENT) -> list[dict[str, Any]]:
    """The last ``limit`` published rights by record id, with their titles."""
    out = []
    for record_id in ledger.store.record_ids("right/")[-limit * 4:]:
        right = _json(ledger.store.read_record(record_id))
        if right is not None and "data" in right:
            out.append({**right, "title": title_of(right)})
    return out[-limit:]


async def search_page(request: Request) -> Response:
    criteria, repeated = _criteria(request)
    error = None
    results: list[dict[str, Any]] = []
    query: SearchQuery | None = None
    if criteria:
        try:
            query = parse_query(criteria, repeated)
            results = await asyncio.to_thread(run_search, registers_of(request), query)
        except SearchParamError as exc:
            error = {"param": exc.param, "detail": exc.detail}
        except Rejection as exc:
            error = {"param": (exc.pointer or "/").lstrip("/"), "detail": exc.detail}
    return render(request, "search.html", status=400 if error else 200, criteria=criteria,
                  results=results, error=error, searched=query is not None,
                  ranked=query.ranked if query else False, **_form())


async def right_page(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    p = request.path_params
    right = await asyncio.to_thread(published_right, ledger, p["office"], p["kind"], p["number"])
    if right is None:
        return render(request, "not_found.html", status=404, office=p["office"],
                      kind=p["kind"], number=p["number"])
    view = await asyncio.to_thread(right_view, ledger, right)
    return render(request, "right.html", vkey=ledger.verifier_key, origin=ledger.origin, **view)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/search", search_page, methods=["GET"]),
    Route("/rights/{office}/{kind}/{number}", right_page, methods=["GET"]),
]
