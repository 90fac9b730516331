"""An export is a tlog-tiles tree on disk: a static file server serves it and the Go x/mod
client verifies it; our own offline check re-derives it, and catches any tampering."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ipledger.codec import canonicalize
from ipledger.demo import seed
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from ipledger.node import init_node, open_ledger
from tests.integration.node_process import ORIGIN, NodeProcess, ipledger

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register node with 18 register entries and 700 stamps, exported."""
    data = tmp_path_factory.mktemp("node") / "node"
    init_node(data, ORIGIN)
    ledger = open_ledger(data, validation_processes=False)
    try:
        seed(ledger, data)
        key = SigningKey.generate()
        for start in range(0, 700, 100):  # several batches, so several checkpoints
            futures = ledger.submit_many([canonicalize(make_envelope(
                key, ORIGIN, "evidence.stamp", {"sha256": f"{n:064x}"}))
                for n in range(start, start + 100)])
            for f in futures:
                f.result(timeout=30)
            ledger.wait_for_checkpoint(ledger.store.tree_size(), timeout=30)
    finally:
        ledger.close()
        ledger.store.close()
    out = data.parent / "export"
    done = ipledger("export", "--data", str(data), "--out", str(out))
    assert "exported 718 entries (3 entry bundles" in done.stdout, done.stdout
    return out


@pytest.fixture
def static_server(export: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(export))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_our_offline_check_re_derives_the_export(export: Path) -> None:
    done = ipledger("verify", "export", str(export), "--vkey", str(export / "log.vkey"))
    assert done.stdout.startswith("OK: 718 entries"), done.stdout
    assert "state root" in done.stdout


def test_the_go_client_verifies_the_export_served_as_static_files(
        export: Path, static_server: str, tlogclient: str) -> None:
    vkey = (export / "log.vkey").read_text().strip()
    earlier = sorted((export / "checkpoints").iterdir(), key=lambda p: int(p.name))
    assert len(earlier) >= 5
    args = [tlogclient, "-url", f"{static_server}/", "-vkey", vkey, "-entries", "all",
            "-proofs", "all", *[a for p in earlier for a in ("-old", str(p))]]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"entries_checked":718' in done.stdout.replace(" ", ""), done.stdout


@pytest.mark.parametrize("damage", ["bundle-byte", "missing-tile", "forged-state-root"])
def test_a_damaged_export_is_refused(export: Path, tmp_path: Path, damage: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(export, copy)
    if damage == "bundle-byte":
        bundle = copy / "tile" / "entries" / "001"
        data = bytearray(bundle.read_bytes())
        data[100] ^= 1
        bundle.write_bytes(bytes(data))
    elif damage == "missing-tile":
        (copy / "tile" / "0" / "000").unlink()
    else:  # an unsigned checkpoint claiming another state root
        latest = (copy / "checkpoint").read_text()
        body, _, signatures = latest.partition("\n\n")
        lines = body.split("\n")
        lines[3] = "ipledger-state-root " + "A" * 43 + "="
        (copy / "checkpoint").write_text("\n".join(lines) + "\n\n" + signatures)
    done = ipledger("verify", "export", str(copy), "--vkey", str(export / "log.vkey"),
                    check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout or "lacks" in done.stderr, done.stdout + done.stderr


def test_a_node_rebuilt_from_the_export_equals_the_original(export: Path,
                                                            tmp_path: Path) -> None:
    original = export.parent / "node"
    copy = tmp_path / "mirror"
    done = ipledger("import", "export", str(export), "--data", str(copy))
    assert done.stdout.startswith("OK: 718 entries"), done.stdout + done.stderr
    assert not (copy / "keys").exists()  # a verified copy, not the office
    replayed = ipledger("replay", "--data", str(copy)).stdout
    assert replayed.split("state root ")[1] == \
        ipledger("replay", "--data", str(original)).stdout.split("state root ")[1]
    assert ipledger("log", "fsck", "--data", str(copy)).returncode == 0


def test_the_office_restores_from_its_export_and_keys_onto_postgresql(
        export: Path, tmp_path: Path, postgres_dsn: str) -> None:
    original = export.parent / "node"
    data = tmp_path / "restored"
    done = ipledger("import", "export", str(export), "--data", str(data), "--store",
                    postgres_dsn, "--keys", str(original / "keys"))
    assert done.returncode == 0, done.stdout + done.stderr
    with NodeProcess(data) as node:
        extract = httpx.get(f"{node.url}/v1/rights/EM/trademark/000000001/extract").json()
        path = tmp_path / "extract.json"
        path.write_text(json.dumps(extract))
        assert ipledger("verify", "extract", str(path), "--vkey", node.vkey).returncode == 0
        evidence = httpx.get(f"{node.url}/v1/evidence/{0:064x}")  # lookup keys rebuilt
        assert evidence.status_code == 200, evidence.text
        key = tmp_path / "k.key"
        ipledger("keygen", "--out", str(key))
        added = ipledger("submit", "party.register", "--node", node.url, "--key", str(key),
                         "--body", '{"name": "After Restore", "country": "FR", "kind": "legal"}')
        assert "recorded as entry 718" in added.stdout, added.stdout


def test_a_damaged_export_is_not_imported(export: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(export, copy)
    bundle = copy / "tile" / "entries" / "000"
    data = bytearray(bundle.read_bytes())
    data[300] ^= 1
    bundle.write_bytes(bytes(data))
    done = ipledger("import", "export", str(copy), "--data", str(tmp_path / "n"), check=False)
    assert done.returncode == 1 and "FAILED" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / "n").exists()
