"""RFC 8785 JSON Canonicalization Scheme (JCS).

Fast path: when a value holds no floats and no object key contains a character
outside the Basic Multilingual Plane, ``orjson.dumps(OPT_SORT_KEYS)`` (or, for values
nested deeper than orjson goes, ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``) produces exactly the JCS text:

* its string escaping is JCS's (``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``,
  other controls as lowercase ``\\u00xx``, everything else literal);
* integers within +-(2**53-1) print identically in Python and ECMAScript;
* without supplementary-plane characters, sorting by code point (orjson: by UTF-8
  bytes, the same order) equals sorting by UTF-16 code unit.

Everything else takes the slow path, which formats floats as ECMAScript's
Number::toString does and sorts keys by UTF-16 code units. Tests check both
paths agree (tests/codec/test_codec_jcs.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["MAX_SAFE_INTEGER", "CanonicalizationError", "canonicalize", "format_number"]

MAX_SAFE_INTEGER = 2**53 - 1

_FLOAT = 1  # a float occurs somewhere
_ASTRAL_KEY = 2  # some key has a character above U+FFFF

_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_MAX_DEPTH = 500


def _make_fast_dumps() -> Callable[[object], str]:
    """json.dumps(sort_keys, compact, ensure_ascii=False), minus per-call setup."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is not None:
        try:
            enc = make(None, None, _encode_str, None, ":", ",", True, False, False)
            if "".join(enc({"b": [1, "\u00e9"], "a": None}, 0)) == '{"a":null,"b":[1,"\u00e9"]}':
                return lambda v: "".join(enc(v, 0))
        except TypeError:  # pragma: no cover - a CPython with another signature
            pass
    return json.JSONEncoder(  # pragma: no cover - pure-Python json
        ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    ).encode


_dumps_fast = _make_fast_dumps()


class CanonicalizationError(ValueError):
    """The value cannot be expressed as RFC 8785 canonical JSON."""


def canonicalize(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``value``."""
    try:
        if _scan(value, 0) == 0:
            try:
                return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
            except orjson.JSONEncodeError:  # a lone surrogate, or nested deeper than orjson
                return _dumps_fast(value).encode("utf-8")
        return "".join(_emit(value, [])).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("string contains a lone surrogate") from None
    except RecursionError:
        raise CanonicalizationError("value is nested too deeply (or is circular)") from None


def _canonicalize_slow(value: object) -> bytes:
    """Canonicalize without the json.dumps fast path (for tests)."""
    try:
        _scan(value, 0)
        return "".join(_emit(value, [])).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("string contains a lone surrogate") from None


def _check_int(v: int) -> None:
    if not -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
        raise CanonicalizationError(f"integer {v} is outside +-(2**53-1) (I-JSON)")


def _check_key(k: object) -> int:
    if type(k) is not str and not isinstance(k, str):
        raise CanonicalizationError(f"object key {k!r} is not a string")
    if k.isascii():
        return 0
    if max(k) > "\uffff":
        return _ASTRAL_KEY
    return 0


def _scan(v: object, depth: int) -> int:
    """Validate ``v`` recursively and return the fast-path flags it needs."""
    if depth > _MAX_DEPTH:
        raise RecursionError
    t = type(v)
    flags = 0
    if t is dict:
        for k, x in v.items():  # type: ignore[attr-defined]
            if type(k) is not str or not k.isascii():
                flags |= _check_key(k)
            tx = type(x)
            if tx is str or x is None or tx is bool:
                continue
            if tx is int:
                if -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
                    continue
                _check_int(x)
            flags |= _scan(x, depth + 1)
        return flags
    if t is list or t is tuple:
        for x in v:  # type: ignore[attr-defined]
            tx = type(x)
            if tx is str or x is None or tx is bool:
                continue
            if tx is int:
                if -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
                    continue
                _check_int(x)
            flags |= _scan(x, depth + 1)
        return flags
    if t is str or t is bool or v is None:
        return 0
    if t is int:
        _check_int(v)  # type: ignore[arg-type]
        return 0
    if t is float:
        if not math.isfinite(v):  # type: ignore[arg-type]
            raise CanonicalizationError(f"{v!r} is not a JSON number")
        return _FLOAT
    return _scan_subclass(v, depth)


def _scan_subclass(v: object, depth: int) -> int:
    if isinstance(v, bool | str):
        return 0
    if isinstance(v, int):
        _check_int(v)
        return 0
    if isinstance(v, float):
        return _scan(float(v), depth)
    if isinstance(v, dict):
        return _scan(dict(v), depth)
    if isinstance(v, list | tuple):
        return _scan(list(v), depth)
    raise CanonicalizationError(f"type {type(v).__name__} is not JSON-serializable")


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16-be")


def _emit(v: object, out: list[str]) -> list[str]:
    """Append the canonical text of an already-scanned value to ``out``."""
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_encode_str(v))
    elif isinstance(v, int):
        out.append(int.__repr__(v))
    elif isinstance(v, float):
        out.append(format_number(v))
    elif isinstance(v, dict):
        out.append("{")
        first = True
        for k, x in sorted(v.items(), key=_utf16_key):
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(k))
            out.append(":")
            _emit(x, out)
        out.append("}")
    else:
        assert isinstance(v, list | tuple)
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _emit(x, out)
        out.append("]")
    return out


def format_number(x: float) -> str:
    """Format a finite double as ECMAScript's Number::toString (RFC 8785 3.2.2.3)."""
    if not math.isfinite(x):
        raise CanonicalizationError(f"{x!r} is not a JSON number")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + format_number(-x)
    # repr() gives the shortest digit string that round-trips (closest on ties),
    # which is the digit string ECMAScript selects.
    mantissa, _, exp_text = float.__repr__(x).partition("e")
    int_part, _, frac = mantissa.partition(".")
    digits = (int_part + frac).lstrip("0")
    stripped = digits.rstrip("0")
    exp10 = (int(exp_text) if exp_text else 0) - len(frac) + (len(digits) - len(stripped))
    digits = stripped
    k = len(digits)
    n = k + exp10  # value = 0.digits * 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(e)}"
