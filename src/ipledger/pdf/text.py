"""Text for the standard-14 fonts: WinAnsiEncoding and (approximate) advance widths."""

from __future__ import annotations

# Resource name -> base font. Standard-14 fonts: every PDF reader has them, nothing embedded.
FONTS: dict[str, str] = {"F1": "Helvetica", "F2": "Helvetica-Bold"}

# Advance widths in 1/1000 em, by character class: an upper bound close to Helvetica's
# metrics, used only to wrap lines (the reader draws with its own metrics).
_NARROW = frozenset(" ijlftrI.,;:'!|()[]-/\\`\"")
_WIDE = frozenset("mwMW@%")
_WIDTHS = {"narrow": 333, "wide": 944, "upper": 778, "other": 611}


def winansi(text: str) -> bytes:
    """``text`` in WinAnsiEncoding (ISO 32000-1 Annex D: Windows code page 1252).

    Raises ``ValueError`` for characters outside it and for control characters.
    """
    if not encodable(text):
        raise ValueError(f"not printable in WinAnsiEncoding: {text!r}")
    return text.encode("cp1252")


def encodable(text: str) -> bool:
    """Whether every character of ``text`` prints in WinAnsiEncoding (no control characters)."""
    for ch in text:
        if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:  # C0 and C1 controls, DEL
            return False
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            return False
    return True


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width in points at ``size`` (either font)."""
    units = 0
    for ch in text:
        if ch in _NARROW:
            units += _WIDTHS["narrow"]
        elif ch in _WIDE:
            units += _WIDTHS["wide"]
        elif ch.isupper():
            units += _WIDTHS["upper"]
        else:
            units += _WIDTHS["other"]
    return units * size / 1000
