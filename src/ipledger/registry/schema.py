"""Declarative checks for entry bodies: each failure names the JSON Pointer and the rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.ledger import Rejection
from ipledger.standards.errors import StandardsError
from ipledger.standards.st3 import validate_st3

Check = Callable[[Any, str], None]


@dataclass(frozen=True)
class Field:
    """One member of a JSON object: its JSON type, whether required, an extra check."""

    kind: type | tuple[type, ...]
    required: bool = True
    check: Check | None = None


def check_object(value: object, fields: Mapping[str, Field], pointer: str) -> dict[str, Any]:
    """Require ``value`` to be an object with exactly the declared members."""
    if not isinstance(value, dict):
        raise Rejection("wrong-type", "must be a JSON object", pointer)
    for name in value:
        if name not in fields:
            raise Rejection("unknown-field", f"'{name}' is not a field here", f"{pointer}/{name}")
    for name, spec in fields.items():
        where = f"{pointer}/{name}"
        if name not in value:
            if spec.required:
                raise Rejection("missing-field", f"'{name}' is required", where)
            continue
        item = value[name]
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        # bool is an int in Python; JSON keeps them apart.
        if not isinstance(item, kinds) or (isinstance(item, bool) and bool not in kinds):
            names = " or ".join(_json_name(k) for k in kinds)
            raise Rejection("wrong-type", f"'{name}' must be {names}", where)
        if spec.check is not None:
            spec.check(item, where)
    return value


_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}


def json_schema(fields: Mapping[str, Field]) -> dict[str, Any]:
    """A JSON Schema (2020-12 subset) of an object with these fields, for OpenAPI."""
    properties: dict[str, Any] = {}
    for name, spec in fields.items():
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        types = [_JSON_TYPES[k] for k in kinds if k in _JSON_TYPES]
        properties[name] = {"type": types[0] if len(types) == 1 else types}
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": [n for n, f in fields.items() if f.required]}


def _json_name(kind: type) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", list: "a list",
            dict: "an object"}.get(kind, kind.__name__)


def text(max_len: int = 500) -> Check:
    def check(value: str, pointer: str) -> None:
        if not value.strip() or len(value) > max_len:
            raise Rejection("invalid-value", f"must be 1-{max_len} characters", pointer)
    return check


def pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: str, pointer: str) -> None:
        if not compiled.fullmatch(value):
            raise Rejection("invalid-value", f"must be {what}", pointer)
    return check


def one_of(*choices: str) -> Check:
    def check(value: str, pointer: str) -> None:
        if value not in choices:
            raise Rejection("invalid-value", f"must be one of: {', '.join(choices)}", pointer)
    return check


def standard(validate: Callable[[Any, str], object]) -> Check:
    """Adapt a ``standards`` validator (raising StandardsError) to a schema check."""
    def check(value: Any, pointer: str) -> None:
        try:
            validate(value, pointer)
        except StandardsError as exc:
            raise Rejection(exc.rule, exc.detail, exc.pointer or pointer, status=422) from None
    return check


def st3_codes(max_items: int) -> Check:
    """A list of 1..``max_items`` distinct WIPO ST.3 codes (a territory, offices)."""
    valid = standard(validate_st3)

    def check(value: list[Any], pointer: str) -> None:
        if not 1 <= len(value) <= max_items:
            raise Rejection("invalid-value", f"must list 1-{max_items} ST.3 codes", pointer)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise Rejection("wrong-type", "an ST.3 code must be a string", f"{pointer}/{i}")
            valid(item, f"{pointer}/{i}")
        if len(set(value)) != len(value):
            raise Rejection("invalid-value", "codes must not repeat", pointer)
    return check
