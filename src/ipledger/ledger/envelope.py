"""The entry envelope of DESIGN.md: its schema, its signed payload, and how to make one."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ipledger.codec import b64url_encode, canonicalize
from ipledger.identity import SigningKey, did_key_url
from ipledger.ledger.errors import Rejection
from ipledger.ledger.timefmt import format_rfc3339_ms, parse_rfc3339_ms

VERSION = 1
MAX_ENTRY_BYTES = 65_535  # tlog-tiles entry bundles use a uint16 length
# Room left for the "seq" object the sequencer adds (index up to 2^53, ms timestamp).
SEQ_RESERVE = 64
MAX_SUBMITTED_BYTES = MAX_ENTRY_BYTES - SEQ_RESERVE
MAX_ENDORSEMENTS = 16

REQUIRED_FIELDS = ("v", "ledger", "type", "actor", "nonce", "created", "body", "sig")
OPTIONAL_FIELDS = ("endorsements",)
TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,31}\Z")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
SIG_PATTERN = re.compile(r"[A-Za-z0-9_-]{86}\Z")


def signing_payload(envelope: Mapping[str, Any]) -> bytes:
    """What the actor signs: the JCS of every field except ``sig`` and ``seq``."""
    return canonicalize({k: v for k, v in envelope.items() if k not in ("sig", "seq")})


def endorsement_payload(envelope: Mapping[str, Any]) -> bytes:
    """What an endorser signs: the actor's payload without the endorsements themselves."""
    return canonicalize(
        {k: v for k, v in envelope.items() if k not in ("sig", "seq", "endorsements")}
    )


def _require_str(env: Mapping[str, Any], name: str) -> str:
    value = env[name]
    if not isinstance(value, str):
        raise Rejection("wrong-type", f"'{name}' must be a string", f"/{name}")
    return value


def check_envelope_shape(env: object, origin: str) -> None:
    """Schema and ledger binding of a submitted (unsequenced) envelope; no crypto."""
    if not isinstance(env, dict):
        raise Rejection("wrong-type", "an entry must be a JSON object", "")
    if "seq" in env:
        raise Rejection("sequencer-seq", "remove 'seq'; the sequencer assigns it", "/seq")
    for name in REQUIRED_FIELDS:
        if name not in env:
            raise Rejection("missing-field", f"'{name}' is required", f"/{name}")
    for name in env:
        if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS:
            raise Rejection("unknown-field", f"'{name}' is not an envelope field", f"/{name}")
    v = env["v"]
    if type(v) is not int:
        raise Rejection("wrong-type", "'v' must be an integer", "/v")
    if v != VERSION:
        raise Rejection("unsupported-version", f"'v' must be {VERSION}", "/v")
    if _require_str(env, "ledger") != origin:
        raise Rejection(
            "wrong-ledger", f"this ledger is '{origin}', not '{env['ledger']}'", "/ledger"
        )
    if not TYPE_PATTERN.match(_require_str(env, "type")):
        raise Rejection("invalid-value", "'type' must look like 'family.action'", "/type")
    _require_str(env, "actor")
    if not NONCE_PATTERN.match(_require_str(env, "nonce")):
        raise Rejection("invalid-value", "'nonce' must be 8-64 base64url characters", "/nonce")
    try:
        parse_rfc3339_ms(_require_str(env, "created"))
    except ValueError as exc:
        raise Rejection("invalid-value", f"'created' {exc}", "/created") from None
    if not isinstance(env["body"], dict):
        raise Rejection("wrong-type", "'body' must be a JSON object", "/body")
    if not SIG_PATTERN.match(_require_str(env, "sig")):
        raise Rejection(
            "invalid-value", "'sig' must be a base64url (unpadded) Ed25519 signature", "/sig"
        )
    if "endorsements" in env:
        _check_endorsements(env["endorsements"])


def _check_endorsements(value: object) -> None:
    if not isinstance(value, list):
        raise Rejection("wrong-type", "'endorsements' must be a list", "/endorsements")
    if len(value) > MAX_ENDORSEMENTS:
        raise Rejection(
            "invalid-value", f"at most {MAX_ENDORSEMENTS} endorsements", "/endorsements"
        )
    for i, item in enumerate(value):
        where = f"/endorsements/{i}"
        if not isinstance(item, dict):
            raise Rejection("wrong-type", "an endorsement must be an object", where)
        if set(item) != {"actor", "sig"}:
            raise Rejection(
                "invalid-value", "an endorsement has exactly 'actor' and 'sig'", where
            )
        if not isinstance(item["actor"], str):
            raise Rejection("wrong-type", "'actor' must be a string", f"{where}/actor")
        if not isinstance(item["sig"], str) or not SIG_PATTERN.match(item["sig"]):
            raise Rejection("invalid-value", "'sig' must be base64url Ed25519", f"{where}/sig")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def make_envelope(
    key: SigningKey,
    ledger: str,
    entry_type: str,
    body: Mapping[str, Any],
    *,
    nonce: str | None = None,
    created_ms: int | None = None,
    endorsers: Sequence[SigningKey] = (),
) -> dict[str, Any]:
    """A signed envelope ready to submit (client side: the nonce and clock are the client's)."""
    env: dict[str, Any] = {
        "v": VERSION,
        "ledger": ledger,
        "type": entry_type,
        "actor": did_key_url(key.public_key),
        "nonce": nonce if nonce is not None else new_nonce(),
        "created": format_rfc3339_ms(created_ms if created_ms is not None else wall_clock_ms()),
        "body": dict(body),
    }
    if endorsers:
        payload = endorsement_payload(env)
        env["endorsements"] = [
            {"actor": did_key_url(k.public_key), "sig": b64url_encode(k.sign(payload))}
            for k in endorsers
        ]
    env["sig"] = b64url_encode(key.sign(signing_payload(env)))
    return env
