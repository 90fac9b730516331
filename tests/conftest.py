"""Shared fixtures: a started ledger on a temporary SQLite store, keys, envelopes."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import Ledger, make_envelope
from ipledger.services.evidence import EvidenceStamp
from ipledger.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from ipledger.network.nats_cluster import NatsCluster

ORIGIN = "test.ipledger.localhost/log"
T0 = 1_790_000_000_000  # 2026-09-21T14:13:20Z, a fixed ledger clock for tests


ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "IPLEDGER_TEST_POSTGRES"  # scripts/test starts one server for all workers


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The maintenance-database URL of a PostgreSQL server for tests.

    ``$IPLEDGER_TEST_POSTGRES``, else one started by ``scripts/postgres`` (Debian's
    packages, installed if missing). Under CI a missing server fails, never skips.
    """
    dsn = os.environ.get(POSTGRES_ENV)
    if dsn:
        return dsn
    try:
        started = subprocess.run([str(ROOT / "scripts" / "postgres"), "start"],
                                 capture_output=True, text=True, timeout=600, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI and could not start: {detail}")
        pytest.skip(f"no PostgreSQL server: {detail}")
    return started.stdout.strip().splitlines()[-1]


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database (dropped afterwards)."""
    import psycopg

    name = f"ipledger_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    """Three Debian ``nats-server`` processes forming a JetStream cluster on loopback.

    Partitionable (see ``ipledger.network.nats_cluster``). A test that kills, stops or
    partitions servers leaves them so; ``nats_cluster.recover()`` makes the cluster whole
    again (tests/network does it around every test). Under CI a missing nats-server fails,
    never skips.
    """
    from ipledger.network.nats_cluster import NatsCluster, find_nats_server

    if find_nats_server() is None:
        message = "nats-server is not installed (run scripts/nats install as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"NATS is required under CI: {message}")
        pytest.skip(message)
    cluster = NatsCluster(tmp_path_factory.mktemp("nats"), 3)
    try:
        yield cluster.start()
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def system_tool() -> Callable[[str], str]:
    """``system_tool(name)``: the path of a Debian tool the tests drive (``scripts/system-tools``
    installs them: pdftoppm, pdftotext, qpdf, zbarimg, chromium, openssl). Under CI a missing tool
    fails, never skips."""
    import shutil

    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            message = f"{name} is not installed (run scripts/system-tools as root)"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{message}; it is required under CI")
            pytest.skip(message)
        return path

    return find


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
