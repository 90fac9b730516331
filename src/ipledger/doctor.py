"""``ipledger doctor``: check a node's directory, keys, store, disk and clock; say what to fix.

Every check is a small function returning one :class:`CheckResult` (OK, WARN or FAIL, and
for WARN and FAIL the fix), so that each can be called and tested on its own;
:func:`run_doctor` runs them all in order, skipping those whose inputs an earlier
check found missing.
"""

from __future__ import annotations

import enum
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ipledger.config import CONFIG_FILE as TOML_FILE
from ipledger.config import ConfigError, load_config, redact
from ipledger.identity import (
    KeyFileError,
    NoteError,
    NoteVerifier,
    SigningKey,
    did_key,
    open_note,
    read_private_key,
)
from ipledger.ledger.sequencer import last_entry_time_ms
from ipledger.ledger.timefmt import format_rfc3339_ms
from ipledger.log import EMPTY_ROOT, Checkpoint, CheckpointError
from ipledger.node import (
    CONFIG_FILE,
    GENESIS_KEY_FILE,
    LOG_KEY_FILE,
    STORE_ENV,
    VKEY_FILE,
    open_store_spec,
)
from ipledger.registry.engine import GENESIS_META
from ipledger.services.tsa_ca import ECDSA_KEY_FILES, TsaSetupError, inspect_tsa
from ipledger.storage.base import StorageError
from ipledger.storage.postgresql import DURABLE_COMMIT, PostgreSQLStore, is_postgresql_url
from ipledger.storage.sql import SQLStore
from ipledger.storage.sqlite import SQLiteStore

MiB = 1024 * 1024
GiB = 1024 * MiB
DISK_FAIL_BYTES = 100 * MiB
DISK_WARN_BYTES = 1 * GiB
DISK_WARN_FRACTION = 0.10
CLOCK_FLOOR_MS = 1_577_836_800_000  # 2020-01-01: a clock before this was never set
CLOCK_AHEAD_WARN_MS = 366 * 86_400_000  # a year after the latest checkpoint: check it
SLOW_ANSWER_S = 1.0


class Status(enum.Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: what was checked, how it stands, and the fix."""

    check: str
    status: Status
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value:<4} {self.check}: {self.message}"
        return f"{text} -- fix: {self.fix}" if self.fix else text


def _ok(check: str, message: str) -> CheckResult:
    return CheckResult(check, Status.OK, message)


def _warn(check: str, message: str, fix: str) -> CheckResult:
    return CheckResult(check, Status.WARN, message, fix)


def _fail(check: str, message: str, fix: str) -> CheckResult:
    return CheckResult(check, Status.FAIL, message, fix)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _has_password(spec: str) -> bool:
    return bool(redact(spec) != spec)


# -- configuration and files -----------------------------------------------------------


def check_config(data: Path, config_file: Path | None = None,
                 env: Mapping[str, str] = os.environ) -> CheckResult:
    """The TOML file (if any) parses, and it and the environment validate."""
    try:
        config = load_config(data, config_file, env)
    except ConfigError as exc:
        return _fail("config", str(exc), "correct that setting (every key, its type and "
                     "variable: docs/configuration.md)")
    where = f"{config.file} is valid" if config.file else f"no {TOML_FILE}: defaults"
    overrides = sorted({s for s in config.sources.values() if s.startswith("env ")})
    if overrides:
        where += f"; environment: {', '.join(s.removeprefix('env ') for s in overrides)}"
    return _ok("config", where)


def check_node_json(data: Path) -> CheckResult:
    """``node.json`` exists, holds origin, store and genesis, and is mode 0600."""
    path = data / CONFIG_FILE
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return _fail(CONFIG_FILE, f"{path} is missing: not a node directory",
                     f"restore it from a backup, or create a node: ipledger init --data {data} "
                     "--origin ORIGIN")
    except (OSError, ValueError) as exc:
        return _fail(CONFIG_FILE, f"{path} cannot be read as JSON: {exc}",
                     "restore it from a backup")
    missing = [k for k in ("origin", "store", "genesis")
               if not isinstance(raw, dict) or not isinstance(raw.get(k), str)]
    if missing:
        return _fail(CONFIG_FILE, f"{path} lacks {', '.join(missing)}",
                     "restore it from a backup")
    mode = _mode(path)
    if mode & 0o077:
        message = f"mode {mode:04o}: group or others can read it"
        fix = f"chmod 600 {path}"
        if _has_password(raw["store"]):
            return _fail(CONFIG_FILE, message + ", and its store URL holds a password",
                         fix + "; change the database password if others could read it")
        return _warn(CONFIG_FILE, message + " (it may hold a database password)", fix)
    return _ok(CONFIG_FILE, f"origin {raw['origin']}, store {redact(raw['store'])}, mode 0600")


def check_directory(path: Path, label: str) -> CheckResult:
    """A directory holding secrets exists and is mode 0700."""
    if not path.is_dir():
        return _fail(label, f"{path} is missing", f"restore {path} from a backup")
    mode = _mode(path)
    if mode & 0o077:
        return _warn(label, f"mode {mode:04o}: group or others can list or enter it",
                     f"chmod 700 {path}")
    return _ok(label, "mode 0700")


def check_key_file(path: Path, label: str, *, required: bool = True,
                   purpose: str = "") -> CheckResult:
    """A private key file is present, a regular file, mode 0600, and parses."""
    if not path.exists():
        if required:
            return _fail(label, f"{path} is missing{purpose and ': ' + purpose}",
                         f"restore {path} from a backup (it must match {VKEY_FILE})")
        return _warn(label, f"{path} is not on this node{purpose and ': ' + purpose}",
                     "none if you keep it offline on purpose; otherwise restore it")
    if not path.is_file():
        return _fail(label, f"{path} is not a regular file", f"restore {path} from a backup")
    mode = _mode(path)
    if mode & 0o077:
        return _fail(label, f"mode {mode:04o}: group or others can read the private key "
                     "(the node refuses to use it)",
                     f"chmod 600 {path}; if others could read it, treat the key as compromised")
    try:
        read_private_key(path)
    except KeyFileError as exc:
        return _fail(label, str(exc), f"restore {path} from a backup")
    return _ok(label, "present, an Ed25519 key, mode 0600")


def check_tsa(data: Path) -> CheckResult:
    """The RFC 3161 TSA's ECDSA key and certificate (docs/tsa.md)."""
    try:
        return _ok("tsa", inspect_tsa(data))
    except TsaSetupError as exc:
        return _fail("tsa", str(exc), "fix the mode (chmod 600), or install a valid TSA "
                     "certificate and key: ipledger tsa import (docs/tsa.md)")


def check_log_key(key: SigningKey, vkey_path: Path, origin: str) -> CheckResult:
    """The log's signing key is the key of the published ``log.vkey``, named by origin."""
    label = "log key"
    try:
        verifier = NoteVerifier.from_vkey(vkey_path.read_text().strip())
    except FileNotFoundError:
        from ipledger.identity import NoteSigner

        vkey = NoteSigner(origin, key).verifier_key()
        return _fail(label, f"{vkey_path} is missing",
                     f"restore it from a backup or from where it was published (this log "
                     f"key's is {vkey})")
    except (OSError, NoteError) as exc:
        return _fail(label, f"{vkey_path} is not a verifier key: {exc}",
                     "restore it from a backup or from where it was published")
    if verifier.public_key != key.public_key:
        return _fail(label, f"{LOG_KEY_FILE} is not the key of {VKEY_FILE}: checkpoints it "
                     "signs will not verify for anyone holding the published key",
                     f"restore the log key that matches {VKEY_FILE} from a backup (never "
                     f"replace {VKEY_FILE}: verifiers already hold it)")
    if verifier.name != origin:
        return _fail(label, f"{VKEY_FILE} names {verifier.name}, {CONFIG_FILE} the origin "
                     f"{origin}", f"restore the {CONFIG_FILE} and {VKEY_FILE} of this node")
    return _ok(label, f"{LOG_KEY_FILE} matches {VKEY_FILE} ({verifier.verifier_key()})")


def check_genesis_key(key: SigningKey, genesis: str) -> CheckResult:
    """The genesis key on disk is the one ``node.json`` (and the ledger) names."""
    mine = did_key(key.public_key)
    if mine != genesis:
        return _fail("genesis key", f"{GENESIS_KEY_FILE} is {mine}, but {CONFIG_FILE} names "
                     f"{genesis}", f"restore this ledger's genesis key ({genesis}) from a "
                     "backup; governance entries signed with another key are refused")
    return _ok("genesis key", f"{GENESIS_KEY_FILE} matches {CONFIG_FILE} ({genesis})")


# -- the store --------------------------------------------------------------------------


def open_store_checked(spec: str, data: Path) -> tuple[CheckResult, SQLStore | None]:
    """Open the store (never creating a SQLite file): the result, and the store if open."""
    shown = redact(spec)
    if not is_postgresql_url(spec) and not (data / spec).is_file():
        return _fail("store", f"the SQLite file {data / spec} does not exist",
                     "restore it from a backup, or name the right store in "
                     f"{CONFIG_FILE} or [store] url"), None
    try:
        store = open_store_spec(spec, data)
    except StorageError as exc:
        fix = ("check the URL, that the server runs and that this user may connect"
               if is_postgresql_url(spec) else "check the file and its directory are "
               "readable and writable by this user, and that the disk is not full")
        return _fail("store", f"{shown} does not open: {exc}", fix), None
    return _ok("store", f"{shown} opens"), store


def check_store(store: SQLStore, genesis: str) -> CheckResult:
    """The store's schema is one this ipledger knows, and it holds this node's ledger."""
    known = max((v for v, _ in type(store).MIGRATIONS), default=0)
    version = int(getattr(store, "schema_version", 0))
    if version > known:
        return _fail("store", f"schema version {version} is newer than this ipledger's "
                     f"({known})", "upgrade ipledger to the version that wrote this store")
    stored = store.get_meta(GENESIS_META)
    if stored is None:
        return _fail("store", "it holds no ledger", "create one with 'ipledger init --store', "
                     "or copy a node into it with 'ipledger store migrate'")
    if stored != genesis:
        return _fail("store", f"it holds another ledger (genesis {stored}, {CONFIG_FILE} "
                     f"names {genesis})", f"point {CONFIG_FILE} or [store] url at this "
                     "node's store, or restore the store from a backup")
    return _ok("store", f"schema version {version} (current), genesis matches, "
               f"{store.tree_size()} entries")


def _setting(store: SQLStore, sql: str) -> str:
    return store.setting(sql) or "?"


_SQLITE_SYNC = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}


def check_store_durability(store: SQLStore) -> CheckResult:
    """An acknowledged batch survives power loss: WAL + synchronous=FULL (SQLite), or
    synchronous_commit and fsync on (PostgreSQL)."""
    label = "durability"
    if isinstance(store, SQLiteStore):
        journal = _setting(store, "PRAGMA journal_mode").lower()
        sync = _SQLITE_SYNC.get(_setting(store, "PRAGMA synchronous"), "?")
        if journal != "wal":
            return _fail(label, f"SQLite journal_mode={journal}, not wal", "keep the SQLite file "
                         "on a local filesystem that supports WAL (not NFS or SMB), in a "
                         "directory this user can write")
        if sync not in ("FULL", "EXTRA"):
            return _fail(label, f"SQLite synchronous={sync}: an acknowledged batch could be "
                         "lost on power failure", "run an unmodified ipledger: its SQLite "
                         "store sets synchronous=FULL on every connection")
        return _ok(label, f"SQLite journal_mode=wal, synchronous={sync}")
    if isinstance(store, PostgreSQLStore):
        commit = _setting(store, "SHOW synchronous_commit")
        fsync = _setting(store, "SHOW fsync")
        pages = _setting(store, "SHOW full_page_writes")
        if commit not in DURABLE_COMMIT:
            return _fail(label, f"PostgreSQL synchronous_commit={commit}: acknowledged "
                         "batches could be lost on a crash", "ALTER SYSTEM SET "
                         "synchronous_commit = on; SELECT pg_reload_conf(); (and remove any "
                         "per-database or per-role setting)")
        if fsync != "on":
            return _fail(label, "PostgreSQL fsync=off: a crash can corrupt the database",
                         "set fsync = on in postgresql.conf and restart PostgreSQL")
        if pages != "on":
            return _warn(label, "PostgreSQL full_page_writes=off: a crash can leave torn "
                         "pages", "set full_page_writes = on unless the filesystem "
                         "guarantees atomic page writes")
        return _ok(label, f"PostgreSQL synchronous_commit={commit}, fsync=on")
    return _warn(label, f"unknown store type {type(store).__name__}", "")


def check_postgresql_answers(store: SQLStore) -> CheckResult:
    """The PostgreSQL server answers a query, and how fast."""
    started = time.monotonic()
    try:
        version = _setting(store, "SHOW server_version")
    except StorageError as exc:
        return _fail("postgresql", f"does not answer: {exc}", "check that the server runs "
                     "and is reachable")
    elapsed = time.monotonic() - started
    message = f"PostgreSQL {version} answers in {elapsed * 1000:.0f} ms"
    if elapsed > SLOW_ANSWER_S:
        return _warn("postgresql", message, "check the network and the server's load")
    return _ok("postgresql", message)


# -- disk and clock ----------------------------------------------------------------------


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


def check_disk(path: Path, usage: Callable[[Path], Any] = shutil.disk_usage,
               label: str = "disk") -> CheckResult:
    """Free space on the filesystem of ``path``: WARN under 1 GiB or 10 %, FAIL under
    100 MiB (a full disk stops every write)."""
    try:
        found = usage(path)
    except OSError as exc:
        return _fail(label, f"cannot measure free space on {path}: {exc}", "check the path")
    free, total = int(found.free), int(found.total)
    share = free / total if total else 0.0
    message = f"{free / GiB:.1f} GiB free of {total / GiB:.1f} GiB ({share:.0%}) at {path}"
    fix = ("free space, or move the data directory (or the store) to a larger disk: when the "
           "disk is full the node refuses every write")
    if free < DISK_FAIL_BYTES:
        return _fail(label, message, fix)
    if free < DISK_WARN_BYTES or share < DISK_WARN_FRACTION:
        return _warn(label, message, fix)
    return _ok(label, message)


def _entry_time_ms(store: SQLStore, size: int) -> int:
    """The ledger time of the last of the first ``size`` entries (0 for none)."""
    if size == 0:
        return 0
    from ipledger.codec import parse_json
    from ipledger.ledger.timefmt import parse_rfc3339_ms

    (entry,) = store.read_entries(size - 1, size)
    return parse_rfc3339_ms(parse_json(entry)["seq"]["time"])


def check_clock(store: SQLStore, now_ms: int) -> CheckResult:
    """The clock is set, not behind the last entry's ledger time (ledger time would stand
    still until it caught up), and not implausibly far past the latest checkpoint."""
    now = format_rfc3339_ms(now_ms)
    if now_ms < CLOCK_FLOOR_MS:
        return _fail("clock", f"the system clock reads {now}: it was never set",
                     "set the clock (NTP: timedatectl set-ntp true)")
    last_ms = last_entry_time_ms(store)
    if now_ms < last_ms:
        behind = (last_ms - now_ms) / 1000
        return _fail("clock", f"the system clock ({now}) is {behind:.3f} s behind the last "
                     f"entry's ledger time ({format_rfc3339_ms(last_ms)}): ledger time would "
                     "stand still, and every entry would carry that time, until it caught up",
                     "set the clock right (NTP: timedatectl set-ntp true) before starting the "
                     "node")
    latest = store.latest_checkpoint()
    checkpoint_ms = _entry_time_ms(store, latest.tree_size) if latest else 0
    if checkpoint_ms and now_ms - checkpoint_ms > CLOCK_AHEAD_WARN_MS:
        days = (now_ms - checkpoint_ms) // 86_400_000
        return _warn("clock", f"the system clock ({now}) is {days} days past the latest "
                     f"checkpoint's ledger time ({format_rfc3339_ms(checkpoint_ms)})",
                     "if the node was not stopped that long, check the clock before starting "
                     "it: ledger time never goes back")
    if not last_ms:
        return _ok("clock", f"the system clock reads {now} (empty log)")
    return _ok("clock", f"the system clock ({now}) is not behind the last entry's ledger "
               f"time ({format_rfc3339_ms(last_ms)})")


# -- the checkpoint ------------------------------------------------------------------------


def check_checkpoint(store: SQLStore, verifier: NoteVerifier, origin: str) -> CheckResult:
    """The latest signed checkpoint verifies with ``log.vkey`` and covers the whole log."""
    label = "checkpoint"
    size = store.tree_size()
    start = "start the node: it signs a checkpoint of the whole log when it starts"
    latest = store.latest_checkpoint()
    if latest is None:
        if size == 0:
            return _ok(label, "none yet (empty log): the node signs one when it starts")
        return _warn(label, f"no signed checkpoint covers the {size} stored entries", start)
    fsck = "run 'ipledger log fsck' with the node stopped, and restore from a backup"
    try:
        body = Checkpoint.parse(open_note(latest.note, [verifier]).text)
    except (NoteError, CheckpointError) as exc:
        return _fail(label, f"the latest checkpoint (size {latest.tree_size}) does not verify "
                     f"with {VKEY_FILE}: {exc}", fsck)
    if body.origin != origin or body.tree_size != latest.tree_size:
        return _fail(label, f"the checkpoint stored at size {latest.tree_size} names "
                     f"{body.origin} at size {body.tree_size}", fsck)
    if body.tree_size > size:
        return _fail(label, f"the latest checkpoint covers {body.tree_size} entries but the "
                     f"store holds {size}: signed entries were lost",
                     "restore the store from a backup taken after that checkpoint")
    if body.tree_size < size:
        return _warn(label, f"stale: the latest checkpoint covers {body.tree_size} of "
                     f"{size} entries (the last batch was not checkpointed, e.g. the node "
                     "stopped first)", start)
    root = store.root_hash() if size else EMPTY_ROOT
    if body.root_hash != root:
        return _fail(label, f"the latest checkpoint (size {size}) signs a root the store "
                     "does not hold", fsck)
    return _ok(label, f"size {size}, verifies with {VKEY_FILE}, covers the whole log")


# -- everything ----------------------------------------------------------------------------


def _store_spec(data: Path, node: Mapping[str, Any], config_file: Path | None,
                env: Mapping[str, str]) -> str:
    """The store the node would open (the configuration's, else node.json's)."""
    try:
        config = load_config(data, config_file, env)
    except ConfigError:  # reported by check_config; fall back to what still works
        return env.get("IPLEDGER_STORE_URL") or env.get(STORE_ENV) or str(node["store"])
    if config.source("store.url") == "default":
        return str(node["store"])
    return config.store.url


def run_doctor(data: Path, config_file: Path | None = None,
               env: Mapping[str, str] = os.environ,
               now_ms: int | None = None) -> list[CheckResult]:
    """Every check of the node in ``data``, in order."""
    results = [check_node_json(data), check_config(data, config_file, env)]
    node: dict[str, Any] | None = None
    if results[0].status is not Status.FAIL:
        node = json.loads((data / CONFIG_FILE).read_text())
    results.append(check_directory(data, "data directory"))
    results.append(check_directory(data / "keys", "keys/"))

    log_key_path, genesis_path = data / LOG_KEY_FILE, data / GENESIS_KEY_FILE
    log_key_result = check_key_file(log_key_path, LOG_KEY_FILE,
                                    purpose="it signs every checkpoint")
    genesis_result = check_key_file(genesis_path, GENESIS_KEY_FILE, required=False,
                                    purpose="it signs governance entries (offices, roles)")
    results += [log_key_result, genesis_result]
    keys_dir = data / "keys"
    if keys_dir.is_dir():
        tsa_keys = {data / name for name in ECDSA_KEY_FILES}  # checked by check_tsa
        for other in sorted(keys_dir.glob("*.key")):
            if other not in (log_key_path, genesis_path, *tsa_keys):
                results.append(check_key_file(other, f"keys/{other.name}", required=False))
        results.append(check_tsa(data))
    if node is not None and log_key_result.status is Status.OK:
        results.append(check_log_key(read_private_key(log_key_path), data / VKEY_FILE,
                                     node["origin"]))
    if node is not None and genesis_result.status is Status.OK:
        results.append(check_genesis_key(read_private_key(genesis_path), node["genesis"]))

    disk_paths = [data]
    if node is not None:
        spec = _store_spec(data, node, config_file, env)
        opened, store = open_store_checked(spec, data)
        if not is_postgresql_url(spec):
            disk_paths.append((data / spec).parent)
        if store is None:
            results.append(opened)
        else:
            try:
                results.append(check_store(store, node["genesis"]))
                results.append(check_store_durability(store))
                if isinstance(store, PostgreSQLStore):
                    results.append(check_postgresql_answers(store))
                results.append(check_clock(store, now_ms if now_ms is not None
                                           else int(time.time() * 1000)))
                try:
                    verifier = NoteVerifier.from_vkey((data / VKEY_FILE).read_text().strip())
                except (OSError, NoteError):
                    pass  # the log key check reports it
                else:
                    results.append(check_checkpoint(store, verifier, node["origin"]))
            except StorageError as exc:
                results.append(_fail("store", f"reading it failed: {exc}",
                                     "check the store (ipledger log fsck with the node "
                                     "stopped)"))
            finally:
                store.close()
    seen: set[int] = set()
    for path in disk_paths:
        try:
            device = path.stat().st_dev
        except OSError:
            continue
        if device not in seen:
            seen.add(device)
            results.append(check_disk(path))
    return results


def report(results: list[CheckResult]) -> tuple[str, int]:
    """The report's text (one line per check, then a summary) and the exit status."""
    counts = {s: sum(1 for r in results if r.status is s) for s in Status}
    lines = [r.line() for r in results]
    lines.append(f"{counts[Status.OK]} OK, {counts[Status.WARN]} WARN, "
                 f"{counts[Status.FAIL]} FAIL")
    return "\n".join(lines) + "\n", 1 if counts[Status.FAIL] else 0
