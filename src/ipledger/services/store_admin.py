"""Whole-node operations on stores: prove a copy, online backup, restore.

A copy is proven, not trusted: ``log fsck`` on it (every tile and checkpoint
recomputed from its entries), a replay of the register (every state root, every
served record), and the same tree size, log root, checkpoint and state root as
the original.
"""

from __future__ import annotations

import json
import shutil
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ipledger.identity import NoteSigner, NoteVerifier, read_private_key
from ipledger.ledger.audit import audit_log
from ipledger.ledger.export import ExportedLog
from ipledger.ledger.replay import replay
from ipledger.node import (
    CONFIG_FILE,
    SQLITE_FILE,
    VKEY_FILE,
    NodeConfig,
    NodeError,
    entry_types,
    open_empty_store,
    open_store_spec,
    write_config,
)
from ipledger.registry.engine import GENESIS_META, RegistryRules, replay_register
from ipledger.storage.base import LedgerStore
from ipledger.storage.copy import copy_store
from ipledger.storage.sql import SQLStore

# What a node directory holds besides its store (documents join when they exist).
NODE_FILES = (CONFIG_FILE, "log.vkey", "keys", "documents")


@dataclass
class Proof:
    entries: int = 0
    tiles: int = 0
    checkpoints: int = 0
    state_roots: int = 0
    state_root: bytes | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def prove_store(store: LedgerStore, origin: str, verifier: NoteVerifier,
                original: SQLStore | None = None, *, compare_records: bool = True) -> Proof:
    """Check ``store`` from its own entries; if given, that it ends where ``original`` does.

    ``compare_records=False`` for a store without materialised records (an export).
    """
    audit = audit_log(store, origin, verifier)
    replay = replay_register(store, origin, compare_records=compare_records)
    proof = Proof(entries=audit.tree_size, tiles=audit.tiles_checked,
                  checkpoints=audit.checkpoints_checked, state_roots=replay.roots_compared,
                  state_root=replay.final_root,
                  problems=[f"fsck: {p}" for p in audit.problems]
                  + [f"replay: {p}" for p in replay.problems])
    size = store.tree_size()
    recorded = store.state_root_at(size)
    if recorded is not None and recorded != replay.final_root:
        proof.problems.append("the final state root differs from the replayed one")
    if original is not None:
        with original.snapshot():
            theirs = original.tree_size()
            latest = original.latest_checkpoint()
            pairs = (("tree size", theirs, size),
                     ("log root", original.root_hash(), store.root_hash()),
                     ("latest checkpoint", latest,
                      store.checkpoint_at(latest.tree_size) if latest else None),
                     ("state root", original.state_root_at(theirs), recorded))
        proof.problems += [f"{what} differs from the original's"
                           for what, a, b in pairs if a != b]
    return proof


def _verifier(data: Path) -> NoteVerifier:
    return NoteVerifier.from_vkey((data / VKEY_FILE).read_text().strip())


def copy_proven(source: SQLStore, target: SQLStore, origin: str, verifier: NoteVerifier,
                *, against_source: bool = True) -> tuple[dict[str, int], Proof]:
    """Copy ``source`` into the empty ``target`` and prove the copy; with
    ``against_source``, also that it ends where the source ends (a source that is not
    being written: a live node's copy is proven on its own)."""
    counts = copy_store(source, target)
    return counts, prove_store(target, origin, verifier,
                               original=source if against_source else None)


def _fresh_directory(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise FileExistsError(f"{path} already exists and is not empty")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def backup_node(data: Path, out: Path) -> tuple[dict[str, int], Proof]:
    """An online backup of the node in ``data`` into the new directory ``out``.

    ``out`` is itself a node directory (keys, config, log.vkey, documents and a SQLite
    store copied from one snapshot of the live store, whatever its backend), proven
    before this returns.
    """
    config = NodeConfig.load(data)
    _fresh_directory(out)
    _copy_node_files(data, out)
    set_store(out, SQLITE_FILE)
    with closing(config.open_store()) as source, \
            closing(open_store_spec(SQLITE_FILE, out)) as target:
        return copy_proven(source, target, config.origin, _verifier(data),
                           against_source=False)


def restore_node(backup: Path, data: Path, store: str = SQLITE_FILE) -> Proof:
    """Make ``data`` a node from ``backup`` (a backup directory) on ``store``; prove it."""
    config = NodeConfig.load(backup)
    _fresh_directory(data)
    _copy_node_files(backup, data)
    set_store(data, store)
    with closing(config.open_store()) as source, \
            closing(open_store_spec(store, data)) as target:
        return copy_proven(source, target, config.origin, _verifier(backup))[1]


def _copy_node_files(source: Path, target: Path) -> None:
    """Keys, config, verifier key and documents (modes kept: keys stay 0600)."""
    for name in NODE_FILES:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, target / name)
        elif src.exists():
            shutil.copy2(src, target / name)


def set_store(data: Path, store: str) -> None:
    path = data / CONFIG_FILE
    raw = json.loads(path.read_text())
    raw["store"] = store
    path.write_text(json.dumps(raw, indent=2))
    path.chmod(0o600)


def import_export(export_dir: Path, data: Path, store: str = SQLITE_FILE,
                  keys: Path | None = None) -> Proof:
    """Make ``data`` a node from an export: verified first, then rebuilt from its entries.

    Nothing of the export is copied as is but the entries and the signed checkpoints:
    tiles, lookup keys and the whole register state are re-derived, and the result is
    proven like any store. With ``keys`` (a directory holding the office's ``log.key``,
    and ``genesis.key`` if kept), the node can serve and extend the log; without, it is
    a verified copy to inspect, replay and extract from offline.
    """
    export = ExportedLog(export_dir)
    origin = str(export.ledger.get("origin", ""))
    genesis = export.get_meta(GENESIS_META)
    vkey = (export_dir / VKEY_FILE).read_text().strip()
    verifier = NoteVerifier.from_vkey(vkey)
    if genesis is None:
        return Proof(problems=["the export names no genesis key (ledger.json)"])
    proof = prove_store(export, origin, verifier, compare_records=False)
    if not proof.ok:
        return proof
    log_key = read_private_key(keys / "log.key") if keys else None
    if log_key is not None and NoteSigner(origin, log_key).verifier_key() != vkey:
        raise NodeError(f"{keys}/log.key does not sign as {vkey}")
    _fresh_directory(data)
    if keys is not None:
        shutil.copytree(keys, data / "keys")
    shutil.copy2(export_dir / VKEY_FILE, data / VKEY_FILE)
    write_config(data, origin, store, genesis)
    target = open_empty_store(store, data)
    try:
        target.set_meta(GENESIS_META, genesis)
        rebuilt = replay(export, lambda shadow: RegistryRules(shadow, genesis, origin),
                         compare_records=False, into=target, entry_types=entry_types())
        if not rebuilt.ok:
            return Proof(problems=[f"rebuild: {p}" for p in rebuilt.problems])
        for size in export.checkpoint_sizes():
            checkpoint = export.checkpoint_at(size)
            assert checkpoint is not None
            target.add_checkpoint(checkpoint)
        return prove_store(target, origin, verifier)
    finally:
        target.close()
