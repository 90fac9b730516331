"""An export is a tlog-tiles tree on disk: a static file server serves it and the Go x/mod
client verifies it; our own offline check re-derives it, and catches any tampering."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.codec import canonicalize
from ipledger.demo import seed
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from ipledger.node import init_node, open_ledger
from tests.integration.node_process import ORIGIN, ipledger

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
