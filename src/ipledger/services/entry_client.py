"""Client side of entry submission: sign an entry with a key file's key and post it.

    origin = node_origin(client, base)                          # GET /v1/log
    resp = submit_entry(client, base, key, "party.register", body)  # POST /v1/entries
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope


def node_origin(client: httpx.Client, base: str) -> str:
    """The origin of the node's log: what every envelope names as its ledger."""
    return str(client.get(f"{base}/v1/log").raise_for_status().json()["origin"])


def signed_entry(client: httpx.Client, base: str, key: SigningKey, entry_type: str,
                 body: Mapping[str, Any], endorsers: Sequence[SigningKey] = ()) -> bytes:
    """A canonical signed envelope for the node's ledger."""
    return canonicalize(make_envelope(key, node_origin(client, base), entry_type, body,
                                      endorsers=endorsers))


def submit_entry(client: httpx.Client, base: str, key: SigningKey, entry_type: str,
                 body: Mapping[str, Any], endorsers: Sequence[SigningKey] = ()
                 ) -> httpx.Response:
    """Sign and post one entry; the answer is a receipt (201) or a problem."""
    return client.post(f"{base}/v1/entries",
                       content=signed_entry(client, base, key, entry_type, body, endorsers),
                       headers={"Content-Type": "application/json"})
