"""``ipledger serve --log-format json``: every line on stderr is one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ipledger.identity import SigningKey
from tests.conftest import raw, stamp
from tests.integration.node_process import free_port, ipledger

ORIGIN = "logs.ipledger.localhost/log"


def serve(data: Path, *flags: str) -> tuple[str, str]:
    """Run a node, write one entry, read a few pages, stop it; its stdout and stderr."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipledger.cli", "serve", "--data", str(data), "--port",
         str(port), *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.05)
        entry = raw(stamp(SigningKey.from_seed(bytes(32)), 1, origin=ORIGIN,
                          created_ms=int(time.time() * 1000)))
        resp = httpx.post(f"{url}/v1/entries", content=entry, timeout=30,
                          headers={"Content-Type": "application/json"})
        assert resp.status_code == 201, resp.text
        assert httpx.get(f"{url}/v1/entries/0/proof", timeout=10).status_code == 200
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    return out, err


@pytest.fixture
def node(tmp_path: Path) -> Path:
    ipledger("init", "--data", str(tmp_path / "node"), "--origin", ORIGIN)
    return tmp_path / "node"


def test_json_logs_one_object_per_line(node: Path) -> None:
    out, err = serve(node, "--log-format", "json", "--access-log", "--log-level", "debug")
    # Python's multiprocessing resource tracker (a process of its own, not logging) may
    # warn about the validation pool's semaphores at exit; everything else is JSON.
    lines = [json.loads(line) for line in err.splitlines()
             if line.strip() and "resource_tracker" not in line and "warnings.warn(" not in line]
    assert lines and not out.strip()
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own
    access = {line["path"]: line for line in lines if line["logger"] == "ipledger.access"}
    post = access["/v1/entries"]
    assert (post["method"], post["route"], post["status"]) == ("POST", "/v1/entries", 201)
    assert post["duration_ms"] > 0 and post["client"] == "127.0.0.1"
    assert access["/v1/entries/0/proof"]["route"] == "/v1/entries/{index}/proof"
    commits = [line for line in lines if "batch_size" in line]
    assert commits and commits[0]["level"] == "DEBUG" and commits[0]["batch_size"] == 1
    assert commits[0]["logger"] == "ipledger.ledger.sequencer" and "duration_ms" in commits[0]


def test_text_logs_stay_the_default(node: Path) -> None:
    _, err = serve(node)
    assert "Uvicorn running on" in err
    assert not any(line.startswith("{") for line in err.splitlines())
    assert "ipledger.access" not in err  # no access log unless asked for
