"""A node's witnessing: its cosigner key, the witness it serves, the client of its witnesses.

The cosigner key is ``DATA/keys/witness.key`` (made by ``init``, or on first use for
older nodes); its verifier key, type 0x04, is published in ``DATA/witness.vkey`` and
served at ``GET /witness/vkey``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ipledger.identity import CosignatureSigner, SigningKey, read_private_key, write_private_key
from ipledger.ledger import Ledger
from ipledger.network.witness import Witness
from ipledger.network.witness_client import WitnessClient
from ipledger.storage.sql import SQLStore
from ipledger.storage.witness import WitnessStore

WITNESS_KEY_FILE = "keys/witness.key"
WITNESS_VKEY_FILE = "witness.vkey"


def witness_name(origin: str) -> str:
    """The cosigner's key name: the node's origin with ``/witness`` (a schema-less URL)."""
    return origin.rstrip("/") + "/witness"


def witness_signer(data: Path, origin: str) -> CosignatureSigner:
    """This node's cosigner, creating its key and ``witness.vkey`` if there are none yet."""
    key_path = data / WITNESS_KEY_FILE
    if key_path.exists():
        key = read_private_key(key_path)
    else:
        key = SigningKey.generate()
        write_private_key(key_path, key)
    signer = CosignatureSigner(witness_name(origin), key)
    vkey_path = data / WITNESS_VKEY_FILE
    vkey = signer.verifier_key()
    if not vkey_path.exists() or vkey_path.read_text().strip() != vkey:
        vkey_path.write_text(vkey + "\n")
    return signer


@dataclass
class Witnessing:
    """What ``ipledger serve`` runs for witnessing: the witness and the witness client."""

    store: WitnessStore
    witness: Witness
    client: WitnessClient
    started: bool = False

    @property
    def vkey(self) -> str:
        return self.witness.signer.verifier_key()

    def start(self) -> Witnessing:
        self.client.start()
        self.started = True
        return self

    def close(self) -> None:
        if self.started:
            self.client.stop()
            self.started = False


def open_witnessing(data: Path, ledger: Ledger, *, retry_s: float = 2.0) -> Witnessing:
    """The node's witnessing over its started ledger (not yet started itself)."""
    assert isinstance(ledger.store, SQLStore), "witnessing needs a SQL store"
    store = WitnessStore(ledger.store)
    registry = ledger.metrics.registry
    witness = Witness(store, witness_signer(data, ledger.origin), registry)
    client = WitnessClient(ledger, store, retry_s=retry_s, registry=registry)
    return Witnessing(store, witness, client)
