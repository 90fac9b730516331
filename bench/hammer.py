"""A load "hammer" for a running node: open-loop mixed reads and writes at a fixed rate.

Requests start on schedule whether or not earlier ones have finished (open loop, so a
slow node shows up as latency and errors, not as a politely lower rate). Writes are
``evidence.stamp`` entries; every acknowledged one is remembered with its receipt so
the caller can check afterwards that none was lost. Reads mix the checkpoint, entries,
inclusion proofs, hash tiles and a register record.

    python -m bench.hammer --node http://127.0.0.1:8000 --rate 2000 --seconds 600
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import emit, percentile
from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope


@dataclass
class HammerResult:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400) + len(self.errors)


class Hammer:
    def __init__(self, node: str, rate: float, seconds: float, write_fraction: float = 0.2,
                 seed: int = 1, read_paths: list[str] | None = None) -> None:
        self.node = node.rstrip("/")
        self.rate = rate
        self.seconds = seconds
        self.write_fraction = write_fraction
        self.rng = random.Random(seed)
        self.keys = [SigningKey.from_seed(bytes([seed % 256, k]) * 16) for k in range(16)]
        self.extra_reads = read_paths or []
        self.result = HammerResult()
        self.origin = ""
        self.written = 0

    def _write_body(self) -> bytes:
        self.written += 1
        key = self.keys[self.written % len(self.keys)]
        body = {"sha256": f"{self.rng.getrandbits(256):064x}", "media_type": "text/plain"}
        return canonicalize(make_envelope(key, self.origin, "evidence.stamp", body))

    def _read_path(self) -> str:
        acked = self.result.receipts
        pick = self.rng.random()
        if not acked or pick < 0.25:
            return "/tlog/checkpoint"
        receipt = acked[self.rng.randrange(len(acked))]
        if pick < 0.5:
            return f"/v1/entries/{receipt['index']}"
        if pick < 0.7:
            return f"/v1/entries/{receipt['index']}/proof?size={receipt['tree_size']}"
        if pick < 0.85 or not self.extra_reads:
            return "/tlog/tile/0/000" + ("" if receipt["tree_size"] >= 256
                                         else f".p/{receipt['tree_size']}")
        return self.extra_reads[self.rng.randrange(len(self.extra_reads))]

    async def _one(self, conn: _Connection, write: bool) -> None:
        start = time.perf_counter()
        try:
            if write:
                status, body = await conn.request("POST", "/v1/entries", self._write_body())
            else:
                status, body = await conn.request("GET", self._read_path())
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.result.errors.append(f"{type(exc).__name__}: {exc}")
            return
        elapsed = (time.perf_counter() - start) * 1000
        self.result.statuses[status] += 1
        if status >= 400 and len(self.result.errors) < 20:
            self.result.errors.append(f"{status} {body[:200]!r}")
        if write:
            self.result.write_ms.append(elapsed)
            if status == 201:
                self.result.receipts.append(json.loads(body))
        else:
            self.result.read_ms.append(elapsed)

    async def run(self, connections: int = 256) -> HammerResult:
        host, port = _host_port(self.node)
        probe = await _Connection.open(host, port)
        _, body = await probe.request("GET", "/v1/log")
        self.origin = json.loads(body)["origin"]
        pool: asyncio.Queue[_Connection] = asyncio.Queue()
        for _ in range(connections):
            pool.put_nowait(await _Connection.open(host, port))
        tasks: set[asyncio.Task[None]] = set()

        async def go(write: bool) -> None:
            conn = await pool.get()  # a request waits for a free connection (counted)
            try:
                await self._one(conn, write)
            finally:
                pool.put_nowait(conn)

        start = time.perf_counter()
        interval = 1.0 / self.rate
        n = 0
        while (now := time.perf_counter()) - start < self.seconds:
            due = int((now - start) / interval) + 1
            while n < due:
                task = asyncio.create_task(go(self.rng.random() < self.write_fraction))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.sleep(0.002)
        self.result.sent = n
        if tasks:
            await asyncio.gather(*tasks)
        self.result.seconds = time.perf_counter() - start
        while not pool.empty():
            pool.get_nowait().close()
        probe.close()
        return self.result


def _host_port(url: str) -> tuple[str, int]:
    rest = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host, int(port)


class _Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its response, in turn.

    Written for the hammer so the load generator costs far less CPU than the node it
    measures (a general client spends ~1 ms of CPU per request here).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Length: {len(body)}\r\n")
        if body:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node", required=True)
    parser.add_argument("--rate", type=float, default=2_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--write-fraction", type=float, default=0.2)
    args = parser.parse_args()
    result = asyncio.run(Hammer(args.node, args.rate, args.seconds, args.write_fraction).run())
    emit("hammer", result.sent / result.seconds, "requests/s", args.rate,
         failed=result.failed, writes_acknowledged=len(result.receipts),
         read_p99_ms=round(percentile(result.read_ms, 0.99), 2) if result.read_ms else None,
         write_p99_ms=round(percentile(result.write_ms, 0.99), 2) if result.write_ms else None,
         statuses=dict(result.statuses), ceiling_is="the offered rate")
    if result.errors:
        print(json.dumps({"first_errors": result.errors[:5]}))


if __name__ == "__main__":
    main()
