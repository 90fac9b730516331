"""A node moves from SQLite to PostgreSQL: copied, proven, served, still verifiable."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.node_process import NodeProcess, ipledger, seeded_node

pytestmark = pytest.mark.slow


def test_migrate_sqlite_to_postgresql_then_serve_and_verify(tmp_path: Path,
                                                            postgres_dsn: str) -> None:
    data = tmp_path / "node"
    seeded_node(data)
    before = ipledger("replay", "--data", str(data)).stdout
    moved = ipledger("store", "migrate", "--data", str(data), "--to", postgres_dsn,
                     "--switch", "--quiet")
    assert "OK: 18 entries" in moved.stdout, moved.stdout + moved.stderr
    assert json.loads((data / "node.json").read_text())["store"] == postgres_dsn
    # The same state root, now replayed from PostgreSQL.
    after = ipledger("replay", "--data", str(data)).stdout
    assert after.split("state root ")[1] == before.split("state root ")[1]
    assert ipledger("log", "fsck", "--data", str(data)).returncode == 0
    again = ipledger("store", "migrate", "--data", str(data), "--to", postgres_dsn,
                     check=False)
    assert again.returncode == 1 and "not empty" in again.stderr

    with NodeProcess(data) as node:  # serves from PostgreSQL, and keeps appending there
        extract = httpx.get(f"{node.url}/v1/rights/EM/trademark/000000001/extract").json()
        path = tmp_path / "extract.json"
        path.write_text(json.dumps(extract))
        verified = ipledger("verify", "extract", str(path), "--vkey", node.vkey)
        assert verified.stdout.startswith("OK"), verified.stdout
        key = tmp_path / "k.key"
        ipledger("keygen", "--out", str(key))
        done = ipledger("submit", "party.register", "--node", node.url, "--key", str(key),
                        "--body", '{"name": "New Party", "country": "FR", "kind": "legal"}')
        assert "recorded as entry 18" in done.stdout
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (19,)


def test_a_tampered_copy_is_caught_by_replay(tmp_path: Path, postgres_dsn: str) -> None:
    data = tmp_path / "node"
    seeded_node(data)
    ipledger("store", "migrate", "--data", str(data), "--to", postgres_dsn, "--switch",
             "--quiet")
    with psycopg.connect(postgres_dsn) as conn:  # an insider edits a record in place
        edited = conn.execute(
            "UPDATE records SET data = convert_to(replace(convert_from(data, 'UTF8'), "
            "'Aurora', 'Boreal'), 'UTF8') WHERE id LIKE 'party/%' AND "
            "convert_from(data, 'UTF8') LIKE '%Aurora%'").rowcount
    assert edited == 1
    replayed = ipledger("replay", "--data", str(data), check=False)
    assert replayed.returncode == 1, replayed.stdout
    assert "DIFFERENCE record party/" in replayed.stdout
