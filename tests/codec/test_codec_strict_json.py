"""Strict JSON parsing: rejections with rule and pointer, canonical-only parsing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.codec import JsonError, canonicalize, parse_canonical, parse_json


@pytest.mark.parametrize(
    ("data", "rule", "pointer"),
    [
        (b'{"a":1,"a":2}', "duplicate-key", "/a"),
        (b'{"x":[0,{"k":1,"k":1}]}', "duplicate-key", "/x/1/k"),
        (b'{"a":1,"\\u0061":2}', "duplicate-key", "/a"),
        (b"NaN", "invalid-json", ""),
        (b'{"n":Infinity}', "invalid-json", "/n"),
        (b"[-Infinity]", "invalid-json", "/0"),
        (b'["\\ud800"]', "lone-surrogate", "/0"),
        (b'{"\\udc00":1}', "lone-surrogate", ""),
        (b'{"a":"x\\udbffy"}', "lone-surrogate", "/a"),
        (b'{"a":9007199254740992}', "integer-range", "/a"),
        (b"[-9007199254740992]", "integer-range", "/0"),
        (b"[" + b"9" * 5000 + b"]", "integer-range", "/0"),
        (b"[1e400]", "number-range", "/0"),
        (b"\xef\xbb\xbf{}", "invalid-json", ""),
        (b'"\xff"', "invalid-utf8", ""),
        (b'"\xed\xa0\x80"', "invalid-utf8", ""),  # UTF-8-encoded surrogate
        (b'"\xc0\xaf"', "invalid-utf8", ""),  # overlong
        (b"", "invalid-json", ""),
        (b"[1,]", "invalid-json", "/1"),
        (b'{"a":1,}', "invalid-json", ""),
        (b"[01]", "invalid-json", ""),
        (b'{"a":[1 2]}', "invalid-json", "/a"),
        (b"{'a':1}", "invalid-json", ""),
        (b'{"a":"tab\there"}', "invalid-json", "/a"),
        (b"[1] x", "invalid-json", ""),
        (b'{"a/b":{"m~n":[true, tru]}}', "invalid-json", "/a~1b/m~0n/1"),
    ],
)
def test_rejections(data: bytes, rule: str, pointer: str) -> None:
    with pytest.raises(JsonError) as info:
        parse_json(data)
    assert info.value.rule == rule
    assert info.value.pointer == pointer
    assert info.value.detail
    assert isinstance(info.value, ValueError)


def test_too_deep() -> None:
    with pytest.raises(JsonError) as info:
        parse_json(b"[" * 100000 + b"]" * 100000)
    assert info.value.rule == "invalid-json"
    assert info.value.pointer.startswith("/0/0/0")


def test_big_integral_float_is_not_reparseable() -> None:
    # JCS prints 2**53 as a double "9007199254740992"; I-JSON parsing refuses it.
    assert canonicalize(2.0**53) == b"9007199254740992"
    with pytest.raises(JsonError) as info:
        parse_json(canonicalize(2.0**53))
    assert info.value.rule == "integer-range"


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        (b"1.0", ""),
        (b'{"a":{"b":[1,2,1e2]}}', "/a/b/2"),
        (b'{"x":1E+2}', "/x"),
        (b'{"x":-0.0}', "/x"),
        (b'{"x":0.5}', "/x"),
    ],
)
def test_no_floats(data: bytes, pointer: str) -> None:
    assert parse_json(data) is not None
    with pytest.raises(JsonError) as info:
        parse_json(data, allow_floats=False)
    assert (info.value.rule, info.value.pointer) == ("no-floats", pointer)


def test_accepts() -> None:
    assert parse_json(b' {"a" : [1, -2, 3.5, true, false, null, "\\u00e9\\ud83d\\ude00"]} ') == {
        "a": [1, -2, 3.5, True, False, None, "\u00e9\U0001f600"]
    }
    assert parse_json(b"9007199254740991") == 2**53 - 1
    assert parse_json(b'"x"') == "x"
    assert parse_json(bytearray(b"[]")) == []  # type: ignore[arg-type]


def test_type_error() -> None:
    with pytest.raises(TypeError):
        parse_json("{}")  # type: ignore[arg-type]


def test_parse_canonical() -> None:
    assert parse_canonical(b'{"a":1,"b":[true,"\xc3\xa9"]}') == {"a": 1, "b": [True, "\u00e9"]}
    assert parse_canonical('{"\U0001f600":1,"\ufb33":2}'.encode()) == {
        "\U0001f600": 1,
        "\ufb33": 2,
    }


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b'{"b":1,"a":2}', "not-canonical"),
        (b'{"a": 1}', "not-canonical"),
        (b"[1] ", "not-canonical"),
        (b'"\\u00e9"', "not-canonical"),
        (b'"\\/"', "not-canonical"),
        (b"-0", "not-canonical"),
        ('{"\ufb33":2,"\U0001f600":1}'.encode(), "not-canonical"),
        (b"[1.5]", "no-floats"),
        (b'{"a":1,"a":1}', "duplicate-key"),
    ],
)
def test_parse_canonical_rejects(data: bytes, rule: str) -> None:
    with pytest.raises(JsonError) as info:
        parse_canonical(data)
    assert info.value.rule == rule


_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.text(st.characters(codec="utf-8"), max_size=10)
)
_docs = st.recursive(
    _leaf,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=5), kids, max_size=4)
    ),
    max_leaves=20,
)


@given(_docs)
@settings(max_examples=300)
def test_canonical_roundtrip(value: Any) -> None:
    data = canonicalize(value)
    assert parse_canonical(data) == value
    assert canonicalize(parse_json(data)) == data
