"""A node's witness tables, on either SQL backend (the same SQL for SQLite and PostgreSQL).

- ``witness_logs``: the logs this node witnesses (origin, trusted verifier keys) and the
  latest checkpoint it cosigned for each; ``version`` makes the check-and-persist of
  C2SP tlog-witness atomic (one conditional ``UPDATE``).
- ``witness_evidence``: inconsistent checkpoints this node was shown and refused.
- ``witness_targets``: the witnesses this node asks to cosign its own log, and the size
  each last cosigned.
- ``witness_cosignatures``: the cosignature lines they returned, by tree size.

Sizes a foreign log claims are uint64, so they are kept as decimal text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipledger.storage.sql import SQLStore

WITNESS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS witness_logs (origin TEXT PRIMARY KEY, vkeys TEXT NOT NULL,"
    " size TEXT NOT NULL, root TEXT, note TEXT, version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS witness_evidence (id TEXT PRIMARY KEY, origin TEXT NOT NULL,"
    " kind TEXT NOT NULL, recorded TEXT NOT NULL, offered TEXT NOT NULL,"
    " old_size TEXT NOT NULL, proof TEXT NOT NULL, detected_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS witness_targets (url TEXT PRIMARY KEY, vkey TEXT NOT NULL,"
    " size BIGINT)",
    "CREATE TABLE IF NOT EXISTS witness_cosignatures (size BIGINT NOT NULL,"
    " cosigner TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, cosigner))",
)

#: For whole-store copies (backup, restore, migrate): table, columns (key first).
WITNESS_TABLES: Sequence[tuple[str, Sequence[str]]] = (
    ("witness_logs", ("origin", "vkeys", "size", "root", "note", "version")),
    ("witness_evidence", ("id", "origin", "kind", "recorded", "offered", "old_size", "proof",
                          "detected_at")),
    ("witness_targets", ("url", "vkey", "size")),
    ("witness_cosignatures", ("size", "cosigner", "line")),
)


@dataclass(frozen=True)
class WitnessedLog:
    """A log this node witnesses and the latest checkpoint it cosigned (none: size 0)."""

    origin: str
    vkeys: tuple[str, ...]
    size: int
    root: bytes | None
    note: str | None
    version: int


@dataclass(frozen=True)
class Evidence:
    """Two checkpoints of one log that cannot both be honest, as the witness was shown them."""

    id: str  # SHA-256 (hex) of what follows: one record per distinct offer
    origin: str
    kind: str  # "same-size-different-root" or "consistency-proof-failed"
    recorded: str  # the signed checkpoint the witness had cosigned
    offered: str  # the signed checkpoint it was asked to cosign
    old_size: int
    proof: tuple[bytes, ...]
    detected_at: str  # RFC 3339 UTC, the witness's wall clock


@dataclass(frozen=True)
class WitnessTarget:
    """A witness this node asks to cosign its log; ``size``: what it last cosigned."""

    url: str
    vkey: str
    size: int | None


class WitnessStore:
    """The witness tables of one :class:`~ipledger.storage.sql.SQLStore`."""

    def __init__(self, store: SQLStore) -> None:
        self.store = store

    # -- logs witnessed ---------------------------------------------------------------

    def add_log(self, origin: str, vkeys: Sequence[str]) -> None:
        """Witness ``origin`` under these keys (replacing its keys, keeping its state)."""
        with self.store.transaction("witnessed log") as cur:
            cur.execute(self.store.sql(
                "INSERT INTO witness_logs (origin, vkeys, size, version) VALUES (?, ?, '0', 0) "
                "ON CONFLICT (origin) DO UPDATE SET vkeys = excluded.vkeys"),
                (origin, "\n".join(vkeys)))

    def remove_log(self, origin: str) -> bool:
        with self.store.transaction("witnessed log") as cur:
            cur.execute(self.store.sql(
                "DELETE FROM witness_logs WHERE origin = ? RETURNING origin"), (origin,))
            return cur.fetchone() is not None

    def log(self, origin: str) -> WitnessedLog | None:
        rows = self.store.query(
            "SELECT origin, vkeys, size, root, note, version FROM witness_logs "
            "WHERE origin = ?", (origin,))
        return _log(rows[0]) if rows else None

    def logs(self) -> list[WitnessedLog]:
        return [_log(r) for r in self.store.query(
            "SELECT origin, vkeys, size, root, note, version FROM witness_logs ORDER BY origin")]

    def advance(self, seen: WitnessedLog, size: int, root: bytes, note: str) -> bool:
        """Record ``note`` as the latest cosigned checkpoint, only if the state is still
        ``seen`` (atomic check-and-persist); False if another request got there first."""
        with self.store.transaction("witness state") as cur:
            cur.execute(self.store.sql(
                "UPDATE witness_logs SET size = ?, root = ?, note = ?, version = version + 1 "
                "WHERE origin = ? AND version = ? RETURNING version"),
                (str(size), root.hex(), note, seen.origin, seen.version))
            return cur.fetchone() is not None

    # -- evidence -----------------------------------------------------------------

    def add_evidence(self, evidence: Evidence) -> bool:
        """Keep ``evidence`` durably; False if the same offer was already kept."""
        with self.store.transaction("witness evidence") as cur:
            cur.execute(self.store.sql(
                "INSERT INTO witness_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING RETURNING id"),
                (evidence.id, evidence.origin, evidence.kind, evidence.recorded,
                 evidence.offered, str(evidence.old_size),
                 "".join(h.hex() + "\n" for h in evidence.proof), evidence.detected_at))
            return cur.fetchone() is not None

    def evidence_count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM witness_evidence")[0][0])

    def evidence(self) -> list[Evidence]:
        rows = self.store.query(
            "SELECT id, origin, kind, recorded, offered, old_size, proof, detected_at "
            "FROM witness_evidence ORDER BY detected_at, id")
        return [Evidence(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]),
                         tuple(bytes.fromhex(h) for h in str(r[6]).split()), str(r[7]))
                for r in rows]

    # -- witnesses of this node's own log --------------------------------------------

    def add_target(self, url: str, vkey: str) -> None:
        """Ask the witness at ``url`` (verifier key ``vkey``) to cosign this node's log."""
        with self.store.transaction("witness target") as cur:
            cur.execute(self.store.sql(
                "INSERT INTO witness_targets (url, vkey) VALUES (?, ?) "
                "ON CONFLICT (url) DO UPDATE SET vkey = excluded.vkey, size = NULL"),
                (url, vkey))

    def remove_target(self, url: str) -> bool:
        with self.store.transaction("witness target") as cur:
            cur.execute(self.store.sql(
                "DELETE FROM witness_targets WHERE url = ? RETURNING url"), (url,))
            return cur.fetchone() is not None

    def targets(self) -> list[WitnessTarget]:
        return [WitnessTarget(str(r[0]), str(r[1]), None if r[2] is None else int(r[2]))
                for r in self.store.query(
                    "SELECT url, vkey, size FROM witness_targets ORDER BY url")]

    def cosigned(self, target: WitnessTarget, size: int, line: str) -> None:
        """The witness ``target`` cosigned size ``size``: keep its line, note its size."""
        with self.store.transaction("cosignatures") as cur:
            cur.execute(self.store.sql(
                "INSERT INTO witness_cosignatures VALUES (?, ?, ?) "
                "ON CONFLICT (size, cosigner) DO UPDATE SET line = excluded.line"),
                (size, target.vkey, line))
            self._set_target_size(cur, target.url, size)

    def set_target_size(self, url: str, size: int | None) -> None:
        with self.store.transaction("witness target") as cur:
            self._set_target_size(cur, url, size)

    def _set_target_size(self, cur: Any, url: str, size: int | None) -> None:
        cur.execute(self.store.sql("UPDATE witness_targets SET size = ? WHERE url = ?"),
                    (size, url))

    def cosignatures_at(self, size: int) -> list[str]:
        """The cosignature lines kept for the checkpoint of ``size`` (each ends in "\\n")."""
        return [str(r[0]) for r in self.store.query(
            "SELECT line FROM witness_cosignatures WHERE size = ? ORDER BY cosigner", (size,))]


def _log(row: Any) -> WitnessedLog:
    origin, vkeys, size, root, note, version = row
    return WitnessedLog(str(origin), tuple(str(vkeys).split("\n")), int(size),
                        None if root is None else bytes.fromhex(str(root)),
                        None if note is None else str(note), int(version))
