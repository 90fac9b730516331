"""The filesystem document store: streaming hashes, dedup, limits, media checks, fsck."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from ipledger.config import load_config
from ipledger.documents import (
    BadDocumentNameError,
    DocumentTooLargeError,
    FilesystemDocumentStore,
    HashMismatchError,
    MediaTypeMismatchError,
    MediaTypeRefusedError,
    Stored,
)
from ipledger.documents.filesystem import BLOCK

TYPES = ("application/pdf", "image/png", "text/plain", "model/stl", "application/xml")
PDF = b"%PDF-1.7\n"


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]
        await asyncio.sleep(0)


async def _pieces(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def put(store: FilesystemDocumentStore, data: bytes, media_type: str = "model/stl",
        chunk: int = 65_536, **kw: Any) -> Stored:
    return asyncio.run(store.put(_chunks(data, chunk), media_type, **kw))


def read(store: FilesystemDocumentStore, sha256: str) -> bytes:
    async def collect() -> bytes:
        return b"".join([c async for c in store.read(sha256, chunk_size=100_000)])
    return asyncio.run(collect())


def files(root: Path) -> list[Path]:
    """Every file under the store's directory (content, metadata, leftovers)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def content_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> FilesystemDocumentStore:
    return FilesystemDocumentStore(tmp_path / "documents", max_bytes=8 * 1024 * 1024,
                                   allowed_media_types=TYPES)


SIZES = [0, 1, 63, 64, 65, 65_535, 65_536, 65_537, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK,
         3 * BLOCK + 12_345]


@pytest.mark.parametrize(("size", "chunk"), [(size, chunk) for chunk in (1_000, 65_536, BLOCK)
                                             for size in SIZES
                                             if chunk > 1_000 or size <= 2 * BLOCK])
def test_streaming_hash_matches_hashlib(store: FilesystemDocumentStore, size: int,
                                        chunk: int) -> None:
    data = os.urandom(size)
    expected = hashlib.sha256(data).hexdigest()
    stored = put(store, data, chunk=chunk)
    assert (stored.sha256, stored.size, stored.created) == (expected, size, True)
    path = store.path_of(expected)
    assert path == store.root / "sha256" / expected[:2] / expected[2:4] / expected
    assert path.read_bytes() == data
    assert read(store, expected) == data
    assert store.exists(expected) and store.size(expected) == size
    # Declared up front (as the HTTP API does): the same result.
    again = FilesystemDocumentStore(store.root.parent / "other", allowed_media_types=TYPES)
    assert put(again, data, chunk=chunk, sha256=expected).sha256 == expected


def test_a_few_megabytes_in_uneven_chunks(store: FilesystemDocumentStore) -> None:
    data = os.urandom(5 * 1024 * 1024 + 7)
    sizes = [1, 2, 4093, 65_536, BLOCK - 3, 7, BLOCK * 2 + 5]
    pieces, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        pieces.append(data[i:i + n])
        i, k = i + n, k + 1
    stored = asyncio.run(store.put(_pieces([b"", *pieces, b""]), "model/stl"))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.path_of(stored.sha256).read_bytes() == data


def test_the_same_content_is_stored_once(store: FilesystemDocumentStore) -> None:
    data = PDF + os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    first = put(store, data, "application/pdf", uploader="P1")
    assert first.created and first.new_uploader
    before = {p: p.stat().st_mtime_ns for p in content_files(store.root)}
    second = put(store, data, "application/pdf", sha256=sha, uploader="P1")
    assert (second.created, second.new_uploader, second.sha256) == (False, False, sha)
    # Written in full and dropped (skip_write_if_stored=False), or only hashed: never twice.
    third = put(store, data, "application/pdf", sha256=sha, uploader="P2",
                skip_write_if_stored=False)
    assert (third.created, third.new_uploader) == (False, True)
    fourth = put(store, data, "application/pdf", uploader="P3")  # not declared
    assert not fourth.created
    assert {p: p.stat().st_mtime_ns for p in content_files(store.root)} == before
    assert len(content_files(store.root)) == 1
    info = store.info(sha)
    assert info is not None
    assert (info.size, info.media_type, info.uploaders) == (
        len(data), "application/pdf", frozenset({"P1", "P2", "P3"}))
    assert not [p for p in files(store.root) if p.name.startswith(".upload-")]


def test_concurrent_identical_uploads_create_one_file(store: FilesystemDocumentStore) -> None:
    data = os.urandom(3 * BLOCK)
    sha = hashlib.sha256(data).hexdigest()

    async def both() -> list[Stored]:
        return list(await asyncio.gather(*(
            store.put(_chunks(data, 65_536), "model/stl", sha256=sha, uploader=f"P{i}")
            for i in range(4))))

    results = asyncio.run(both())
    assert sum(r.created for r in results) == 1
    assert content_files(store.root) == [store.path_of(sha)]
    info = store.info(sha)
    assert info is not None and info.uploaders == {"P0", "P1", "P2", "P3"}


@pytest.mark.parametrize("declared", [False, True])
def test_oversize_is_refused_and_nothing_is_left(tmp_path: Path, declared: bool) -> None:
    store = FilesystemDocumentStore(tmp_path / "d", max_bytes=2 * BLOCK + 10,
                                    allowed_media_types=TYPES)
    data = os.urandom(2 * BLOCK + 11)
    sha = hashlib.sha256(data).hexdigest() if declared else None
    with pytest.raises(DocumentTooLargeError) as err:
        put(store, data, sha256=sha)
    assert (err.value.rule, err.value.status) == ("body-too-large", 413)
    assert content_files(store.root) == []
    assert not store.exists(hashlib.sha256(data).hexdigest())
    exactly = put(store, data[:-1], sha256=hashlib.sha256(data[:-1]).hexdigest())
    assert exactly.size == 2 * BLOCK + 10


def test_a_declared_hash_that_does_not_match_is_refused(store: FilesystemDocumentStore) -> None:
    data = os.urandom(BLOCK + 5)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(HashMismatchError) as err:
        put(store, data, sha256=wrong)
    assert (err.value.rule, err.value.status) == ("hash-mismatch", 422)
    assert hashlib.sha256(data).hexdigest() in err.value.detail
    assert content_files(store.root) == []
    assert files(store.root) == []
    # A stored document is not "re-uploaded" by other bytes under its name either.
    real = put(store, data)
    with pytest.raises(HashMismatchError):
        put(store, data[:-1] + b"x", sha256=real.sha256)
    assert store.path_of(real.sha256).read_bytes() == data
    with pytest.raises(BadDocumentNameError):
        put(store, data, sha256="../" + "a" * 61)


def test_media_types_are_checked_against_the_allowed_list_and_the_content(
        store: FilesystemDocumentStore) -> None:
    with pytest.raises(MediaTypeRefusedError) as refused:
        put(store, PDF + b"x", "application/x-msdownload")
    assert (refused.value.rule, refused.value.status) == ("unsupported-media-type", 415)
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * BLOCK)
    for media_type, data in [("application/pdf", png), ("image/png", PDF + b"1"),
                             ("model/stl", PDF + os.urandom(100)),  # a PDF in disguise
                             ("text/plain", PDF + bytes(10)),
                             ("application/xml", b"\xef\xbb\xbf  hello")]:
        with pytest.raises(MediaTypeMismatchError) as err:
            put(store, data, media_type)
        assert (err.value.rule, err.value.status) == ("media-type-mismatch", 415)
    assert files(store.root) == []
    assert put(store, png, "image/png").created
    assert put(store, b"\xef\xbb\xbf\n<?xml version='1.0'?><a/>", "application/xml").created


def test_plain_text_must_be_utf8_without_nul_to_the_very_end(
        store: FilesystemDocumentStore) -> None:
    text = ("Überprüfung der Marke – ✓ " * 100_000).encode()  # multi-byte chars across blocks
    assert len(text) > 2 * BLOCK
    assert put(store, text, "text/plain", chunk=4097).created
    assert put(store, b"", "text/plain", sha256=hashlib.sha256(b"").hexdigest()).size == 0
    for bad in (text + b"\x00", text + b"\xff", b"\x00" + text, text + bytes([0xE2, 0x9C]),
                text + "✓".encode()[:1] + text):
        with pytest.raises(MediaTypeMismatchError):
            put(store, bad, "text/plain", chunk=65_536)
    assert len(content_files(store.root)) == 2
    assert not [p for p in files(store.root) if p.name.startswith(".upload-")]


def test_a_broken_stream_leaves_nothing(store: FilesystemDocumentStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(BLOCK)
        yield os.urandom(BLOCK)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.put(broken(), "model/stl"))
    assert files(store.root) == []


def test_reading_what_is_not_there(store: FilesystemDocumentStore) -> None:
    missing = "0" * 64
    assert store.info(missing) is None and not store.exists(missing)
    assert store.size(missing) is None
    with pytest.raises(KeyError):
        read(store, missing)
    with pytest.raises(BadDocumentNameError):
        store.info("not-a-hash")


def test_fsck_finds_a_corrupted_file(store: FilesystemDocumentStore) -> None:
    good = put(store, os.urandom(BLOCK + 3))
    bad = put(store, PDF + os.urandom(1000), "application/pdf")
    report = store.fsck()
    assert report.ok and report.checked == 2
    assert report.bytes_checked == good.size + bad.size
    path = store.path_of(bad.sha256)
    os.chmod(path, 0o600)
    with path.open("r+b") as f:
        f.seek(500)
        f.write(b"X")
    (store.root / "sha256" / "stray.txt").write_text("not a document")
    (path.parent / ".upload-left-by-a-crash.tmp").write_bytes(b"partial")
    report = store.fsck()
    assert not report.ok and report.checked == 2
    assert len(report.corrupted) == 1 and report.corrupted[0].startswith(str(path))
    assert report.misplaced == [str(store.root / "sha256" / "stray.txt")]
    assert report.temporary == [str(path.parent / ".upload-left-by-a-crash.tmp")]


def test_the_store_follows_the_node_configuration(tmp_path: Path) -> None:
    (tmp_path / "ipledger.toml").write_text(
        '[documents]\ndirectory = "files"\nmax_bytes = 1000\n'
        'allowed_media_types = ["application/pdf"]\n')
    store = FilesystemDocumentStore.from_config(load_config(tmp_path, env={}))
    assert store.root == tmp_path / "files"
    assert (store.max_bytes, store.allowed_media_types) == (1000, {"application/pdf"})
    default = FilesystemDocumentStore.from_config(load_config(tmp_path / "x", env={}))
    assert default.root == tmp_path / "x" / "documents"
    assert default.max_bytes == 50 * 1024 * 1024 and "image/png" in default.allowed_media_types


def test_a_failing_disk_leaves_nothing(store: FilesystemDocumentStore,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import ipledger.documents.filesystem as fs

    calls = {"n": 0}
    real = fs._write_all

    def full_disk(fd: int, chunks: list[bytes]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, chunks)

    monkeypatch.setattr(fs, "_write_all", full_disk)
    with pytest.raises(OSError, match="No space"):
        put(store, os.urandom(6 * BLOCK))
    assert files(store.root) == []


def test_a_cancelled_upload_leaves_nothing(store: FilesystemDocumentStore) -> None:
    started = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield os.urandom(BLOCK)
        started.set()
        await asyncio.sleep(60)
        yield b"never"

    async def run() -> None:
        task = asyncio.create_task(store.put(slow(), "model/stl"))
        await started.wait()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert files(store.root) == []
