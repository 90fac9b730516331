"""A ledger's read side over a store this node does not write (a mirrored register).

The HTTP handlers (extracts, receipts, tiles) take a :class:`~ipledger.ledger.Ledger`;
a :class:`ReadOnlyLedger` gives them the same proofs over another store, with the
checkpoints that store holds (signed by the other office), and refuses every write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future

from ipledger.ledger.core import Ledger
from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.errors import Rejection
from ipledger.ledger.sequencer import Sequenced
from ipledger.ledger.validation import Validator
from ipledger.log import TileHashCache
from ipledger.storage.base import LedgerStore, StoredCheckpoint


class ReadOnlyLedger(Ledger):
    """Reads and proofs of ``store`` as of its latest stored checkpoint; no writes."""

    def __init__(self, store: LedgerStore, origin: str, verifier_key: str,
                 entry_types: Mapping[str, EntryType]) -> None:
        # Deliberately not Ledger.__init__: no log key, sequencer, signer or workers. The
        # inherited reads (entries, receipts, proofs) need only these attributes.
        self.store = store
        self.origin = origin
        self.rules = None
        self._verifier_key = verifier_key
        self.validator = Validator(origin, entry_types)
        self.rejections: dict[str, int] = {}
        self.proof_cache = TileHashCache()

    @property
    def verifier_key(self) -> str:
        return self._verifier_key

    def start(self) -> ReadOnlyLedger:
        return self

    def close(self) -> None:
        pass  # the store belongs to whoever opened it

    def submit_many(self, raws: Sequence[bytes]) -> list[Future[Sequenced]]:
        raise Rejection("method-not-allowed", f"{self.origin} is a read-only mirror: write "
                        "to the office's own node", status=405)

    def latest_checkpoint(self) -> StoredCheckpoint:
        latest = self.store.latest_checkpoint()
        if latest is None:
            raise Rejection("not-found", f"no checkpoint of {self.origin} is verified yet",
                            status=404)
        return latest

    def tree_size(self) -> int:
        latest = self.store.latest_checkpoint()
        return 0 if latest is None else latest.tree_size

    def wait_for_checkpoint(self, size: int, timeout: float | None = None) -> StoredCheckpoint:
        latest = self.latest_checkpoint()
        if latest.tree_size < size:
            raise Rejection("not-found", f"the mirror has verified {latest.tree_size} entries",
                            status=404)
        return latest
