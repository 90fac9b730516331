"""Mirroring another office's register through its C2SP tlog-tiles, verifying all of it.

A mirror lives in ``DATA/mirrors/<name>/``: ``mirror.json`` (where the log is, the
office's verifier key and genesis DID, the last sync's outcome) and a full store of
the node's backend kind. A sync:

1. fetches ``checkpoint`` and opens it with the office's verifier key (origin checked);
2. refuses a smaller tree than the one already verified (rollback), and an equal size
   with another root (a fork: both checkpoints are kept under ``evidence/``);
3. fetches the entry bundles of the new entries, checks each entry (canonical JSON,
   ``seq``, monotonic ledger time, the ledger it is bound to, its signatures) and
   appends their leaf hashes to the already verified tree: the new root must be the
   signed one, which proves every new leaf and the consistency with the previous
   checkpoint at once;
4. fetches the hash tiles those entries changed and requires them equal to the derived
   ones (a node serving other tiles than its entries give is misbehaving);
5. replays the register rules over the new entries into a staged copy: the state root
   must be the one the checkpoint signs;
6. only then writes entries, tiles, keys and state in one transaction, and the checkpoint.

A sync that fails any step raises :class:`MirrorError` naming the step, and stores nothing.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ipledger.codec import parse_json
from ipledger.identity import NoteError, NoteVerifier, open_note
from ipledger.ledger import Rejection
from ipledger.ledger.audit import sequenced_entry_problem
from ipledger.ledger.export import LEDGER_FILE, TiledLog
from ipledger.ledger.readonly import ReadOnlyLedger
from ipledger.ledger.replay import replay
from ipledger.ledger.staged import StagedStore
from ipledger.ledger.tile_source import HttpTiles, TileSource, open_tile_source
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.ledger.validation import verify_entry_signatures
from ipledger.log import Checkpoint, CheckpointError, TreeAppender, leaf_hash, tile_path
from ipledger.node import NodeConfig, entry_types, redact
from ipledger.registry.engine import GENESIS_META, RegistryRules
from ipledger.storage.base import StorageError, StoredCheckpoint
from ipledger.storage.postgresql import PostgreSQLStore, is_postgresql_url
from ipledger.storage.sql import SQLStore
from ipledger.storage.sqlite import SQLiteStore

MIRRORS_DIR = "mirrors"
MIRROR_FILE = "mirror.json"
MIRROR_SQLITE = "ledger.sqlite"
EVIDENCE_DIR = "evidence"
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9-][A-Za-z0-9._-]{0,99}")


class MirrorError(Exception):
    """A mirror cannot be added or synced; ``step`` names what failed."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def safe_name(origin: str) -> str:
    """A directory and URL segment for ``origin`` (e.g. ``office.example/log`` ->
    ``office.example_log``)."""
    name = _UNSAFE.sub("_", origin).strip("_.")[:100]
    if not name:
        raise MirrorError("origin", f"{origin!r} gives no usable mirror name")
    return name


@dataclass
class MirrorSpec:
    """``mirror.json``: what is mirrored, how it is trusted, how the last sync went."""

    name: str
    origin: str
    url: str  # the tlog-tiles prefix (where ``checkpoint`` is), or an export directory
    vkey: str
    genesis: str
    backend: str  # "sqlite" or "postgresql": the node's own backend kind
    tree_size: int = 0
    checkpoint: str | None = None  # the last verified checkpoint (signed note)
    last_sync: str | None = None  # RFC 3339 wall-clock time of the last attempt
    last_error: str | None = None
    last_fetched: int = 0  # files fetched by the last sync
    added: str = field(default_factory=lambda: _now())

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.vkey)

    def public(self) -> dict[str, Any]:
        """What ``GET /v1/mirrors`` shows (no local paths)."""
        return {k: v for k, v in asdict(self).items() if k != "backend"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def mirrors_dir(data: Path) -> Path:
    return data / MIRRORS_DIR


def _write_spec(directory: Path, spec: MirrorSpec) -> None:
    path = directory / MIRROR_FILE
    tmp = path.with_name(MIRROR_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(spec), indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_spec(directory: Path) -> MirrorSpec:
    try:
        raw = json.loads((directory / MIRROR_FILE).read_text())
        return MirrorSpec(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise MirrorError("config", f"{directory / MIRROR_FILE}: {exc}") from None


def list_mirrors(data: Path) -> list[MirrorSpec]:
    root = mirrors_dir(data)
    if not root.is_dir():
        return []
    return [load_spec(d) for d in sorted(root.iterdir()) if (d / MIRROR_FILE).is_file()]


def find_mirror(data: Path, origin_or_name: str) -> MirrorSpec:
    for spec in list_mirrors(data):
        if origin_or_name in (spec.origin, spec.name):
            return spec
    raise MirrorError("origin", f"no mirror of {origin_or_name!r} in {data}")


# -- stores -------------------------------------------------------------------------------


def _schema(name: str) -> str:
    return "mirror_" + re.sub(r"[^a-z0-9]+", "_", name.lower())[:50]


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def open_mirror_store(data: Path, spec: MirrorSpec, node_store: str | None = None) -> SQLStore:
    """The mirror's store: a SQLite file in its directory, or its own schema in the
    node's PostgreSQL database."""
    if spec.backend == "sqlite":
        return SQLiteStore(mirrors_dir(data) / spec.name / MIRROR_SQLITE)
    url = node_store if node_store is not None else NodeConfig.load(data).store
    if not is_postgresql_url(url):
        raise MirrorError("store", f"the mirror {spec.name} is kept in PostgreSQL, but the "
                          f"node's store is {redact(url)}")
    import psycopg

    schema = _schema(spec.name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    except psycopg.Error as exc:
        raise StorageError(f"cannot create the schema {schema}: {exc}") from None
    return PostgreSQLStore(_with_search_path(url, schema))


# -- adding ------------------------------------------------------------------------------


def _verified_checkpoint(note: bytes, verifier: NoteVerifier, origin: str) -> Checkpoint:
    try:
        checkpoint = Checkpoint.parse(open_note(note, [verifier]).text)
    except (NoteError, CheckpointError) as exc:
        raise MirrorError("checkpoint-signature", f"the checkpoint does not verify with "
                          f"{verifier.verifier_key()}: {exc}") from None
    if checkpoint.origin != origin:
        raise MirrorError("checkpoint-origin", f"the checkpoint is for {checkpoint.origin!r}, "
                          f"not {origin!r}")
    return checkpoint


def _resolve_prefix(location: str, timeout: float) -> tuple[TileSource, str]:
    """The tile source at ``location``; a node's base URL finds its ``/tlog`` prefix."""
    source = open_tile_source(location, timeout=timeout)
    try:
        source.read("checkpoint")
        return source, location.rstrip("/")
    except StorageError as exc:
        if not (isinstance(source, HttpTiles) and getattr(exc, "missing", False)):
            source.close()
            raise MirrorError("fetch", str(exc)) from None
    source.close()
    prefix = location.rstrip("/") + "/tlog"
    return open_tile_source(prefix, timeout=timeout), prefix


def _discover_genesis(source: TileSource, prefix: str, timeout: float) -> str:
    """The register's genesis DID: ``ledger.json`` of an export, or the node's ``/v1/log``.

    Not a trust anchor: a wrong one cannot reproduce the signed state roots.
    """
    try:
        meta = json.loads(source.read(LEDGER_FILE)).get("meta", {})
        if isinstance(meta.get(GENESIS_META), str):
            return str(meta[GENESIS_META])
    except (StorageError, ValueError, AttributeError):
        pass
    if prefix.startswith(("http://", "https://")) and prefix.endswith("/tlog"):
        try:
            info = httpx.get(prefix.removesuffix("/tlog") + "/v1/log", timeout=timeout).json()
            if isinstance(info.get("genesis"), str):
                return str(info["genesis"])
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
    raise MirrorError("genesis", f"{prefix} names no genesis key: give it with --genesis DID")


def add_mirror(data: Path, location: str, vkey: str, *, genesis: str | None = None,
               timeout: float = 30.0) -> MirrorSpec:
    """Register a mirror of the log at ``location`` (a URL or an export directory).

    Its checkpoint must verify with ``vkey`` (whose key name is the log's origin) before
    anything is written. Nothing is fetched beyond it: ``sync_mirror`` does that.
    """
    try:
        verifier = NoteVerifier.from_vkey(vkey.strip())
    except NoteError as exc:
        raise MirrorError("vkey", str(exc)) from None
    config = NodeConfig.load(data)
    if verifier.name == config.origin:
        raise MirrorError("origin", f"{verifier.name} is this node's own log")
    name = safe_name(verifier.name)
    for other in list_mirrors(data):
        if other.origin == verifier.name or other.name == name:
            raise MirrorError("origin", f"{verifier.name} is already mirrored "
                              f"(as {other.name})")
    source, prefix = _resolve_prefix(location, timeout)
    with closing(source):
        _verified_checkpoint(source.read("checkpoint"), verifier, verifier.name)
        genesis = genesis or _discover_genesis(source, prefix, timeout)
    backend = "postgresql" if is_postgresql_url(config.store) else "sqlite"
    directory = mirrors_dir(data) / name
    directory.mkdir(parents=True, mode=0o700)
    spec = MirrorSpec(name=name, origin=verifier.name, url=prefix,
                      vkey=verifier.verifier_key(), genesis=genesis, backend=backend)
    with closing(open_mirror_store(data, spec, config.store)) as store:
        if store.get_meta(GENESIS_META) not in (None, genesis):
            raise MirrorError("store", f"the store of {name} holds another register")
        store.set_meta(GENESIS_META, genesis)
    _write_spec(directory, spec)
    return spec


# -- syncing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    name: str
    origin: str
    old_size: int
    tree_size: int
    fetched: int  # files fetched: checkpoint, entry bundles, hash tiles

    @property
    def added(self) -> int:
        return self.tree_size - self.old_size


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def _sync_lock(directory: Path) -> Iterator[None]:
    """One sync of a mirror at a time in this process (the store refuses a second writer's
    stale append anyway)."""
    with _locks_guard:
        lock = _locks.setdefault(str(directory.resolve()), threading.Lock())
    with lock:
        yield


def sync_mirror(data: Path, name: str, *, timeout: float = 30.0,
                node_store: str | None = None) -> SyncResult:
    """Bring the mirror up to the source's latest checkpoint, verifying all of it.

    Records the outcome in ``mirror.json``; raises :class:`MirrorError` (nothing stored)
    if any check fails.
    """
    directory = mirrors_dir(data) / name
    with _sync_lock(directory):
        spec = load_spec(directory)
        source = open_tile_source(spec.url, timeout=timeout)
        try:
            with closing(open_mirror_store(data, spec, node_store)) as store:
                result = _sync(store, spec, source, directory)
        except (MirrorError, StorageError) as exc:
            refused = exc if isinstance(exc, MirrorError) else MirrorError("store", str(exc))
            spec = load_spec(directory)  # as another process may have left it
            spec.last_sync, spec.last_error = _now(), str(refused)
            spec.last_fetched = _fetched(source)
            _write_spec(directory, spec)
            raise refused from None
        finally:
            source.close()
        spec.tree_size = result.summary.tree_size
        latest = result.checkpoint
        spec.checkpoint = latest.note if latest is not None else spec.checkpoint
        spec.last_sync, spec.last_error = _now(), None
        spec.last_fetched = result.summary.fetched
        _write_spec(directory, spec)
        return result.summary


@dataclass(frozen=True)
class _Synced:
    summary: SyncResult
    checkpoint: StoredCheckpoint | None


def _fetched(source: TileSource) -> int:
    return int(getattr(source, "fetched", getattr(source, "reads", 0)))


def _fetch(source: TileSource, path: str) -> bytes:
    try:
        return source.read(path)
    except StorageError as exc:
        raise MirrorError("fetch", str(exc)) from None


def _sync(store: SQLStore, spec: MirrorSpec, source: TileSource, directory: Path) -> _Synced:
    note = _fetch(source, "checkpoint")
    checkpoint = _verified_checkpoint(note, spec.verifier, spec.origin)
    old_size = store.tree_size()
    new_size = checkpoint.tree_size
    previous = store.checkpoint_at(old_size) if old_size else None

    def done(cp: StoredCheckpoint | None) -> _Synced:
        return _Synced(SyncResult(spec.name, spec.origin, old_size, store.tree_size(),
                                  _fetched(source)), cp)

    if new_size < old_size:
        raise MirrorError("rollback", f"the source's checkpoint has {new_size} entries; "
                          f"{old_size} are already verified")
    if new_size == old_size:
        if old_size and checkpoint.root_hash != store.root_hash():
            _keep_evidence(directory, previous, note.decode())
            raise MirrorError("fork", f"the source signs another root for size {new_size} "
                              f"than the one verified (evidence in {EVIDENCE_DIR}/)")
        if store.checkpoint_at(new_size) is None:  # e.g. an empty log's first checkpoint
            store.add_checkpoint(StoredCheckpoint(new_size, note.decode()))
        return done(store.checkpoint_at(new_size))
    signed = StoredCheckpoint(new_size, note.decode())
    append_verified(store, source, signed, checkpoint, spec.genesis)
    store.add_checkpoint(signed)
    return done(signed)


def append_verified(store: SQLStore, source: TileSource, signed: StoredCheckpoint,
                    checkpoint: Checkpoint, genesis: str) -> None:
    """Fetch the entries after ``store``'s from ``source`` up to ``checkpoint`` (whose note,
    already verified by the caller, is ``signed``), verify all of them and the register's
    state roots, then append them in one transaction. MirrorError: nothing stored."""
    old_size = store.tree_size()
    previous = store.checkpoint_at(old_size) if old_size else None
    origin = checkpoint.origin
    remote = TiledLog(source, signed, {old_size: previous} if previous else None,
                      {GENESIS_META: genesis}, bundles=1 << 20)
    try:
        tiles = _verify_entries(store, remote, origin, old_size, checkpoint)
        _verify_hash_tiles(source, tiles)
        staged = StagedStore(store)
        report = replay(remote, lambda shadow: RegistryRules(shadow, genesis, origin),
                        compare_records=False, into=staged, entry_types=entry_types())
    except StorageError as exc:
        raise MirrorError("fetch", str(exc)) from None
    if not report.ok:
        raise MirrorError("replay", "; ".join(report.problems))
    if staged.root_hash() != checkpoint.root_hash:  # pragma: no cover - checked above
        raise MirrorError("log-root", "the replayed log's root is not the signed one")
    batch = staged.merged()
    assert batch is not None
    store.append(batch)


def _verify_entries(store: SQLStore, remote: TiledLog, origin: str, old_size: int,
                    checkpoint: Checkpoint) -> dict[tuple[int, int], bytes]:
    """All new entries hash, after the verified first ``old_size``, to the signed root (so
    each is the office's, in its place); then each is well-formed and signed.

    Returns the hash tiles the new entries change, as derived from them."""
    tree = TreeAppender.from_reader(store, old_size) if old_size else TreeAppender()
    tiles: dict[tuple[int, int], bytes] = {}
    for _, entries in _chunks(remote, old_size, checkpoint.tree_size):
        tiles.update(tree.append([leaf_hash(raw) for raw in entries]).tiles)
    if tree.root_hash != checkpoint.root_hash:
        raise MirrorError("log-root", f"entries {old_size}..{checkpoint.tree_size - 1} and the "
                          f"verified first {old_size} do not hash to the root the checkpoint "
                          "signs (a modified entry bundle, or a fork)")
    last_time = 0
    if old_size:
        last = parse_json(store.read_entries(old_size - 1, old_size)[0])
        last_time = parse_rfc3339_ms(last["seq"]["time"])
    for start, entries in _chunks(remote, old_size, checkpoint.tree_size):
        for index, raw in enumerate(entries, start):
            last_time = _check_entry(index, raw, origin, last_time)
    return tiles


def _chunks(remote: TiledLog, start: int, end: int, step: int = 4096
            ) -> Iterator[tuple[int, list[bytes]]]:
    for first in range(start, end, step):
        yield first, remote.read_entries(first, min(first + step, end))


def _check_entry(index: int, raw: bytes, origin: str, last_time: int) -> int:
    """What the office's own node checked when it logged the entry; its ledger time."""
    problem, last_time = sequenced_entry_problem(index, raw, last_time)
    if problem is not None:
        raise MirrorError("entry", problem)
    entry = parse_json(raw)
    if entry.get("ledger") != origin:
        raise MirrorError("entry", f"entry {index} is bound to {entry.get('ledger')!r}")
    try:
        verify_entry_signatures(entry)
    except Rejection as exc:
        raise MirrorError("entry", f"entry {index}: {exc.pointer}: {exc.detail}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise MirrorError("entry", f"entry {index} is malformed: {exc}") from None
    return last_time


def _verify_hash_tiles(source: TileSource, tiles: dict[tuple[int, int], bytes]) -> None:
    """The hash tiles the source serves for the new entries are the ones they give."""
    for (level, index), expected in sorted(tiles.items()):
        width = len(expected) // 32
        served = _fetch(source, tile_path(level, index, width))
        if served != expected:
            raise MirrorError("hash-tile", f"tile {level}/{index} (width {width}) is not the "
                              "one the signed entries give")


def _keep_evidence(directory: Path, previous: StoredCheckpoint | None, note: str) -> None:
    """Both checkpoints of a refused sync, for whoever investigates (never overwritten)."""
    folder = directory / EVIDENCE_DIR
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    (folder / f"{stamp}-served-checkpoint").write_text(note)
    if previous is not None:
        (folder / f"{stamp}-verified-checkpoint-{previous.tree_size}").write_text(
            previous.note)


# -- periodic sync (``ipledger serve``) --------------------------------------------------


class MirrorSyncer:
    """Syncs every mirror of a node every ``interval_s`` in a background thread."""

    def __init__(self, data: Path, interval_s: float, timeout: float = 30.0,
                 node_store: str | None = None) -> None:
        self.data, self.interval_s, self.timeout = data, interval_s, timeout
        self.node_store = node_store
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mirror-sync", daemon=True)

    def start(self) -> MirrorSyncer:
        if self.interval_s > 0:
            self._thread.start()
        return self

    def sync_all(self) -> list[SyncResult | MirrorError]:
        out: list[SyncResult | MirrorError] = []
        for spec in list_mirrors(self.data):
            try:
                out.append(sync_mirror(self.data, spec.name, timeout=self.timeout,
                                       node_store=self.node_store))
            except MirrorError as exc:  # recorded in mirror.json, shown by GET /v1/mirrors
                out.append(exc)
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sync_all()
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.timeout + 5)


# -- serving (read-only) -------------------------------------------------------------------


class OpenMirrors:
    """The node's mirrors opened for reading: a store and a read-only ledger each.

    Mirrors added while the node runs are found on the next lookup; stores stay open
    until :meth:`close`.
    """

    def __init__(self, data: Path, node_store: str | None = None) -> None:
        self.data, self.node_store = data, node_store
        self._lock = threading.Lock()
        self._open: dict[str, ReadOnlyLedger] = {}

    def specs(self) -> list[MirrorSpec]:
        return list_mirrors(self.data)

    def ledger(self, name: str) -> ReadOnlyLedger | None:
        """The mirror called ``name`` (its safe name), or None if there is none."""
        with self._lock:
            if name in self._open:
                return self._open[name]
            directory = mirrors_dir(self.data) / name
            if not _SAFE_NAME.fullmatch(name) or not (directory / MIRROR_FILE).is_file():
                return None
            spec = load_spec(directory)
            store = open_mirror_store(self.data, spec, self.node_store)
            opened = self._open[name] = ReadOnlyLedger(store, spec.origin, spec.vkey,
                                                       entry_types())
            return opened

    def ledgers(self) -> list[tuple[MirrorSpec, ReadOnlyLedger]]:
        out = []
        for spec in self.specs():
            opened = self.ledger(spec.name)
            if opened is not None:
                out.append((spec, opened))
        return out

    def close(self) -> None:
        with self._lock:
            for opened in self._open.values():
                opened.store.close()
            self._open.clear()
