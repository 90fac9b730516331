"""Chain of title: assignments of rights or shares, mergers, security interests."""

from __future__ import annotations

from ipledger.registry.families.base import Rule

RULES: dict[str, Rule] = {}
SYSTEM_RULES: dict[str, Rule] = {}
