"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

Compatible with golang.org/x/mod/sumdb/note: same key strings, key IDs and
note format. Unlike x/mod, every signature line from a known key is verified,
so a bad duplicate cannot hide behind a good one.

Cosigners (C2SP tlog-cosignature v1, signature type 0x04) plug into the same
note functions: :class:`CosignatureSigner` and :class:`CosignatureVerifier`;
the bytes they sign are fixed by :mod:`ipledger.log.cosignature`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ipledger.codec import EncodingError, b64_decode, b64_encode, sha256
from ipledger.identity.ed25519 import SigningKey, verify_signature
from ipledger.log.cosignature import (
    Cosignature,
    CosignatureError,
    cosigner_key_id,
    cosigner_vkey,
    parse_cosigner_vkey,
    sign_cosignature,
    verify_cosignature,
)

__all__ = [
    "MAX_SIGNATURES",
    "CosignatureSigner",
    "CosignatureVerifier",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "add_signatures",
    "key_id",
    "note_signatures",
    "open_note",
    "sign_note",
]

MAX_SIGNATURES = 100
ALG_ED25519 = 0x01
_SIG_PREFIX = "— "  # em dash U+2014, space
_HEX8 = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class NoteError(ValueError):
    """A note or key string is malformed, or its signatures do not check out."""


def _valid_name(name: str) -> bool:
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() or unicodedata.category(c) in ("Zs", "Cc", "Cs") for c in name)
    )


def key_id(name: str, public_key: bytes) -> bytes:
    """Key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key)[:4]


def _check_text(text: str) -> None:
    if not text or not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text contains an ASCII control character other than newline")
    if _SURROGATE.search(text):
        raise NoteError("note text is not valid Unicode (lone surrogate)")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and raw signature."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """Return the signature line, ``— <name> <base64(key ID || signature)>\\n``."""
        return f"{_SIG_PREFIX}{self.name} {b64_encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures from known keys all verified."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


class NoteSigner:
    """Signs notes under a key name with an Ed25519 key."""

    def __init__(self, name: str, key: SigningKey) -> None:
        if not _valid_name(name):
            raise NoteError(f"invalid key name {name!r} (non-empty, no spaces or '+')")
        self.name = name
        self.key = key
        self.key_id = key_id(name, key.public_key)

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<keyid>+<base64(0x01 || seed)>``."""
        parts = skey.split("+", 3)
        if len(parts) != 4 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("signer key must start with PRIVATE+KEY+")
        name, raw = _parse_key_body(parts[2] + "+" + parts[3], "signer")
        signer = cls(name, SigningKey.from_seed(raw))
        if signer.key_id.hex() != parts[3].split("+", 1)[0]:
            raise NoteError("signer key ID does not match its key")
        return signer

    def signer_key(self) -> str:
        """Return the private signer key string (keep it secret)."""
        body = b64_encode(bytes([ALG_ED25519]) + self.key.seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{body}"

    def verifier_key(self) -> str:
        """Return the verifier key string ``<name>+<keyid>+<base64(0x01 || pk)>``."""
        body = b64_encode(bytes([ALG_ED25519]) + self.key.public_key)
        return f"{self.name}+{self.key_id.hex()}+{body}"

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier."""
        return NoteVerifier(self.name, self.key.public_key)

    def sign(self, text: str) -> NoteSignature:
        """Sign the note text (which must end with a newline)."""
        _check_text(text)
        return NoteSignature(self.name, self.key_id, self.key.sign(text.encode("utf-8")))


def _parse_key_body(s: str, what: str) -> tuple[str, bytes]:
    """Parse ``<name>+<8 hex>+<base64(0x01 || 32 bytes)>``; check nothing else."""
    parts = s.split("+", 2)  # base64 key material may itself contain "+"
    if len(parts) != 3:
        raise NoteError(f"{what} key must be <name>+<keyid>+<key>")
    name, hex8, b64 = parts
    if not _valid_name(name):
        raise NoteError(f"{what} key has an invalid name")
    if not _HEX8.fullmatch(hex8):
        raise NoteError(f"{what} key ID must be 8 lowercase hex digits")
    try:
        raw = b64_decode(b64)
    except EncodingError:
        raise NoteError(f"{what} key material is not valid base64") from None
    if not raw or raw[0] != ALG_ED25519:
        raise NoteError(f"{what} key uses an unknown signature algorithm")
    if len(raw) != 33:
        raise NoteError(f"{what} key has the wrong length for Ed25519")
    return name, raw[1:]


class NoteVerifier:
    """Verifies note signatures by one named Ed25519 key."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not _valid_name(name):
            raise NoteError(f"invalid key name {name!r} (non-empty, no spaces or '+')")
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key is exactly 32 bytes")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string strictly."""
        if not isinstance(vkey, str):
            raise NoteError("verifier key must be a string")
        name, pk = _parse_key_body(vkey, "verifier")
        v = cls(name, pk)
        if v.key_id.hex() != vkey.split("+", 2)[1]:
            raise NoteError("verifier key ID does not match its name and key")
        return v

    def verifier_key(self) -> str:
        """Return the verifier key string."""
        body = b64_encode(bytes([ALG_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{body}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check a raw Ed25519 signature over the note text bytes."""
        return verify_signature(self.public_key, message, signature)


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Return ``text`` signed by each signer, as a signed note."""
    _check_text(text)
    if not signers:
        raise NoteError("at least one signer is needed")
    return text + "\n" + "".join(s.sign(text).line() for s in signers)


def _split(note: str | bytes) -> tuple[str, list[str]]:
    """Split a note into its text and signature lines (syntax checks only)."""
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note: not valid UTF-8") from None
    if _CONTROL.search(note):
        raise NoteError("malformed note: ASCII control character other than newline")
    if _SURROGATE.search(note):
        raise NoteError("malformed note: lone surrogate")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, sigs = note[: split + 1], note[split + 2 :]
    if not sigs or not sigs.endswith("\n"):
        raise NoteError("malformed note: no signature lines, or no final newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, lines


def _parse_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError("malformed note: signature line must start with an em dash and space")
    name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if not _valid_name(name):
        raise NoteError("malformed note: invalid key name in signature line")
    try:
        raw = b64_decode(b64)
    except EncodingError:
        raise NoteError("malformed note: signature is not valid base64") from None
    if len(raw) < 5:
        raise NoteError("malformed note: signature too short")
    return NoteSignature(name, raw[:4], raw[4:])


def open_note(note: str | bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify it against the known keys.

    Signatures by unknown keys are returned unverified; a failing signature by
    a known key rejects the note, and so does having no verified signature.
    """
    text, lines = _split(note)
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for ver in verifiers:
        k = (ver.name, ver.key_id)
        if k in known and known[k].public_key != ver.public_key:
            raise NoteError(f"ambiguous key {ver.name}+{ver.key_id.hex()}")
        known[k] = ver
    message = text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: dict[NoteSignature, None] = {}
    for line in lines:
        sig = _parse_line(line)
        v = known.get((sig.name, sig.key_id))
        if v is None:
            unverified.setdefault(sig, None)
            continue
        if not v.verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}")
        verified.setdefault((sig.name, sig.key_id), sig)
    if not verified:
        raise NoteError("no signature from a known key")
    return OpenedNote(text, tuple(verified.values()), tuple(unverified))


def add_signatures(note: str, signers: Sequence[NoteSigner]) -> str:
    """Add signatures to a signed note, replacing earlier ones by the same keys.

    Existing signatures are kept as they are (not verified here).
    """
    text, lines = _split(note)
    mine = {(s.name, s.key_id) for s in signers}
    kept = []
    for line in lines:
        sig = _parse_line(line)
        if (sig.name, sig.key_id) not in mine:
            kept.append(line + "\n")
    new = [s.sign(text).line() for s in signers]
    if len(kept) + len(new) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(kept) + "".join(new)


def note_signatures(note: str | bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """A note's text and every signature line, parsed but not verified."""
    text, lines = _split(note)
    return text, tuple(_parse_line(line) for line in lines)


def posix_now() -> int:
    """The wall clock in whole POSIX seconds (a cosignature's timestamp)."""
    return int(time.time())


class CosignatureVerifier(NoteVerifier):
    """Verifies tlog-cosignature/v1 lines (type 0x04 key ID, timestamped signature).

    Works wherever a :class:`NoteVerifier` does, e.g. ``open_note(note, [log, witness])``.
    """

    def __init__(self, name: str, public_key: bytes) -> None:
        super().__init__(name, public_key)
        self.key_id = cosigner_key_id(name, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse a type-0x04 verifier key strictly."""
        if not isinstance(vkey, str):
            raise NoteError("verifier key must be a string")
        try:
            name, public_key = parse_cosigner_vkey(vkey)
        except CosignatureError as exc:
            raise NoteError(f"cosigner key: {exc}") from None
        return cls(name, public_key)

    def verifier_key(self) -> str:
        return cosigner_vkey(self.name, self.public_key)

    def cosignature(self, sig: NoteSignature) -> Cosignature:
        """``sig`` (one of this key's lines) read as a cosignature: its time and signature."""
        try:
            return Cosignature.from_note_signature(sig.name, sig.key_id, sig.signature)
        except CosignatureError as exc:
            raise NoteError(f"malformed cosignature: {exc}") from None

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check a timestamped signature over the note text ``message``."""
        try:
            cosig = Cosignature.from_note_signature(self.name, self.key_id, signature)
            text = message.decode("utf-8")
        except (CosignatureError, UnicodeDecodeError):
            return False
        return verify_cosignature(verify_signature, self.name, self.public_key, text, cosig)


class CosignatureSigner(NoteSigner):
    """Cosigns checkpoints (tlog-cosignature/v1) as of ``clock()`` POSIX seconds."""

    def __init__(self, name: str, key: SigningKey,
                 clock: Callable[[], int] = posix_now) -> None:
        super().__init__(name, key)
        self.key_id = cosigner_key_id(name, key.public_key)
        self.clock = clock

    def signer_key(self) -> str:
        raise NoteError("a cosigner's private key is kept as a key file, not a signer key")

    def verifier_key(self) -> str:
        return cosigner_vkey(self.name, self.key.public_key)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key.public_key)

    def sign(self, text: str) -> NoteSignature:
        """A cosignature line's signature over the checkpoint body ``text``, timed now."""
        _check_text(text)
        try:
            cosig = sign_cosignature(self.key, self.name, text, self.clock())
        except CosignatureError as exc:
            raise NoteError(str(exc)) from None
        return NoteSignature(self.name, self.key_id, cosig.timestamped_signature())
