"""Ed25519 key files: PKCS#8 (RFC 8410) private keys, SPKI public keys, PEM.

Private keys are written atomically with mode 0600 and refused on read when
group or others can read them.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ipledger.codec import EncodingError, b64_decode, b64_encode
from ipledger.identity.ed25519 import SigningKey

__all__ = [
    "KeyFileError",
    "private_key_pem",
    "public_key_pem",
    "read_private_key",
    "read_public_key",
    "write_private_key",
    "write_public_key",
]

# OneAsymmetricKey v0 { version 0, AlgorithmIdentifier id-Ed25519, OCTET STRING { seed } }
_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
# SubjectPublicKeyInfo { AlgorithmIdentifier id-Ed25519, BIT STRING key }
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_PEM = re.compile(
    r"-----BEGIN (?P<label>[A-Z ]+)-----\r?\n(?P<body>(?:[A-Za-z0-9+/=]+\r?\n)+)"
    r"-----END (?P=label)-----\r?\n?"
)

PathLike = str | os.PathLike[str]


class KeyFileError(ValueError):
    """A key file is missing, malformed, or not safely protected."""


def _pem(label: str, der: bytes) -> str:
    b64 = b64_encode(der)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _unpem(text: str, label: str, where: str) -> bytes:
    m = _PEM.fullmatch(text.strip() + "\n")
    if m is None or m["label"] != label:
        raise KeyFileError(f"{where}: not a single PEM '{label}' block")
    try:
        return b64_decode("".join(m["body"].split()))
    except EncodingError as exc:
        raise KeyFileError(f"{where}: bad base64 in PEM body ({exc})") from None


def private_key_pem(key: SigningKey) -> str:
    """Return the PKCS#8 PEM text of ``key``."""
    return _pem("PRIVATE KEY", _PKCS8_PREFIX + key.seed)


def public_key_pem(public_key: bytes) -> str:
    """Return the SPKI PEM text of a 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key is exactly 32 bytes")
    return _pem("PUBLIC KEY", _SPKI_PREFIX + bytes(public_key))


def write_file_atomic(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    """Write ``data`` to ``path`` with ``mode`` in one step (a temporary file, fsync'd, then
    renamed), refusing an existing file unless ``overwrite``."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True)
        os.chmod(parent, 0o700)
    tmp = parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        try:
            os.fchmod(fd, mode)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise KeyFileError(f"{path} already exists (refusing to overwrite)") from None
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_private_key(path: PathLike, key: SigningKey, *, overwrite: bool = False) -> None:
    """Write ``key`` as PKCS#8 PEM, atomically, mode 0600."""
    write_file_atomic(Path(path), private_key_pem(key).encode("ascii"), 0o600, overwrite)


def write_public_key(path: PathLike, public_key: bytes, *, overwrite: bool = False) -> None:
    """Write a public key as SPKI PEM, atomically, mode 0644."""
    write_file_atomic(Path(path), public_key_pem(public_key).encode("ascii"), 0o644, overwrite)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read key file ({exc.strerror})") from None
    if len(data) > 16384:
        raise KeyFileError(f"{path}: too large to be an Ed25519 key file")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path}: not a PEM text file") from None


def read_private_key(path: PathLike) -> SigningKey:
    """Read a PKCS#8 PEM Ed25519 private key, refusing group/other-readable files."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise KeyFileError(f"{p}: cannot read key file ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeyFileError(f"{p}: not a regular file")
    if st.st_mode & 0o077:
        raise KeyFileError(
            f"{p}: private key is accessible by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {p}"
        )
    der = _unpem(_read_text(p), "PRIVATE KEY", str(p))
    if len(der) != 48 or not der.startswith(_PKCS8_PREFIX):
        raise KeyFileError(f"{p}: not an Ed25519 PKCS#8 (RFC 8410) private key")
    return SigningKey.from_seed(der[16:])


def read_public_key(path: PathLike) -> bytes:
    """Read an SPKI PEM Ed25519 public key; return its 32 bytes."""
    p = Path(path)
    der = _unpem(_read_text(p), "PUBLIC KEY", str(p))
    if len(der) != 44 or not der.startswith(_SPKI_PREFIX):
        raise KeyFileError(f"{p}: not an Ed25519 SubjectPublicKeyInfo public key")
    return der[12:]
