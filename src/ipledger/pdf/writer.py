"""Write a PDF: indirect objects, a classic cross-reference table, trailer and ``/Info``.

Deterministic: no clock, no randomness; the file identifier (``/ID``) is the MD5 of the
body (ISO 32000-1 14.4 lets it be computed from the content). Streams of embedded files are
compressed (FlateDecode, zlib level 9); page content is left readable.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ipledger.pdf.text import FONTS, winansi

A4 = (595.0, 842.0)  # points (210 x 297 mm, rounded as is usual)


class Name(str):
    """A PDF name object (``/Name``)."""


@dataclass(frozen=True)
class Ref:
    """A reference to an indirect object (generation 0)."""

    number: int


PdfValue = (None | bool | int | float | str | bytes | Name | Ref
            | Sequence["PdfValue"] | Mapping[str, "PdfValue"])

_DELIMITERS = b"()<>[]{}/%#"


def _name(name: str) -> bytes:
    out = bytearray(b"/")
    for byte in name.encode("utf-8"):
        if byte < 0x21 or byte > 0x7E or byte in _DELIMITERS:
            out += b"#%02X" % byte
        else:
            out.append(byte)
    return bytes(out)


def literal_string(data: bytes) -> bytes:
    """A literal string: ``\\``, parentheses and every non-printable byte escaped."""
    out = bytearray(b"(")
    for byte in data:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _text_string(text: str) -> bytes:
    """A text string (ISO 32000-1 7.9.2.2): ASCII as is, anything else UTF-16BE with a BOM."""
    if all(0x20 <= ord(ch) < 0x7F for ch in text):
        return literal_string(text.encode("ascii"))
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def number(value: float) -> bytes:
    """A PDF number with at most 3 decimals (never exponent notation)."""
    if isinstance(value, int):
        return str(value).encode()
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def serialize(value: PdfValue) -> bytes:
    """One direct object; ``str`` is a text string, ``Name`` a name, ``bytes`` a string."""
    if value is None:
        return b"null"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, Name):
        return _name(value)
    if isinstance(value, str):
        return _text_string(value)
    if isinstance(value, bytes):
        return literal_string(value)
    if isinstance(value, Ref):
        return b"%d 0 R" % value.number
    if isinstance(value, Mapping):
        items = b" ".join(_name(k) + b" " + serialize(v) for k, v in value.items())
        return b"<< " + items + b" >>"
    return b"[" + b" ".join(serialize(v) for v in value) + b"]"


class ObjectTable:
    """Numbered indirect objects, written in number order."""

    def __init__(self) -> None:
        self._bodies: list[bytes | None] = []

    def reserve(self) -> Ref:
        self._bodies.append(None)
        return Ref(len(self._bodies))

    def put(self, ref: Ref, value: PdfValue) -> Ref:
        self._bodies[ref.number - 1] = serialize(value)
        return ref

    def add(self, value: PdfValue) -> Ref:
        return self.put(self.reserve(), value)

    def add_stream(self, info: Mapping[str, PdfValue], data: bytes,
                   compress: bool = False) -> Ref:
        if compress:
            data = zlib.compress(data, 9)
            info = {**info, "Filter": Name("FlateDecode")}
        head = serialize({**info, "Length": len(data)})
        ref = self.reserve()
        self._bodies[ref.number - 1] = head + b"\nstream\n" + data + b"\nendstream"
        return ref

    def write(self, root: Ref, info: Ref) -> bytes:
        # The binary comment marks the file as binary for transfer programs (7.5.2).
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for n, body in enumerate(self._bodies, start=1):
            if body is None:
                raise ValueError(f"object {n} was reserved but never written")
            offsets.append(len(out))
            out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
        file_id = hashlib.md5(bytes(out), usedforsecurity=False).digest()
        xref_at = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n" + serialize({"Size": len(offsets) + 1, "Root": root, "Info": info,
                                         "ID": [file_id, file_id]})
        out += b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(out)


class Canvas:
    """A page's content stream: text in the standard fonts, lines, filled rectangles."""

    def __init__(self) -> None:
        self._ops: list[bytes] = []

    def text(self, x: float, y: float, text: str, size: float, font: str = "F1") -> None:
        """Show ``text`` (WinAnsi; ``ValueError`` otherwise) with its baseline at ``x, y``."""
        if font not in FONTS:
            raise ValueError(f"unknown font resource {font}")
        self._ops.append(b"BT /%s %s Tf %s %s Td %s Tj ET" % (
            font.encode(), number(size), number(x), number(y), literal_string(winansi(text))))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5) -> None:
        self._ops.append(b"%s w %s %s m %s %s l S" % (
            number(width), number(x1), number(y1), number(x2), number(y2)))

    def rectangles(self, rects: Sequence[tuple[float, float, float, float]],
                   gray: float = 0.0) -> None:
        """Fill rectangles ``(x, y, width, height)`` in one gray level, as one path."""
        if not rects:
            return
        ops = [b"%s %s %s %s re" % tuple(number(v) for v in r) for r in rects]
        self._ops.append(b"q %s g\n" % number(gray) + b"\n".join(ops) + b"\nf Q")

    def content(self) -> bytes:
        return b"\n".join(self._ops) + b"\n"


@dataclass(frozen=True)
class Link:
    """A clickable area ``(x1, y1, x2, y2)`` that opens ``uri``."""

    rect: tuple[float, float, float, float]
    uri: str


@dataclass(frozen=True)
class Page:
    content: bytes
    links: Sequence[Link] = ()
    size: tuple[float, float] = A4


@dataclass(frozen=True)
class Attachment:
    """An embedded file (``/EmbeddedFiles``); ``relationship`` is its ``/AFRelationship``."""

    name: str
    data: bytes
    media_type: str
    description: str
    modified: datetime
    relationship: str = "Data"


@dataclass(frozen=True)
class DocumentInfo:
    title: str
    author: str
    subject: str
    created: datetime
    creator: str = "ipledger"
    keywords: Sequence[str] = field(default_factory=tuple)


def pdf_date(moment: datetime) -> str:
    """A PDF date (ISO 32000-1 7.9.4) in UTC: ``D:YYYYMMDDHHmmSSZ``."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")


def _attachment(objects: ObjectTable, item: Attachment) -> Ref:
    stream = objects.add_stream({
        "Type": Name("EmbeddedFile"), "Subtype": Name(item.media_type),
        "Params": {"Size": len(item.data), "ModDate": pdf_date(item.modified),
                   "CheckSum": hashlib.md5(item.data, usedforsecurity=False).digest()},
    }, item.data, compress=True)
    return objects.add({
        "Type": Name("Filespec"), "F": item.name, "UF": item.name, "Desc": item.description,
        "EF": {"F": stream, "UF": stream}, "AFRelationship": Name(item.relationship)})


def build_pdf(pages: Sequence[Page], info: DocumentInfo,
              attachments: Sequence[Attachment] = ()) -> bytes:
    """The whole document: one page per ``pages`` item, ``attachments`` embedded."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    names = [a.name for a in attachments]
    if len(set(names)) != len(names) or not all(n.isascii() and n.isprintable() for n in names):
        raise ValueError("attachment names must be unique printable ASCII")
    objects = ObjectTable()
    catalog, page_tree = objects.reserve(), objects.reserve()
    fonts = {res: objects.add({"Type": Name("Font"), "Subtype": Name("Type1"),
                               "BaseFont": Name(base), "Encoding": Name("WinAnsiEncoding")})
             for res, base in FONTS.items()}
    kids = []
    for page in pages:
        content = objects.add_stream({}, page.content)
        annots = [objects.add({
            "Type": Name("Annot"), "Subtype": Name("Link"), "Rect": list(link.rect),
            "Border": [0, 0, 0], "A": {"S": Name("URI"), "URI": link.uri.encode("ascii")},
        }) for link in page.links]
        page_dict: dict[str, PdfValue] = {
            "Type": Name("Page"), "Parent": page_tree, "MediaBox": [0, 0, *page.size],
            "Resources": {"Font": fonts}, "Contents": content}
        if annots:
            page_dict["Annots"] = annots
        kids.append(objects.add(page_dict))
    objects.put(page_tree, {"Type": Name("Pages"), "Kids": kids, "Count": len(kids)})
    # A name tree's keys are sorted by their bytes (ISO 32000-1 7.9.6): ASCII order here.
    files = [(a.name, _attachment(objects, a)) for a in sorted(attachments,
                                                                 key=lambda a: a.name)]
    catalog_dict: dict[str, PdfValue] = {"Type": Name("Catalog"), "Pages": page_tree}
    if files:
        catalog_dict["Names"] = {"EmbeddedFiles": objects.add(
            {"Names": [v for name, ref in files for v in (name, ref)]})}
        catalog_dict["AF"] = [ref for _, ref in files]
        catalog_dict["PageMode"] = Name("UseAttachments")
    objects.put(catalog, catalog_dict)
    info_ref = objects.add({
        "Title": info.title, "Author": info.author, "Subject": info.subject,
        "Keywords": ", ".join(info.keywords), "Creator": info.creator, "Producer": "ipledger",
        "CreationDate": pdf_date(info.created), "ModDate": pdf_date(info.created)})
    return objects.write(catalog, info_ref)
