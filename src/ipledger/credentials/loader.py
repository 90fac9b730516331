"""An offline JSON-LD document loader: bundled contexts only, every other URL refused."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
IPLEDGER_V1 = "https://w3id.org/ipledger/v1"

#: Context URL -> file in ``ipledger/credentials/contexts/``.
BUNDLED: dict[str, str] = {
    CREDENTIALS_V2: "credentials-v2.jsonld",  # W3C VC Data Model 2.0 (as published)
    IPLEDGER_V1: "ipledger-v1.jsonld",  # the register's terms (ST.96 names), ours
}


class ContextError(ValueError):
    """A document names a context URL that is not bundled (nothing is ever fetched)."""


@cache
def bundled_context(url: str) -> dict[str, Any]:
    """The parsed bundled context document of ``url``."""
    name = BUNDLED.get(url)
    if name is None:
        raise ContextError(f"unknown context URL {url[:200]!r}: only bundled contexts are "
                           f"used ({', '.join(sorted(BUNDLED))})")
    text = resources.files("ipledger.credentials").joinpath("contexts", name).read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


class OfflineLoader:
    """A pyld document loader over :data:`BUNDLED` plus ``extra`` documents (for tests and
    verifiers who trust more contexts); any other URL raises :class:`ContextError`."""

    def __init__(self, extra: dict[str, dict[str, Any]] | None = None) -> None:
        self.extra = dict(extra or {})

    def __call__(self, url: str, options: object = None) -> dict[str, Any]:
        document = self.extra[url] if url in self.extra else bundled_context(url)
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": document}
