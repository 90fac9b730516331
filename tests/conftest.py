"""Shared fixtures: a started ledger on a temporary SQLite store, keys, envelopes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger, make_envelope
from ipledger.services.evidence import EvidenceStamp
from ipledger.storage.sqlite import SQLiteStore

ORIGIN = "test.ipledger.localhost/log"
T0 = 1_790_000_000_000  # 2026-09-21T14:13:20Z, a fixed ledger clock for tests


class FakeClock:
    """A controllable millisecond clock for the sequencer."""

    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stamper() -> SigningKey:
    return SigningKey.from_seed(bytes(range(32)))


@pytest.fixture
def log_key() -> SigningKey:
    return SigningKey.from_seed(bytes(range(100, 132)))


LedgerFactory = Callable[..., Ledger]


@pytest.fixture
def open_test_ledger(
    tmp_path: Path, clock: FakeClock, log_key: SigningKey
) -> Iterator[LedgerFactory]:
    opened: list[Ledger] = []

    def factory(db: str = "ledger.sqlite", **options: Any) -> Ledger:
        options.setdefault("clock_ms", clock)
        options.setdefault("checkpoint_interval_s", 0.01)
        ledger = Ledger(SQLiteStore(tmp_path / db), ORIGIN, log_key,
                        {"evidence.stamp": EvidenceStamp()}, **options)
        opened.append(ledger.start())
        return ledger

    yield factory
    for ledger in opened:
        try:
            ledger.close()
        finally:
            ledger.store.close()


@pytest.fixture
def ledger(open_test_ledger: LedgerFactory) -> Ledger:
    return open_test_ledger()


def stamp(key: SigningKey, n: int = 0, *, created_ms: int = T0, origin: str = ORIGIN,
          **overrides: Any) -> dict[str, Any]:
    """A valid evidence.stamp envelope, distinct per ``n``."""
    body = {"sha256": f"{n:064x}", "media_type": "text/plain"}
    env = make_envelope(key, origin, "evidence.stamp", body, nonce=f"nonce-{n:08d}",
                        created_ms=created_ms)
    env.update(overrides)
    return env


def raw(env: dict[str, Any]) -> bytes:
    return canonicalize(env)
