"""C2SP signed notes, with the golang.org/x/mod/sumdb/note test vectors."""

from __future__ import annotations

import pytest

from ipledger.codec import b64_decode
from ipledger.identity import (
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    SigningKey,
    add_signatures,
    open_note,
    sign_note,
)

# From golang.org/x/mod sumdb/note/note_test.go.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"


def _sig(name: str, b64: str) -> NoteSignature:
    raw = b64_decode(b64)
    return NoteSignature(name, raw[:4], raw[4:])


PETER = _sig("PeterNeumann", PETER_B64)
ENOCH = _sig("EnochRoot", ENOCH_B64)


@pytest.fixture
def peter() -> NoteVerifier:
    return NoteVerifier.from_vkey(PETER_VKEY)


@pytest.fixture
def enoch() -> NoteVerifier:
    return NoteVerifier.from_vkey(ENOCH_VKEY)


def test_verifier_key_parse(peter: NoteVerifier) -> None:
    assert peter.name == "PeterNeumann"
    assert peter.key_id == bytes.fromhex("c74f20a3")
    assert peter.verifier_key() == PETER_VKEY


def test_signer_matches_go() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.verifier_key() == PETER_VKEY
    assert signer.signer_key() == PETER_SKEY
    assert sign_note(TEXT, [signer]) == TEXT + "\n" + PETER_SIG
    assert signer.sign(TEXT).line() == PETER_SIG


def _mangled(key: str) -> list[str]:
    b = key.encode()
    out = {
        b[i:j].decode("utf-8", "replace")
        for i in range(len(b) + 1)
        for j in range(i + 1, len(b) + 1)
    }
    out.discard(key)
    for i in range(len(b)):
        bb = bytearray(b)
        bb[i] = (bb[i] + 1) % 256
        out.add(bytes(bb).decode("utf-8", "replace"))
    return sorted(out)


def test_verifier_manglings_rejected() -> None:
    bad = [
        *_mangled(PETER_VKEY),
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]
    for k in bad:
        with pytest.raises(NoteError):
            NoteVerifier.from_vkey(k)


def test_signer_manglings_rejected() -> None:
    for k in _mangled(PETER_SKEY):
        with pytest.raises(NoteError):
            NoteSigner.from_skey(k)


def test_open_one_known(peter: NoteVerifier) -> None:
    n = open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter])
    assert n.text == TEXT
    assert n.verified == (PETER,)
    assert n.unverified == (ENOCH,)


def test_open_both_known(peter: NoteVerifier, enoch: NoteVerifier) -> None:
    n = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter, enoch])
    assert n.verified == (PETER, ENOCH)
    assert n.unverified == ()


def test_open_none_known() -> None:
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])


def test_duplicate_verifier_is_fine(peter: NoteVerifier, enoch: NoteVerifier) -> None:
    n = open_note(TEXT + "\n" + ENOCH_SIG, [enoch, peter, enoch])
    assert n.verified == (ENOCH,)


def test_too_many_signatures(peter: NoteVerifier) -> None:
    for known in ([peter], []):
        with pytest.raises(NoteError, match="more than 100"):
            open_note(TEXT + "\n" + PETER_SIG * 101, known)
    assert open_note(TEXT + "\n" + PETER_SIG * 100, [peter]).verified == (PETER,)


def test_invalid_signature_by_known_key(peter: NoteVerifier) -> None:
    raw = PETER_SIG.encode()
    broken = (raw[:60] + b"ABCD" + raw[60:]).decode()
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(TEXT + "\n" + broken, [peter])


def test_duplicates(peter: NoteVerifier) -> None:
    raw = ENOCH_SIG.encode()
    enoch_abcd = (raw[:60] + b"ABCD" + raw[60:]).decode()
    n = open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd, [peter])
    assert n.verified == (PETER,)
    expected_abcd = _sig(
        "EnochRoot",
        "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n"
        + "ABCD"
        + "2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=",
    )
    assert n.unverified == (ENOCH, expected_abcd)


@pytest.mark.parametrize(
    "msg",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT + "\n" + f"— Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # beyond x/mod's list:
        TEXT + "\n" + f"— Bad Name {PETER_B64}\n",
        TEXT + "\n" + f"— Peter+Neumann {PETER_B64}\n",
        TEXT + "\n" + "— PeterNeumann\n",
        TEXT + "\n" + "— PeterNeumann AAAA\n",
        TEXT + "\n" + f"- PeterNeumann {PETER_B64}\n",
        TEXT + "\n" + f"— PeterNeumann {PETER_B64[:-1]}\n",
        TEXT + "\n" + PETER_SIG + "\n",
        TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG,
        "\t" + TEXT + "\n" + PETER_SIG,
        "\ud800" + TEXT + "\n" + PETER_SIG,
    ],
)
def test_malformed(peter: NoteVerifier, msg: str | bytes) -> None:
    with pytest.raises(NoteError):
        open_note(msg, [peter])


def test_mismatched_name_or_id_is_unknown(peter: NoteVerifier) -> None:
    misnamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    wrong_id = PETER_SIG.replace("x08g", "xxxx")
    for sig in (misnamed, wrong_id):
        with pytest.raises(NoteError, match="no signature from a known key"):
            open_note(TEXT + "\n" + sig, [peter])


def test_sign_open_add() -> None:
    a = NoteSigner("example.org/a", SigningKey.from_seed(b"\1" * 32))
    b = NoteSigner("example.org/b", SigningKey.from_seed(b"\2" * 32))
    text = "line one\n\nline three\n"
    note = sign_note(text, [a])
    opened = open_note(note, [a.verifier(), b.verifier()])
    assert opened.text == text
    assert [s.name for s in opened.verified] == ["example.org/a"]
    both = add_signatures(note, [b])
    opened = open_note(both, [a.verifier(), b.verifier()])
    assert [s.name for s in opened.verified] == ["example.org/a", "example.org/b"]
    again = add_signatures(both, [a])  # replaces a's old line, keeps b's
    assert again.count("— example.org/a ") == 1
    assert open_note(again, [b.verifier()]).text == text
    assert NoteVerifier.from_vkey(a.verifier_key()).verifier_key() == a.verifier_key()


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\udc00\n"])
def test_sign_rejects_bad_text(text: str) -> None:
    signer = NoteSigner("n", SigningKey.from_seed(b"\3" * 32))
    with pytest.raises(NoteError):
        sign_note(text, [signer])


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u2003b", "tab\t", "a\x01"])
def test_bad_names(name: str) -> None:
    with pytest.raises(NoteError):
        NoteSigner(name, SigningKey.from_seed(b"\3" * 32))


def test_verifier_key_whose_base64_contains_plus_parses() -> None:
    # Regression: the key material's base64 may contain '+', the field separator.
    vkey = "example.org/smoke+f50cbf8f+AWgGDY+HOLYCEp7GfkxycsLAq0ebpIYAxOAkdRRSRyPA"
    v = NoteVerifier.from_vkey(vkey)
    assert v.name == "example.org/smoke"
    assert v.verifier_key() == vkey
