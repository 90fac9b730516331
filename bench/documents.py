"""``documents``: upload throughput of the document store against raw disk write speed.

The ceiling is measured in the same run on the same file system: writing the same number of
bytes with ``os.write`` in 1 MiB blocks and one ``fsync`` per file, as many files as there
are documents. The store's upload path adds, per document: SHA-256 while streaming (in a
second thread, overlapped with the write), the magic-bytes check, the temporary file, the
link into place, two directory fsyncs and the metadata file. Issue 4's target: ratio >= 0.5.

- ``documents_upload``: in-process, ``FilesystemDocumentStore.put`` fed 64 KiB chunks from an
  async generator (what uvicorn hands the API);
- ``documents_upload_http``: ``PUT /v1/documents/{sha256}`` on a real ``ipledger serve``
  over loopback with a session (the client hashes each file first, as ``ipledger document
  put`` does; that time is not counted).

Best of ``rounds`` for each, alternated so that both see the same disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from bench.common import emit, note, scratch_dir, served_node
from ipledger.codec import canonicalize
from ipledger.documents import FilesystemDocumentStore
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from ipledger.node import init_node
from ipledger.services.auth_client import login

ORIGIN = "bench.ipledger.localhost/documents"
MEDIA_TYPE = "application/pdf"
NET_CHUNK = 64 * 1024


def _documents(count: int, size: int) -> list[bytes]:
    """``count`` distinct PDF-looking documents of ``size`` bytes (random, incompressible)."""
    body = os.urandom(size - 32)
    return [b"%PDF-1.7\n" + i.to_bytes(23, "big") + body for i in range(count)]


def raw_write(directory: Path, documents: list[bytes], block: int = 1 << 20) -> float:
    """Seconds to write+fsync the same bytes as plain files (the ceiling)."""
    directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, data in enumerate(documents):
        fd = os.open(directory / f"raw-{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            for offset in range(0, len(view), block):
                piece = view[offset:offset + block]
                while piece:
                    piece = piece[os.write(fd, piece):]
            os.fsync(fd)
        finally:
            os.close(fd)
    elapsed = time.perf_counter() - start
    shutil.rmtree(directory)
    return elapsed


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), NET_CHUNK):
        yield data[offset:offset + NET_CHUNK]


def store_upload(directory: Path, documents: list[bytes], names: list[str]) -> float:
    """Seconds to upload the documents through the store's streaming API."""
    store = FilesystemDocumentStore(directory, max_bytes=max(map(len, documents)),
                                    allowed_media_types=(MEDIA_TYPE,))

    async def run() -> None:
        for data, name in zip(documents, names, strict=True):
            stored = await store.put(_chunks(data), MEDIA_TYPE, sha256=name, uploader="PBENCH")
            assert stored.created

    start = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - start
    shutil.rmtree(directory)
    return elapsed


def _file_chunks(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


def http_upload(base: Path, documents: list[bytes], names: list[str], rounds: int) -> float:
    """Best seconds to PUT the documents to a real node (fresh contents each round)."""
    data = base / "node"
    init_node(data, ORIGIN)
    best = float("inf")
    with served_node(data) as url:
        key = SigningKey.generate()
        entry = canonicalize(make_envelope(key, ORIGIN, "party.register", {
            "name": "Bench Uploader", "country": "DE", "kind": "legal"}))
        with httpx.Client(timeout=600) as client:
            client.post(f"{url}/v1/entries", content=entry,
                        headers={"Content-Type": "application/json"}).raise_for_status()
            session = login(url, key, client=client, expected_origin=ORIGIN)
            for r in range(rounds):
                # Different bytes each round: every upload is a new document.
                docs = [d[:-8] + r.to_bytes(8, "big") for d in documents] if r else documents
                shas = [hashlib.sha256(d).hexdigest() for d in docs] if r else names
                start = time.perf_counter()
                for doc, name in zip(docs, shas, strict=True):
                    resp = client.put(f"{url}/v1/documents/{name}", content=_file_chunks(doc),
                                      headers={"Content-Type": MEDIA_TYPE,
                                               "Content-Length": str(len(doc)),
                                               **session.headers})
                    if resp.status_code != 201:
                        raise RuntimeError(f"upload refused: {resp.status_code} {resp.text}")
                best = min(best, time.perf_counter() - start)
                shutil.rmtree(data / "documents")
    return best


def _sha256_rate(data: bytes) -> float:
    """hashlib's SHA-256 bytes/s over ``data`` (one stream: what one upload can reach)."""
    start = time.perf_counter()
    hashlib.sha256(data).digest()
    return len(data) / (time.perf_counter() - start)


def run(count: int = 8, size: int = 32 * 1024 * 1024, rounds: int = 5,
        http: bool = True) -> None:
    base = scratch_dir()
    documents = _documents(count, size)
    names = [hashlib.sha256(d).hexdigest() for d in documents]
    total = count * size
    raw_s, store_s = [], []
    for r in range(rounds):
        raw_s.append(raw_write(base / f"raw{r}", documents))
        store_s.append(store_upload(base / f"store{r}", documents, names))
    ceiling = total / min(raw_s) / 1e6
    # The disk's speed varies from one second to the next (on VMs, host caches): the ratio
    # of each store round to the raw round just before it says how steady the result is.
    pairs = sorted(raw / store for raw, store in zip(raw_s, store_s, strict=True))
    mb = 1024 * 1024
    emit("disk_write_fsync", ceiling, "MB/s", ceiling, bytes=total, files=count,
         note="os.write in 1 MiB blocks + fsync per file, same file system, same run: the "
         "ceiling of the documents benchmarks")
    emit("documents_upload", total / min(store_s) / 1e6, "MB/s", ceiling, bytes=total,
         documents=count, document_mib=size // mb, chunk_kib=NET_CHUNK // 1024, rounds=rounds,
         ceiling_is="disk_write_fsync (same bytes, same file system, same run)", target=0.5,
         median_paired_ratio=round(pairs[len(pairs) // 2], 4),
         sha256_mb_s=round(_sha256_rate(documents[0]) / 1e6),
         path="FilesystemDocumentStore.put: streaming SHA-256 + magic check + temp file, "
         "fsync, link, dir fsync, metadata")
    if http:
        note("documents_upload_http (a real ipledger serve)")
        seconds = http_upload(base / "http", documents, names, rounds)
        emit("documents_upload_http", total / seconds / 1e6, "MB/s", ceiling, bytes=total,
             documents=count, document_mib=size // mb, rounds=rounds,
             ceiling_is="disk_write_fsync (same bytes, same file system, same run)",
             target=0.5, path="PUT /v1/documents/{sha256} over loopback HTTP with a session")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    run()
