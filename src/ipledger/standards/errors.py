"""The one error type of the standards layer."""

from __future__ import annotations

__all__ = ["StandardsError", "escape_pointer"]


class StandardsError(ValueError):
    """Data does not conform to a WIPO standard (or to ipledger's profile of one).

    ``pointer`` is the RFC 6901 JSON Pointer of the offending value ("" = the
    whole document; for XML input it is the element's path), ``rule`` a short
    machine-readable id (e.g. ``"st3-code"``), ``detail`` a sentence for humans.
    """

    def __init__(self, rule: str, detail: str, pointer: str = "") -> None:
        super().__init__(f"{rule}: {detail}" + (f" (at {pointer!r})" if pointer else ""))
        self.rule = rule
        self.detail = detail
        self.pointer = pointer


def escape_pointer(token: str | int) -> str:
    """Escape one JSON Pointer reference token (RFC 6901, section 3)."""
    return str(token).replace("~", "~0").replace("/", "~1")
