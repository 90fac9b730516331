"""Licences as smart contracts: grants, sublicences, royalties, expiry, termination."""

from __future__ import annotations

from ipledger.registry.families.base import Rule

RULES: dict[str, Rule] = {}
SYSTEM_RULES: dict[str, Rule] = {}
