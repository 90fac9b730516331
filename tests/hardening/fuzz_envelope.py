"""Coverage-guided fuzzing (atheris, libFuzzer) of the ledger's front door.

Every input goes through ``Validator.validate``, exactly what a submitted entry meets.
Half the inputs are raw bytes (the strict JSON parser, canonical form, envelope shape);
the other half are well-formed, signed envelopes of a random entry type whose body is the
documented example mutated under the fuzzer's control (wrong types, missing and unknown
fields, huge numbers, odd strings, deep nesting), so that every body schema is exercised
past the parser. The only acceptable outcomes are a ``ValidatedEntry`` or a ``Rejection``;
anything else is a crash, and libFuzzer stops with the input that caused it.

    python tests/hardening/fuzz_envelope.py -runs=1000000 -seed=1 [corpus_dir]
"""

from __future__ import annotations

import sys
from typing import Any

import atheris

with atheris.instrument_imports():
    from ipledger.codec import canonicalize
    from ipledger.codec.jcs import CanonicalizationError
    from ipledger.identity import SigningKey
    from ipledger.ledger import Rejection, make_envelope
    from ipledger.ledger.validation import Validator
    from ipledger.node import entry_types
    from ipledger.registry.engine import RULES

ORIGIN = "fuzz.ipledger.localhost/log"
KEY = SigningKey.from_seed(b"\x05" * 32)
TYPES = entry_types()
VALIDATOR = Validator(ORIGIN, TYPES)
EXAMPLES: list[tuple[str, dict[str, Any]]] = sorted(
    (name, dict(rule.example)) for name, rule in RULES.items() if rule.example)
EXAMPLES.append(("evidence.stamp", {"sha256": "ab" * 32, "media_type": "text/plain"}))
ODD = ["", " ", "\u0000", "\ud800x", "\U0001f600", "a" * 5000, "0", "-1", "1e9", "null",
       "../../etc/passwd", "<x/>", "ZZ", "EM", "did:key:z6Mk", "P" + "0" * 20]


def mutate(value: Any, fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    """A random variation of a JSON value, steered by the fuzzer's bytes."""
    choice = fdp.ConsumeIntInRange(0, 12)
    if choice == 0:
        return fdp.PickValueInList([None, True, False, 0, -1, 2**53, -(2**53) + 1, 2**63])
    if choice == 1:
        return fdp.PickValueInList(ODD)
    if choice == 2:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
    if choice == 3:
        return [value] * fdp.ConsumeIntInRange(0, 3)
    if choice == 4 and depth < 60:
        return {"x": mutate(value, fdp, depth + 1)}
    if choice == 5:
        return fdp.ConsumeInt(8)
    if isinstance(value, dict) and value:
        keys = sorted(value)
        key = fdp.PickValueInList(keys)
        out = dict(value)
        action = fdp.ConsumeIntInRange(0, 3)
        if action == 0:
            del out[key]
        elif action == 1:
            out[fdp.ConsumeUnicodeNoSurrogates(12)] = mutate(value[key], fdp, depth + 1)
        else:
            out[key] = mutate(value[key], fdp, depth + 1)
        return out
    if isinstance(value, list) and value:
        i = fdp.ConsumeIntInRange(0, len(value) - 1)
        return [*value[:i], mutate(value[i], fdp, depth + 1), *value[i + 1:]]
    return value


def structured(fdp: atheris.FuzzedDataProvider,
               created_ms: int | None = 1_790_000_000_000) -> bytes | None:
    entry_type, body = fdp.PickValueInList(EXAMPLES)
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        body = mutate(body, fdp)
    if not isinstance(body, dict):
        body = {"body": body}
    try:
        env = make_envelope(KEY, ORIGIN, entry_type, body, created_ms=created_ms,
                            nonce=f"fuzz-nonce-{fdp.ConsumeIntInRange(0, 10**6):07d}")
        if fdp.ConsumeBool():  # break the envelope around a valid body too
            env = mutate(env, fdp)
        return canonicalize(env)
    except CanonicalizationError:
        return None  # not JSON at all (e.g. a lone surrogate): nothing a client could send


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    raw = structured(fdp) if fdp.ConsumeBool() else fdp.ConsumeBytes(len(data))
    if raw is None:
        return
    try:
        VALIDATOR.validate(raw)
    except Rejection as exc:
        if not (exc.rule and isinstance(exc.detail, str)):
            raise AssertionError(f"a rejection without a rule or detail: {exc!r}") from None


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
