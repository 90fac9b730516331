"""C2SP tlog-cosignature v1 (Ed25519, type 0x04), byte for byte.

No independent cosignature implementation is packaged offline (Debian's golang x/mod
note has only type 0x01 keys; sigsum/torchwood are not packaged), so the vectors
come from the spec text itself: its example signed message and its example
cosignature line, whose timestamp must be the example message's ``time`` line. The
Ed25519 signature over our message is checked with an independent Ed25519 library
(``cryptography``/OpenSSL, not libsodium), the key ID with hashlib from the formula.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ipledger.identity import (
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    NoteSigner,
    NoteVerifier,
    SigningKey,
    add_signatures,
    note_signatures,
    open_note,
    sign_note,
)
from ipledger.log.cosignature import (
    COSIGNATURE_SIZE,
    MAX_TIMESTAMP,
    Cosignature,
    CosignatureError,
    cosigner_key_id,
    cosigner_vkey,
    parse_cosigner_vkey,
    sign_cosignature,
    signed_message,
)

# The spec's example checkpoint body and the message it shows a cosigner signing.
SPEC_BODY = ("example.com/behind-the-sofa\n20852163\n"
             "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
SPEC_MESSAGE = ("cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
                "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
# The spec's example cosignature line on that checkpoint.
SPEC_LINE = ("— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9"
             "dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")
SPEC_NOTE = (SPEC_BODY + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJ"
             "urmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n" + SPEC_LINE)

KEY = SigningKey.from_seed(bytes(range(32)))
NAME = "witness.example/w1"


def test_signed_message_is_the_specs_example_byte_for_byte() -> None:
    assert signed_message(SPEC_BODY, 1679315147) == SPEC_MESSAGE.encode()


def test_the_specs_example_line_parses_as_a_cosignature() -> None:
    text, sigs = note_signatures(SPEC_NOTE)
    assert text == SPEC_BODY
    cosig = Cosignature.from_note_signature(sigs[1].name, sigs[1].key_id, sigs[1].signature)
    assert cosig.name == "witness.example.com/w1"
    assert cosig.key_id.hex() == "8d66cf3f"
    assert cosig.timestamp == 1679315147  # the "time" line of the spec's example message
    assert len(cosig.signature) == 64
    payload = base64.b64decode(SPEC_LINE.split()[-1])
    assert len(payload) == COSIGNATURE_SIZE == 76
    assert Cosignature.from_payload(cosig.name, payload) == cosig
    assert cosig.payload() == payload


def test_key_id_is_sha256_of_name_newline_0x04_key() -> None:
    expected = hashlib.sha256(NAME.encode() + b"\n\x04" + KEY.public_key).digest()[:4]
    assert cosigner_key_id(NAME, KEY.public_key) == expected
    # A log (type 0x01) key ID of the same name and key differs: the two never collide.
    assert NoteSigner(NAME, KEY).key_id != expected


def test_vkey_round_trip_and_strictness() -> None:
    vkey = cosigner_vkey(NAME, KEY.public_key)
    name, hex8, b64 = vkey.split("+", 2)
    assert (name, hex8) == (NAME, cosigner_key_id(NAME, KEY.public_key).hex())
    assert base64.b64decode(b64) == b"\x04" + KEY.public_key
    assert parse_cosigner_vkey(vkey) == (NAME, KEY.public_key)
    log_vkey = NoteSigner(NAME, KEY).verifier_key()  # type 0x01
    bad_id = f"{NAME}+00000000+{b64}"
    for wrong in (log_vkey, bad_id, f"{NAME}+{hex8}", f"a b+{hex8}+{b64}", f"{NAME}+{hex8}+!!"):
        with pytest.raises(CosignatureError):
            parse_cosigner_vkey(wrong)
    with pytest.raises(NoteError):
        CosignatureVerifier.from_vkey(log_vkey)
    assert CosignatureVerifier.from_vkey(vkey).verifier_key() == vkey


def test_signature_verifies_with_an_independent_ed25519() -> None:
    cosig = sign_cosignature(KEY, NAME, SPEC_BODY, 1679315147)
    Ed25519PublicKey.from_public_bytes(KEY.public_key).verify(cosig.signature,
                                                              SPEC_MESSAGE.encode())
    # Ed25519 is deterministic: the same inputs, the same 76 payload bytes.
    assert sign_cosignature(KEY, NAME, SPEC_BODY, 1679315147).payload() == cosig.payload()
    assert cosig.payload()[4:12] == (1679315147).to_bytes(8, "big")


def test_timestamp_bounds() -> None:
    assert sign_cosignature(KEY, NAME, SPEC_BODY, MAX_TIMESTAMP).timestamp == 2**63 - 1
    for bad in (-1, 2**63, True):
        with pytest.raises(CosignatureError):
            signed_message(SPEC_BODY, bad)
    with pytest.raises(CosignatureError):
        Cosignature.from_payload(NAME, b"\0" * 4 + (2**63).to_bytes(8, "big") + b"\0" * 64)
    with pytest.raises(CosignatureError):
        Cosignature.from_payload(NAME, b"\0" * 75)


def _cosigned(clock: int = 1700000000) -> tuple[str, NoteSigner, CosignatureSigner]:
    log = NoteSigner("example.com/behind-the-sofa", SigningKey.from_seed(b"\1" * 32))
    witness = CosignatureSigner(NAME, KEY, clock=lambda: clock)
    return add_signatures(sign_note(SPEC_BODY, [log]), [witness]), log, witness


def test_cosigned_note_opens_with_log_and_witness_keys() -> None:
    note, log, witness = _cosigned()
    opened = open_note(note, [log.verifier(), witness.verifier()])
    assert [s.name for s in opened.verified] == ["example.com/behind-the-sofa", NAME]
    cosig = witness.verifier().cosignature(opened.verified[1])
    assert cosig.timestamp == 1700000000
    # A client that knows only the log key still accepts it (the cosignature is unknown).
    assert len(open_note(note, [log.verifier()]).unverified) == 1
    # A 0x01 verifier of the witness's key does not match the 0x04 line at all.
    assert len(open_note(note, [log.verifier(), NoteVerifier(NAME, KEY.public_key)])
               .unverified) == 1


def test_tampered_timestamp_or_body_fails() -> None:
    note, _log, witness = _cosigned()
    text, sigs = note_signatures(note)
    line = sigs[1]
    forged = line.signature[:7] + bytes([line.signature[7] ^ 1]) + line.signature[8:]
    forged_note = text + "\n" + sigs[0].line() + type(line)(line.name, line.key_id, forged).line()
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(forged_note, [witness.verifier()])
    other_body = note.replace("20852163", "20852164", 1)
    with pytest.raises(NoteError):
        open_note(other_body, [witness.verifier()])
    short = text + "\n" + type(line)(line.name, line.key_id, line.signature[8:]).line()
    with pytest.raises(NoteError):
        open_note(short, [witness.verifier()])
