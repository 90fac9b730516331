"""Client side of the document store: upload a file (streamed), download one (verified).

    sha256, created = upload_document(node, path, key)            # PUT /v1/documents/{sha256}
    download_document(node, sha256, out, key=None)                # GET, hashed before kept

The upload is hashed locally first (the node checks the bytes against that name), then sent
in chunks; the download is written to a temporary file beside ``out`` while it is hashed,
and renamed to ``out`` only if it hashes to the name asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from ipledger.identity import SigningKey
from ipledger.services.auth_client import AuthError, AuthSession, login, logout
from ipledger.services.evidence import file_sha256

CHUNK = 1 << 20


class DocumentClientError(Exception):
    """The node refused, or the download did not hash to its name."""


def problem_text(resp: httpx.Response) -> str:
    try:
        doc: Any = resp.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("rule"):
        return f"{doc['rule']}: {doc.get('detail', '')} (HTTP {resp.status_code})"
    return f"HTTP {resp.status_code}"


def guess_media_type(path: Path) -> str | None:
    return mimetypes.guess_type(path.name, strict=False)[0]


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


@contextlib.contextmanager
def _session(client: httpx.Client, node: str, key: SigningKey | None
             ) -> Iterator[AuthSession | None]:
    if key is None:
        yield None
        return
    try:
        session = login(node, key, client=client)
    except AuthError as exc:
        raise DocumentClientError(f"cannot log in to {node}: {exc}") from None
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):
            logout(session, client=client)


@contextlib.contextmanager
def _transport_errors(node: str) -> Iterator[None]:
    try:
        yield
    except httpx.HTTPError as exc:
        raise DocumentClientError(f"cannot reach {node}: {exc}") from None


def upload_document(node: str, path: Path, key: SigningKey, media_type: str | None = None,
                    timeout: float = 600.0) -> tuple[str, bool]:
    """Upload ``path``; return its SHA-256 and whether it was new (201) to this party."""
    media_type = media_type or guess_media_type(path)
    if not media_type:
        raise DocumentClientError(f"cannot tell the media type of {path.name}: give "
                                  "--media-type")
    sha256 = file_sha256(path)
    size = path.stat().st_size
    base = node.rstrip("/")
    with _transport_errors(base), httpx.Client(timeout=timeout) as client, \
            _session(client, base, key) as session:
        assert session is not None
        resp = client.put(f"{base}/v1/documents/{sha256}", content=_chunks(path), headers={
            "Content-Type": media_type, "Content-Length": str(size), **session.headers})
    if resp.status_code not in (200, 201):
        raise DocumentClientError(f"the node refused {path}: {problem_text(resp)}")
    return sha256, resp.status_code == 201


def download_document(node: str, sha256: str, out: Path, key: SigningKey | None = None,
                      timeout: float = 600.0) -> int:
    """Download the document ``sha256`` into ``out`` (only if it hashes to ``sha256``);
    return its size."""
    base = node.rstrip("/")
    out = Path(out)
    url = f"{base}/v1/documents/{sha256}"
    with _transport_errors(base), httpx.Client(timeout=timeout) as client, \
            _session(client, base, key) as session, \
            client.stream("GET", url, headers=session.headers if session else {}) as resp:
        if resp.status_code != 200:
            resp.read()
            hint = " (or it is confidential: give --key of a party who may read it)" \
                if resp.status_code == 404 and session is None else ""
            raise DocumentClientError(f"cannot get {sha256}: {problem_text(resp)}{hint}")
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part",
                                    dir=out.parent if str(out.parent) else ".")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in resp.iter_bytes(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if digest.hexdigest() != sha256:
                raise DocumentClientError(f"the node sent bytes that hash to "
                                          f"{digest.hexdigest()}, not {sha256}: not kept")
            os.replace(name, out)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
    return size
