"""QR codes read back by zbarimg (Debian's zbar-tools), a decoder nobody here wrote."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from ipledger.services.qr import qr_modules, qr_png, qr_svg

URL = "https://register.example.org/v1/authenticity/verify?serial=SN-000123&salt=q3hJx0bXk2Q"


def test_png_decodes_to_the_same_text(tmp_path: Path, system_tool: Callable[[str], str]) -> None:
    image = tmp_path / "label.png"
    image.write_bytes(qr_png(URL))
    out = subprocess.run([system_tool("zbarimg"), "--quiet", "--raw", str(image)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == URL


def test_modules_are_square_with_three_finder_patterns() -> None:
    rows = qr_modules(URL)
    size = len(rows)
    assert all(len(row) == size for row in rows)
    assert (size - 17) % 4 == 0  # versions 1..40 are 21..177 modules wide, in steps of 4
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert all(rows[top][left + i] and rows[top + 6][left + i] for i in range(7))
        assert not rows[top + 1][left + 1]


def test_svg_is_a_standalone_document() -> None:
    svg = qr_svg(URL)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
