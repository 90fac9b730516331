"""The document store's interface: content-addressed files off the ledger.

A document is named by the SHA-256 of its bytes (64 lowercase hex digits); the ledger holds
only that hash (``right.add_document``). A store accepts uploads as a stream of chunks,
hashes them on the fly, refuses anything too large, of a media type it does not accept, or
whose bytes do not agree with the declared media type or the declared hash, and keeps one
copy per content (a second upload of the same bytes is a success that writes nothing).

Who may read a document is not the store's business: the API decides that from the
register (``api/documents.py``). The store only remembers, per document, the media type it
was first accepted as and the parties who uploaded it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256_hex(value: str) -> bool:
    return SHA256_HEX.fullmatch(value) is not None


class DocumentError(Exception):
    """An upload the store refuses; ``rule`` and ``status`` map it onto an RFC 9457 problem."""

    rule = "invalid-value"
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DocumentTooLargeError(DocumentError):
    rule, status = "body-too-large", 413


class MediaTypeRefusedError(DocumentError):
    """The declared media type is not in the store's allowed list."""

    rule, status = "unsupported-media-type", 415


class MediaTypeMismatchError(DocumentError):
    """The content's leading bytes (or its encoding) contradict the declared media type."""

    rule, status = "media-type-mismatch", 415


class HashMismatchError(DocumentError):
    """The content does not hash to the SHA-256 the client declared."""

    rule, status = "hash-mismatch", 422


class BadDocumentNameError(DocumentError):
    rule, status = "bad-parameter", 400


@dataclass(frozen=True)
class DocumentInfo:
    """What the store knows about one stored document."""

    sha256: str
    size: int
    media_type: str | None  # as first accepted (None if its metadata was lost)
    uploaders: frozenset[str] = frozenset()  # party ids


@dataclass(frozen=True)
class Stored:
    """The outcome of a successful upload."""

    sha256: str
    size: int
    media_type: str  # the document's media type (the first one it was accepted as)
    created: bool  # False: the same bytes were already stored (nothing written)
    new_uploader: bool  # the uploader was not yet recorded for this document


@dataclass
class FsckReport:
    """``fsck``: every stored file re-hashed against its name."""

    checked: int = 0
    bytes_checked: int = 0
    corrupted: list[str] = field(default_factory=list)  # "path: expected X, content hashes to Y"
    misplaced: list[str] = field(default_factory=list)  # files that are not named by a hash
    temporary: list[str] = field(default_factory=list)  # unfinished uploads (or in progress)

    @property
    def ok(self) -> bool:
        return not self.corrupted and not self.misplaced


class DocumentStore(ABC):
    """Content-addressed storage of documents (see the module docstring)."""

    max_bytes: int
    allowed_media_types: frozenset[str]

    @abstractmethod
    async def put(self, chunks: AsyncIterable[bytes], media_type: str, *,
                  sha256: str | None = None, uploader: str | None = None,
                  skip_write_if_stored: bool = True) -> Stored:
        """Store the bytes ``chunks`` yields, hashing them as they arrive.

        ``media_type`` (lower case, no parameters) must be allowed and agree with the
        content; ``sha256``, if given, must be the content's hash. Raises a
        :class:`DocumentError` and keeps nothing if anything is wrong. With
        ``skip_write_if_stored`` (and ``sha256`` given) bytes already stored are only
        hashed, never written; without it they are written to a temporary file that is
        then dropped (the same work, and time, as a new upload).
        """

    @abstractmethod
    def info(self, sha256: str) -> DocumentInfo | None:
        """The stored document named ``sha256``, or None."""

    def exists(self, sha256: str) -> bool:
        return self.info(sha256) is not None

    def size(self, sha256: str) -> int | None:
        info = self.info(sha256)
        return None if info is None else info.size

    @abstractmethod
    def read(self, sha256: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The document's bytes as a stream (a ``KeyError`` if it is not stored)."""

    @abstractmethod
    def fsck(self) -> FsckReport:
        """Re-hash every stored document and report any whose content is not its name."""
