"""QR codes (ISO/IEC 18004) for item labels and certificates, drawn by segno."""

from __future__ import annotations

import io

import segno

QUIET_ZONE = 4  # modules of white border the standard requires around the symbol


def _symbol(data: str) -> segno.QRCode:
    # Level M survives a worn or partly covered label; never a Micro QR, which phones do not read.
    return segno.make(data, error="m", micro=False, boost_error=False)


def qr_modules(data: str) -> list[list[bool]]:
    """The symbol's dark modules, row by row, without the quiet zone (for drawing it in a PDF)."""
    return [[bool(cell) for cell in row] for row in _symbol(data).matrix]


def qr_svg(data: str, scale: int = 4) -> str:
    """The symbol as a standalone SVG document (black on white, with its quiet zone)."""
    out = io.BytesIO()
    _symbol(data).save(out, kind="svg", scale=scale, border=QUIET_ZONE, xmldecl=False,
                       svgclass=None, lineclass=None, light="#fff")
    return out.getvalue().decode("ascii")


def qr_png(data: str, scale: int = 4) -> bytes:
    """The symbol as a PNG image (black on white, with its quiet zone)."""
    out = io.BytesIO()
    _symbol(data).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return out.getvalue()
