"""C2SP tlog-tiles: tile geometry, resource paths, entry bundles and the tile reader interface.

A hash tile at level ``L`` and index ``N`` holds up to 256 consecutive Merkle tree hashes of
tree level ``8 * L``: level-0 tiles hold leaf hashes, an entry of a level-1 tile is the root
of a full 256-leaf subtree, and so on. The rightmost tile of a level is usually *partial*
(1..255 hashes); a partial tile is always a prefix of the full tile it grows into.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from .hashing import HASH_SIZE

__all__ = [
    "MAX_ENTRY_SIZE",
    "MAX_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "MemoryTileStore",
    "TileError",
    "TilePathError",
    "TileReader",
    "TileRef",
    "changed_tiles",
    "check_tile_data",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "entries_path",
    "parse_tile_path",
    "right_edge_tiles",
    "tile_path",
    "tile_width_at",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Tree levels spanned by one tile (fixed by C2SP tlog-tiles)."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile (256)."""
MAX_LEVEL = 63
"""Highest tile level a path may name."""
MAX_ENTRY_SIZE = 0xFFFF
"""Largest entry an entry bundle can hold (uint16 length prefix)."""
_MAX_INDEX = 1 << 64  # tile indexes (and tree sizes) are uint64 in every tlog client

TileRequest = tuple[int, int, int]
"""(level, index, width): the first ``width`` hashes of hash tile (level, index)."""


class TileError(ValueError):
    """A tile or entry bundle is malformed, missing or inconsistent."""


class TilePathError(TileError):
    """A string is not a canonical tlog-tiles resource path."""


# --- geometry -------------------------------------------------------------------------------


def tile_width_at(level: int, index: int, tree_size: int) -> int:
    """Return how many hashes tile (level, index) holds in a tree of ``tree_size`` (0: none)."""
    if level < 0 or index < 0 or tree_size < 0:
        raise ValueError("level, index and tree_size must be non-negative")
    hashes_at_level = tree_size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, hashes_at_level - index * TILE_WIDTH))


def tiles_for_size(tree_size: int) -> Iterator[TileRequest]:
    """Yield (level, index, width) of every hash tile of a tree, level by level."""
    if tree_size < 0:
        raise ValueError("tree_size must be non-negative")
    level = 0
    while (count := tree_size >> (TILE_HEIGHT * level)) > 0:
        full, rest = divmod(count, TILE_WIDTH)
        for index in range(full):
            yield (level, index, TILE_WIDTH)
        if rest:
            yield (level, full, rest)
        level += 1


def right_edge_tiles(tree_size: int) -> list[TileRequest]:
    """Return (level, index, width) of the partial tiles of a tree, lowest level first."""
    if tree_size < 0:
        raise ValueError("tree_size must be non-negative")
    edge: list[TileRequest] = []
    level = 0
    while (count := tree_size >> (TILE_HEIGHT * level)) > 0:
        index, width = divmod(count, TILE_WIDTH)
        if width:
            edge.append((level, index, width))
        level += 1
    return edge


def changed_tiles(old_size: int, new_size: int) -> list[TileRequest]:
    """Return (level, index, width at new_size) of the hash tiles that differ between sizes."""
    if not 0 <= old_size <= new_size:
        raise ValueError("need 0 <= old_size <= new_size")
    out: list[TileRequest] = []
    level = 0
    while (new_count := new_size >> (TILE_HEIGHT * level)) > 0:
        old_count = old_size >> (TILE_HEIGHT * level)
        if new_count > old_count:
            for index in range(old_count // TILE_WIDTH, (new_count - 1) // TILE_WIDTH + 1):
                out.append((level, index, min(TILE_WIDTH, new_count - index * TILE_WIDTH)))
        level += 1
    return out


# --- resource paths -------------------------------------------------------------------------


def _encode_index(index: int) -> str:
    if not 0 <= index < _MAX_INDEX:
        raise ValueError(f"tile index {index} out of range 0..2**64-1")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} out of range 1..256")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of a hash tile, e.g. ``tile/0/x001/x234/067`` or ``tile/1/000.p/5``."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level {level} out of range 0..{MAX_LEVEL}")
    return f"tile/{level}/{_encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return the tlog-tiles path of an entry bundle, e.g. ``tile/entries/x001/234``."""
    return f"tile/entries/{_encode_index(index)}{_suffix(width)}"


@dataclass(frozen=True)
class TileRef:
    """A parsed tile resource path: a hash tile or an entry bundle (level 0)."""

    kind: Literal["hash", "entries"]
    level: int
    index: int
    width: int

    def path(self) -> str:
        """Return the canonical path of this resource."""
        if self.kind == "entries":
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


_LEVEL_RE = re.compile(r"0|[1-9][0-9]?")
_WIDTH_RE = re.compile(r"[1-9][0-9]{0,2}")
_INNER_RE = re.compile(r"x[0-9]{3}")
_LAST_RE = re.compile(r"[0-9]{3}")
_MAX_INDEX_GROUPS = 7  # 2**64 - 1 has 20 decimal digits


def parse_tile_path(path: str) -> TileRef:
    """Parse a canonical ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` path.

    Anything that :func:`tile_path` / :func:`entries_path` would not produce is rejected
    with :class:`TilePathError` naming the reason.
    """
    if not isinstance(path, str):
        raise TilePathError("tile path must be a string")
    if not path.isascii():
        raise TilePathError("tile path must be ASCII")
    parts = path.split("/")
    if parts[0] != "tile":
        raise TilePathError("tile path must start with 'tile/'")
    if any(part == "" for part in parts):
        raise TilePathError("empty path element (leading, doubled or trailing '/')")
    if any(part in (".", "..") for part in parts):
        raise TilePathError("'.' and '..' are not allowed in a tile path")
    if len(parts) < 3:
        raise TilePathError("tile path needs a level and an index")

    kind: Literal["hash", "entries"]
    if parts[1] == "entries":
        kind, level = "entries", 0
    else:
        if not _LEVEL_RE.fullmatch(parts[1]):
            raise TilePathError(f"bad tile level {parts[1]!r}: decimal without leading zeros")
        kind, level = "hash", int(parts[1])
        if level > MAX_LEVEL:
            raise TilePathError(f"tile level {level} is above {MAX_LEVEL}")

    groups = parts[2:]
    width = TILE_WIDTH
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        width_text = groups[-1]
        if not _WIDTH_RE.fullmatch(width_text):
            raise TilePathError(f"bad partial width {width_text!r}: decimal without leading zeros")
        width = int(width_text)
        if width >= TILE_WIDTH:
            raise TilePathError(f"partial width {width} must be between 1 and 255")
        groups = [*groups[:-2], groups[-2][: -len(".p")]]
    if len(groups) > _MAX_INDEX_GROUPS:
        raise TilePathError("tile index has too many path elements")
    for group in groups[:-1]:
        if not _INNER_RE.fullmatch(group):
            raise TilePathError(f"bad index element {group!r}: want 'x' and 3 digits")
    if not _LAST_RE.fullmatch(groups[-1]):
        raise TilePathError(f"bad last index element {groups[-1]!r}: want exactly 3 digits")
    if len(groups) > 1 and groups[0] == "x000":
        raise TilePathError("tile index has a leading zero element")
    index = 0
    for group in groups:
        index = index * 1000 + int(group.lstrip("x"))
    if index >= _MAX_INDEX:
        raise TilePathError("tile index is above 2**64-1")
    ref = TileRef(kind=kind, level=level, index=index, width=width)
    if ref.path() != path:  # belt and braces: the parse must be the exact inverse
        raise TilePathError("tile path is not canonical")
    return ref


# --- entry bundles --------------------------------------------------------------------------


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Encode entries as a tlog-tiles entry bundle (big-endian uint16 length prefix each)."""
    if len(entries) > TILE_WIDTH:
        raise TileError(f"an entry bundle holds at most {TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileError(f"entry {i} is {len(entry)} bytes, above {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Decode an entry bundle; with ``width``, also require exactly that many entries."""
    entries: list[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        if len(entries) == TILE_WIDTH:
            raise TileError(f"entry bundle holds more than {TILE_WIDTH} entries")
        if end - pos < 2:
            raise TileError(f"entry bundle truncated in the length of entry {len(entries)}")
        size = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if end - pos < size:
            raise TileError(
                f"entry bundle truncated: entry {len(entries)} needs {size} bytes, {end - pos} left"
            )
        entries.append(bytes(data[pos : pos + size]))
        pos += size
    if width is not None and len(entries) != width:
        raise TileError(f"entry bundle holds {len(entries)} entries, want {width}")
    return entries


# --- reading and storing tiles --------------------------------------------------------------


class TileReader(Protocol):
    """Anything that can return hash tiles, many at once (one SQL query, one HTTP batch)."""

    def read_tiles(self, requests: Sequence[TileRequest]) -> list[bytes]:
        """Return, for each (level, index, width), exactly ``width * 32`` bytes.

        These are the first ``width`` hashes of the tile; storage may hold a longer (grown)
        version and slice it. A missing or too short tile raises :class:`TileError`.
        """
        ...


def check_tile_data(level: int, index: int, data: bytes) -> None:
    """Raise :class:`TileError` unless ``data`` is a plausible tile body (1..256 hashes)."""
    if len(data) == 0 or len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise TileError(f"tile ({level}, {index}) is {len(data)} bytes, not 1..256 hashes")


class MemoryTileStore:
    """In-memory :class:`TileReader` for tests and small tools; refuses to rewrite history."""

    def __init__(self) -> None:
        """Create an empty store."""
        self._tiles: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()
        self.read_calls = 0
        """Number of :meth:`read_tiles` calls so far."""
        self.tiles_read = 0
        """Number of tiles returned by :meth:`read_tiles` so far."""

    def read_tiles(self, requests: Sequence[TileRequest]) -> list[bytes]:
        """Return the first ``width`` hashes of each requested tile."""
        out: list[bytes] = []
        with self._lock:
            self.read_calls += 1
            self.tiles_read += len(requests)
            for level, index, width in requests:
                if not 1 <= width <= TILE_WIDTH:
                    raise TileError(f"bad width {width} requested for tile ({level}, {index})")
                data = self._tiles.get((level, index))
                want = width * HASH_SIZE
                if data is None:
                    raise TileError(f"tile ({level}, {index}) is not stored")
                if len(data) < want:
                    raise TileError(
                        f"tile ({level}, {index}) holds {len(data) // HASH_SIZE} hashes, "
                        f"{width} requested"
                    )
                out.append(data if len(data) == want else data[:want])
        return out

    def write_tiles(self, tiles: Mapping[tuple[int, int], bytes]) -> None:
        """Store new tile versions; each must extend (never change) what is stored."""
        with self._lock:
            for (level, index), data in tiles.items():
                check_tile_data(level, index, data)
                old = self._tiles.get((level, index))
                if old is not None and (len(data) < len(old) or data[: len(old)] != old):
                    raise TileError(f"tile ({level}, {index}) would change stored hashes")
            for key, data in tiles.items():
                self._tiles[key] = bytes(data)

    def get(self, level: int, index: int) -> bytes | None:
        """Return the stored version of a tile, or None."""
        with self._lock:
            return self._tiles.get((level, index))

    def as_dict(self) -> dict[tuple[int, int], bytes]:
        """Return a copy of every stored tile."""
        with self._lock:
            return dict(self._tiles)
