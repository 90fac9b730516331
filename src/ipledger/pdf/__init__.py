"""A small PDF (ISO 32000) writer and reader, enough for the register's certificates.

``writer`` builds a document from pages of vector drawing and standard-14 text (Helvetica,
WinAnsiEncoding), link annotations and embedded files (``/EmbeddedFiles``, ``/AF``);
its output is deterministic: the same input gives the same bytes. ``reader`` parses such a
document back (objects, streams, attachments, the text a page shows) for offline checks.
"""

from ipledger.pdf.layout import Line, flow_pages, wrap_text
from ipledger.pdf.reader import (
    PdfDocument,
    PdfReadError,
    content_tokens,
    shown_text,
    tokens_text,
)
from ipledger.pdf.text import FONTS, encodable, text_width, winansi
from ipledger.pdf.writer import (
    A4,
    Attachment,
    Canvas,
    DocumentInfo,
    Link,
    Page,
    build_pdf,
    pdf_date,
)

__all__ = [
    "A4",
    "FONTS",
    "Attachment",
    "Canvas",
    "DocumentInfo",
    "Line",
    "Link",
    "Page",
    "PdfDocument",
    "PdfReadError",
    "build_pdf",
    "content_tokens",
    "encodable",
    "flow_pages",
    "pdf_date",
    "shown_text",
    "text_width",
    "tokens_text",
    "winansi",
    "wrap_text",
]
