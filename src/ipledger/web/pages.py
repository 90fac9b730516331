"""Server-rendered pages: the public front page of a node."""

from __future__ import annotations

import asyncio
import json
from html import escape
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ipledger.ledger import Ledger

RECENT = 25

def _right_row(right: dict[str, Any]) -> str:
    base = f"/v1/rights/{right['office']}/{right['kind']}/{right['number']}"
    data = right.get("data", {})
    name = (data.get("MarkRepresentation", {}).get("MarkReproduction", {})
            .get("WordMarkSpecification", {}).get("MarkVerbalElementText")
            or data.get("InventionTitle") or data.get("DesignTitle") or "")
    return (
        f"<tr><td>{escape(right['office'])}</td><td>{escape(right['kind'])}</td>"
        f"<td><a href='{base}'>{escape(right['number'])}</a></td><td>{escape(name)}</td>"
        f"<td>{escape(right['state'])}</td>"
        f"<td><a href='{base}.xml'>ST.96</a> · <a href='{base}/extract'>extract</a></td></tr>"
    )


def published_rights(ledger: Ledger, limit: int = RECENT) -> list[dict[str, Any]]:
    """Published rights (content disclosed), newest record ids last; never unpublished ones."""
    out = []
    for record_id in ledger.store.record_ids("right/")[-limit * 4:]:
        raw = ledger.store.read_record(record_id)
        right = json.loads(raw) if raw else None
        if right is not None and "data" in right:
            out.append(right)
    return out[-limit:]


def _detail(body: dict[str, Any]) -> str:
    """A short, public summary of an entry's body (entries hold no confidential content)."""
    if "sha256" in body:
        media = f" ({escape(str(body['media_type']))})" if "media_type" in body else ""
        return f"<code>{escape(str(body['sha256'])[:16])}…</code>{media}"
    parts = [str(body[k]) for k in ("office", "kind", "number", "action", "name", "role")
             if isinstance(body.get(k), str)]
    return escape(" ".join(parts))


def _row(entry: dict[str, Any]) -> str:
    seq = entry.get("seq", {})
    body = entry.get("body", {})
    index = int(seq.get("index", -1))
    return (
        f"<tr><td><a href='/v1/entries/{index}'>{index}</a></td>"
        f"<td>{escape(str(seq.get('time', '')))}</td><td>{escape(str(entry.get('type')))}</td>"
        f"<td>{_detail(body)}</td>"
        f"<td><a href='/v1/entries/{index}/receipt'>receipt</a></td></tr>"
    )


async def front_page(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    checkpoint = ledger.latest_checkpoint()
    size = checkpoint.tree_size
    start = max(0, size - RECENT)
    raw = await asyncio.to_thread(ledger.entries, start, size)
    rows = "".join(_row(json.loads(e)) for e in reversed(raw))
    rights = await asyncio.to_thread(published_rights, ledger)
    right_rows = "".join(_right_row(r) for r in rights) or (
        "<tr><td colspan='6' class='muted'>No published rights yet.</td></tr>")
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>ipledger · {escape(ledger.origin)}</title>
<link rel="stylesheet" href="/static/style.css"></head><body>
<h1>ipledger</h1><p class="muted">A verifiable register of IP rights. Ledger
<code>{escape(ledger.origin)}</code> holds <strong>{size}</strong> entries.</p>
<h2>Check a file</h2>
<div id="drop"><p>Drop a file here or <input type="file" id="file" aria-label="file to check"></p>
<p class="muted">Its SHA-256 is computed in your browser; the file is never uploaded.</p></div>
<p id="result" role="status"></p>
<h2>Latest signed checkpoint</h2><pre>{escape(checkpoint.note)}</pre>
<p>Verifier key: <code>{escape(ledger.verifier_key)}</code></p>
<h2>Published rights</h2>
<table><thead><tr><th>office</th><th>kind</th><th>number</th><th>name / title</th>
<th>status</th><th></th></tr></thead><tbody>{right_rows}</tbody></table>
<h2>Recent entries</h2>
<table><thead><tr><th>#</th><th>ledger time</th><th>type</th><th>detail</th>
<th></th></tr></thead><tbody>{rows}</tbody></table>
<p class="muted">APIs: <a href="/openapi.json">OpenAPI</a> · <a href="/tlog/checkpoint">tlog
checkpoint</a> · <a href="/v1/log">log info</a></p>
<script src="/static/check-file.js"></script></body></html>"""
    return HTMLResponse(html)


routes = [
    Route("/", front_page, methods=["GET"]),
    Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]
