"""RFC 8785 canonicalization: the RFC's own examples, cyberphone test data, properties."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.codec import CanonicalizationError, canonicalize, format_number, parse_json
from ipledger.codec.jcs import _canonicalize_slow, _dumps_fast, _scan

# RFC 8785 section 3.2.2 input, verbatim (also cyberphone testdata/input/values.json).
RFC_3_2_2_INPUT = rb"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
# The RFC's expected output (section 3.2.3 "a properly canonicalized version").
RFC_3_2_2_OUTPUT = (
    b'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    b'"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 section 3.2.3 sorting example: input members and the expected order.
RFC_3_2_3_INPUT = rb"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_3_2_3_ORDER = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]

# RFC 8785 Appendix B: IEEE 754 bit pattern -> canonical text (finite values).
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]
APPENDIX_B_INVALID = ["7fffffffffffffff", "7ff0000000000000"]  # NaN, Infinity

# cyberphone/json-canonicalization testdata (input file -> output file).
CYBERPHONE = [
    (
        rb"""{
  "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
  "10": { },
  "": "empty",
  "a": { },
  "111": [ { } ],
  "A": { }
}""",
        b'{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ),
    (
        rb"""{
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
}""",
        '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}'.encode(),
    ),
    (
        rb'{"Unnormalized Unicode":"\u1e0d\u0307"}',
        '{"Unnormalized Unicode":"\u1e0d\u0307"}'.encode(),
    ),
    (
        '{"peach": "This sorting order", "péché": "is wrong according to French",'
        ' "pêche": "but canonicalization MUST", "sin": "ingnore locale"}'.encode(),
        '{"peach":"This sorting order","péché":"is wrong according to French",'
        '"pêche":"but canonicalization MUST","sin":"ingnore locale"}'.encode(),
    ),
    (
        b'    "this is a test string 1235"',
        bytes.fromhex(
            "22 74 68 69 73 20 69 73 20 61 20 74 65 73 74 20 73 74 72 69 6E 67 20 31 32 33 35 22"
        ),
    ),
]


def test_rfc_3_2_2_sample() -> None:
    assert canonicalize(parse_json(RFC_3_2_2_INPUT)) == RFC_3_2_2_OUTPUT


def test_rfc_3_2_3_sorting() -> None:
    out = canonicalize(parse_json(RFC_3_2_3_INPUT))
    assert list(json.loads(out).values()) == RFC_3_2_3_ORDER
    assert out.startswith(b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control"')


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_appendix_b_numbers(bits: str, expected: str) -> None:
    x = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert format_number(x) == expected
    assert canonicalize([x]) == f"[{expected}]".encode()


@pytest.mark.parametrize("bits", APPENDIX_B_INVALID)
def test_appendix_b_non_finite(bits: str) -> None:
    x = struct.unpack(">d", bytes.fromhex(bits))[0]
    with pytest.raises(CanonicalizationError):
        canonicalize(x)
    with pytest.raises(CanonicalizationError):
        canonicalize({"a": [-x]})


@pytest.mark.parametrize(("source", "expected"), CYBERPHONE)
def test_cyberphone_testdata(source: bytes, expected: bytes) -> None:
    assert canonicalize(parse_json(source)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e300, "1.5e+300"),
        (123.456, "123.456"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (56.0, "56"),
        (1e16, "10000000000000000"),
        (2.5e-5, "0.000025"),
        (1.25e-7, "1.25e-7"),
    ],
)
def test_es_number_forms(value: float, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    "bad",
    [
        2**53,
        -(2**53),
        10**30,
        {1: "x"},
        {None: 1},
        {("a",): 1},
        "\ud800",
        {"\udc00": 1},
        ["ok", "x\udbffy"],
        {1, 2},
        b"bytes",
        object(),
        float("nan"),
        float("-inf"),
    ],
)
def test_rejects(bad: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(bad)


def test_limits_inclusive() -> None:
    assert canonicalize([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"


def test_circular_and_deep() -> None:
    a: list[Any] = []
    a.append(a)
    with pytest.raises(CanonicalizationError):
        canonicalize(a)
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CanonicalizationError):
        canonicalize(deep)


def test_subclasses_and_tuples() -> None:
    class Color(IntEnum):
        RED = 1

    class S(str):
        pass

    class D(dict[str, Any]):
        pass

    value = D(b=(Color.RED, S("x")), a=[1.5])
    assert canonicalize(value) == b'{"a":[1.5],"b":[1,"x"]}'
    assert canonicalize({"k": (True, None)}) == b'{"k":[true,null]}'


def test_fast_path_guard_is_needed() -> None:
    # Code point order puts U+FB33 before U+1F600; UTF-16 order puts it after.
    value = {"\ufb33": 1, "\U0001f600": 2}
    assert _scan(value, 0) != 0
    assert _dumps_fast(value).encode() != _canonicalize_slow(value)
    assert canonicalize(value) == '{"\U0001f600":2,"\ufb33":1}'.encode()


def test_fast_path_escapes_and_depth_equal_the_slow_path() -> None:
    # Every ASCII control and a few characters JSON encoders are known to treat specially.
    chars = [chr(c) for c in range(0x80)] + ["\u2028", "\u2029", "\ufeff", "\uffff", "\U0001f600"]
    value = {f"k{c}" if c <= "\uffff" else "astral": [f"a{c}b", c] for c in chars}
    assert _scan(value, 0) == 0  # astral characters in values keep the fast path
    assert canonicalize(value) == _canonicalize_slow(value)
    # Deeper than orjson nests (254) but within the limit: the json.dumps fast path.
    deep: Any = {"x": 1}
    for _ in range(300):
        deep = [deep]
    assert canonicalize(deep) == _canonicalize_slow(deep)


# ---- property tests ------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12)
_key_text = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\ufb33", "\uffff", "\ue000", "\U0001f600", "\U00010000", "a", "\x7f"]),
    ),
    max_size=6,
)
_ints = st.integers(-(2**53 - 1), 2**53 - 1)
_floats = st.floats(allow_nan=False, allow_infinity=False)


def _reparseable(x: float) -> bool:
    """Integral doubles in [2**53, 1e21) print as integers that I-JSON rejects."""
    return not (x.is_integer() and 2**53 <= abs(x) < 1e21)


def _json(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=5) | st.dictionaries(_key_text, kids, max_size=5),
        max_leaves=25,
    )


_no_float_json = _json(st.none() | st.booleans() | _ints | _text)
_any_json = _json(st.none() | st.booleans() | _ints | _floats | _text)
_reparseable_json = _json(st.none() | st.booleans() | _ints | _floats.filter(_reparseable) | _text)


@given(_reparseable_json)
@settings(max_examples=300)
def test_roundtrip_idempotent(value: Any) -> None:
    once = canonicalize(value)
    assert canonicalize(parse_json(once)) == once


@given(_no_float_json)
@settings(max_examples=300)
def test_fast_path_equals_slow_path(value: Any) -> None:
    slow = _canonicalize_slow(value)
    assert canonicalize(value) == slow
    if _scan(value, 0) == 0:  # exactly when canonicalize() takes the fast path
        assert _dumps_fast(value).encode("utf-8") == slow


@given(_any_json)
@settings(max_examples=200)
def test_matches_json_semantics(value: Any) -> None:
    back = json.loads(canonicalize(value))

    def norm(v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)  # JSON numbers are doubles
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    assert norm(back) == norm(value)


@given(_floats)
def test_number_roundtrips(x: float) -> None:
    """ES formatting keeps the double exactly."""
    text = format_number(x)
    assert float(text) == x or (x == 0 and float(text) == 0)
    assert not math.isnan(float(text))


# ---- against an ECMAScript engine (the definition JCS builds on) -----------------

_JS = r"""
const c = v => v === null || typeof v !== 'object' ? JSON.stringify(v)
  : Array.isArray(v) ? '[' + v.map(c).join(',') + ']'
  : '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + c(v[k])).join(',') + '}';
let input = ''; process.stdin.on('data', d => input += d);
process.stdin.on('end', () => process.stdout.write(
  JSON.stringify(JSON.parse(input).map(c))));
"""


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_against_node() -> None:
    import random

    rng = random.Random(8785)
    values: list[Any] = []
    for _ in range(3000):
        x = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if math.isfinite(x):
            values.append(x)
    values += [rng.uniform(-1e6, 1e6) for _ in range(500)]
    values += [float(rng.randint(-(10**22), 10**22)) for _ in range(300)]
    values += [rng.random() * 10 ** rng.randint(-30, 30) for _ in range(500)]
    values.append({"\ufb33": 1, "\U0001f600": [0.1, 1e21, {"b": None, "a": "\u2028\x7f\x1f"}]})
    out = subprocess.run(
        ["node", "-e", _JS],
        input=json.dumps(values).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    expected = json.loads(out)
    for v, e in zip(values, expected, strict=True):
        assert canonicalize(v) == e.encode("utf-8"), v
