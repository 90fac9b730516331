"""The contract between the ledger and a deterministic state machine over it (the register).

The sequencer runs the rules in log order, inside the batch: an entry the rules refuse is
rejected before it gets an index, and what the accepted entries change is written in the
same storage transaction as the entries themselves. Rules may also emit *system entries*
(automatic events such as the end of an opposition period): unsigned entries that every
node derives identically from the state and the ledger time, checked on replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ipledger.storage.base import StateWrite

__all__ = ["SYSTEM_ACTOR", "StateBatch", "StateRules", "StateWrite"]

SYSTEM_ACTOR = "ledger"  # the actor of system entries; never a signer


class StateBatch(Protocol):
    """The rules' working copy for one batch at one ledger time."""

    def due_entries(self) -> list[dict[str, Any]]:
        """System entries (without ``seq``) due at or before this batch's ledger time."""
        ...

    def apply(self, entry: Mapping[str, Any], index: int) -> list[bytes]:
        """Apply one entry; return its lookup keys. On Rejection nothing has changed."""
        ...

    def finish(self) -> StateWrite: ...


class StateRules(Protocol):
    """A deterministic state machine over the log: state + entry + ledger time -> state."""

    def handles(self, entry_type: str) -> bool: ...

    def begin(self, time_ms: int) -> StateBatch: ...

    def applied(self, write: StateWrite) -> None:
        """The batch that produced ``write`` is the base of the next one, though its storage
        write may still be in flight: reads must see it without the store."""
        ...

    def durable(self, write: StateWrite) -> None:
        """The batch that produced ``write`` is stored (called from the writer thread)."""
        ...

    def reset(self) -> None:
        """A batch failed to store: forget every applied batch that is not durable and
        continue from the store."""
        ...

    def root(self) -> bytes:
        """The state root of the newest applied batch."""
        ...

    def close(self) -> None:
        """Release what the rules hold beyond the store (a worker process)."""
        ...
