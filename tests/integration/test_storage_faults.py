"""Storage faults under a real node: a filesystem that fills up; a PostgreSQL database whose
connection is killed inside every batch, or that turns read-only. Writes are refused with a
clear problem, reads go on, and once the fault clears the node writes again, having lost
nothing it acknowledged. (A mounted filesystem cannot be remounted read-only under a node that
holds its files open for writing; the read-only case is the database's.)"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.identity import NoteVerifier, SigningKey
from ipledger.ledger import make_envelope
from ipledger.ledger.receipts import verify_receipt
from tests.integration.node_process import NodeProcess, ipledger

pytestmark = pytest.mark.slow


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs (root needed: the suite runs as root on CI machines)."""
    where = tmp_path / "disk"
    where.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(where)):
        if os.environ.get("CI") == "true":
            pytest.fail("cannot mount a tmpfs for the disk-fault test under CI")
        pytest.skip("mounting a tmpfs needs root")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def stamp(client: httpx.Client, node: NodeProcess, key: SigningKey, origin: str,
          n: int) -> httpx.Response:
    body = {"sha256": f"{n:064x}", "media_type": "text/plain"}
    env = make_envelope(key, origin, "evidence.stamp", body)
    return client.post(f"{node.url}/v1/entries", content=canonicalize(env),
                       headers={"Content-Type": "application/json"})


def test_disk_full_then_healed(small_disk: Path) -> None:
    key = SigningKey.generate()
    receipts: list[dict[str, object]] = []
    with NodeProcess(small_disk / "node") as node, httpx.Client(timeout=30) as client:
        origin = client.get(f"{node.url}/v1/log").json()["origin"]
        verifier = NoteVerifier.from_vkey(node.vkey)
        # Fill the disk: every acknowledged write is kept, the first refusal is clear.
        refusal = None
        for n in range(20_000):
            resp = stamp(client, node, key, origin, n)
            if resp.status_code != 201:
                refusal = resp
                break
            receipts.append(resp.json())
        assert refusal is not None, "a 3 MiB disk should fill up"
        assert refusal.status_code == 503, refusal.text
        problem = refusal.json()
        assert problem["rule"] == "unavailable"
        assert "full" in problem["detail"], problem
        acknowledged = len(receipts)
        if "are recorded" in problem["detail"]:
            # The disk filled between the entry's commit and its checkpoint: the entry is
            # durable and says so; only its receipt waits for the checkpoint.
            acknowledged += 1
        # Reads go on while the disk is full.
        assert client.get(f"{node.url}/tlog/checkpoint").status_code == 200
        assert client.get(f"{node.url}/v1/entries/0").status_code == 200
        assert stamp(client, node, key, origin, 90_000).status_code == 503

        # The fault clears: the disk grows, and the node writes again at once.
        assert _mount("-o", "remount,size=64m", str(small_disk))
        done = stamp(client, node, key, origin, 90_001)
        assert done.status_code == 201, done.text
        assert done.json()["index"] == acknowledged
        for receipt in receipts[:: max(1, acknowledged // 50)]:
            verify_receipt(receipt, [verifier])
            index = receipt["index"]
            stored = client.get(f"{node.url}/v1/entries/{index}").content
            assert json.loads(stored) == receipt["entry"]
    assert ipledger("log", "fsck", "--data", str(small_disk / "node")).returncode == 0


def test_postgresql_connection_killed_mid_batch_and_read_only_database(
        tmp_path: Path, postgres_dsn: str) -> None:
    """A node on PostgreSQL: its database connection is killed inside every batch, then
    the database turns read-only; writes are refused clearly, reads go on, and when each
    fault clears the node writes again, nothing acknowledged lost."""
    import psycopg

    def admin(sql: str, database: str = postgres_dsn) -> None:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(sql)

    maintenance = postgres_dsn.rsplit("/", 1)[0] + "/postgres"

    def kick() -> None:  # drop the node's connections, as a failover or restart would
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
              "current_database() AND application_name = 'ipledger'")

    name = postgres_dsn.rsplit("/", 1)[1]
    key = SigningKey.generate()
    receipts = []
    with NodeProcess(tmp_path / "node", store=postgres_dsn) as node, \
            httpx.Client(timeout=30) as client:
        origin = client.get(f"{node.url}/v1/log").json()["origin"]
        for n in range(5):
            resp = stamp(client, node, key, origin, n)
            assert resp.status_code == 201, resp.text
            receipts.append(resp.json())

        admin("CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
              "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$; "
              "CREATE TRIGGER die BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION die()")
        refused = stamp(client, node, key, origin, 100)
        assert refused.status_code == 503, refused.text
        assert "storage refused the write" in refused.json()["detail"]
        assert client.get(f"{node.url}/v1/entries/4").status_code == 200  # reads go on
        admin("DROP TRIGGER die ON entries")
        healed = stamp(client, node, key, origin, 101)
        assert healed.status_code == 201, healed.text
        receipts.append(healed.json())

        admin(f"ALTER DATABASE {name} SET default_transaction_read_only = on", maintenance)
        kick()
        refused = stamp(client, node, key, origin, 102)
        assert refused.status_code == 503, refused.text
        assert "read-only" in refused.json()["detail"], refused.json()
        assert client.get(f"{node.url}/v1/entries/5").status_code == 200
        admin(f"ALTER DATABASE {name} RESET default_transaction_read_only", maintenance)
        kick()
        healed = stamp(client, node, key, origin, 103)
        assert healed.status_code == 201, healed.text
        receipts.append(healed.json())
        verifier = NoteVerifier.from_vkey(node.vkey)
        for receipt in receipts:
            verify_receipt(receipt, [verifier])
            assert json.loads(client.get(f"{node.url}/v1/entries/{receipt['index']}")
                              .content) == receipt["entry"]
        assert [r["index"] for r in receipts] == list(range(7))
    assert ipledger("log", "fsck", "--data", str(tmp_path / "node")).returncode == 0
