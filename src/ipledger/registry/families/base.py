"""What a family declares for each of its entry types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ipledger.registry.context import EntryContext
from ipledger.registry.schema import Field

Handler = Callable[[EntryContext, dict[str, Any]], None]


@dataclass(frozen=True)
class Rule:
    """An entry type of the register: its body schema and how it changes the state."""

    schema: Mapping[str, Field]
    apply: Handler
    summary: str
    example: Mapping[str, Any] = field(default_factory=dict)  # a valid body, for the docs
