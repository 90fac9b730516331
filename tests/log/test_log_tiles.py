"""Tile geometry, tlog-tiles paths, entry bundles and the in-memory tile store."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.log import (
    MemoryTileStore,
    TileError,
    TilePathError,
    TileRef,
    changed_tiles,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    parse_tile_path,
    right_edge_tiles,
    tile_path,
    tile_width_at,
    tiles_for_size,
)

# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 1234067, 256, "tile/0/x001/x234/067"),  # the example of c2sp.org/tlog-tiles
        (1, 0, 5, "tile/1/000.p/5"),
        (0, 0, 256, "tile/0/000"),
        (0, 5, 1, "tile/0/005.p/1"),
        (2, 999, 255, "tile/2/999.p/255"),
        (3, 1000, 256, "tile/3/x001/000"),
        (63, 1_000_000, 17, "tile/63/x001/x000/000.p/17"),
        (0, 2**64 - 1, 256, "tile/0/x018/x446/x744/x073/x709/x551/615"),
    ],
)
def test_tile_path_examples(level: int, index: int, width: int, path: str) -> None:
    assert tile_path(level, index, width) == path
    assert parse_tile_path(path) == TileRef("hash", level, index, width)


@pytest.mark.parametrize(
    ("index", "width", "path"),
    [
        (1234067, 256, "tile/entries/x001/x234/067"),
        (1234067, 3, "tile/entries/x001/x234/067.p/3"),
        (0, 1, "tile/entries/000.p/1"),
        (273, 112, "tile/entries/273.p/112"),
    ],
)
def test_entries_path_examples(index: int, width: int, path: str) -> None:
    assert entries_path(index, width) == path
    assert parse_tile_path(path) == TileRef("entries", 0, index, width)
    assert parse_tile_path(path).path() == path


def test_tile_path_default_width_is_full() -> None:
    assert tile_path(0, 7) == tile_path(0, 7, 256) == "tile/0/007"
    assert entries_path(7) == "tile/entries/007"


@pytest.mark.parametrize(
    ("level", "index", "width"),
    [(-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 2**64, 256), (0, 0, 0), (0, 0, 257)],
)
def test_tile_path_rejects_bad_arguments(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        tile_path(level, index, width)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 63),
    st.one_of(st.integers(0, 10**7), st.integers(0, 2**64 - 1)),
    st.integers(1, 256),
    st.booleans(),
)
def test_path_round_trip(level: int, index: int, width: int, entries: bool) -> None:
    path = entries_path(index, width) if entries else tile_path(level, index, width)
    ref = parse_tile_path(path)
    assert ref == TileRef("entries" if entries else "hash", 0 if entries else level, index, width)
    assert ref.path() == path


BAD_PATHS = [
    "",
    "tile",
    "tile/",
    "tile/0",
    "tile/0/",
    "/tile/0/000",
    "tiles/0/000",
    "Tile/0/000",
    "x/tile/0/000",
    "tile/0/000/",
    "tile//0/000",
    "tile/0//000",
    "tile/0/00",
    "tile/0/0000",
    "tile/0/1",
    "tile/0/abc",
    "tile/0/00a",
    "tile/0/001/234",  # missing x prefix
    "tile/0/x001/x234",  # last element with x
    "tile/0/x01/234",
    "tile/0/x0001/234",
    "tile/0/X001/234",
    "tile/0/x000/001",  # leading zero element
    "tile/0/x000/x001/001",
    "tile/00/000",
    "tile/01/000",
    "tile/64/000",
    "tile/100/000",
    "tile/-1/000",
    "tile/+1/000",
    "tile/ 1/000",
    "tile/1 /000",
    "tile/a/000",
    "tile/0/000.p",
    "tile/0/000.p/",
    "tile/0/000.p/0",
    "tile/0/000.p/256",
    "tile/0/000.p/300",
    "tile/0/000.p/05",
    "tile/0/000.p/+5",
    "tile/0/000.p/5/",
    "tile/0/000.p/5/6",
    "tile/0/000.q/5",
    "tile/0/000p/5",
    "tile/0/000.P/5",
    "tile/0/x001.p/5/000",
    "tile/0/../000",
    "tile/../0/000",
    "tile/0/./000",
    "tile/0/000/..",
    "tile/entries",
    "tile/entries/",
    "tile/entries/0",
    "tile/entries/000.p/256",
    "tile/entries/001/002",
    "tile/entry/000",
    "tile/0/000\n",
    "tile/0/000 ",
    " tile/0/000",
    "tile/0/\u0661\u0662\u0663",  # non-ASCII digits
    "tile/\u0661/000",
    "tile/0/x018/x446/x744/x073/x709/x551/616",  # 2**64
    "tile/0/x001/x001/x001/x001/x001/x001/x001/001",  # too many elements
    "tile\\0\\000",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_parse_rejects_non_canonical(path: str) -> None:
    with pytest.raises(TilePathError) as info:
        parse_tile_path(path)
    assert str(info.value)  # a reason is given
    assert isinstance(info.value, ValueError)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(b"tile/0/000")  # type: ignore[arg-type]


# --- geometry -------------------------------------------------------------------------------


def test_tiles_for_size_70000_matches_spec() -> None:
    """c2sp.org/tlog-tiles: 273 full level-0 tiles, a partial of 112, one full level-1
    tile, a partial level-1 tile of 17 and a partial level-2 tile of 1."""
    tiles = list(tiles_for_size(70_000))
    level0 = [t for t in tiles if t[0] == 0]
    assert len(level0) == 274
    assert all(w == 256 for _, _, w in level0[:273])
    assert level0[-1] == (0, 273, 112)
    assert [t for t in tiles if t[0] == 1] == [(1, 0, 256), (1, 1, 17)]
    assert [t for t in tiles if t[0] == 2] == [(2, 0, 1)]
    assert len(tiles) == 277
    assert right_edge_tiles(70_000) == [(0, 273, 112), (1, 1, 17), (2, 0, 1)]


def test_tiles_for_size_256_matches_spec() -> None:
    """A tree of 256 is one full level-0 tile and a partial level-1 tile of width 1."""
    assert list(tiles_for_size(256)) == [(0, 0, 256), (1, 0, 1)]
    assert right_edge_tiles(256) == [(1, 0, 1)]


def test_small_sizes() -> None:
    assert list(tiles_for_size(0)) == []
    assert right_edge_tiles(0) == []
    assert list(tiles_for_size(1)) == [(0, 0, 1)]
    assert list(tiles_for_size(65_536)) == [
        *[(0, i, 256) for i in range(256)],
        (1, 0, 256),
        (2, 0, 1),
    ]


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65_535, 65_536, 70_000, 16_777_217])
def test_tile_width_at_agrees_with_tiles_for_size(size: int) -> None:
    if size > 100_000:
        tiles = [t for t in tiles_for_size(size) if t[0] > 0]
    else:
        tiles = list(tiles_for_size(size))
    for level, index, width in tiles:
        assert tile_width_at(level, index, size) == width
    last = {level: index for level, index, _ in tiles}
    for level, index in last.items():
        assert tile_width_at(level, index + 1, size) == 0
    assert tile_width_at(5, 0, size) == (1 if size >= 256**5 else 0)


def test_tile_width_at_rejects_negatives() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        tile_width_at(0, -1, 5)


@pytest.mark.parametrize(
    ("old", "new"),
    [(0, 0), (0, 1), (5, 5), (5, 6), (255, 256), (256, 257), (200, 70_000), (65_535, 65_537)],
)
def test_changed_tiles(old: int, new: int) -> None:
    before = {(lv, ix): w for lv, ix, w in tiles_for_size(old)}
    after = {(lv, ix): w for lv, ix, w in tiles_for_size(new)}
    want = sorted((lv, ix, w) for (lv, ix), w in after.items() if before.get((lv, ix)) != w)
    assert sorted(changed_tiles(old, new)) == want


def test_changed_tiles_rejects_shrinking() -> None:
    with pytest.raises(ValueError, match="old_size"):
        changed_tiles(5, 4)


# --- entry bundles --------------------------------------------------------------------------


def test_bundle_encoding_is_uint16_prefixed() -> None:
    assert encode_entry_bundle([b"", b"a", b"bc"]) == b"\x00\x00\x00\x01a\x00\x02bc"
    assert encode_entry_bundle([]) == b""
    assert encode_entry_bundle([b"x" * 65_535])[:2] == b"\xff\xff"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=256))
def test_bundle_round_trip(entries: list[bytes]) -> None:
    data = encode_entry_bundle(entries)
    assert decode_entry_bundle(data) == entries
    assert decode_entry_bundle(data, width=len(entries)) == entries


def test_bundle_rejects_large_entries_and_too_many() -> None:
    with pytest.raises(TileError, match="65535"):
        encode_entry_bundle([b"x" * 65_536])
    with pytest.raises(TileError, match="at most 256"):
        encode_entry_bundle([b""] * 257)


def test_bundle_truncation_is_detected() -> None:
    data = encode_entry_bundle([b"hello", b"world!"])
    for cut in range(1, len(data)):
        if cut == 7:  # exactly after the first entry: a valid one-entry bundle
            assert decode_entry_bundle(data[:cut]) == [b"hello"]
            with pytest.raises(TileError, match="want 2"):
                decode_entry_bundle(data[:cut], width=2)
            continue
        with pytest.raises(TileError, match="truncated"):
            decode_entry_bundle(data[:cut])


def test_bundle_rejects_more_than_256_entries() -> None:
    with pytest.raises(TileError, match="more than 256"):
        decode_entry_bundle(b"\x00\x00" * 257)


# --- memory store ---------------------------------------------------------------------------

H = [bytes([i]) * 32 for i in range(4)]


def test_memory_store_reads_prefixes_in_one_call() -> None:
    store = MemoryTileStore()
    store.write_tiles({(0, 0): H[0] + H[1] + H[2], (1, 0): H[3]})
    assert store.read_tiles([(0, 0, 2), (1, 0, 1), (0, 0, 3)]) == [
        H[0] + H[1],
        H[3],
        b"".join(H[:3]),
    ]
    assert store.read_calls == 1
    assert store.tiles_read == 3


def test_memory_store_errors() -> None:
    store = MemoryTileStore()
    store.write_tiles({(0, 0): H[0]})
    with pytest.raises(TileError, match="not stored"):
        store.read_tiles([(0, 1, 1)])
    with pytest.raises(TileError, match="1 hashes, 2 requested"):
        store.read_tiles([(0, 0, 2)])
    with pytest.raises(TileError, match="bad width"):
        store.read_tiles([(0, 0, 0)])


def test_memory_store_refuses_to_rewrite_history() -> None:
    store = MemoryTileStore()
    store.write_tiles({(0, 0): H[0] + H[1]})
    store.write_tiles({(0, 0): H[0] + H[1] + H[2]})  # growing is fine
    store.write_tiles({(0, 0): H[0] + H[1] + H[2]})  # so is writing the same again
    for bad in (H[0] + H[2] + H[2], H[0], b"", b"x" * 33, b"x" * 32 * 257):
        with pytest.raises(TileError):
            store.write_tiles({(0, 0): bad, (5, 5): H[0]})
    assert store.get(0, 0) == b"".join(H[:3])
    assert store.get(5, 5) is None  # a refused batch writes nothing
    assert store.as_dict() == {(0, 0): b"".join(H[:3])}
