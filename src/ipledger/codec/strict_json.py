"""Strict JSON parsing (RFC 8259 + I-JSON, RFC 7493) with precise errors.

The fast path is ``json.loads`` with hooks that reject what I-JSON forbids.
Only when something is rejected does a small pure-Python scanner re-read the
text to find the JSON Pointer (RFC 6901) of the offending value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, NoReturn

from ipledger.codec.jcs import MAX_SAFE_INTEGER, _dumps_fast, canonicalize

__all__ = ["JsonError", "parse_canonical", "parse_json"]

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_WS = re.compile(r"[ \t\n\r]*")
_MAX_DEPTH = 300
_scanstring: Callable[[str, int, bool], tuple[str, int]]
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class JsonError(ValueError):
    """A JSON document was rejected.

    ``pointer`` is the RFC 6901 pointer of the offending value ("" = document),
    ``rule`` a short machine-readable id, ``detail`` a sentence for humans.
    """

    def __init__(self, rule: str, detail: str, pointer: str = "") -> None:
        super().__init__(f"{rule}: {detail}" + (f" (at {pointer!r})" if pointer else ""))
        self.rule = rule
        self.detail = detail
        self.pointer = pointer


class _RejectedError(Exception):
    """Internal: raised by the json.loads hooks; located later."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _RejectedError("duplicate-key", "duplicate object key")
    return d


def _parse_int(s: str) -> int:
    if len(s) > 17 or not -MAX_SAFE_INTEGER <= (v := int(s)) <= MAX_SAFE_INTEGER:
        raise _RejectedError("integer-range", f"integer {s[:40]} is outside +-(2**53-1)")
    return v


def _parse_float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise _RejectedError("number-range", f"number {s[:40]} does not fit a double")
    return v


def _no_float(s: str) -> float:
    raise _RejectedError("no-floats", f"number {s[:40]} has a fraction or exponent")


def _parse_constant(s: str) -> Any:
    raise _RejectedError("invalid-json", f"{s} is not JSON")


_loads_floats = json.JSONDecoder(
    object_pairs_hook=_pairs_hook,
    parse_float=_parse_float,
    parse_int=_parse_int,
    parse_constant=_parse_constant,
).decode
_loads_no_floats = json.JSONDecoder(
    object_pairs_hook=_pairs_hook,
    parse_float=_no_float,
    parse_int=_parse_int,
    parse_constant=_parse_constant,
).decode


def parse_json(data: bytes, *, allow_floats: bool = True) -> Any:
    """Parse strict I-JSON from UTF-8 bytes; raise JsonError on anything else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_json expects bytes")
    raw = bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        raise JsonError("invalid-json", "a byte order mark is not allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError("invalid-utf8", f"invalid UTF-8 at byte {exc.start}") from None
    try:
        value = (_loads_floats if allow_floats else _loads_no_floats)(text)
    except (_RejectedError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        _locate(text, allow_floats, exc)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        _locate(text, allow_floats, None)
    return value


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` strictly (no floats) and require it to be RFC 8785 canonical."""
    raw = bytes(data)
    value = parse_json(raw, allow_floats=False)
    if b"\\u" in raw or _FOUR_BYTE_UTF8.search(raw):
        canonical = canonicalize(value)
    else:
        # parse_json already guarantees ints in range, no floats, str keys and
        # no surrogates; with no supplementary-plane characters json.dumps is JCS.
        canonical = _dumps_fast(value).encode("utf-8")
    if canonical != raw:
        at = next(
            (i for i, (a, b) in enumerate(zip(canonical, raw, strict=False)) if a != b),
            min(len(canonical), len(raw)),
        )
        raise JsonError(
            "not-canonical", f"not RFC 8785 canonical JSON (first difference at byte {at})"
        )
    return value


def _has_lone_surrogate(v: Any) -> bool:
    if isinstance(v, str):
        return _LONE_SURROGATE.search(v) is not None
    if isinstance(v, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(x) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_lone_surrogate(x) for x in v)
    return False


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class _Locator:
    """Re-parse ``text`` in document order to find the first violation."""

    def __init__(self, text: str, allow_floats: bool) -> None:
        self.text = text
        self.allow_floats = allow_floats

    def fail(self, rule: str, detail: str, pointer: str, pos: int) -> NoReturn:
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        raise JsonError(rule, f"{detail} (line {line}, column {col})", pointer)

    def ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        assert m is not None
        return m.end()

    def document(self) -> None:
        i = self.value(self.ws(0), "", 0)
        i = self.ws(i)
        if i != len(self.text):
            self.fail("invalid-json", "unexpected data after the JSON value", "", i)

    def string(self, i: int, ptr: str) -> tuple[str, int]:
        try:
            s, end = _scanstring(self.text, i + 1, True)
        except json.JSONDecodeError as exc:
            self.fail("invalid-json", exc.msg, ptr, exc.pos)
        if _LONE_SURROGATE.search(s):
            self.fail("lone-surrogate", "string contains a lone surrogate escape", ptr, i)
        return s, end

    def value(self, i: int, ptr: str, depth: int) -> int:
        if depth > _MAX_DEPTH:
            self.fail("invalid-json", "nesting is too deep", ptr, i)
        text = self.text
        c = text[i : i + 1]
        if c == "{":
            return self.obj(i, ptr, depth)
        if c == "[":
            return self.arr(i, ptr, depth)
        if c == '"':
            return self.string(i, ptr)[1]
        for lit in ("true", "false", "null"):
            if text.startswith(lit, i):
                return i + len(lit)
        m = _NUMBER.match(text, i)
        if m is None or m.end() == i:
            word = re.match(r"-?[A-Za-z]+", text[i:])
            what = repr(word.group()) if word else repr(c) if c else "end of input"
            self.fail("invalid-json", f"expected a JSON value, found {what}", ptr, i)
        self.number(m, ptr)
        return m.end()

    def number(self, m: re.Match[str], ptr: str) -> None:
        s = m.group()
        try:
            if m.group(1) or m.group(2):
                if not self.allow_floats:
                    raise _RejectedError("no-floats", f"number {s[:40]} has a fraction or exponent")
                _parse_float(s)
            else:
                _parse_int(s)
        except _RejectedError as exc:
            self.fail(exc.rule, exc.detail, ptr, m.start())

    def obj(self, i: int, ptr: str, depth: int) -> int:
        seen: set[str] = set()
        i = self.ws(i + 1)
        if self.text.startswith("}", i):
            return i + 1
        while True:
            if not self.text.startswith('"', i):
                self.fail("invalid-json", "expected a double-quoted object key", ptr, i)
            key, i = self.string(i, ptr)
            child = f"{ptr}/{_escape(key)}"
            if key in seen:
                self.fail("duplicate-key", f"duplicate object key {key!r}", child, i)
            seen.add(key)
            i = self.ws(i)
            if not self.text.startswith(":", i):
                self.fail("invalid-json", "expected ':' after object key", child, i)
            i = self.value(self.ws(i + 1), child, depth + 1)
            i = self.ws(i)
            if self.text.startswith(",", i):
                i = self.ws(i + 1)
            elif self.text.startswith("}", i):
                return i + 1
            else:
                self.fail("invalid-json", "expected ',' or '}' in object", ptr, i)

    def arr(self, i: int, ptr: str, depth: int) -> int:
        i = self.ws(i + 1)
        if self.text.startswith("]", i):
            return i + 1
        n = 0
        while True:
            i = self.ws(self.value(i, f"{ptr}/{n}", depth + 1))
            n += 1
            if self.text.startswith(",", i):
                i = self.ws(i + 1)
            elif self.text.startswith("]", i):
                return i + 1
            else:
                self.fail("invalid-json", "expected ',' or ']' in array", ptr, i)


def _locate(text: str, allow_floats: bool, exc: BaseException | None) -> NoReturn:
    """Raise a JsonError with a pointer for a document the fast path rejected."""
    try:
        _Locator(text, allow_floats).document()
    except RecursionError:
        raise JsonError("invalid-json", "nesting is too deep") from None
    # The locator found nothing: report the fast path's own finding.
    if isinstance(exc, _RejectedError):
        raise JsonError(exc.rule, exc.detail) from None
    if isinstance(exc, json.JSONDecodeError):
        raise JsonError("invalid-json", str(exc)) from None
    raise JsonError("invalid-json", str(exc) if exc else "rejected") from None
