"""Ed25519 keys and signature verification (RFC 8032) on libsodium via PyNaCl.

Why PyNaCl: bench/ed25519_libs.py on the 2-CPU dev box, 600-byte message:

=====================  ==============  ==============
library                1 thread        2 threads
=====================  ==============  ==============
PyNaCl (libsodium)     ~18,100 /s      ~37,300 /s (x2.05, releases the GIL)
cryptography (OpenSSL) ~9,200 /s       ~12,700 /s (x1.38)
=====================  ==============  ==============

libsodium's verify is strict (rejects non-canonical S, small-order keys and
R), so every node judges the same signature the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import nacl.bindings
import nacl.exceptions

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "SigningKey",
    "ed25519_verify_ceiling",
    "verify_signature",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64

_open = nacl.bindings.crypto_sign_open
_BadSignature = nacl.exceptions.BadSignatureError


class SigningKey:
    """An Ed25519 private key, held as its 32-byte RFC 8032 seed."""

    __slots__ = ("_public_key", "_secret", "_seed")

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            raise ValueError("an Ed25519 seed is exactly 32 bytes")
        pk, sk = nacl.bindings.crypto_sign_seed_keypair(seed)
        self._seed = seed
        self._public_key: bytes = pk
        self._secret: bytes = sk

    @classmethod
    def generate(cls) -> SigningKey:
        """Return a fresh key from the OS random source."""
        return cls(os.urandom(SEED_SIZE))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """Return the key for a 32-byte seed."""
        return cls(bytes(seed))

    @property
    def seed(self) -> bytes:
        """The 32-byte private seed (keep it secret)."""
        return self._seed

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._public_key

    def sign(self, msg: bytes) -> bytes:
        """Return the 64-byte signature of ``msg``."""
        signed: bytes = nacl.bindings.crypto_sign(bytes(msg), self._secret)
        return signed[:SIGNATURE_SIZE]

    def __repr__(self) -> str:
        return f"SigningKey(public_key={self._public_key.hex()})"


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return True iff ``signature`` is a valid Ed25519 signature; never raises."""
    try:
        if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
            return False
        _open(bytes(signature) + bytes(message), bytes(public_key))
    except _BadSignature:
        return False
    except Exception:  # wrong types etc.: still just "not verified"
        return False
    return True


def calls_per_second(fn: Callable[[], object], seconds: float, threads: int) -> float:
    """Total calls of ``fn`` per second over ``threads`` threads running it flat out."""
    counts = [0] * threads
    gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(i: int) -> None:
        gate.wait()
        n = 0
        while True:
            for _ in range(32):
                fn()
            n += 32
            if time.perf_counter() >= deadline[0]:
                break
        counts[i] = n

    pool = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    gate.wait()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def ed25519_verify_ceiling(seconds: float, threads: int) -> float:
    """Measure verify_signature calls per second on ``threads`` threads."""
    key = SigningKey.from_seed(bytes(range(32)))
    msg = b"x" * 600
    sig = key.sign(msg)
    pk = key.public_key
    return calls_per_second(lambda: verify_signature(pk, msg, sig), seconds, threads)
