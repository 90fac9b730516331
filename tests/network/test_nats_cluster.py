"""The local cluster itself: routes only through the partition proxies, the scripts/nats CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ipledger.network.nats_cluster import (
    PORT_RANGE,
    NatsCluster,
    NatsClusterError,
    running_servers,
    stop_directory,
)
from tests.network.jetstream import connect

ROOT = Path(__file__).resolve().parents[2]
# A process that starts a cluster from a worker thread that then ends (as asyncio.to_thread
# does), reports its servers, and closes the cluster when its stdin closes.
CLUSTER_PROCESS = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from ipledger.network.nats_cluster import NatsCluster
cluster = NatsCluster(sys.argv[1], 3)
with ThreadPoolExecutor(1) as pool:
    pool.submit(cluster.start, timeout=90).result()
cluster.wait_ready(60)  # fails if a server died with the thread that started it
print(json.dumps({"pids": [cluster.pid(i) for i in range(3)],
                  "ports": [[s.client_port, s.cluster_port, s.monitor_port]
                            for s in cluster.servers]}), flush=True)
sys.stdin.read()
cluster.close()
"""


def _routes(cluster: NatsCluster) -> list[int]:
    return [int(cluster.monitor(i, "routez", timeout=10.0)["num_routes"])
            for i in range(cluster.size)]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):  # a loaded server answers late
            if condition():
                return
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _meta_views(cluster: NatsCluster) -> list[str | None]:
    return [cluster.monitor(i, "jsz", timeout=10.0).get("meta_cluster", {}).get("leader")
            for i in range(cluster.size)]


def test_a_partition_cannot_be_routed_around(cluster: NatsCluster) -> None:
    _wait(lambda: _routes(cluster) == [2, 2, 2], "routes never complete")
    for _ in range(5):  # cut the meta leader, chosen at the moment of the cut
        _wait(lambda: cluster.meta_leader() is not None, "no meta leader")
        cut = cluster.meta_leader()
        assert cut is not None
        cluster.partition(cut)
        # no election ends that fast: if any server names another leader, it moved first
        if _meta_views(cluster) == [cluster.servers[cut].name] * cluster.size:
            break
        cluster.heal(cut)
        cluster.wait_ready(60.0)
    else:
        pytest.fail("the meta leader kept moving")
    cut_off = [0 if i == cut else 1 for i in range(cluster.size)]
    _wait(lambda: _routes(cluster) == cut_off, f"routes never became {cut_off}")
    # servers retry routes every second and gossip addresses: none may get through
    until = time.monotonic() + 3.0
    while time.monotonic() < until:
        assert _routes(cluster) == cut_off
        time.sleep(0.2)
    # the majority elects a meta leader of its own; the cut server cannot lead it
    _wait(lambda: cluster.meta_leader() not in (None, cut), "majority elected no leader")
    cluster.heal(cut)
    _wait(lambda: _routes(cluster) == [2, 2, 2], "routes never came back")
    cluster.wait_ready(60.0)


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


@contextlib.contextmanager
def _cluster_processes(*directories: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """One :data:`CLUSTER_PROCESS` per directory, all started at once; whatever happens,
    killed afterwards along with any server they left."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", CLUSTER_PROCESS, str(d)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for d in directories]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
        for d in directories:
            stop_directory(d, sig=signal.SIGKILL, timeout=5.0)


def _report(proc: subprocess.Popen[str], timeout: float = 120.0) -> dict[str, Any]:
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], timeout)
    assert readable, "the cluster process reported nothing"
    line = proc.stdout.readline()
    assert line, f"the cluster process ended with {proc.wait(10)}"
    return dict(json.loads(line))


def test_two_clusters_start_at_once_on_separate_ports(tmp_path: Path) -> None:
    dirs = [tmp_path / "a", tmp_path / "b"]
    with _cluster_processes(*dirs) as procs:  # as two xdist workers do
        reports = [_report(p) for p in procs]
        ports = [port for r in reports for server in r["ports"] for port in server]
        assert len(set(ports)) == len(ports) == 18
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        assert all(p in PORT_RANGE and not low <= p <= high for p in ports)
        for d, r in zip(dirs, reports, strict=True):
            assert sorted(running_servers(d)) == sorted(r["pids"])
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()  # a clean close() stops the servers
            assert p.wait(60) == 0
        assert [running_servers(d) for d in dirs] == [[], []]


def test_servers_die_with_the_process_that_started_them(tmp_path: Path) -> None:
    directory = tmp_path / "orphaned"
    with _cluster_processes(directory) as (proc,):
        pids = _report(proc)["pids"]
        assert sorted(running_servers(directory)) == sorted(pids)
        proc.kill()  # SIGKILL: no close(), no atexit
        proc.wait(10)
        _wait(lambda: running_servers(directory) == [], "servers outlived their parent", 10.0)


def test_a_start_moves_to_new_ports_when_one_is_taken(tmp_path: Path) -> None:
    cluster = NatsCluster(tmp_path / "one", 1, partitionable=False)
    taken = cluster.servers[0].monitor_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        try:
            cluster.start(timeout=60)
            assert taken not in (cluster.servers[0].client_port, cluster.servers[0].monitor_port)
            assert cluster.healthy(0, js_enabled_only=True)
            assert b"address already in use" in cluster.log_path(0).read_bytes()
        finally:
            cluster.close()
    assert running_servers(cluster.directory) == []
