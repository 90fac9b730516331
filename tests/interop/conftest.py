"""Interop tools built by the project's scripts; with CI=true a missing tool fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def require_tool(path: str | None, what: str) -> str:
    if path and Path(path).exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; .ci/run must build it (scripts/test does)")
    pytest.skip(f"{what} not built; run make interop")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def tlogclient() -> str:
    path = os.environ.get("IPLEDGER_TLOGCLIENT") or str(ROOT / ".build" / "tlogclient")
    if not Path(path).exists() and os.environ.get("CI") == "true":
        subprocess.run([str(ROOT / "scripts" / "build-go-tlog-client")], check=True)
    return require_tool(path, "the Go x/mod tlog client")


@pytest.fixture(scope="session")
def openssl() -> str:
    return require_tool(shutil.which("openssl"), "openssl")
