"""Office registers for mirroring tests: seeded, grown over HTTP, served through a proxy
that can tamper with what it forwards."""

from __future__ import annotations

import http.server
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey, did_key_url, read_private_key
from ipledger.ledger import make_envelope
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for


def _post(node: str, key: SigningKey, origin: str, entry_type: str,
          body: dict[str, Any]) -> dict[str, Any]:
    envelope = make_envelope(key, origin, entry_type, body)
    resp = httpx.post(f"{node}/v1/entries", content=canonicalize(envelope),
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == 201, resp.text
    receipt: dict[str, Any] = resp.json()
    return receipt


def file_trademark(node: str, data: Path, origin: str, text: str, classes: list[int], *,
                   disclose: bool) -> str:
    """File a trademark at EM as the demo applicant (disclosed: its content published);
    return its number."""
    applicant = read_private_key(data / "keys" / "demo-applicant.key")
    content = {
        "MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": text}}},
        "GoodsServicesBag": [{"ClassNumber": c, "GoodsServicesDescriptionText": "Goods"}
                             for c in classes],
    }
    salt = secrets.token_hex(16)
    _post(node, applicant, origin, "right.file", {
        "office": "EM", "kind": "trademark",
        "applicants": [party_id_for(did_key_url(applicant.public_key))],
        "classes": classes, "commitment": content_commitment(salt, content),
        "payment": {"amount": 85_000 + 5_000 * (len(classes) - 1), "currency": "EUR"}})
    # The office numbers filings in order (EUIPO profile: nine digits).
    counter = httpx.get(f"{node}/v1/state/counter/EM/trademark", timeout=30).json()["record"]
    number_text = f"{counter['next'] - 1:09d}"
    if disclose:
        _post(node, applicant, origin, "right.disclose", {
            "office": "EM", "kind": "trademark", "number": number_text, "data": content,
            "salt": salt})
    return number_text


def stamp(node: str, origin: str, count: int) -> None:
    """``count`` evidence stamps (entries outside the register rules)."""
    key = SigningKey.generate()
    lines = b"\n".join(canonicalize(make_envelope(
        key, origin, "evidence.stamp", {"sha256": secrets.token_hex(32)}))
        for _ in range(count))
    resp = httpx.post(f"{node}/v1/entries/batch", content=lines,
                      headers={"Content-Type": "application/x-ndjson"}, timeout=60)
    assert resp.status_code == 200 and resp.json()["rejected"] == 0, resp.text


def wait_for_size(node: str, size: int, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{node}/v1/log", timeout=5).json()["tree_size"] >= size:
            return
        time.sleep(0.05)
    raise AssertionError(f"{node} did not reach {size} entries")


Tamper = Callable[[str, bytes], bytes]


@contextmanager
def proxy(upstream: str, tamper: Tamper | None = None) -> Iterator[str]:
    """An HTTP proxy to ``upstream`` whose GET answers pass through ``tamper(path, body)``;
    yields its URL. Counts nothing, trusts nothing: a misbehaving office node."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            resp = httpx.get(upstream + self.path, timeout=30)
            body = resp.content
            if tamper is not None and resp.status_code == 200:
                body = tamper(self.path, body)
            self.send_response(resp.status_code)
            self.send_header("Content-Type", resp.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
