"""International Patent Classification (IPC) symbol syntax (format only).

A full IPC symbol is written as in the IPC Guide and WIPO ST.8's printed
notation: section letter A-H, two-digit class, subclass letter, one space,
main group (1-4 digits, no leading zero), a slash, subgroup (2-6 digits),
e.g. ``"A47J 31/44"`` or ``"H01L 21/02063"``; a main group has subgroup
``00``. Only the syntax is checked, not whether the symbol exists in the
scheme. ``normalize_ipc`` accepts common loose spellings.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from ipledger.standards.errors import StandardsError

__all__ = [
    "IPC_SECTIONS",
    "IpcSymbol",
    "is_ipc_symbol",
    "normalize_ipc",
    "parse_ipc",
    "validate_ipc",
]

IPC_SECTIONS: Final = "ABCDEFGH"

_SYMBOL = re.compile(r"([A-H])(\d{2})([A-Z]) ([1-9]\d{0,3})/(\d{2,6})")
_LOOSE = re.compile(r"\s*([A-Ha-h])\s*(\d{2})\s*([A-Za-z])\s*0*([1-9]\d{0,3})\s*/\s*(\d{2,6})\s*")


class IpcSymbol(NamedTuple):
    """The parts of an IPC symbol."""

    section: str
    ipc_class: str
    subclass: str
    main_group: str
    subgroup: str

    def __str__(self) -> str:
        return f"{self.section}{self.ipc_class}{self.subclass} {self.main_group}/{self.subgroup}"


def is_ipc_symbol(symbol: object) -> bool:
    """True if ``symbol`` is a canonically written IPC group symbol."""
    return isinstance(symbol, str) and _SYMBOL.fullmatch(symbol) is not None


def validate_ipc(symbol: object, pointer: str = "") -> str:
    """Return ``symbol`` if canonical, else raise ``StandardsError`` (rule ``ipc-symbol``)."""
    if not is_ipc_symbol(symbol):
        raise StandardsError(
            "ipc-symbol",
            f"{symbol!r} is not an IPC symbol like 'A47J 31/44' (sections A-H)",
            pointer,
        )
    assert isinstance(symbol, str)
    return symbol


def parse_ipc(symbol: str, pointer: str = "") -> IpcSymbol:
    """Split a canonical IPC symbol into its parts."""
    m = _SYMBOL.fullmatch(validate_ipc(symbol, pointer))
    assert m is not None
    return IpcSymbol(*m.groups())


def normalize_ipc(text: str, pointer: str = "") -> str:
    """Canonical form of a loosely written symbol (``"a47j31/44"`` -> ``"A47J 31/44"``)."""
    m = _LOOSE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise StandardsError("ipc-symbol", f"{text!r} is not an IPC symbol", pointer)
    section, cls, sub, group, subgroup = m.groups()
    return validate_ipc(f"{section.upper()}{cls}{sub.upper()} {group}/{subgroup}", pointer)
