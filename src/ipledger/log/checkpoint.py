"""C2SP tlog-checkpoint note text: origin, tree size, root hash, optional extension lines.

Only the body is handled here; signing it as a C2SP signed note is another layer's job.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .hashing import HASH_SIZE

__all__ = ["Checkpoint", "CheckpointError"]

_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = (1 << 64) - 1


class CheckpointError(ValueError):
    """A checkpoint body is malformed."""


def _check_line(what: str, line: str) -> None:
    if not line:
        raise CheckpointError(f"{what} is empty")
    # Signed notes forbid control characters other than the newline separating lines.
    for ch in line:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise CheckpointError(f"{what} contains control character {ch!r}")


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log checkpoint body (https://c2sp.org/tlog-checkpoint)."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse values that :meth:`to_text` could not write as a valid checkpoint."""
        _check_line("origin", self.origin)
        if isinstance(self.tree_size, bool) or not 0 <= self.tree_size <= _MAX_SIZE:
            raise CheckpointError(f"tree size {self.tree_size!r} is not a uint64")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("extensions must be a tuple of strings")
        for i, ext in enumerate(self.extensions):
            _check_line(f"extension line {i + 1}", ext)

    def to_text(self) -> str:
        """Return the note text: origin, size, base64 root, extensions, each ending in "\\n"."""
        lines = [
            self.origin,
            str(self.tree_size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly; raise :class:`CheckpointError` naming the problem."""
        if not isinstance(text, str):
            raise CheckpointError("checkpoint text must be a string")
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs origin, tree size and root hash lines")
        origin, size_text, root_text, *extensions = lines
        _check_line("origin", origin)
        if not _SIZE_RE.fullmatch(size_text):
            raise CheckpointError(f"tree size {size_text!r} is not decimal without leading zeros")
        tree_size = int(size_text)
        if tree_size > _MAX_SIZE:
            raise CheckpointError("tree size is above 2**64-1")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise CheckpointError(f"root hash is not standard base64: {exc}") from None
        if base64.b64encode(root).decode("ascii") != root_text:
            raise CheckpointError("root hash is not canonical standard base64")
        if len(root) != HASH_SIZE:
            raise CheckpointError(f"root hash is {len(root)} bytes, want {HASH_SIZE}")
        for i, ext in enumerate(extensions):
            _check_line(f"extension line {i + 1}", ext)
        return cls(origin, tree_size, root, tuple(extensions))
