"""``fsck`` for a whole log: recompute every tile and root from the entries and check them.

It trusts nothing stored but the entries themselves: hash tiles, the stored root and every
stored checkpoint are recomputed or re-verified, and the first disagreement is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ipledger.codec import JsonError, canonicalize, parse_json
from ipledger.identity import NoteError, NoteVerifier, open_note
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.log import TILE_WIDTH, Checkpoint, CheckpointError, TreeAppender, leaf_hash
from ipledger.storage.base import LedgerStore

_CHUNK = 16 * TILE_WIDTH


@dataclass
class AuditReport:
    tree_size: int = 0
    checkpoints_checked: int = 0
    tiles_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(store: LedgerStore, size: int) -> Iterator[tuple[int, bytes]]:
    for start in range(0, size, _CHUNK):
        end = min(size, start + _CHUNK)
        yield from zip(range(start, end), store.read_entries(start, end), strict=True)


def sequenced_entry_problem(index: int, entry: bytes, last_time: int
                            ) -> tuple[str | None, int]:
    """What is wrong with the logged entry ``index`` (None: nothing) and the ledger time to
    compare the next entry's with: canonical JSON, its ``seq.index``, monotonic time."""
    try:
        obj = parse_json(entry, allow_floats=False)
        seq = obj["seq"]
        time_ms = parse_rfc3339_ms(seq["time"])
        if canonicalize(obj) != entry:
            return f"entry {index} is not canonical JSON", time_ms
        if seq["index"] != index:
            return f"entry {index} says seq.index {seq['index']}", time_ms
        if time_ms < last_time:
            return f"entry {index}: ledger time goes backwards", last_time
        return None, time_ms
    except (JsonError, KeyError, TypeError, ValueError) as exc:
        return f"entry {index} is malformed: {exc}", last_time


def audit_log(
    store: LedgerStore, origin: str, verifier: NoteVerifier, *, max_problems: int = 20
) -> AuditReport:
    """Check the whole log in ``store``; the report lists what is wrong, if anything."""
    report = AuditReport(tree_size=store.tree_size())
    problems = report.problems
    checkpoints = {s: store.checkpoint_at(s) for s in store.checkpoint_sizes()}
    tree = TreeAppender()
    last_time = 0
    pending: list[bytes] = []

    def flush() -> None:
        result = tree.append(pending)
        pending.clear()
        for (level, index), expected in sorted(result.tiles.items()):
            width = len(expected) // 32
            (stored,) = store.read_tiles([(level, index, width)])
            report.tiles_checked += 1
            if stored != expected:
                problems.append(f"hash tile {level}/{index} (width {width}) differs from the "
                                "hashes of the stored entries")

    def check_checkpoint(size: int) -> None:
        cp = checkpoints.get(size)
        if cp is None:
            return
        report.checkpoints_checked += 1
        try:
            body = Checkpoint.parse(open_note(cp.note, [verifier]).text)
        except (NoteError, CheckpointError) as exc:
            problems.append(f"checkpoint at size {size}: {exc}")
            return
        if (body.origin, body.tree_size) != (origin, size):
            problems.append(f"checkpoint at size {size} names {body.origin}/{body.tree_size}")
        elif body.root_hash != tree.root_hash:
            problems.append(f"checkpoint at size {size} signs a root the entries do not give")

    check_checkpoint(0)
    for index, entry in _entries(store, report.tree_size):
        if len(problems) >= max_problems:
            break
        problem, last_time = sequenced_entry_problem(index, entry, last_time)
        if problem is not None:
            problems.append(problem)
        pending.append(leaf_hash(entry))
        if (index + 1) in checkpoints or len(pending) == _CHUNK:
            flush()
            check_checkpoint(index + 1)
    if pending:
        flush()
    if not problems and store.root_hash() not in (None, tree.root_hash):
        problems.append("the stored root hash differs from the root of the stored entries")
    return report
