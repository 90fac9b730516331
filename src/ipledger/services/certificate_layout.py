"""What a registration certificate says and how it is laid out on A4 pages.

A pure function of the certificate's proof (the verified register extracts) and the link to
the register extract: the node renders with it, and ``ipledger verify certificate`` renders
again from the verified extracts and compares, so the visible facts cannot differ from the
proof without the check failing.

Text prints in Helvetica with WinAnsiEncoding (no font is embedded). A character outside
that encoding (e.g. Chinese or Arabic names) is shown as its code point, ``<U+5F20>``, and the
certificate says so; the attached extracts hold the exact text.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.log import Checkpoint
from ipledger.pdf import A4, Canvas, Link, Page, encodable, wrap_text
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.records import party_details
from ipledger.services.qr import QUIET_ZONE, qr_modules

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56.0
MODULE = 2.5  # points per QR module: ~5 pixels at 150 dpi, ~1 mm on paper
FALLBACK_NOTE = ("Characters the certificate's font cannot print are shown as <U+code point>; "
                 "the attached extracts hold the exact text.")

KIND_LABELS = {"trademark": "Trade mark", "patent": "Patent", "utility_model": "Utility model",
               "industrial_design": "Industrial design", "copyright": "Copyright",
               "geographical_indication": "Geographical indication"}
_TITLES = {"patent": ("Title of invention", "InventionTitle"),
           "utility_model": ("Title of invention", "InventionTitle"),
           "industrial_design": ("Title of design", "DesignTitle"),
           "copyright": ("Title of work", "WorkTitle"),
           "geographical_indication": ("Name", "GeographicalIndicationName")}
_CLASSES = {"trademark": "Classes (Nice)", "geographical_indication": "Classes (Nice)",
            "industrial_design": "Classes (Locarno)", "patent": "Classification (IPC)",
            "utility_model": "Classification (IPC)"}
# style -> (font resource, size)
_STYLES = {"title": ("F2", 18.0), "heading": ("F2", 12.0), "text": ("F1", 10.0),
           "small": ("F1", 8.0)}


@dataclass(frozen=True)
class CertificateView:
    """The verified facts a certificate shows (records as of one checkpoint)."""

    right: Mapping[str, Any]
    office: Mapping[str, Any]
    parties: Mapping[str, Mapping[str, Any]]  # party id -> party record
    checkpoint: Checkpoint
    ledger_time: str  # RFC 3339: the time of the checkpoint's last entry
    link: str  # the register extract as of the checkpoint


def printable(text: str) -> str:
    """``text`` with every character WinAnsi cannot print replaced by ``<U+XXXX>``."""
    return "".join(ch if encodable(ch) else f"<U+{ord(ch):04X}>" for ch in text)


def mark_text(right: Mapping[str, Any]) -> str | None:
    reproduction = right.get("data", {}).get("MarkRepresentation", {}).get(
        "MarkReproduction", {})
    text = reproduction.get("WordMarkSpecification", {}).get("MarkVerbalElementText")
    return text if isinstance(text, str) else None


def registration_number(right: Mapping[str, Any]) -> str:
    """The number the office registered the right under: an imported record's as its office
    published it, else the application number (the register numbers a grant like its
    application)."""
    imported = right.get("source", {}).get("record", {}).get("RegistrationNumber")
    return str(imported or right.get("registration_number") or right["number"])


def _title(right: Mapping[str, Any]) -> tuple[str, str] | None:
    if right["kind"] == "trademark":
        text = mark_text(right)
        return None if text is None else ("Mark (verbal element)", text)
    label, key = _TITLES.get(right["kind"], ("Title", "Title"))
    value = right.get("data", {}).get(key)
    return (label, value) if isinstance(value, str) else None


def _party_lines(n: int, owner: Mapping[str, Any], record: Mapping[str, Any] | None
                 ) -> list[tuple[str, str]]:
    party = owner["party"]
    details = party_details(record) if record is not None else {}
    share = owner.get("share")
    share_text = f", share {share[0]}/{share[1]}" if isinstance(share, list) else ""
    lines = [("text", f"{n}. {details.get('name', 'unknown party')} ({party}){share_text}")]
    address = details.get("address")
    where = f"Address: {address}" if address else "Address: not recorded"
    if details.get("country"):
        where += f"; country {details['country']}"
    lines.append(("text", f"    {where}"))
    return lines


def certificate_lines(view: CertificateView) -> list[tuple[str, str]]:
    """Every line of text the certificate shows, as ``(style, text)``, in order."""
    right, cp = view.right, view.checkpoint
    state = right["state"]
    lines: list[tuple[str, str]] = [
        ("title", "Certificate of registration"),
        ("text", f"{view.office.get('name', right['office'])} ({right['office']})"),
        ("small", "An extract of the register, as recorded on its ledger."),
        ("heading", f"{KIND_LABELS.get(right['kind'], right['kind'])} {right['number']}"),
        ("text", f"Application number: {right['number']}"),
        ("text", f"Registration number: {registration_number(right)}"),
    ]
    title = _title(right)
    if title is not None:
        lines.append(("text", f"{title[0]}: {title[1]}"))
    if right.get("classes"):
        label = _CLASSES.get(right["kind"], "Classes")
        lines.append(("text", f"{label}: {', '.join(str(c) for c in right['classes'])}"))
    life = LIFE_STATUS.get(state, "")
    lines.append(("text", f"Status: {state.replace('_', ' ')}"
                          + (f" ({life.replace('_', ' ')})" if life else "")))
    dates = right.get("dates", {})
    for label, key in (("Filing date", "filing_date"), ("Registration date", "registration_date"),
                       ("Expiry date", "expiry_date")):
        value = dates.get(key) or dates.get(f"{key}_computed")
        if value:
            lines.append(("text", f"{label}: {value}"))
    lines.append(("heading", "Owners"))
    for n, owner in enumerate(right.get("owners", []), start=1):
        lines += _party_lines(n, owner, view.parties.get(owner["party"]))
    representatives = right.get("representatives") or []
    if representatives:
        lines.append(("heading", "Representatives"))
        for party in representatives:
            name = party_details(view.parties[party]).get("name", "") \
                if party in view.parties else ""
            lines.append(("text", f"{name} ({party})"))
    goods = right.get("data", {}).get("GoodsServicesBag") or []
    if goods:
        lines.append(("heading", "Goods and services"))
        lines += [("text", f"Class {g.get('ClassNumber')}: {g.get('GoodsServicesDescriptionText')}")
                  for g in goods]
    state_root = checkpoint_state_root(cp)
    lines += [
        ("heading", "Proof"),
        ("text", f"As recorded at checkpoint {cp.tree_size} (ledger time {view.ledger_time}) "
                 f"of the log {cp.origin}."),
        ("text", f"Checkpoint root hash (SHA-256, base64): "
                 f"{base64.b64encode(cp.root_hash).decode()}"),
        ("text", "Register state root: "
                 + (base64.b64encode(state_root).decode() if state_root else "none")),
        ("text", f"Register extract: {view.link}"),
        ("small", "The register extracts that prove these facts are attached to this file. "
                  "Check them, and that this certificate shows what they prove, offline with "
                  "the log's verifier key: ipledger verify certificate FILE --vkey LOG.vkey"),
    ]
    shown = [(style, printable(text)) for style, text in lines]
    if shown != lines:
        shown.append(("small", FALLBACK_NOTE))
    return shown


def _qr_rects(modules: list[list[bool]], left: float, top: float
              ) -> list[tuple[float, float, float, float]]:
    """The QR code's dark modules as rectangles, one per horizontal run."""
    rects = []
    for row, cells in enumerate(modules):
        y = top - (row + 1) * MODULE
        col = 0
        while col < len(cells):
            if cells[col]:
                start = col
                while col < len(cells) and cells[col]:
                    col += 1
                rects.append((left + start * MODULE, y, (col - start) * MODULE, MODULE))
            else:
                col += 1
    return rects


def render_pages(view: CertificateView) -> list[Page]:
    """The certificate's pages: the QR code top right on the first, text flowing below."""
    pages: list[Page] = []
    canvas = Canvas()
    quiet = QUIET_ZONE * MODULE  # the symbol's quiet zone: clear of text, inside the margin
    top = PAGE_HEIGHT - MARGIN
    modules = qr_modules(view.link)
    side = len(modules) * MODULE
    qr_left, qr_bottom = PAGE_WIDTH - MARGIN - side, top - side
    canvas.rectangles(_qr_rects(modules, qr_left, top))
    links = [Link((qr_left, qr_bottom, qr_left + side, top), view.link)]
    y = top
    for style, text in certificate_lines(view):
        font, size = _STYLES[style]
        leading = size * 1.45
        if style == "heading":
            y -= size * 0.6
        width = PAGE_WIDTH - 2 * MARGIN
        for line in wrap_text(text, size, width if y - leading < qr_bottom - quiet or pages
                          else qr_left - quiet - MARGIN):
            if y - leading < MARGIN:
                pages.append(Page(canvas.content(), links))
                canvas, links, y = Canvas(), [], top
            y -= leading
            canvas.text(MARGIN, y, line, size, font)
        if style == "title":
            canvas.line(MARGIN, y - 6, qr_left - quiet, y - 6)
            y -= 6
    pages.append(Page(canvas.content(), links))
    return pages

