"""Cuttable TCP forwarders on loopback, for simulating network partitions without privileges.

A :class:`ProxyHub` runs one asyncio loop in a daemon thread. Each :class:`Proxy` listens on
an ephemeral 127.0.0.1 port and forwards every connection to a fixed target. ``cut`` aborts
the proxy's open connections and makes it close new ones at once (the peer sees a reset,
as after a failed link); ``restore`` forwards again. Callers use it from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")
_CHUNK = 256 * 1024


@dataclass(eq=False)
class Proxy:
    """One listening port forwarding to ``target``; mutated only on the hub's loop."""

    target: tuple[str, int]
    port: int = 0
    is_cut: bool = False
    server: asyncio.Server | None = None
    links: set[asyncio.StreamWriter] = field(default_factory=set)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)  # the target is down: so is the link
            return
        if self.is_cut:  # cut while connecting
            _abort(writer)
            _abort(up_writer)
            return
        self.links.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except asyncio.CancelledError:
            pass  # the hub is closing; this handler is a top-level task nobody awaits
        finally:
            for w in (writer, up_writer):
                self.links.discard(w)
                _abort(w)

    def _cut(self) -> None:
        self.is_cut = True
        for w in list(self.links):
            _abort(w)
        self.links.clear()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        _abort(writer)  # one side ended: end the other, as a direct connection would


def _abort(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.transport.abort()


class ProxyHub:
    """Owns the loop thread and every proxy it serves."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy-hub",
                                        daemon=True)
        self._thread.start()
        self._proxies: list[Proxy] = []

    def _run(self, coro: Coroutine[Any, Any, _T], timeout: float = 10.0) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def add(self, target: tuple[str, int]) -> Proxy:
        """A new proxy to ``target``, listening on a free port of the hub's host."""
        proxy = Proxy(target)

        async def listen() -> None:
            proxy.server = await asyncio.start_server(proxy._accept, self.host, 0)
            proxy.port = proxy.server.sockets[0].getsockname()[1]

        self._run(listen())
        self._proxies.append(proxy)
        return proxy

    def cut(self, *proxies: Proxy) -> None:
        async def cut() -> None:
            for p in proxies:
                p._cut()

        self._run(cut())

    def restore(self, *proxies: Proxy) -> None:
        async def restore() -> None:
            for p in proxies:
                p.is_cut = False

        self._run(restore())

    def close(self) -> None:
        """Stop listening, drop every link, end the thread (idempotent)."""
        if not self._loop.is_running():
            return

        async def close() -> None:
            for p in self._proxies:
                p._cut()
                if p.server is not None:
                    p.server.close()
            # aborted links end their pipes; cancel only what is still stuck
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                _, stuck = await asyncio.wait(tasks, timeout=1.0)
                for t in stuck:
                    t.cancel()
                await asyncio.gather(*stuck, return_exceptions=True)

        with contextlib.suppress(Exception):
            self._run(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()
