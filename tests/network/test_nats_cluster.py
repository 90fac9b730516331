"""The local cluster itself: routes only through the partition proxies, the scripts/nats CLI."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from ipledger.network.nats_cluster import NatsCluster, NatsClusterError, running_servers
from tests.network.jetstream import connect

ROOT = Path(__file__).resolve().parents[2]


def _routes(cluster: NatsCluster) -> list[int]:
    return [int(cluster.monitor(i, "routez")["num_routes"]) for i in range(cluster.size)]


def _wait_routes(cluster: NatsCluster, expected: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _routes(cluster) != expected:
        assert time.monotonic() < deadline, f"routes {_routes(cluster)} != {expected}"
        time.sleep(0.05)


def test_a_partition_cannot_be_routed_around(cluster: NatsCluster) -> None:
    assert _routes(cluster) == [2, 2, 2]
    cluster.partition(1)
    _wait_routes(cluster, [1, 0, 1])
    # servers retry routes every second and gossip addresses: none may get through
    until = time.monotonic() + 3.0
    while time.monotonic() < until:
        assert _routes(cluster) == [1, 0, 1]
        time.sleep(0.2)
    assert cluster.meta_leader() != 1
    cluster.heal(1)
    _wait_routes(cluster, [2, 2, 2])
    cluster.wait_ready()


def test_kill_stop_and_restart_report_what_runs(cluster: NatsCluster) -> None:
    pid = cluster.pid(2)
    cluster.kill(2)
    assert not cluster.is_running(2) and cluster.pid(2) is None
    cluster.wait_ready()  # two of three still form a cluster with a meta leader
    cluster.restart(0)
    assert cluster.is_running(0)
    cluster.start(2)
    assert cluster.pid(2) not in (None, pid)
    cluster.wait_ready()
    with pytest.raises(NatsClusterError):
        NatsCluster(cluster.directory / "unused", 1, partitionable=False).partition(0)


def test_scripts_nats_starts_reuses_and_stops_a_cluster(tmp_path: Path) -> None:
    script = str(ROOT / "scripts" / "nats")
    directory = tmp_path / "cli"
    try:
        first = subprocess.run([script, "start", str(directory), "3"], capture_output=True,
                               text=True, timeout=120, check=True).stdout.splitlines()[-1]
        urls = first.split(",")
        assert len(urls) == 3 and all(u.startswith("nats://127.0.0.1:") for u in urls)
        assert len(running_servers(directory)) == 3
        again = subprocess.run([script, "start", str(directory)], capture_output=True,
                               text=True, timeout=120, check=True).stdout.splitlines()[-1]
        assert again == first  # reused, not restarted

        async def replicated_stream_works() -> None:
            nc = await connect(urls)
            try:
                js = nc.jetstream(timeout=5.0)
                await js.add_stream(name="CLI", subjects=["cli.>"], num_replicas=3)
                assert (await js.publish("cli.x", b"x")).seq == 1
                info = await js.stream_info("CLI")
                assert info.cluster is not None and len(info.cluster.replicas or ()) == 2
            finally:
                await nc.close()

        asyncio.run(replicated_stream_works())
    finally:
        subprocess.run([script, "stop", str(directory)], timeout=60, check=True)
    assert running_servers(directory) == []
