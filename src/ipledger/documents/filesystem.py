"""The default document store: files on the local disk (``DATA/documents``).

Layout under the store's directory::

    sha256/ab/cd/abcd…ef        a document, named by the SHA-256 of its bytes
    sha256/ab/cd/.upload-*.tmp  an upload in progress (or left by a crash: fsck lists it)
    meta/ab/cd/abcd…ef.json     {"media_type", "uploaders"}: off-ledger facts about it

An upload is hashed while it streams in and written to a temporary file in the directory
its name will live in (when the client declared the hash, as the HTTP API always does;
otherwise in ``sha256/``, on the same file system). Each block (512 KiB) is hashed and
written in two worker threads at once while the event loop gathers the next ones. Only once
the whole stream is in, within the size limit, of an agreeing media type and hashing to the
declared name, is the file fsync'd, linked under its name and its temporary name removed
(as atomic as a rename, but ``link`` fails if the name exists: of two identical uploads
exactly one creates it; a file system without hard links gets a rename), and the directory
fsync'd. A refused or interrupted upload leaves nothing behind.

One process owns a store (the node): the metadata updates are serialised by a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipledger.documents.base import (
    BadDocumentNameError,
    DocumentInfo,
    DocumentStore,
    DocumentTooLargeError,
    FsckReport,
    HashMismatchError,
    MediaTypeMismatchError,
    MediaTypeRefusedError,
    Stored,
    is_sha256_hex,
)
from ipledger.documents.media import HEAD_BYTES, TextCheck, head_mismatch

if TYPE_CHECKING:
    from ipledger.config import Config

BLOCK = 512 * 1024  # bytes hashed and written per step (uploads arrive in smaller chunks)
DEPTH = 4  # blocks of one upload in work at most (2 MiB)
WRITEBACK_EVERY = 8 * 1024 * 1024
_WRITEBACK = hasattr(os, "posix_fadvise") and sys.platform.startswith("linux")
_MAX_CHUNKS = 64  # more (smaller) chunks per block than this are joined into one buffer
_IOV_MAX = 1024
# Worker threads of every store (an upload's lane holds one only while it has work).
_HASHERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="ipledger-doc-hash")
_WRITERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="ipledger-doc-write")
TEMP_PREFIX = ".upload-"


def _defaults() -> tuple[int, tuple[str, ...]]:
    from ipledger.config import DocumentsConfig

    d = DocumentsConfig()
    return d.max_bytes, d.allowed_media_types


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, chunks: list[bytes]) -> None:
    """Write every chunk, in order (``writev``: no copy into one buffer)."""
    pending = [memoryview(c) for c in chunks if c]
    while pending:
        written = os.writev(fd, pending[:_IOV_MAX])
        while written and written >= len(pending[0]):
            written -= len(pending.pop(0))
        if written:
            pending[0] = pending[0][written:]


def _check_name(sha256: str) -> str:
    if not isinstance(sha256, str) or not is_sha256_hex(sha256):
        raise BadDocumentNameError("a document is named by its SHA-256: 64 lowercase hex digits")
    return sha256


class _Lane:
    """Runs one upload's jobs of one kind in order on a pool thread, holding no thread
    while there is nothing to do (a slow client ties up no worker)."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self._lock = threading.Lock()
        self._queue: deque[tuple[Callable[..., None], tuple[Any, ...], Future[None]]] = deque()
        self._running = False
        self._failed: BaseException | None = None

    def push(self, job: Callable[..., None], *args: Any) -> Future[None]:
        done: Future[None] = Future()
        with self._lock:
            self._queue.append((job, args, done))
            start, self._running = not self._running, True
        if start:
            self.pool.submit(self._drain)
        return done

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                job, args, done = self._queue.popleft()
            if not done.set_running_or_notify_cancel():
                continue
            try:
                if self._failed is not None:
                    raise self._failed  # a later block after a failed one: not run
                job(*args)
            except BaseException as exc:
                self._failed = exc
                done.set_exception(exc)
            else:
                done.set_result(None)


class _Upload:
    """One upload in flight: the running hash, the temporary file, the blocks in work.

    The event loop hands each block to two lanes, one hashing and one writing (both release
    the GIL, so they run at once), and goes on gathering the next; at most :data:`DEPTH`
    blocks are in work, beyond that the loop waits for the oldest. Every
    :data:`WRITEBACK_EVERY` bytes the writer asks the kernel to start writing them back, so
    that the final fsync has little left to wait for.
    """

    def __init__(self, media_type: str, directory: Path | None) -> None:
        self.media_type = media_type
        self.directory = directory  # None: hash only, write nothing
        self.hash = hashlib.sha256()
        self.text = TextCheck() if media_type == "text/plain" else None
        self.size = 0
        self.fd: int | None = None
        self.temp: Path | None = None
        self.lock = threading.Lock()  # the file: writer thread, commit, discard
        self._written = self._flushed = 0
        self._hashing = _Lane(_HASHERS)
        self._writing = _Lane(_WRITERS)
        self._in_flight: deque[list[Future[None]]] = deque()

    async def feed(self, block: list[bytes], final: bool = False) -> None:
        """Hand one block to the lanes; with ``final``, wait until every block is done."""
        if len(block) > _MAX_CHUNKS:
            block = [b"".join(block)]
        if self.size == 0:  # the first block: at least HEAD_BYTES, or the whole document
            head = bytearray()
            for chunk in block:
                head += chunk[:HEAD_BYTES - len(head)]
                if len(head) >= HEAD_BYTES:
                    break
            problem = head_mismatch(self.media_type, bytes(head))
            if problem is not None:
                raise MediaTypeMismatchError(problem)
        if self.text is not None and self.text.problem:
            raise MediaTypeMismatchError(self.text.problem)
        self.size += sum(map(len, block))
        jobs = [self._hashing.push(self._hash, block, final)]
        if self.directory is not None and block:
            jobs.append(self._writing.push(self._write, block))
        self._in_flight.append(jobs)
        while self._in_flight and (final or len(self._in_flight) > DEPTH):
            for job in self._in_flight[0]:
                await asyncio.wrap_future(job)
            self._in_flight.popleft()
        if final and self.text is not None and self.text.problem:
            raise MediaTypeMismatchError(self.text.problem)

    async def discard(self) -> None:
        """Forget the upload: wait for the blocks still in work, then drop the file."""
        pending = [job for jobs in self._in_flight for job in jobs]
        self._in_flight.clear()
        if pending:
            await asyncio.wait([asyncio.wrap_future(job) for job in pending])
            for job in pending:
                if not job.cancelled():
                    job.exception()  # retrieved: the upload failed for another reason
        self.drop_temp()

    def _hash(self, block: list[bytes], final: bool) -> None:
        for chunk in block:
            self.hash.update(chunk)
            if self.text is not None:
                self.text.feed(chunk)
        if final and self.text is not None:
            self.text.feed(b"", final=True)

    def _write(self, block: list[bytes]) -> None:
        with self.lock:
            if self.fd is None:
                assert self.directory is not None
                self.directory.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp",
                                            dir=self.directory)
                self.fd, self.temp = fd, Path(name)
            _write_all(self.fd, block)
            self._written += sum(map(len, block))
            if _WRITEBACK and self._written - self._flushed >= WRITEBACK_EVERY:
                # Starts writeback of the dirty pages without waiting for it (Linux).
                os.posix_fadvise(self.fd, self._flushed, self._written - self._flushed,
                                 os.POSIX_FADV_DONTNEED)
                self._flushed = self._written

    def drop_temp(self) -> None:
        with self.lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
            if self.temp is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.temp.unlink()
                self.temp = None


class FilesystemDocumentStore(DocumentStore):
    """Documents as files under ``directory`` (see the module docstring)."""

    def __init__(self, directory: Path | str, max_bytes: int | None = None,
                 allowed_media_types: tuple[str, ...] | frozenset[str] | None = None,
                 block: int = BLOCK) -> None:
        default_max, default_types = _defaults()
        self.root = Path(directory)
        self.max_bytes = default_max if max_bytes is None else max_bytes
        self.allowed_media_types = frozenset(
            default_types if allowed_media_types is None else allowed_media_types)
        self.block = block
        self._files = self.root / "sha256"
        self._meta = self.root / "meta"
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config) -> FilesystemDocumentStore:
        """The store a node's ``[documents]`` settings describe (``DATA/documents``)."""
        return cls(config.documents_dir, config.documents.max_bytes,
                   config.documents.allowed_media_types)

    def path_of(self, sha256: str) -> Path:
        _check_name(sha256)
        return self._files / sha256[:2] / sha256[2:4] / sha256

    def _meta_path(self, sha256: str) -> Path:
        return self._meta / sha256[:2] / sha256[2:4] / f"{sha256}.json"

    # -- writing ----------------------------------------------------------------------

    async def put(self, chunks: AsyncIterable[bytes], media_type: str, *,
                  sha256: str | None = None, uploader: str | None = None,
                  skip_write_if_stored: bool = True) -> Stored:
        if media_type not in self.allowed_media_types:
            raise MediaTypeRefusedError(
                f"{media_type or 'no media type'} is not accepted here; accepted: "
                f"{', '.join(sorted(self.allowed_media_types))}")
        if sha256 is not None:
            final = self.path_of(sha256)
            hash_only = skip_write_if_stored and final.is_file()
            directory: Path | None = None if hash_only else final.parent
        else:
            directory = self._files
        upload = _Upload(media_type, directory)
        try:
            pending: list[bytes] = []
            pending_size = received = 0
            async for chunk in chunks:
                if not chunk:
                    continue
                received += len(chunk)
                if received > self.max_bytes:
                    raise DocumentTooLargeError(f"a document may be at most {self.max_bytes} bytes")
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= self.block:
                    await upload.feed(pending)
                    pending, pending_size = [], 0
            await upload.feed(pending, final=True)
            digest = upload.hash.hexdigest()
            if sha256 is not None and digest != sha256:
                raise HashMismatchError(f"the content's SHA-256 is {digest}, not the "
                                        f"declared {sha256}")
            created = await asyncio.to_thread(self._commit, upload, digest)
        except BaseException:
            await upload.discard()
            raise
        effective, new_uploader = await asyncio.to_thread(self._remember, digest, media_type,
                                                          uploader)
        return Stored(digest, upload.size, effective, created, new_uploader)

    def _commit(self, upload: _Upload, digest: str) -> bool:
        """Link the finished temporary file under its name; False if the name was taken."""
        if upload.directory is None:
            return False  # hash only: the same bytes are stored already
        if upload.fd is None:  # an empty document: nothing was written yet
            upload._write([])
        final = self.path_of(digest)
        with upload.lock:
            if upload.fd is None or upload.temp is None:
                raise RuntimeError("the upload was discarded")
            created = False
            if not final.is_file():
                os.fsync(upload.fd)
                final.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(upload.temp, final)
                    created = True
                except FileExistsError:
                    pass  # an identical upload finished first
                except OSError:  # a file system without hard links: rename (also atomic)
                    os.replace(upload.temp, final)
                    upload.temp = None
                    created = True
        upload.drop_temp()
        if created:
            _fsync_dir(final.parent)
        return created

    def _remember(self, sha256: str, media_type: str, uploader: str | None) -> tuple[str, bool]:
        """Record the media type (first one wins) and the uploader; return both facts."""
        with self._lock:
            meta = self._read_meta(sha256)
            effective = meta.get("media_type") or media_type
            uploaders = set(meta.get("uploaders", []))
            new = uploader is not None and uploader not in uploaders
            if new or "media_type" not in meta:
                if uploader is not None:
                    uploaders.add(uploader)
                self._write_meta(sha256, {"media_type": effective,
                                          "uploaders": sorted(uploaders)})
            return effective, new

    def _read_meta(self, sha256: str) -> dict[str, Any]:
        try:
            value = json.loads(self._meta_path(sha256).read_bytes())
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _write_meta(self, sha256: str, value: dict[str, Any]) -> None:
        path = self._meta_path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=path.parent)
        try:
            _write_all(fd, [json.dumps(value, sort_keys=True).encode()])
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(name, path)
        _fsync_dir(path.parent)

    # -- reading ----------------------------------------------------------------------

    def info(self, sha256: str) -> DocumentInfo | None:
        try:
            size = self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            return None
        meta = self._read_meta(sha256)
        media_type = meta.get("media_type")
        return DocumentInfo(sha256, size, media_type if isinstance(media_type, str) else None,
                            frozenset(str(p) for p in meta.get("uploaders", [])))

    async def read(self, sha256: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        try:
            f = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise KeyError(sha256) from None
        try:
            while True:
                chunk = await asyncio.to_thread(f.read, chunk_size)
                if not chunk:
                    return
                yield chunk
        finally:
            f.close()

    def fsck(self) -> FsckReport:
        report = FsckReport()
        if not self._files.is_dir():
            return report
        for dirpath, dirnames, filenames in os.walk(self._files):
            dirnames.sort()
            here = Path(dirpath)
            for name in sorted(filenames):
                path = here / name
                if name.startswith(TEMP_PREFIX):
                    report.temporary.append(str(path))
                    continue
                parts = path.relative_to(self._files).parts
                if not is_sha256_hex(name) or parts != (name[:2], name[2:4], name):
                    report.misplaced.append(str(path))
                    continue
                digest = hashlib.sha256()
                with path.open("rb") as f:
                    while chunk := f.read(BLOCK):
                        digest.update(chunk)
                        report.bytes_checked += len(chunk)
                report.checked += 1
                if digest.hexdigest() != name:
                    report.corrupted.append(f"{path}: the content hashes to "
                                            f"{digest.hexdigest()}")
        return report
