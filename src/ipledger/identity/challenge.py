"""Authentication by signing a challenge: the message format, single-use challenges, sessions.

No passwords: a party proves it holds a key by signing a fresh, random challenge the node
issued. The signed message is domain-separated and bound to the node's ledger origin::

    b"ipledger-auth-v1\\n" + origin + b"\\n" + challenge

where ``challenge`` is the base64url text the node returned (32 random bytes, unpadded).
The prefix keeps an authentication signature from ever being valid as anything else the
ledger signs (entries are canonical JSON starting with ``{``; signed notes start with the
origin), and the origin keeps a signature for one node's challenge from being replayed
against another.

Challenges are single use and expire; sessions are opaque bearer tokens of which the node
keeps only the SHA-256. Both stores are in memory and bounded. Everything here is pure: the
caller passes the time (milliseconds) and the register decides whose key it is.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from ipledger.codec import EncodingError, b64url_decode, b64url_encode
from ipledger.identity.didkey import public_key_from_did
from ipledger.identity.ed25519 import SIGNATURE_SIZE, SigningKey, verify_signature

__all__ = [
    "AUTH_CONTEXT",
    "CHALLENGE_BYTES",
    "DEFAULT_CHALLENGE_TTL_MS",
    "DEFAULT_SESSION_TTL_MS",
    "TOKEN_BYTES",
    "ChallengeError",
    "ChallengeStore",
    "Session",
    "SessionStore",
    "auth_message",
    "hash_token",
    "sign_challenge",
    "verify_challenge_signature",
]

AUTH_CONTEXT = b"ipledger-auth-v1\n"
CHALLENGE_BYTES = 32
TOKEN_BYTES = 32
DEFAULT_CHALLENGE_TTL_MS = 2 * 60_000
DEFAULT_SESSION_TTL_MS = 60 * 60_000
_CHALLENGE_CHARS = 43  # unpadded base64url of 32 bytes


def auth_message(origin: str, challenge: str) -> bytes:
    """The bytes a party signs to answer ``challenge`` from the node of ``origin``."""
    if "\n" in origin:
        raise ValueError("an origin is one line")
    return AUTH_CONTEXT + origin.encode("utf-8") + b"\n" + challenge.encode("ascii")


def sign_challenge(key: SigningKey, origin: str, challenge: str) -> str:
    """The base64url Ed25519 signature answering ``challenge`` (client side)."""
    return b64url_encode(key.sign(auth_message(origin, challenge)))


def verify_challenge_signature(did_url: str, origin: str, challenge: str,
                               signature: str) -> bool:
    """True iff ``signature`` (base64url) is the key of ``did_url`` signing the challenge.

    Raises :class:`ipledger.identity.DidError` if ``did_url`` is not an Ed25519 did:key.
    """
    public_key = public_key_from_did(did_url)
    try:
        raw = b64url_decode(signature)
    except EncodingError:
        return False
    if len(raw) != SIGNATURE_SIZE:
        return False
    return verify_signature(public_key, auth_message(origin, challenge), raw)


class ChallengeError(ValueError):
    """A challenge that cannot be answered: ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ChallengeStore:
    """Outstanding challenges: random, single use, expiring, at most ``capacity`` kept.

    A spent challenge is remembered until it would have expired, so that a replay is
    reported as such; when full, the oldest challenges are forgotten first.
    """

    def __init__(self, ttl_ms: int = DEFAULT_CHALLENGE_TTL_MS, capacity: int = 10_000) -> None:
        if ttl_ms <= 0 or capacity <= 0:
            raise ValueError("ttl_ms and capacity must be positive")
        self.ttl_ms = ttl_ms
        self.capacity = capacity
        # challenge -> [expires_ms, spent]; insertion order is issue order.
        self._items: OrderedDict[str, tuple[int, bool]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def _purge(self, now_ms: int) -> None:
        while self._items:
            challenge, (expires, _) = next(iter(self._items.items()))
            if expires > now_ms and len(self._items) < self.capacity:
                break
            del self._items[challenge]

    def issue(self, now_ms: int) -> tuple[str, int]:
        """A new challenge and the time (ms) it expires."""
        self._purge(now_ms)
        challenge = b64url_encode(secrets.token_bytes(CHALLENGE_BYTES))
        expires = now_ms + self.ttl_ms
        self._items[challenge] = (expires, False)
        return challenge, expires

    def check(self, challenge: str, now_ms: int) -> None:
        """Raise :class:`ChallengeError` unless ``challenge`` is outstanding (nothing changes)."""
        if not isinstance(challenge, str) or len(challenge) != _CHALLENGE_CHARS:
            raise ChallengeError("unknown", "not a challenge this node issued")
        item = self._items.get(challenge)
        if item is None:
            raise ChallengeError("unknown", "not a challenge this node issued (or long "
                                 "expired); ask POST /v1/auth/challenge for a new one")
        expires, spent = item
        if spent:
            raise ChallengeError("used", "this challenge was already used; each is single use")
        if expires <= now_ms:
            raise ChallengeError("expired", "this challenge has expired; ask for a new one")

    def spend(self, challenge: str, now_ms: int) -> None:
        """Check ``challenge`` and mark it used (the first attempt that names it spends it)."""
        self.check(challenge, now_ms)
        expires, _ = self._items[challenge]
        self._items[challenge] = (expires, True)


def hash_token(token: str) -> bytes:
    """What the node keeps of a session token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class Session:
    """A live session: who logged in, with which key, and until when (ms)."""

    party: str
    did: str
    created_ms: int
    expires_ms: int


class SessionStore:
    """Bearer sessions keyed by the SHA-256 of their token; at most ``capacity`` kept."""

    def __init__(self, ttl_ms: int = DEFAULT_SESSION_TTL_MS, capacity: int = 100_000) -> None:
        if ttl_ms <= 0 or capacity <= 0:
            raise ValueError("ttl_ms and capacity must be positive")
        self.ttl_ms = ttl_ms
        self.capacity = capacity
        self._sessions: OrderedDict[bytes, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def _purge(self, now_ms: int) -> None:
        # Every session lives ttl_ms, so issue order is expiry order.
        while self._sessions:
            digest, session = next(iter(self._sessions.items()))
            if session.expires_ms > now_ms and len(self._sessions) < self.capacity:
                break
            del self._sessions[digest]

    def issue(self, party: str, did: str, now_ms: int) -> tuple[str, Session]:
        """A new random token (returned once, never stored) and its session."""
        self._purge(now_ms)
        token = b64url_encode(secrets.token_bytes(TOKEN_BYTES))
        session = Session(party, did, now_ms, now_ms + self.ttl_ms)
        self._sessions[hash_token(token)] = session
        return token, session

    def lookup(self, token: str, now_ms: int) -> Session | None:
        """The live session of ``token``, or None (unknown, expired or revoked)."""
        digest = hash_token(token)
        session = self._sessions.get(digest)
        if session is None:
            return None
        if session.expires_ms <= now_ms:
            del self._sessions[digest]
            return None
        # Looked up by the token's SHA-256: timing can reveal nothing about the token itself.
        return session

    def revoke(self, token: str) -> bool:
        """End the session of ``token``; True if there was one."""
        return self._sessions.pop(hash_token(token), None) is not None

    def revoke_where(self, party: str | None = None, did: str | None = None) -> int:
        """End every session of ``party`` (or made with the key ``did``); how many ended."""
        doomed = [d for d, s in self._sessions.items()
                  if (party is not None and s.party == party) or (did is not None and s.did == did)]
        for digest in doomed:
            del self._sessions[digest]
        return len(doomed)
