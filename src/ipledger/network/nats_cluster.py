"""A local NATS JetStream cluster of Debian ``nats-server`` processes, for tests and demos.

``NatsCluster(directory, size)`` writes one config per server (cluster name, server name,
JetStream store dir, client/cluster/monitoring ports on 127.0.0.1), starts the servers,
waits until JetStream has a meta leader, and lets a test kill, stop, restart, partition and
heal any of them. Stdlib only, so ``scripts/nats`` runs it without the venv.

Ports come from :data:`PORT_RANGE`, outside the kernel's ephemeral range, each reserved by
an flock that dies with the process (:func:`reserve_ports`); a start that still finds a
port taken is retried on new ports. Unless ``detached``, servers get SIGKILL when the
process that started them dies (``PR_SET_PDEATHSIG``), even by SIGKILL.

Partitions (``partitionable=True``, the default) use cuttable TCP proxies
(:mod:`ipledger.network.tcp_proxy`), not network namespaces: they need no root, no
CAP_NET_ADMIN and no kernel state that a crashed test would leave behind, and they work in
any container. Every route between two servers goes through a proxy of its own for that
ordered pair, and every client URL in :attr:`NatsCluster.urls` goes through a proxy per
server; ``partition(i)`` cuts all proxies that touch server ``i``. Each server advertises a
cluster address that refuses connections, so servers never learn one another's real route
ports by gossip and cannot route around the proxies. :meth:`NatsCluster.local_url` is the
server's own port, never cut: a client on the same side of a partition as the server (an
office node next to its NATS server).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from ipledger.network.tcp_proxy import Proxy, ProxyHub

HOST = "127.0.0.1"
STATE_FILE = "cluster.json"
BINARY_ENV = "IPLEDGER_NATS_SERVER"
START_ATTEMPTS = 3  # a whole-cluster start retried on new ports if one was taken
_T = TypeVar("_T")


class NatsClusterError(RuntimeError):
    """A server would not start, or the cluster did not reach the awaited state in time."""


def find_nats_server() -> str | None:
    """``$IPLEDGER_NATS_SERVER``, else ``nats-server`` on PATH or where Debian installs it."""
    if configured := os.environ.get(BINARY_ENV):
        return configured
    for candidate in (shutil.which("nats-server"), "/usr/sbin/nats-server",
                      "/usr/bin/nats-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class ServerSpec:
    """What one server is: its name and its real ports on loopback."""

    name: str
    client_port: int
    cluster_port: int
    monitor_port: int


# Explicitly chosen ports come from below Linux's default ephemeral range (32768-60999):
# a port taken there by "bind to 0, close" can be taken by any outgoing connection before
# nats-server binds it.
PORT_RANGE = range(20000, 32000)
_PORT_BLOCK = 64  # each process starts scanning at its own block (pid-spread)
_held_ports: dict[int, int] = {}  # port -> fd of its flocked reservation file
_ports_lock = threading.Lock()


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def _reservation_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"ipledger-ports-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _reserve(port: int, directory: Path) -> bool:
    """Hold an exclusive flock on ``port``'s file: other processes' clusters skip it, and
    the kernel drops the lock when this process dies, however it dies."""
    if port in _held_ports:
        return False
    fd = os.open(directory / str(port), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    if not _bindable(port):
        os.close(fd)
        return False
    _held_ports[port] = fd
    return True


def reserve_ports(count: int) -> list[int]:
    """``count`` loopback ports from :data:`PORT_RANGE`, outside the ephemeral range, bindable
    now and reserved (until :func:`release_ports`) against every other cluster on this host.

    The scan starts at a block derived from the pid, so concurrent processes (xdist workers)
    rarely even look at the same ports.
    """
    ephemeral = _ephemeral_range()
    candidates = [p for p in PORT_RANGE if p not in ephemeral]
    blocks = max(1, len(candidates) // _PORT_BLOCK)
    start = (os.getpid() * 40503 % blocks) * _PORT_BLOCK  # 40503: spreads adjacent pids
    directory = _reservation_dir()
    found: list[int] = []
    with _ports_lock:
        for k in range(len(candidates)):
            port = candidates[(start + k) % len(candidates)]
            if _reserve(port, directory):
                found.append(port)
                if len(found) == count:
                    return found
        release_ports(found)
    raise NatsClusterError(f"fewer than {count} free ports in {PORT_RANGE}")


def release_ports(ports: Iterable[int]) -> None:
    for port in ports:
        fd = _held_ports.pop(port, None)
        if fd is not None:
            os.close(fd)


# Started non-detached, a server gets SIGKILL when the thread that forked it ends
# (PR_SET_PDEATHSIG, kept across exec), so it dies with its Python process however that
# process dies. Set in a fresh interpreter, not a preexec_fn: forking a threaded process
# and running Python in the child before exec can deadlock.
_DIE_WITH_PARENT = """\
import ctypes, os, signal, sys
if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
    sys.exit(f"prctl: {os.strerror(ctypes.get_errno())}")
if os.getppid() != int(sys.argv[1]):
    sys.exit("parent already gone")
os.execv(sys.argv[2], sys.argv[2:])
"""
_spawner: tuple[int, queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]]] | None = None
_spawner_lock = threading.Lock()


def _serve_spawns(jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]]) -> None:
    while True:
        job, result = jobs.get()
        try:
            result.set_result(job())
        except BaseException as exc:  # handed to the caller
            result.set_exception(exc)


def _in_lasting_thread(job: Callable[[], _T]) -> _T:
    """Run ``job`` in a daemon thread that lives as long as this process.

    The parent-death signal follows the forking *thread*: forked from an
    ``asyncio.to_thread`` worker, a server would die when that worker ends.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None or _spawner[0] != os.getpid():  # none yet, or we were forked
            jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = \
                queue.SimpleQueue()
            threading.Thread(target=_serve_spawns, args=(jobs,), name="nats-spawner",
                             daemon=True).start()
            _spawner = (os.getpid(), jobs)
        result: Future[_T] = Future()
        _spawner[1].put((job, result))
    return result.result(timeout=60)


class NatsCluster:
    """``size`` nats-servers forming one JetStream cluster on loopback, under ``directory``.

    Servers are indexed ``0 .. size-1``. Methods are synchronous and short (they poll the
    monitoring port); async code may call them directly for brief blocking or through
    ``asyncio.to_thread``.
    """

    def __init__(self, directory: Path | str, size: int = 3, *, name: str = "ipledger",
                 partitionable: bool = True, binary: str | None = None,
                 detached: bool = False) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one server")
        self.directory = Path(directory).resolve()
        self.size = size
        self.name = name
        self.partitionable = partitionable
        self.detached = detached  # servers outlive this process (scripts/nats start)
        found = binary or find_nats_server()
        if found is None:
            raise NatsClusterError("nats-server is not installed (scripts/nats install)")
        self.binary = found
        self.servers = self._choose_ports()
        self._log_sizes = [0] * size  # where each server's log stood when it was spawned
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * size
        self._partitioned: set[int] = set()
        self._hub: ProxyHub | None = None
        self._route_proxies: dict[tuple[int, int], Proxy] = {}
        self._client_proxies: list[Proxy] = []
        self._refuser: socket.socket | None = None
        self._stopped: set[int] = set()  # stopped on purpose: not an error while waiting
        self._closed = False

    # -- addresses -------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        """Client URLs, one per server (through the partitionable proxies when enabled)."""
        return [self.url(i) for i in range(self.size)]

    @property
    def servers_url(self) -> str:
        """The client URLs comma-separated, as ``nats`` tools and ``scripts/nats`` print them."""
        return ",".join(self.urls)

    def url(self, i: int) -> str:
        """Server ``i``'s client URL as seen from outside: cut by ``partition(i)``."""
        port = self._client_proxies[i].port if self._client_proxies else \
            self.servers[i].client_port
        return f"nats://{HOST}:{port}"

    def local_url(self, i: int) -> str:
        """Server ``i``'s own client port, never cut: a client beside the server."""
        return f"nats://{HOST}:{self.servers[i].client_port}"

    def monitor_url(self, i: int) -> str:
        return f"http://{HOST}:{self.servers[i].monitor_port}"

    def server_dir(self, i: int) -> Path:
        return self.directory / self.servers[i].name

    def store_dir(self, i: int) -> Path:
        return self.server_dir(i) / "store"

    def log_path(self, i: int) -> Path:
        return self.server_dir(i) / "server.log"

    def index(self, server_name: str) -> int:
        """The index of the server called ``server_name``."""
        for i, spec in enumerate(self.servers):
            if spec.name == server_name:
                return i
        raise KeyError(server_name)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, i: int | None = None, *, wait: bool = True, timeout: float = 30.0) -> Self:
        """Start server ``i`` (or, with no index, set up and start all, moving to new ports
        if another process took one first); wait until ready."""
        if self._closed:
            raise NatsClusterError("the cluster is closed")
        if i is not None:
            if not self.is_running(i):
                self._spawn(i)
            if wait:
                self.wait_ready(timeout)
            return self
        deadline = time.monotonic() + timeout
        for attempt in range(1, START_ATTEMPTS + 1):
            self._set_up()
            for j in range(self.size):
                self._spawn(j)
            if not wait:
                return self
            try:
                self.wait_ready(max(0.1, deadline - time.monotonic()))
                return self
            except NatsClusterError:
                taken = [j for j in range(self.size) if self._port_was_taken(j)]
                if not taken or attempt == START_ATTEMPTS:
                    raise
            # another process bound one of our ports first: all again, on new ports
            self._tear_down()
            self.servers = self._choose_ports()
        raise AssertionError("unreachable")

    def kill(self, i: int) -> None:
        """SIGKILL server ``i`` (a crash: nothing flushed, no goodbye to its peers)."""
        self._signal(i, signal.SIGKILL, 10.0)

    def stop(self, i: int | None = None, *, timeout: float = 15.0) -> None:
        """Stop server ``i`` (or all) cleanly with SIGTERM; SIGKILL after ``timeout``."""
        for j in range(self.size) if i is None else (i,):
            self._signal(j, signal.SIGTERM, timeout)

    def restart(self, i: int, *, hard: bool = False, wait: bool = True,
                timeout: float = 30.0) -> None:
        """Stop (``hard``: kill -9) and start server ``i`` again with the same store."""
        if hard:
            self.kill(i)
        else:
            self.stop(i)
        self.start(i, wait=wait, timeout=timeout)

    def is_running(self, i: int) -> bool:
        proc = self._procs[i]
        return proc is not None and proc.poll() is None

    def pid(self, i: int) -> int | None:
        proc = self._procs[i]
        return proc.pid if proc is not None and proc.poll() is None else None

    def close(self) -> None:
        """Stop every server and proxy (idempotent); store dirs are kept."""
        if self._closed:
            return
        self._closed = True
        if not self.detached:
            with contextlib.suppress(Exception):
                self.stop(timeout=5.0)
        self._close_proxies()
        release_ports(self._ports())
        atexit.unregister(self.close)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recover(self, timeout: float = 30.0) -> None:
        """Heal every partition, start every stopped server, wait until all are caught up."""
        for i in sorted(self._partitioned):
            self.heal(i)
        for i in range(self.size):
            if not self.is_running(i):
                self.start(i, wait=False)
        deadline = time.monotonic() + timeout
        self.wait_ready(timeout)
        for i in range(self.size):
            self.wait_caught_up(i, max(0.1, deadline - time.monotonic()))

    # -- partitions ------------------------------------------------------------------------

    @property
    def partitioned(self) -> frozenset[int]:
        return frozenset(self._partitioned)

    def partition(self, i: int) -> None:
        """Cut server ``i`` off from the other servers' routes and from clients of :attr:`urls`.

        Open connections are reset and new ones refused until :meth:`heal`. The server keeps
        running and :meth:`local_url` still reaches it.
        """
        hub = self._require_hub()
        self._partitioned.add(i)
        hub.cut(*self._proxies_touching(i))

    def heal(self, i: int) -> None:
        """Reconnect server ``i`` (links to a server still partitioned stay cut)."""
        hub = self._require_hub()
        self._partitioned.discard(i)
        hub.restore(*(p for p in self._proxies_touching(i)
                      if not self._touches_partitioned(p)))

    def _proxies_touching(self, i: int) -> list[Proxy]:
        routes = [p for (a, b), p in self._route_proxies.items() if i in (a, b)]
        return [*routes, self._client_proxies[i]]

    def _touches_partitioned(self, proxy: Proxy) -> bool:
        for (a, b), p in self._route_proxies.items():
            if p is proxy:
                return bool({a, b} & self._partitioned)
        return self._client_proxies.index(proxy) in self._partitioned

    def _require_hub(self) -> ProxyHub:
        if self._hub is None:
            raise NatsClusterError("partitions need NatsCluster(partitionable=True)")
        return self._hub

    # -- observing -------------------------------------------------------------------------

    def monitor(self, i: int, path: str, timeout: float = 2.0, **params: Any) -> Any:
        """GET the JSON of server ``i``'s monitoring endpoint, e.g. ``monitor(0, "jsz")``."""
        query = urllib.parse.urlencode({k.replace("_", "-"): _param(v)
                                        for k, v in params.items()})
        url = f"{self.monitor_url(i)}/{path.lstrip('/')}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback)
                return json.load(resp)
        except urllib.error.HTTPError as exc:  # /healthz answers 503 with a JSON body
            with exc:
                return json.load(exc)

    def healthy(self, i: int, *, js_enabled_only: bool = False) -> bool:
        """``/healthz``: JetStream up (and, unless ``js_enabled_only``, its streams current)."""
        try:
            params = {"js_enabled_only": True} if js_enabled_only else {}
            return bool(self.monitor(i, "healthz", **params).get("status") == "ok")
        except (OSError, ValueError):
            return False

    def meta_leader(self) -> int | None:
        """The JetStream meta leader, if one claims it and a quorum of servers agrees."""
        return self._agreed_leader(lambda i: self.monitor(i, "jsz")
                                   .get("meta_cluster", {}).get("leader"))

    def stream_leader(self, stream: str, account: str = "$G") -> int | None:
        """The leader of ``stream``'s Raft group, if it claims it and a quorum agrees."""
        def leader_seen_by(i: int) -> str | None:
            detail = self.stream_detail(i, stream, account)
            return (detail.get("cluster") or {}).get("leader") if detail else None

        return self._agreed_leader(leader_seen_by)

    def stream_detail(self, i: int, stream: str, account: str = "$G") -> dict[str, Any] | None:
        """Server ``i``'s own view of its replica of ``stream`` (``/jsz``): ``state``
        (messages, first_seq, last_seq, …), ``cluster`` (leader, replicas), ``config``."""
        jsz = self.monitor(i, "jsz", accounts=True, streams=True, config=True)
        for acc in jsz.get("account_details") or ():
            if acc.get("name") == account:
                for detail in acc.get("stream_detail") or ():
                    if detail.get("name") == stream:
                        return dict(detail)
        return None

    def _agreed_leader(self, leader_seen_by: Callable[[int], str | None]) -> int | None:
        views: dict[int, str | None] = {}
        for i in range(self.size):
            if self.is_running(i):
                with contextlib.suppress(OSError, ValueError):
                    views[i] = leader_seen_by(i)
        votes = Counter(v for v in views.values() if v)
        for name, count in votes.items():
            with contextlib.suppress(KeyError):
                i = self.index(name)
                if count > self.size // 2 and views.get(i) == name:
                    return i
        return None

    def wait_stream_leader(self, stream: str, *, timeout: float = 30.0,
                           other_than: int | None = None, account: str = "$G") -> int:
        """Poll until ``stream`` has an agreed leader (not ``other_than``); return it."""
        def leader() -> int | None:
            found = self.stream_leader(stream, account)
            return None if found == other_than else found

        return _poll(leader, timeout, f"no leader for stream {stream!r}")

    def wait_stream_caught_up(self, stream: str, i: int | None = None, *,
                              timeout: float = 30.0, account: str = "$G") -> None:
        """Poll until server ``i``'s (or every running server's) replica of ``stream``
        follows the agreed leader and holds the leader's last sequence (for a quiet stream).

        Stricter than :meth:`wait_caught_up`: a server that was partitioned can report
        itself healthy before it has learnt of the new leader's writes.
        """
        def caught_up() -> bool | None:
            leader = self.stream_leader(stream, account)
            if leader is None:
                return None
            lead = self.stream_detail(leader, stream, account) or {}
            targets = [i] if i is not None else [j for j in range(self.size)
                                                 if self.is_running(j)]
            for j in targets:
                mine = self.stream_detail(j, stream, account) or {}
                if (mine.get("cluster") or {}).get("leader") != self.servers[leader].name \
                        or (mine.get("state") or {}).get("last_seq") != \
                        (lead.get("state") or {}).get("last_seq"):
                    return None
            return True

        _poll(caught_up, timeout, f"stream {stream!r} is not caught up")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll until every running, unpartitioned server has JetStream up and (with more
        than one server) one meta leader; fail at once if a server exited unasked."""
        def ready() -> bool | None:
            live = [i for i in range(self.size) if self.is_running(i)]
            for i in range(self.size):
                proc = self._procs[i]
                if proc is not None and proc.poll() is not None and i not in self._stopped:
                    raise NatsClusterError(f"{self.servers[i].name} exited with "
                                           f"{proc.returncode}: {self._log_tail(i)}")
            if not all(self.healthy(i, js_enabled_only=True) for i in live):
                return None
            if self.size == 1:
                return True  # standalone JetStream: no meta group to lead
            leader = self.meta_leader()
            if leader is None:
                return None
            seen = {self.monitor(i, "jsz").get("meta_cluster", {}).get("leader")
                    for i in live if i not in self._partitioned}
            return seen == {self.servers[leader].name} or None

        _poll(ready, timeout, "the JetStream cluster is not ready")

    def wait_caught_up(self, i: int, timeout: float = 30.0) -> None:
        """Poll until server ``i``'s full ``/healthz`` is ok: meta and streams current."""
        _poll(lambda: self.healthy(i) or None, timeout,
              f"{self.servers[i].name} did not catch up")

    # -- internals -------------------------------------------------------------------------

    def _choose_ports(self) -> list[ServerSpec]:
        ports = reserve_ports(3 * self.size)
        return [ServerSpec(f"nats-{i}", *ports[3 * i:3 * i + 3]) for i in range(self.size)]

    def _ports(self) -> list[int]:
        return [p for s in self.servers for p in (s.client_port, s.cluster_port,
                                                    s.monitor_port)]

    def _port_was_taken(self, i: int) -> bool:
        """Whether server ``i``'s log, since its last spawn, says a port was in use."""
        try:
            with self.log_path(i).open("rb") as log:
                log.seek(self._log_sizes[i])
                return b"address already in use" in log.read()
        except OSError:
            return False

    def _tear_down(self) -> None:
        """Undo a failed start: kill its servers, close its proxies, release its ports."""
        for i in range(self.size):
            self.kill(i)
        self._close_proxies()
        release_ports(self._ports())

    def _close_proxies(self) -> None:
        if self._hub is not None:
            self._hub.close()
        if self._refuser is not None:
            self._refuser.close()
        self._hub, self._refuser = None, None
        self._route_proxies, self._client_proxies = {}, []

    def _set_up(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        kill_leftovers(self.directory)
        advertise: str | None = None
        if self.partitionable:
            self._hub = ProxyHub(HOST)
            for a in range(self.size):
                for b in range(self.size):
                    if a != b:
                        self._route_proxies[a, b] = self._hub.add(
                            (HOST, self.servers[b].cluster_port))
            self._client_proxies = [self._hub.add((HOST, s.client_port))
                                    for s in self.servers]
            # bound, never listening: connections to it are refused
            self._refuser = socket.socket()
            self._refuser.bind((HOST, 0))
            advertise = f"{HOST}:{self._refuser.getsockname()[1]}"
        for i in range(self.size):
            self.server_dir(i).mkdir(parents=True, exist_ok=True)
            (self.server_dir(i) / "nats.conf").write_text(self._config(i, advertise))
        state = {"name": self.name, "size": self.size, "partitionable": self.partitionable,
                 "urls": self.urls, "servers": [asdict(s) for s in self.servers]}
        (self.directory / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")
        if not self.detached:
            atexit.unregister(self.close)  # once, however many start attempts
            atexit.register(self.close)

    def _route_port(self, a: int, b: int) -> int:
        """The port server ``a`` dials to reach server ``b``."""
        if self._route_proxies:
            return self._route_proxies[a, b].port
        return self.servers[b].cluster_port

    def _config(self, i: int, advertise: str | None) -> str:
        spec = self.servers[i]
        routes = [f"nats-route://{HOST}:{self._route_port(i, j)}"
                  for j in range(self.size) if j != i]
        q = json.dumps
        lines = [
            f"server_name: {q(spec.name)}",
            f"listen: {q(f'{HOST}:{spec.client_port}')}",
            f"http: {q(f'{HOST}:{spec.monitor_port}')}",
            f"pid_file: {q(str(self.server_dir(i) / 'nats.pid'))}",
            "jetstream {",
            f"  store_dir: {q(str(self.store_dir(i)))}",
            "  max_memory_store: 256MB",
            "  max_file_store: 4GB",
            "}",
        ]
        if self.size > 1:
            lines += [
                "cluster {",
                f"  name: {q(self.name)}",
                f"  listen: {q(f'{HOST}:{spec.cluster_port}')}",
                # clients learn no other server's URL: they use only the URLs they are given
                "  no_advertise: true",
                *([f"  advertise: {q(advertise)}"] if advertise else []),
                f"  routes: [{', '.join(q(r) for r in routes)}]",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def _spawn(self, i: int) -> None:
        self._stopped.discard(i)
        command = [self.binary, "-c", str(self.server_dir(i) / "nats.conf")]
        if not self.detached:
            python = sys.executable or shutil.which("python3") or "python3"
            command = [python, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]
        with self.log_path(i).open("ab") as log:
            self._log_sizes[i] = log.tell()

            def popen() -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True,  # a terminal's Ctrl-C is not a test's crash
                )

            self._procs[i] = popen() if self.detached else _in_lasting_thread(popen)

    def _signal(self, i: int, sig: signal.Signals, timeout: float) -> None:
        proc = self._procs[i]
        self._stopped.add(i)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def _log_tail(self, i: int, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path(i).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _param(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _poll(check: Callable[[], _T | None], timeout: float, what: str) -> _T:
    """Call ``check`` until it returns something; a monitoring request that fails or times
    out (a loaded or restarting server) counts as "not yet"."""
    deadline = time.monotonic() + timeout
    failure = ""
    while True:
        try:
            result = check()
        except (OSError, ValueError) as exc:
            result, failure = None, f" (last monitoring error: {exc})"
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise NatsClusterError(f"{what} after {timeout:g} s{failure}")
        time.sleep(0.05)


def _pids(directory: Path) -> Iterable[tuple[int, Path]]:
    for pid_file in sorted(directory.glob("*/nats.pid")):
        with contextlib.suppress(OSError, ValueError):
            yield int(pid_file.read_text().strip()), pid_file.parent / "nats.conf"


def _is_our_server(pid: int, conf: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(conf).encode() in cmdline


def running_servers(directory: Path) -> list[int]:
    """The pids of servers of the cluster in ``directory`` that are still running."""
    return [pid for pid, conf in _pids(directory) if _is_our_server(pid, conf)]


def stop_directory(directory: Path, *, sig: signal.Signals = signal.SIGTERM,
                   timeout: float = 15.0) -> None:
    """Stop the servers a cluster in ``directory`` left running (by their pid files)."""
    pids = running_servers(directory)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while (alive := running_servers(directory)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_leftovers(directory: Path) -> None:
    """SIGKILL servers an earlier, crashed run in ``directory`` left behind."""
    stop_directory(directory, sig=signal.SIGKILL, timeout=5.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ipledger.network.nats_cluster",
                                     description="A local NATS JetStream cluster on loopback.")
    parser.add_argument("action", choices=["start", "stop", "urls"])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ipledger-nats-0"))  # noqa: S108 (a dev cluster)
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    state_file = args.dir / STATE_FILE
    if args.action == "stop":
        stop_directory(args.dir)
        return 0
    state = json.loads(state_file.read_text()) if state_file.exists() else None
    if state and len(running_servers(args.dir)) == state["size"] and (
            args.action == "urls" or state["size"] == args.size):
        print(",".join(state["urls"]))
        return 0
    if args.action == "urls":
        print(f"no running cluster in {args.dir}", file=sys.stderr)
        return 1
    stop_directory(args.dir)
    cluster = NatsCluster(args.dir, args.size, partitionable=False, detached=True)
    try:
        cluster.start(timeout=args.timeout)
    except Exception:
        stop_directory(args.dir, sig=signal.SIGKILL)
        raise
    print(cluster.servers_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
