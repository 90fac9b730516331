"""The office gazette in HTML: ``/gazette`` (the issues) and ``/gazette/{issue}``.

Pages show what the JSON API serves (``services/gazette.py``): the same issues, items and
closing checkpoint, with links to each right's page and its extract as of that checkpoint.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipledger.api.gazette import list_issues
from ipledger.ledger import Ledger, Rejection
from ipledger.services.gazette import SECTIONS, issue_of, offices
from ipledger.services.gazette_formats import item_text, period_bounds
from ipledger.web.templating import render

LISTED = 104  # two years of weekly issues


async def gazette_index(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    codes = await asyncio.to_thread(offices, ledger)
    periods = await asyncio.to_thread(list_issues, ledger, codes, LISTED)
    rows = [{"issue": p.issue, "office": p.office, "first": p.start.isoformat(),
             "last": (p.end - timedelta(days=1)).isoformat()} for p in periods]
    return render(request, "gazette_index.html", periods=rows)


async def gazette_issue(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    issue_id = request.path_params["issue"]
    try:
        issue = await asyncio.to_thread(issue_of, ledger, issue_id)
    except Rejection as exc:
        return render(request, "gazette_missing.html", status=exc.status, issue=issue_id,
                      detail=exc.detail)
    sections = [(s, [(item, item_text(item)) for item in issue["items"]
                     if item["section"] == s]) for s in SECTIONS]
    return render(request, "gazette_issue.html", issue=issue, sections=sections,
                  days=period_bounds(issue),
                  has_trademarks=any(i["right"]["kind"] == "trademark" for i in issue["items"]))


routes = [
    Route("/gazette", gazette_index, methods=["GET"]),
    Route("/gazette/{issue}", gazette_issue, methods=["GET"]),
]
