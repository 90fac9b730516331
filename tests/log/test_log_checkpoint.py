"""C2SP tlog-checkpoint note bodies."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.log import Checkpoint, CheckpointError

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()

# The body of the example in c2sp.org/tlog-checkpoint.
SPEC_EXAMPLE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def test_spec_example() -> None:
    cp = Checkpoint.parse(SPEC_EXAMPLE)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.tree_size == 20852163
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert cp.to_text() == SPEC_EXAMPLE


def test_to_text_layout() -> None:
    cp = Checkpoint("example.org/log", 0, ROOT, ("ext one", "ext-two"))
    assert cp.to_text() == f"example.org/log\n0\n{ROOT_B64}\next one\next-two\n"
    assert Checkpoint.parse(cp.to_text()) == cp


@settings(max_examples=100, deadline=None)
@given(
    st.text(st.characters(min_codepoint=0x20, exclude_characters="\x7f"), min_size=1, max_size=40),
    st.integers(0, 2**64 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1), max_size=3
    ),
)
def test_round_trip(origin: str, size: int, root: bytes, exts: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(exts))
    assert Checkpoint.parse(cp.to_text()) == cp


BAD = [
    ("", "newline"),
    ("\n", "origin"),
    (f"origin\n5\n{ROOT_B64}", "newline"),
    (f"\n5\n{ROOT_B64}\n", "origin is empty"),
    (f"origin\n{ROOT_B64}\n", "needs origin"),
    ("origin\n5\n", "needs origin"),
    (f"origin\n05\n{ROOT_B64}\n", "leading zeros"),
    (f"origin\n00\n{ROOT_B64}\n", "leading zeros"),
    (f"origin\n-1\n{ROOT_B64}\n", "tree size"),
    (f"origin\n+5\n{ROOT_B64}\n", "tree size"),
    (f"origin\n 5\n{ROOT_B64}\n", "tree size"),
    (f"origin\n5 \n{ROOT_B64}\n", "tree size"),
    (f"origin\n1_000\n{ROOT_B64}\n", "tree size"),
    (f"origin\n0x10\n{ROOT_B64}\n", "tree size"),
    (f"origin\n\u0665\n{ROOT_B64}\n", "tree size"),  # ARABIC-INDIC DIGIT FIVE
    (f"origin\n\n{ROOT_B64}\n", "tree size"),
    (f"origin\n{2**64}\n{ROOT_B64}\n", "2\\*\\*64"),
    ("origin\n5\n!!!!\n", "base64"),
    (f"origin\n5\n{ROOT_B64[:-1]}\n", "base64"),  # missing padding
    (f"origin\n5\n{ROOT_B64.replace('+', '-').replace('/', '_')}x\n", "base64"),
    (f"origin\n5\n {ROOT_B64}\n", "base64"),
    (f"origin\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes"),
    (f"origin\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", "33 bytes"),
    (f"origin\n5\n{ROOT_B64}\n\n", "extension line 1 is empty"),
    (f"origin\n5\n{ROOT_B64}\next\n\n", "extension line 2 is empty"),
    (f"origin\n5\n{ROOT_B64}\n\next\n", "extension line 1 is empty"),
    (f"origin\r\n5\n{ROOT_B64}\n", "control"),
    (f"origin\n5\r\n{ROOT_B64}\n", "tree size"),
    (f"origin\n5\n{ROOT_B64}\r\n", "base64"),
    (f"origin\n5\n{ROOT_B64}\next\tab\n", "control"),
]


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_parse_rejects(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.parse(text)


def test_parse_rejects_non_canonical_base64() -> None:
    # Same 32 bytes, but the unused low bits of the last character are set.
    last = ROOT_B64[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = alphabet[alphabet.index(last) | 1]
    assert twin != last
    text = f"origin\n5\n{ROOT_B64[:-2]}{twin}=\n"
    with pytest.raises(CheckpointError, match="canonical"):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "exts"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        ("o", -1, ROOT, ()),
        ("o", 2**64, ROOT, ()),
        ("o", True, ROOT, ()),
        ("o", 1, ROOT[:31], ()),
        ("o", 1, ROOT, ("",)),
        ("o", 1, ROOT, ("a\nb",)),
    ],
)
def test_constructor_refuses_unwritable_values(
    origin: str, size: int, root: bytes, exts: tuple[str, ...]
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root, exts)


def test_errors_are_value_errors() -> None:
    assert issubclass(CheckpointError, ValueError)
