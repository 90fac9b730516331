"""A node's data directory: create it (``init``) and open it into a running ledger."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ipledger.identity import (
    NoteSigner,
    SigningKey,
    did_key,
    read_private_key,
    write_private_key,
)
from ipledger.ledger import EntryType, Ledger
from ipledger.registry.engine import GENESIS_META, RegistryRules, registry_entry_types
from ipledger.services.evidence import EvidenceStamp
from ipledger.storage.sqlite import SQLiteStore

CONFIG_FILE = "node.json"
VKEY_FILE = "log.vkey"
LOG_KEY_FILE = "keys/log.key"
GENESIS_KEY_FILE = "keys/genesis.key"  # signs governance entries: offices, staff roles
SQLITE_FILE = "ledger.sqlite"
# A signed-note key name: printable, no spaces or '+' (C2SP signed-note).
_ORIGIN = re.compile(r"[!-*,-~]{1,200}\Z")


class NodeError(Exception):
    """The data directory is missing, incomplete or inconsistent."""


def entry_types() -> dict[str, EntryType]:
    """Every entry family this node understands."""
    types: list[EntryType] = [EvidenceStamp(), *registry_entry_types().values()]
    return {t.name: t for t in types}


def init_node(data: Path, origin: str) -> str:
    """Create keys, config and an empty store in ``data``; return the verifier key."""
    if not _ORIGIN.match(origin):
        raise NodeError("origin must be 1-200 printable characters without spaces or '+'")
    if (data / CONFIG_FILE).exists():
        raise NodeError(f"{data} is already initialised")
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o700)
    key = SigningKey.generate()
    write_private_key(data / LOG_KEY_FILE, key)
    genesis_key = SigningKey.generate()
    write_private_key(data / GENESIS_KEY_FILE, genesis_key)
    genesis = did_key(genesis_key.public_key)
    vkey = NoteSigner(origin, key).verifier_key()
    (data / VKEY_FILE).write_text(vkey + "\n")
    config = {"origin": origin, "store": SQLITE_FILE, "genesis": genesis}
    (data / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    store = SQLiteStore(data / SQLITE_FILE)
    store.set_meta(GENESIS_META, genesis)
    store.close()
    return vkey


@dataclass
class NodeConfig:
    data: Path
    origin: str
    store_path: Path
    genesis: str

    @classmethod
    def load(cls, data: Path) -> NodeConfig:
        try:
            raw = json.loads((data / CONFIG_FILE).read_text())
        except FileNotFoundError:
            raise NodeError(f"{data} is not a node directory; run 'ipledger init' first") from None
        return cls(data=data, origin=raw["origin"], store_path=data / raw["store"],
                   genesis=raw["genesis"])


def open_ledger(data: Path, **options: object) -> Ledger:
    """Open the node in ``data`` and start its sequencer and checkpoint signer.

    Validation runs in worker processes unless ``validation_processes=False``.
    """
    options.setdefault("validation_processes", True)
    config = NodeConfig.load(data)
    key = read_private_key(data / LOG_KEY_FILE)
    store = SQLiteStore(config.store_path)
    rules = RegistryRules(store, genesis_of(store, config), config.origin)
    ledger = Ledger(store, config.origin, key, entry_types(), rules=rules,
                    **options)  # type: ignore[arg-type]
    return ledger.start()


def genesis_of(store: SQLiteStore, config: NodeConfig) -> str:
    """The genesis DID the ledger was created with (the store is the authority)."""
    genesis = store.get_meta(GENESIS_META)
    if genesis is None or genesis != config.genesis:
        raise NodeError(f"the store's genesis key {genesis} does not match {CONFIG_FILE}")
    return genesis
