"""Client side of proof of existence: hash files locally, sign, submit in batches, save receipts."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from ipledger.services.evidence import STAMP_TYPE, file_sha256, stamp_body
from ipledger.services.tsa_protocol import check_reply, make_request


class Progress:
    """A one-line progress bar on stderr (silent when disabled)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled

    def advance(self, n: int) -> None:
        self.done += n
        if self.enabled:
            filled = 30 * self.done // max(self.total, 1)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def write_beside(path: Path, suffix: str, data: bytes) -> Path:
    """Write ``PATH<suffix>`` atomically (a crash never leaves half a receipt)."""
    target = Path(f"{path}{suffix}")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".receipt-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target


def write_receipt(path: Path, receipt: dict[str, Any]) -> Path:
    """Write ``PATH.receipt.json`` atomically."""
    text = json.dumps(receipt, indent=2, ensure_ascii=False) + "\n"
    return write_beside(path, ".receipt.json", text.encode())


def stamp_rfc3161(paths: Sequence[Path], *, node: str, timeout: float = 60.0) -> int:
    """Ask the node's RFC 3161 TSA for a token per file (SHA-256, with a nonce and the
    certificate) and write ``PATH.tsr``; returns the number that failed."""
    base, failures = node.rstrip("/"), 0
    try:
        with httpx.Client(timeout=timeout) as client:
            for path in paths:
                digest = bytes.fromhex(file_sha256(path))
                nonce = secrets.randbits(63)
                resp = client.post(f"{base}/tsa", content=make_request(digest, nonce),
                                   headers={"Content-Type": "application/timestamp-query"})
                try:
                    if resp.status_code != 200:
                        raise ValueError(f"HTTP {resp.status_code}: {resp.text[:200]}")
                    serial = check_reply(resp.content, digest, nonce)
                except ValueError as exc:
                    failures += 1
                    print(f"ipledger: {path}: {exc}", file=sys.stderr)
                    continue
                target = write_beside(path, ".tsr", resp.content)
                print(f"{target}: RFC 3161 token, serial {serial} (the ledger entry's index)")
    except httpx.HTTPError as exc:
        print(f"ipledger: cannot reach the node at {base}: {exc}", file=sys.stderr)
        return len(paths)
    return failures


def stamp_files(
    paths: Sequence[Path],
    *,
    node: str,
    key: SigningKey,
    batch_size: int = 200,
    media_type: str | None = None,
    include_name: bool = True,
    progress: bool = True,
    timeout: float = 60.0,
) -> int:
    """Stamp every file; returns the number that failed (each reported on stderr)."""
    base = node.rstrip("/")
    bar = Progress(len(paths), progress)
    try:
        return _stamp_batches(paths, base, key, batch_size, media_type, include_name, bar,
                              timeout)
    except httpx.HTTPError as exc:
        bar.finish()
        print(f"ipledger: cannot reach the node at {base}: {exc}", file=sys.stderr)
        return len(paths) - bar.done


def _stamp_batches(
    paths: Sequence[Path], base: str, key: SigningKey, batch_size: int,
    media_type: str | None, include_name: bool, bar: Progress, timeout: float,
) -> int:
    failures = 0
    with httpx.Client(timeout=timeout) as client:
        origin = client.get(f"{base}/v1/log").raise_for_status().json()["origin"]
        for start in range(0, len(paths), batch_size):
            chunk = paths[start : start + batch_size]
            lines = [
                canonicalize(make_envelope(
                    key, origin, STAMP_TYPE, stamp_body(p, media_type, include_name=include_name)
                ))
                for p in chunk
            ]
            resp = client.post(
                f"{base}/v1/entries/batch", content=b"\n".join(lines) + b"\n",
                headers={"Content-Type": "application/x-ndjson"},
            )
            if resp.status_code != 200:
                bar.finish()
                detail = resp.json().get("detail", resp.text) if resp.content else resp.status_code
                print(f"ipledger: the node refused the batch: {detail}", file=sys.stderr)
                return failures + len(paths) - start
            for path, result in zip(chunk, resp.json()["results"], strict=True):
                if "receipt" in result:
                    write_receipt(path, result["receipt"])
                else:
                    failures += 1
                    problem = result["problem"]
                    print(f"\nipledger: {path}: {problem.get('pointer', '')} {problem['detail']}",
                          file=sys.stderr)
            bar.advance(len(chunk))
    bar.finish()
    return failures
