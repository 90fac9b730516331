"""Off-ledger documents: content-addressed (SHA-256) storage with streaming uploads.

The ledger records a document's SHA-256 and media type (``right.add_document``); the
bytes live here. :class:`DocumentStore` is the interface, :class:`FilesystemDocumentStore`
the default backend (``DATA/documents``, configured by ``[documents]``). Access rules
(confidential until the right is published) are applied by ``api/documents.py``.
"""

from ipledger.documents.base import (
    BadDocumentNameError,
    DocumentError,
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
from ipledger.documents.filesystem import FilesystemDocumentStore

__all__ = [
    "BadDocumentNameError",
    "DocumentError",
    "DocumentInfo",
    "DocumentStore",
    "DocumentTooLargeError",
    "FilesystemDocumentStore",
    "FsckReport",
    "HashMismatchError",
    "MediaTypeMismatchError",
    "MediaTypeRefusedError",
    "Stored",
    "is_sha256_hex",
]
