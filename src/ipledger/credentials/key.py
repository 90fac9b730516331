"""The node's credential key, ``DATA/keys/credential.key`` (see issuer.py for why a
dedicated key)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ipledger.identity import KeyFileError, SigningKey, read_private_key, write_private_key

CREDENTIAL_KEY_FILE = "keys/credential.key"


def credential_key(data: Path) -> SigningKey:
    """The node's credential key, made (once) if the data directory has none."""
    path = data / CREDENTIAL_KEY_FILE
    if not path.exists():
        with contextlib.suppress(KeyFileError):  # made meanwhile by another process
            write_private_key(path, SigningKey.generate())
    return read_private_key(path)
