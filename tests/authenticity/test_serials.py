"""Serial commitments and commitment lists, against the byte layout docs/authenticity.md
documents."""

from __future__ import annotations

import hashlib

import pytest

from ipledger.services.authenticity import clone_warning, in_territory
from ipledger.services.serials import (
    SerialError,
    check_serial,
    commitment,
    encode_list,
    label_url,
    parse_list,
)

SALT = bytes(range(16))


def test_commitment_follows_the_documented_layout() -> None:
    expected = hashlib.sha256(
        b"ipledger/authenticity/v1\x00" + b"\x00\x02EM" + b"\x00\x09000000001"
        + b"\x00\x06SN-042" + SALT).hexdigest()
    assert commitment("EM", "000000001", "SN-042", SALT).hex() == expected


def test_length_prefixes_keep_fields_apart() -> None:
    assert commitment("EM", "1", "23", SALT) != commitment("EM", "12", "3", SALT)
    assert commitment("EM", "1", "A", SALT) != commitment("EM", "1", "A", bytes(16))
    with pytest.raises(SerialError):
        commitment("EM", "1", "A", b"short")


def test_lists_are_sorted_hex_lines_and_parse_back() -> None:
    items = [commitment("EM", "1", f"S{i}", SALT) for i in range(100)]
    data = encode_list(items)
    assert len(data) == 100 * 65 and data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert lines == sorted(lines) and lines[0] == min(items).hex().encode()
    assert parse_list(data, 100) == sorted(items)
    with pytest.raises(SerialError, match="same commitment"):
        encode_list([items[0], items[0]])


@pytest.mark.parametrize(("data", "count"), [
    (b"ab" * 32 + b"\n", 2),  # count
    (b"AB" * 32 + b"\n", 1),  # upper case
    (b"ab" * 32 + b"\r", 1),  # no newline
    (b"ab" * 32 + b"\n" + b"aa" * 32 + b"\n", 2),  # descending
    (b"ab" * 32 + b"\n" + b"ab" * 32 + b"\n", 2),  # repeated
    (b"ab" * 31 + b"\n", None),  # short line
])
def test_malformed_lists_are_refused(data: bytes, count: int | None) -> None:
    with pytest.raises(SerialError):
        parse_list(data, count)


def test_serials_and_label_urls() -> None:
    check_serial("A.b_c-9")
    for bad in ("", "a b", "x" * 65, "é", "a/b"):
        with pytest.raises(SerialError):
            check_serial(bad)
    assert label_url("https://reg.example/", "EM", "000000001", "SN-1", SALT) == (
        "https://reg.example/authenticity/verify?office=EM&number=000000001&serial=SN-1"
        "&salt=000102030405060708090a0b0c0d0e0f")


def test_clone_warning_compares_places() -> None:
    seen = [{"country": "DE", "point": "Hamburg"}]
    assert clone_warning(seen, "DE", "Hamburg") is None
    assert clone_warning(seen, "DE", None) is None
    assert clone_warning(seen, None, None) is None
    assert clone_warning(seen, "DE", "Kiel") is not None
    assert clone_warning(seen, "FR", None) is not None
    assert clone_warning([*seen, {"country": "NL", "point": "Rotterdam"}], None, None)


def test_regional_codes_stand_for_their_member_states() -> None:
    assert in_territory("DE", ["EM"]) and in_territory("LU", ["BX"])
    assert in_territory("EM", ["EM"]) and in_territory("AT", ["FR", "AT"])
    assert not in_territory("CH", ["EM"]) and not in_territory("US", ["BX", "DE"])
