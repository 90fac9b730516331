"""Online backup of a node that keeps writing, restore onto either backend, proven."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.integration.node_process import NodeProcess, ipledger, seeded_node

pytestmark = pytest.mark.slow


def stamp_until(node: NodeProcess, tmp_path: Path, stop: threading.Event) -> None:
    key = tmp_path / "stamper.key"
    ipledger("keygen", "--out", str(key))
    n = 0
    while not stop.is_set():
        doc = tmp_path / f"doc{n}.txt"
        doc.write_text(f"doc {n}")
        subprocess.run([sys.executable, "-m", "ipledger.cli", "stamp", str(doc), "--node",
                        node.url, "--key", str(key), "--quiet"], check=True,
                       capture_output=True)
        n += 1


def test_backup_while_writing_then_restore_on_both_backends(
        tmp_path: Path, store_spec: str | None, request: pytest.FixtureRequest) -> None:
    data = tmp_path / "node"
    seeded_node(data, store=store_spec)
    with NodeProcess(data) as node:
        stop = threading.Event()
        writer = threading.Thread(target=stamp_until, args=(node, tmp_path, stop))
        writer.start()
        try:
            backup = tmp_path / "backup"
            done = ipledger("backup", "--data", str(data), "--out", str(backup))
        finally:
            stop.set()
            writer.join()
        assert done.returncode == 0 and "OK:" in done.stdout, done.stdout + done.stderr
        live_size = int(httpx.get(f"{node.url}/v1/log").json()["tree_size"])
    assert json.loads((backup / "node.json").read_text())["store"] == "ledger.sqlite"
    assert (backup / "keys" / "log.key").stat().st_mode & 0o777 == 0o600
    backed_up = int(done.stdout.split("backed up ")[1].split()[0])
    assert 18 <= backed_up <= live_size

    # Restore onto the other backend than the original's, and serve it.
    other = None if store_spec else str(request.getfixturevalue("postgres_dsn"))
    restored = tmp_path / "restored"
    args = ["restore", str(backup), "--data", str(restored)]
    done = ipledger(*args, *(("--store", other) if other else ()))
    assert done.returncode == 0 and f"OK: {backed_up} entries" in done.stdout, done.stdout
    with NodeProcess(restored) as node:
        extract = httpx.get(f"{node.url}/v1/rights/EM/trademark/000000001/extract").json()
        path = tmp_path / "extract.json"
        path.write_text(json.dumps(extract))
        assert ipledger("verify", "extract", str(path), "--vkey", node.vkey).returncode == 0


def test_a_corrupt_backup_does_not_restore(tmp_path: Path) -> None:
    data = tmp_path / "node"
    seeded_node(data)
    backup = tmp_path / "backup"
    ipledger("backup", "--data", str(data), "--out", str(backup))
    db = sqlite3.connect(backup / "ledger.sqlite")
    db.execute("UPDATE entries SET data = CAST(replace(CAST(data AS TEXT), 'Aurora', 'Boreal') "
               "AS BLOB) WHERE idx = 5")
    db.commit()
    db.close()
    done = ipledger("restore", str(backup), "--data", str(tmp_path / "r"), check=False)
    assert done.returncode == 1
    assert "PROBLEM fsck: hash tile 0/0" in done.stdout, done.stdout
    refused = ipledger("backup", "--data", str(data), "--out", str(backup), check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
