"""Where the files of a C2SP tlog-tiles log come from: a directory (an export) or a URL.

A source hands out the raw bytes of ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``,
``tile/entries/<N>[.p/<W>]`` and any other file under the log's prefix. Nothing it
returns is trusted: readers verify every byte against a signed checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import httpx

from ipledger.storage.base import StorageError


class TileSourceError(StorageError):
    """A file of the log could not be fetched (absent, unreachable, refused)."""

    def __init__(self, path: str, detail: str, *, missing: bool = False) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.missing = missing


class TileSource(Protocol):
    """The files of one tlog-tiles log, by path relative to its prefix."""

    def read(self, path: str) -> bytes: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


class DirectoryTiles:
    """The log laid out in a directory (``ipledger export``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.reads = 0

    def read(self, path: str) -> bytes:
        try:
            data = (self.directory / path).read_bytes()
        except FileNotFoundError:
            raise TileSourceError(path, f"{self.directory} lacks it", missing=True) from None
        except OSError as exc:
            raise TileSourceError(path, str(exc)) from exc
        self.reads += 1
        return data

    def describe(self) -> str:
        return str(self.directory)

    def close(self) -> None:
        pass


# A tile is at most 8 KiB, an entry bundle at most 256 entries of 64 KiB each.
MAX_FILE_BYTES = 256 * 65_537 + 1024


class HttpTiles:
    """The log at a URL prefix (a node's ``/tlog``, or a static server of an export).

    ``fetched`` counts the files fetched, so callers (and tests) can see how much an
    incremental sync really downloads.
    """

    def __init__(self, prefix: str, *, timeout: float = 30.0,
                 client: httpx.Client | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self._own = client is None
        self.client = client if client is not None else httpx.Client(
            timeout=timeout, follow_redirects=False,
            headers={"User-Agent": "ipledger-mirror"})
        self.fetched = 0

    def read(self, path: str) -> bytes:
        url = f"{self.prefix}/{path}"
        try:
            with self.client.stream("GET", url) as resp:
                if resp.status_code == 404:
                    raise TileSourceError(path, f"{url} is not found (404)", missing=True)
                if resp.status_code != 200:
                    raise TileSourceError(path, f"{url} answered HTTP {resp.status_code}")
                data = bytearray()
                for chunk in resp.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FILE_BYTES:
                        raise TileSourceError(path, f"{url} is larger than any tlog file")
        except httpx.HTTPError as exc:
            raise TileSourceError(path, f"cannot fetch {url}: {exc}") from None
        self.fetched += 1
        return bytes(data)

    def describe(self) -> str:
        return self.prefix

    def close(self) -> None:
        if self._own:
            self.client.close()


def open_tile_source(location: str, *, timeout: float = 30.0) -> TileSource:
    """An ``http(s)://`` prefix, or a directory path."""
    if location.startswith(("http://", "https://")):
        return HttpTiles(location, timeout=timeout)
    return DirectoryTiles(Path(location.removeprefix("file://")))
