"""The PDF writer and reader, checked against qpdf and poppler: string escaping, WinAnsi text,
attachments in a sorted name tree, deterministic bytes, multi-page certificate layout."""

from __future__ import annotations

import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ipledger.log import Checkpoint
from ipledger.pdf import (
    Attachment,
    Canvas,
    DocumentInfo,
    Link,
    Page,
    PdfDocument,
    PdfReadError,
    build_pdf,
    shown_text,
    winansi,
)
from ipledger.services.certificate_layout import CertificateView, printable, render_pages

Tool = Callable[[str], str]
WHEN = datetime(2026, 12, 23, 1, 0, tzinfo=UTC)
TRICKY = ["Parens (nested (deep)) and \\ backslash", "Ünïcödé € – “quotes” ‰ ÿ",
          "tab-less % not a comment"]


def _pdf(lines: list[str], attachments: list[Attachment] | None = None) -> bytes:
    canvas = Canvas()
    for i, line in enumerate(lines):
        canvas.text(56, 780 - 20 * i, line, 11, "F2" if i == 0 else "F1")
    canvas.line(56, 700, 500, 700)
    canvas.rectangles([(56, 600, 20, 20), (80, 600, 5.5, 20)])
    page = Page(canvas.content(), [Link((56, 600, 100, 620), "https://example.org/a?b=1")])
    return build_pdf([page], DocumentInfo("Títle (1)", "Office", "Subject", WHEN),
                     attachments or [])


def _check(tmp_path: Path, system_tool: Tool, pdf: bytes) -> Path:
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([system_tool("qpdf"), "--check", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "No syntax or stream encoding errors" in done.stdout, done
    return path


def test_text_is_escaped_and_encoded_as_poppler_reads_it(tmp_path: Path,
                                                         system_tool: Tool) -> None:
    path = _check(tmp_path, system_tool, _pdf(TRICKY))
    text = subprocess.run([system_tool("pdftotext"), str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert [line for line in text.splitlines() if line.strip()] == TRICKY
    doc = PdfDocument(path.read_bytes())
    assert shown_text(doc.page_content(doc.pages()[0])) == TRICKY
    assert doc.page_links(doc.pages()[0]) == ["https://example.org/a?b=1"]
    info = subprocess.run([system_tool("pdfinfo"), str(path)], capture_output=True,
                          text=True, check=True).stdout
    assert "Títle (1)" in info


def test_text_outside_winansi_is_refused_or_shown_as_code_points() -> None:
    for text in ("张伟", "مرحبا", "bell\x07", "C1 \x85"):
        with pytest.raises(ValueError, match="not printable in WinAnsiEncoding"):
            winansi(text)
    assert printable("张伟 Zhang") == "<U+5F20><U+4F1F> Zhang"
    assert printable("a\nb") == "a<U+000A>b"
    assert printable("Müller € “x”") == "Müller € “x”"


def test_attachments_are_listed_in_name_order_and_read_back(tmp_path: Path,
                                                            system_tool: Tool) -> None:
    files = [Attachment(name, data, "application/json", f"file {name}", WHEN)
             for name, data in [("b.json", b'{"b":2}'), ("a.json", b'{"a":"(1)"}'),
                                ("C.json", bytes(range(256)))]]
    pdf = _pdf(["x"], files)
    path = _check(tmp_path, system_tool, pdf)
    listing = subprocess.run([system_tool("pdfdetach"), "-list", str(path)],
                             capture_output=True, text=True, check=True).stdout
    assert listing.splitlines()[1:] == ["1: C.json", "2: a.json", "3: b.json"]
    subprocess.run([system_tool("pdfdetach"), "-save", "1", "-o", str(tmp_path / "c"),
                    str(path)], check=True)
    assert (tmp_path / "c").read_bytes() == bytes(range(256))
    assert PdfDocument(pdf).attachments() == {f.name: f.data for f in files}
    assert pdf == _pdf(["x"], list(reversed(files)))  # deterministic, whatever the input order
    with pytest.raises(ValueError, match="unique"):
        _pdf(["x"], [files[0], files[0]])


def test_unreadable_input_is_a_read_error() -> None:
    for data in (b"not a pdf", b"%PDF-1.7\n1 0 obj\n<< /A 1 >>\nendobj\n"):
        with pytest.raises(PdfReadError):
            PdfDocument(data).pages()
    deflate, zeros = zlib.compressobj(1), bytes(1 << 20)  # 80 MiB of zeros, fast to make
    bomb = b"".join(deflate.compress(zeros) for _ in range(80)) + deflate.flush()
    pdf = (b"%%PDF-1.7\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb)
           + bomb + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n")
    with pytest.raises(PdfReadError, match="size limit"):
        PdfDocument(pdf).stream_data(PdfDocument(pdf).trailer["Root"])


def test_a_long_certificate_flows_onto_more_pages(tmp_path: Path, system_tool: Tool) -> None:
    goods = [{"ClassNumber": n, "GoodsServicesDescriptionText": f"goods of class {n}; " * 6}
             for n in range(1, 46)]
    right = {"office": "EM", "kind": "trademark", "number": "000000042", "state": "registered",
             "owners": [], "classes": list(range(1, 46)), "dates": {"filing_date": "2026-01-01"},
             "data": {"GoodsServicesBag": goods}}
    view = CertificateView(right, {"name": "EM office"}, {},
                           Checkpoint("registry.test/ledger", 7, bytes(32)),
                           "2026-12-23T01:00:00.000Z", "https://register.example/x?size=7")
    pages = render_pages(view)
    assert len(pages) >= 2 and pages[0].links and not pages[1].links
    path = _check(tmp_path, system_tool, build_pdf(pages, DocumentInfo("t", "a", "s", WHEN)))
    text = subprocess.run([system_tool("pdftotext"), str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Class 45: goods of class 45;" in text and "Proof" in text
    assert text.count("\f") == len(pages)
