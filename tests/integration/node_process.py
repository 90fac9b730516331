"""Run a real ``ipledger serve`` on a loopback port, kill it, restart it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ORIGIN = "integration.ipledger.localhost/log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ipledger(*args: str, check: bool = True, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipledger.cli", *args], capture_output=True, text=True,
        check=check, env={**os.environ, **(env or {})}, timeout=timeout,
    )


class NodeProcess:
    def __init__(self, data: Path, origin: str = ORIGIN, store: str | None = None) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        if not (data / "node.json").exists():
            ipledger("init", "--data", str(data), "--origin", origin,
                     *(("--store", store) if store else ()))
        self.vkey = (data / "log.vkey").read_text().strip()

    def start(self) -> NodeProcess:
        log = (self.data / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ipledger.cli", "serve", "--data", str(self.data),
             "--port", str(self.port), "--log-level", "warning"],
            stdout=log, stderr=log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited: {(self.data / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/tlog/checkpoint", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("node did not start in 30 s")

    def children(self) -> list[int]:
        """PIDs whose parent is the node (its validation workers)."""
        assert self.proc is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def seeded_node(data: Path, origin: str = ORIGIN, store: str | None = None) -> None:
    """A stopped node in ``data`` holding the demo register (``ipledger.demo.seed``)."""
    from ipledger.demo import seed
    from ipledger.node import SQLITE_FILE, init_node, open_ledger

    init_node(data, origin, store or SQLITE_FILE)
    ledger = open_ledger(data, validation_processes=False)
    try:
        seed(ledger, data)
        ledger.wait_for_checkpoint(ledger.store.tree_size(), timeout=30)
    finally:
        ledger.close()
        ledger.store.close()
