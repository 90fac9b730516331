"""The contract between the ledger and the families of entries it carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class EntryType(Protocol):
    """One ``<family>.<action>``: checks its body and names its lookup keys.

    ``check_body`` raises :class:`~ipledger.ledger.errors.Rejection` with a pointer
    under ``/body``; both methods are pure functions of the body.
    """

    name: str

    def check_body(self, body: Mapping[str, Any]) -> None: ...

    def index_keys(self, body: Mapping[str, Any]) -> list[bytes]: ...
