"""Key files: PKCS#8 / SPKI PEM, permissions, atomic writes, openssl interop."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ipledger.codec import b64_encode
from ipledger.identity import (
    KeyFileError,
    SigningKey,
    private_key_pem,
    read_private_key,
    read_public_key,
    verify_signature,
    write_private_key,
    write_public_key,
)

SEED = bytes(range(32))


def test_pem_layout() -> None:
    key = SigningKey.from_seed(SEED)
    pem = private_key_pem(key)
    der = bytes.fromhex("302e020100300506032b657004220420") + SEED
    assert pem == f"-----BEGIN PRIVATE KEY-----\n{b64_encode(der)}\n-----END PRIVATE KEY-----\n"


def test_roundtrip_and_modes(tmp_path: Path) -> None:
    key = SigningKey.from_seed(SEED)
    path = tmp_path / "new" / "deeper" / "node.key"
    write_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_private_key(path).seed == SEED
    assert [p.name for p in path.parent.iterdir()] == ["node.key"]  # no temp files left
    pub = tmp_path / "node.pub"
    write_public_key(pub, key.public_key)
    assert read_public_key(pub) == key.public_key


def test_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_private_key(path, SigningKey.from_seed(SEED))
    other = SigningKey.generate()
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(path, other)
    assert read_private_key(path).seed == SEED
    write_private_key(path, other, overwrite=True)
    assert read_private_key(path).seed == other.seed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.pem"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_refuses_readable_by_others(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.pem"
    write_private_key(path, SigningKey.from_seed(SEED))
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match=f"chmod 600 {path}"):
        read_private_key(path)


_PKCS8 = bytes.fromhex("302e020100300506032b657004220420")


def _pem(der: bytes, begin: str = "PRIVATE KEY", end: str = "PRIVATE KEY") -> str:
    return f"-----BEGIN {begin}-----\n{b64_encode(der)}\n-----END {end}-----\n"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        _pem(bytes.fromhex("302a300506032b6570032100") + SEED, "PUBLIC KEY", "PUBLIC KEY"),
        _pem(_PKCS8 + SEED, end="RSA KEY"),
        _pem(_PKCS8 + SEED[:31]),
        _pem(_PKCS8 + SEED + b"\0"),
        _pem(_PKCS8.replace(bytes.fromhex("2b6570"), bytes.fromhex("2b656e")) + SEED),  # X25519
        _pem(_PKCS8 + SEED).replace("\n-----END", "=\n-----END"),
        _pem(_PKCS8 + SEED) * 2,
    ],
)
def test_refuses_malformed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "k.pem"
    path.write_text(text)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError):
        read_private_key(path)


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        read_private_key(tmp_path / "nope.pem")
    d = tmp_path / "dir"
    d.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="regular file"):
        read_private_key(d)
    with pytest.raises(KeyFileError):
        read_public_key(tmp_path / "nope.pub")


# ---- openssl interop --------------------------------------------------------------

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["openssl", *args], input=data, capture_output=True, check=True, timeout=30
    ).stdout


@pytest.mark.interop
@needs_openssl
def test_openssl_reads_ours(tmp_path: Path) -> None:
    key = SigningKey.from_seed(SEED)
    kpath, ppath, msg = tmp_path / "k.pem", tmp_path / "p.pem", tmp_path / "msg"
    write_private_key(kpath, key)
    write_public_key(ppath, key.public_key)
    assert _openssl("pkey", "-in", str(kpath), "-pubout") == ppath.read_bytes()
    msg.write_bytes(b"signed by openssl")
    sig = _openssl("pkeyutl", "-sign", "-inkey", str(kpath), "-rawin", "-in", str(msg))
    assert sig == key.sign(b"signed by openssl")
    assert verify_signature(key.public_key, b"signed by openssl", sig)


@pytest.mark.interop
@needs_openssl
def test_we_read_openssl(tmp_path: Path) -> None:
    kpath, sig_path, msg = tmp_path / "k.pem", tmp_path / "sig", tmp_path / "msg"
    kpath.write_bytes(_openssl("genpkey", "-algorithm", "ed25519"))
    os.chmod(kpath, 0o600)
    key = read_private_key(kpath)
    ppath = tmp_path / "p.pem"
    ppath.write_bytes(_openssl("pkey", "-in", str(kpath), "-pubout"))
    assert read_public_key(ppath) == key.public_key
    msg.write_bytes(b"signed by us")
    sig_path.write_bytes(key.sign(b"signed by us"))
    out = _openssl(
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        str(ppath),
        "-rawin",
        "-in",
        str(msg),
        "-sigfile",
        str(sig_path),
    )
    assert b"Signature Verified Successfully" in out
