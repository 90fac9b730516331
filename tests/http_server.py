"""An ASGI app served by uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def loopback_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1 (chosen by the OS: no port races)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://127.0.0.1:PORT`` (a secure context for WebCrypto in browsers)."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(app: Any, sock: socket.socket | None = None, timeout_s: float = 10) -> Iterator[str]:
    """Serve ``app`` on ``sock`` (a new loopback socket if none) until the block ends; yields
    the URL once uvicorn accepts connections. The server is stopped and the socket closed
    afterwards, even when the block fails."""
    sock = sock or loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        if thread.is_alive():  # connections still open after the grace period
            server.force_exit = True
            thread.join(timeout_s)
        sock.close()
