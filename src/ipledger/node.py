"""A node's data directory: create it (``init``) and open it into a running ledger."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

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
from ipledger.storage.postgresql import PostgreSQLStore, is_postgresql_url
from ipledger.storage.sql import SQLStore
from ipledger.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from ipledger.config import Config

CONFIG_FILE = "node.json"
VKEY_FILE = "log.vkey"
LOG_KEY_FILE = "keys/log.key"
GENESIS_KEY_FILE = "keys/genesis.key"  # signs governance entries: offices, staff roles
SQLITE_FILE = "ledger.sqlite"
STORE_ENV = "IPLEDGER_STORE"  # overrides node.json's "store"; see ipledger.config
# A signed-note key name: printable, no spaces or '+' (C2SP signed-note).
_ORIGIN = re.compile(r"[!-*,-~]{1,200}\Z")


class NodeError(Exception):
    """The data directory is missing, incomplete or inconsistent."""


def entry_types() -> dict[str, EntryType]:
    """Every entry family this node understands."""
    types: list[EntryType] = [EvidenceStamp(), *registry_entry_types().values()]
    return {t.name: t for t in types}


def init_node(data: Path, origin: str, store: str = SQLITE_FILE,
              genesis: str | None = None) -> str:
    """Create keys, config and an empty store in ``data``; return the verifier key.

    ``store`` is a file name in ``data`` (SQLite) or a ``postgresql://`` URL of an
    empty database. ``genesis`` is the DID of an existing genesis key (a shared
    ledger's, the same on every office node); by default one is made here.
    """
    if not _ORIGIN.match(origin):
        raise NodeError("origin must be 1-200 printable characters without spaces or '+'")
    if (data / CONFIG_FILE).exists():
        raise NodeError(f"{data} is already initialised")
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o700)
    target = open_empty_store(store, data)
    try:
        key = SigningKey.generate()
        write_private_key(data / LOG_KEY_FILE, key)
        if genesis is None:
            genesis_key = SigningKey.generate()
            write_private_key(data / GENESIS_KEY_FILE, genesis_key)
            genesis = did_key(genesis_key.public_key)
        vkey = NoteSigner(origin, key).verifier_key()
        (data / VKEY_FILE).write_text(vkey + "\n")
        from ipledger.network.witnessing import witness_signer

        witness_signer(data, origin)  # DATA/keys/witness.key, DATA/witness.vkey
        from ipledger.services.tsa_ca import create_tsa

        create_tsa(data, origin)  # RFC 3161 TSA: DATA/tsa-ca.pem, DATA/tsa.pem, their keys
        from ipledger.credentials.key import credential_key

        credential_key(data)  # DATA/keys/credential.key: signs Verifiable Credentials
        write_config(data, origin, store, genesis)
        target.set_meta(GENESIS_META, genesis)
    finally:
        target.close()
    return vkey


def write_config(data: Path, origin: str, store: str, genesis: str) -> None:
    """``DATA/node.json``, readable by its owner only (a PostgreSQL URL may hold a password)."""
    path = data / CONFIG_FILE
    path.write_text(json.dumps({"origin": origin, "store": store, "genesis": genesis},
                               indent=2))
    os.chmod(path, 0o600)


def open_empty_store(spec: str, data: Path) -> SQLStore:
    """Open the store ``spec`` names, which must hold nothing yet."""
    store = open_store_spec(spec, data)
    if not store.is_empty():
        store.close()
        raise NodeError(f"the store {redact(spec)} already holds a ledger")
    return store


def open_store_spec(spec: str, data: Path) -> SQLStore:
    """The store ``spec`` names: a ``postgresql://`` URL, else a SQLite file in ``data``."""
    return store_opener(spec, data)()


def store_opener(spec: str, data: Path) -> Callable[[], SQLStore]:
    """A picklable function that opens the store ``spec`` names (in another process too)."""
    if is_postgresql_url(spec):
        return partial(PostgreSQLStore, spec)
    return partial(SQLiteStore, data / spec)


def redact(spec: str) -> str:
    """``spec`` without a password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", spec)


@dataclass
class NodeConfig:
    data: Path
    origin: str
    store: str  # as in node.json, unless the configuration (ipledger.toml, env) overrides it
    genesis: str

    @classmethod
    def load(cls, data: Path, config: Config | None = None) -> NodeConfig:
        """``node.json``, with the store the effective configuration names (``config``, or
        ``DATA/ipledger.toml`` and the environment: see :mod:`ipledger.config`)."""
        try:
            raw = json.loads((data / CONFIG_FILE).read_text())
        except FileNotFoundError:
            raise NodeError(f"{data} is not a node directory; run 'ipledger init' first") from None
        if config is None:
            config = load_node_config(data)
        store = raw["store"] if config.source("store.url") == "default" else config.store.url
        return cls(data=data, origin=raw["origin"], store=store, genesis=raw["genesis"])

    def open_store(self) -> SQLStore:
        """Open this node's store and check it holds this node's ledger."""
        store = open_store_spec(self.store, self.data)
        try:
            genesis_of(store, self)
        except NodeError:
            store.close()
            raise
        return store


def load_node_config(data: Path, config_file: Path | None = None) -> Config:
    """The effective configuration of the node in ``data`` (a NodeError if invalid)."""
    from ipledger.config import ConfigError, load_config

    try:
        return load_config(data, config_file)
    except ConfigError as exc:
        raise NodeError(str(exc)) from None


def open_ledger(data: Path, store: str | None = None, settings: Config | None = None,
                ledger_class: Callable[..., Ledger] = Ledger, **options: object) -> Ledger:
    """Open the node in ``data`` and start its sequencer and checkpoint signer.

    ``store`` overrides the configured store; ``settings`` is the node's configuration
    (default: ``DATA/ipledger.toml`` and the environment), whose ``[ledger]`` options
    apply unless ``options`` say otherwise. Validation runs in worker processes
    unless ``validation_processes=False`` (or ``[ledger] validation_mode = "threads"``), and
    the register's state tree in one more (``tree_process=True/False`` to choose).
    """
    if settings is None:
        settings = load_node_config(data)
    for name, value in settings.ledger.options().items():
        options.setdefault(name, value)
    config = NodeConfig.load(data, settings)
    if store:
        config.store = store
    key = read_private_key(data / LOG_KEY_FILE)
    opened = config.open_store()
    tree_process = options.pop("tree_process", None)
    if tree_process is None:
        tree_process = options.get("validation_processes")
    tree_store = store_opener(config.store, config.data) if tree_process else None
    rules = RegistryRules(opened, config.genesis, config.origin, tree_store=tree_store)
    try:
        ledger = ledger_class(opened, config.origin, key, entry_types(), rules=rules, **options)
        return ledger.start()
    except BaseException:
        rules.close()  # its worker process
        raise


def genesis_of(store: SQLStore, config: NodeConfig) -> str:
    """The genesis DID the ledger was created with (the store is the authority)."""
    genesis = store.get_meta(GENESIS_META)
    if genesis is None:
        raise NodeError(f"the store {redact(config.store)} holds no ledger: create it with "
                        "'ipledger init --store', or copy a node into it with "
                        "'ipledger store migrate'")
    if genesis != config.genesis:
        raise NodeError(f"the store's genesis key {genesis} does not match {CONFIG_FILE}")
    return genesis
