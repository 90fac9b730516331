"""A mirror serves the office's log byte for byte: the Go x/mod tlog client verifies the
mirror's tlog-tiles with the office's key, entries, proofs and consistency included."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from ipledger.network.mirror import add_mirror, sync_mirror
from ipledger.node import init_node
from tests.integration.node_process import NodeProcess, seeded_node
from tests.interop.test_go_tlog_client import run_client
from tests.mirror.registers import stamp

pytestmark = pytest.mark.interop

ORIGIN = "office-a.example/register"


def test_xmod_client_verifies_a_mirrored_log(tmp_path: Path, tlogclient: str) -> None:
    seeded_node(tmp_path / "a", ORIGIN)
    init_node(tmp_path / "b", "office-b.example/register")
    olds: list[Path] = []
    with NodeProcess(tmp_path / "a", ORIGIN) as a:
        spec = add_mirror(tmp_path / "b", a.url, a.vkey)
        for count in (300, 40):  # two syncs, crossing an entry-bundle boundary
            old = tmp_path / f"checkpoint-{len(olds)}"
            old.write_text(httpx.get(f"{a.url}/tlog/checkpoint").text)
            olds.append(old)
            stamp(a.url, ORIGIN, count)
            sync_mirror(tmp_path / "b", spec.name)
        size = int(httpx.get(f"{a.url}/v1/log").json()["tree_size"])
    (tmp_path / "b" / "ipledger.toml").write_text("[mirror]\nsync_interval_s = 0\n")
    with NodeProcess(tmp_path / "b", "office-b.example/register") as b:
        # The client reads the mirror's prefix and trusts only the office's key.
        mirror = SimpleNamespace(url=f"{b.url}/v1/mirrors/{spec.name}", vkey=a.vkey)
        summary = run_client(tlogclient, mirror, olds)  # type: ignore[arg-type]
    assert summary["ok"] is True and summary["size"] == size
    assert summary["entries_checked"] == size
    assert summary["consistency_checked"] == len(olds)
