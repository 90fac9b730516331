"""Compare Ed25519 verify throughput: PyNaCl (libsodium) vs cryptography (OpenSSL).

Prints one JSON object per line:
{"bench": "ed25519_verify_<lib>_<threads>t", "value": X, "unit": "verify/s", ...}
Two threads show whether a library releases the GIL while verifying.
Run: .venv/bin/python -m bench.ed25519_libs [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

import nacl.bindings
import nacl.signing
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl._sodium import ffi, lib

from ipledger.identity.ed25519 import calls_per_second

MSG = b"x" * 600  # about one ledger entry
SEED = bytes(range(32))


def _fixture() -> tuple[bytes, bytes]:
    pk, sk = nacl.bindings.crypto_sign_seed_keypair(SEED)
    return pk, nacl.bindings.crypto_sign(MSG, sk)[:64]


def verifiers() -> dict[str, Callable[[], bool]]:
    """One zero-argument verify call per library/API, all on the same input."""
    pk, sig = _fixture()
    signed = sig + MSG
    vk = nacl.signing.VerifyKey(pk)
    crypto_pk = Ed25519PublicKey.from_public_bytes(pk)

    def pynacl_api() -> bool:
        vk.verify(MSG, sig)
        return True

    def pynacl_raw() -> bool:
        buf = ffi.new("unsigned char[]", len(signed))
        out_len = ffi.new("unsigned long long *")
        return bool(lib.crypto_sign_open(buf, out_len, signed, len(signed), pk) == 0)

    def cryptography_api() -> bool:
        try:
            crypto_pk.verify(sig, MSG)
        except InvalidSignature:
            return False
        return True

    return {"pynacl": pynacl_raw, "pynacl_api": pynacl_api, "cryptography": cryptography_api}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    for name, fn in verifiers().items():
        assert fn()
        one = 0.0
        for threads in (1, 2):
            value = calls_per_second(fn, args.seconds, threads)
            one = one or value
            print(
                json.dumps(
                    {
                        "bench": f"ed25519_verify_{name}_{threads}t",
                        "value": round(value, 1),
                        "unit": "verify/s",
                        "threads": threads,
                        "scaling": round(value / one, 2),
                        "msg_bytes": len(MSG),
                        "cpus": os.cpu_count(),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
