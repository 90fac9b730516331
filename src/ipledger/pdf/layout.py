"""Text layout helpers for pages drawn with :class:`~ipledger.pdf.writer.Canvas`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ipledger.pdf.text import text_width
from ipledger.pdf.writer import A4, Canvas, Link, Page


def wrap_text(text: str, size: float, width: float) -> list[str]:
    """Break ``text`` at spaces to fit ``width`` (keeping its indent); cut longer words."""
    indent = text[:len(text) - len(text.lstrip(" "))]
    lines: list[str] = []
    current = indent
    for word in text.split():
        candidate = current + (" " if current.strip() else "") + word
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current.strip():
            lines.append(current)
            current = indent
        while len(word) > 1 and text_width(current + word, size) > width:
            cut = len(word) - 1
            while cut > 1 and text_width(current + word[:cut], size) > width:
                cut -= 1
            lines.append(current + word[:cut])
            word = word[cut:]
        current += word
    lines.append(current)
    return lines


@dataclass(frozen=True)
class Line:
    """A paragraph to flow: wrapped to the text width; ``link`` makes its lines clickable."""

    text: str
    font: str = "F1"
    size: float = 10.0
    link: str | None = None
    space_before: float = 0.0
    rule_after: bool = False  # a horizontal rule under it (titles)


def flow_pages(lines: Sequence[Line], margin: float = 56.0,
               page_size: tuple[float, float] = A4, footer: str | None = None) -> list[Page]:
    """``lines`` flowed top to bottom onto as many pages as they need; ``footer`` (with
    ``{page}`` and ``{pages}``) printed at the foot of every page."""
    width, height = page_size
    text_width_max = width - 2 * margin
    pages: list[tuple[Canvas, list[Link]]] = [(Canvas(), [])]
    y = height - margin
    bottom = margin + (14.0 if footer else 0.0)
    for line in lines:
        leading = line.size * 1.45
        y -= line.space_before
        for text in wrap_text(line.text, line.size, text_width_max):
            if y - leading < bottom:
                pages.append((Canvas(), []))
                y = height - margin
            y -= leading
            canvas, links = pages[-1]
            canvas.text(margin, y, text, line.size, line.font)
            if line.link is not None:
                links.append(Link((margin, y - line.size * 0.25, margin + text_width(
                    text, line.size), y + line.size), line.link))
        if line.rule_after:
            pages[-1][0].line(margin, y - 6, width - margin, y - 6)
            y -= 8
    out = []
    for n, (canvas, links) in enumerate(pages, start=1):
        if footer:
            canvas.text(margin, margin - 4, footer.format(page=n, pages=len(pages)), 8.0)
        out.append(Page(canvas.content(), links, page_size))
    return out
