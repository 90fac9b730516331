"""A shared ledger's network description (``network.json``): who orders, who validates.

Every office node of one shared ledger holds the same file. It names the ledger's origin,
the JetStream stream that orders its entries, the register's genesis key, the member
offices with their cosigner keys, and how many cosignatures make a checkpoint final.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NETWORK_FILE = "network.json"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


class NetworkConfigError(ValueError):
    """``network.json`` is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Member:
    """One office of the network: its name and its cosigner verifier key (signed-note form)."""

    name: str
    cosigner: str


@dataclass(frozen=True)
class NetworkConfig:
    ledger: str  # the shared ledger's origin
    stream: str  # JetStream stream name
    genesis: str  # DID of the register's genesis key (the same on every node)
    members: tuple[Member, ...]
    quorum: int
    replicas: int = 3

    @property
    def subject(self) -> str:
        """The subject the stream orders (one per shared ledger)."""
        return f"ipledger.{self.stream}.entries"

    @property
    def cosignature_subject(self) -> str:
        return f"ipledger.{self.stream}.cosignatures"

    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise NetworkConfigError(f"{name!r} is not a member of the network")

    def to_json(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "stream": self.stream, "genesis": self.genesis,
                "quorum": self.quorum, "replicas": self.replicas,
                "members": [{"name": m.name, "cosigner": m.cosigner} for m in self.members]}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def from_json(cls, raw: Any) -> NetworkConfig:
        if not isinstance(raw, dict):
            raise NetworkConfigError("network.json must hold a JSON object")
        known = {"ledger", "stream", "genesis", "quorum", "replicas", "members"}
        if unknown := sorted(set(raw) - known):
            raise NetworkConfigError(f"unknown keys in network.json: {', '.join(unknown)}")
        try:
            members = tuple(Member(str(m["name"]), str(m["cosigner"])) for m in raw["members"])
            config = cls(ledger=str(raw["ledger"]), stream=str(raw["stream"]),
                         genesis=str(raw["genesis"]), members=members,
                         quorum=raw["quorum"], replicas=raw.get("replicas", 3))
        except (KeyError, TypeError) as exc:
            raise NetworkConfigError(f"network.json lacks or mistypes {exc}") from None
        config.check()
        return config

    @classmethod
    def load(cls, path: Path) -> NetworkConfig:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise NetworkConfigError(f"no network description at {path}") from None
        except json.JSONDecodeError as exc:
            raise NetworkConfigError(f"{path} is not JSON: {exc}") from None
        return cls.from_json(raw)

    def check(self) -> None:
        if not _NAME.match(self.stream):
            raise NetworkConfigError("stream must be 1-64 letters, digits, '_' or '-'")
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise NetworkConfigError("member names must be unique")
        if not self.members:
            raise NetworkConfigError("a network needs at least one member")
        if isinstance(self.quorum, bool) or not isinstance(self.quorum, int) \
                or not 1 <= self.quorum <= len(self.members):
            raise NetworkConfigError(f"quorum must be an integer in 1..{len(self.members)}")
        if isinstance(self.replicas, bool) or self.replicas not in (1, 3, 5):
            raise NetworkConfigError("replicas must be 1, 3 or 5")
