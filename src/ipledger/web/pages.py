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

def _row(entry: dict[str, Any]) -> str:
    seq = entry.get("seq", {})
    body = entry.get("body", {})
    index = int(seq.get("index", -1))
    return (
        f"<tr><td><a href='/v1/entries/{index}'>{index}</a></td>"
        f"<td>{escape(str(seq.get('time', '')))}</td><td>{escape(str(entry.get('type')))}</td>"
        f"<td><code>{escape(str(body.get('sha256', ''))[:16])}…</code></td>"
        f"<td>{escape(str(body.get('media_type', '')))}</td>"
        f"<td><a href='/v1/entries/{index}/receipt'>receipt</a></td></tr>"
    )


async def front_page(request: Request) -> Response:
    ledger: Ledger = request.app.state.ledger
    checkpoint = ledger.latest_checkpoint()
    size = checkpoint.tree_size
    start = max(0, size - RECENT)
    raw = await asyncio.to_thread(ledger.entries, start, size)
    rows = "".join(_row(json.loads(e)) for e in reversed(raw))
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
<h2>Recent entries</h2>
<table><thead><tr><th>#</th><th>ledger time</th><th>type</th><th>SHA-256</th><th>media type</th>
<th></th></tr></thead><tbody>{rows}</tbody></table>
<p class="muted">APIs: <a href="/openapi.json">OpenAPI</a> · <a href="/tlog/checkpoint">tlog
checkpoint</a> · <a href="/v1/log">log info</a></p>
<script src="/static/check-file.js"></script></body></html>"""
    return HTMLResponse(html)


routes = [
    Route("/", front_page, methods=["GET"]),
    Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]
