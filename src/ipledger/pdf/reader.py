"""Read a PDF back: its objects, streams, embedded files, link targets and shown text.

Enough of ISO 32000-1 for certificates this package wrote, including after another tool
rewrote them without object streams (e.g. ``qpdf --qdf``); objects are found by scanning,
so a damaged cross-reference table does not matter, and the last definition of an object
number wins (incremental updates). Anything else is a :class:`PdfReadError`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_INTEGER = re.compile(rb"[+-]?\d+")
_REAL = re.compile(rb"[+-]?(\d+\.\d*|\.\d+)")
_REF_TAIL = re.compile(rb"\s+(\d+)\s+R\b")
_KEYWORDS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\x0c", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}
MAX_DECODED = 64 * 1024 * 1024  # a decompression bomb is refused, not inflated


class PdfReadError(ValueError):
    """The bytes are not a PDF this reader understands."""


class Name(str):
    """A name object, without its slash."""


@dataclass(frozen=True)
class Ref:
    number: int
    generation: int = 0


@dataclass(frozen=True)
class Operator:
    """A bare keyword in a content stream (``Tj``, ``re``, ``BT``...)."""

    word: str


@dataclass
class Stream:
    info: dict[str, Any]
    raw: bytes

    def decoded(self) -> bytes:
        filters = self.info.get("Filter")
        names = [] if filters is None else filters if isinstance(filters, list) else [filters]
        data = self.raw
        for name in names:
            if name != "FlateDecode":
                raise PdfReadError(f"unsupported stream filter {name}")
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(data, MAX_DECODED)
            except zlib.error as exc:
                raise PdfReadError(f"corrupt compressed stream: {exc}") from None
            if inflater.unconsumed_tail:
                raise PdfReadError("a stream inflates beyond the size limit")
        return data


class _Lexer:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def skip_space(self) -> None:
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            if byte in _WHITESPACE:
                self.pos += 1
            elif byte == ord("%"):
                while self.pos < len(data) and data[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                return

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.data)

    def _word(self) -> bytes:
        start = self.pos
        while (self.pos < len(self.data) and self.data[self.pos] not in _WHITESPACE
               and self.data[self.pos] not in _DELIMITERS):
            self.pos += 1
        if start == self.pos:
            raise PdfReadError(f"unexpected byte {self.data[self.pos:self.pos + 1]!r} at "
                               f"offset {self.pos}")
        return self.data[start:self.pos]

    def value(self) -> Any:
        self.skip_space()
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise PdfReadError("unexpected end of data")
        if data.startswith(b"<<", pos):
            return self._dict()
        head = data[pos]
        if head == ord("<"):
            return self._hex_string()
        if head == ord("("):
            return self._literal_string()
        if head == ord("["):
            self.pos += 1
            items = []
            while not self._peek(b"]"):
                items.append(self.value())
            self.pos += 1
            return items
        if head == ord("/"):
            self.pos += 1
            start = self.pos
            while (self.pos < len(data) and data[self.pos] not in _WHITESPACE
                   and data[self.pos] not in _DELIMITERS):
                self.pos += 1
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]),
                         data[start:self.pos])
            return Name(raw.decode("utf-8", "replace"))
        word = self._word()
        if _INTEGER.fullmatch(word):
            ref = _REF_TAIL.match(data, self.pos)
            if ref:
                self.pos = ref.end()
                return Ref(int(word), int(ref[1]))
            return int(word)
        if _REAL.fullmatch(word):
            return float(word)
        if word in _KEYWORDS:
            return _KEYWORDS[word]
        return Operator(word.decode("latin-1"))

    def _peek(self, token: bytes) -> bool:
        self.skip_space()
        if self.pos >= len(self.data):
            raise PdfReadError("unexpected end of data")
        return self.data.startswith(token, self.pos)

    def _dict(self) -> dict[str, Any]:
        self.pos += 2
        out: dict[str, Any] = {}
        while not self._peek(b">>"):
            key = self.value()
            if not isinstance(key, Name):
                raise PdfReadError(f"a dictionary key must be a name, not {key!r}")
            out[key] = self.value()
        self.pos += 2
        return out

    def _hex_string(self) -> bytes:
        end = self.data.find(b">", self.pos)
        if end < 0:
            raise PdfReadError("unterminated hex string")
        digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", self.data[self.pos + 1:end])
        self.pos = end + 1
        try:
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise PdfReadError("bad hex string") from None

    def _literal_string(self) -> bytes:
        data, out, depth = self.data, bytearray(), 0
        self.pos += 1
        while self.pos < len(data):
            byte = data[self.pos]
            self.pos += 1
            if byte == ord("\\"):
                nxt = data[self.pos:self.pos + 1]
                if not nxt:
                    break
                if nxt[0] in _ESCAPES:
                    out += _ESCAPES[nxt[0]]
                    self.pos += 1
                elif nxt in b"01234567":
                    octal = re.compile(rb"[0-7]{1,3}").match(data, self.pos)
                    assert octal is not None
                    out.append(int(octal[0], 8) & 0xFF)
                    self.pos = octal.end()
                elif nxt in b"\r\n":  # a line continuation
                    self.pos += 2 if data.startswith(b"\r\n", self.pos) else 1
                else:
                    self.pos += 1  # an unknown escape: the backslash is dropped
            elif byte == ord("("):
                depth += 1
                out.append(byte)
            elif byte == ord(")"):
                if depth == 0:
                    return bytes(out)
                depth -= 1
                out.append(byte)
            elif byte == ord("\r"):  # an end of line in a string reads as \n
                if data.startswith(b"\n", self.pos):
                    self.pos += 1
                out += b"\n"
            else:
                out.append(byte)
        raise PdfReadError("unterminated string")


class PdfDocument:
    """A parsed PDF: ``objects`` by number, the trailer, and accessors for what certificates
    need."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"%PDF-"):
            raise PdfReadError("not a PDF (no %PDF- header)")
        self.objects: dict[int, Any] = {}
        self.trailer: dict[str, Any] = {}
        pos = 0
        while match := _OBJ.search(data, pos):
            lexer = _Lexer(data, match.end())
            try:
                value = lexer.value()
                lexer.skip_space()
                if data.startswith(b"stream", lexer.pos) and isinstance(value, dict):
                    value, lexer.pos = self._stream(data, lexer.pos, value)
            except PdfReadError:
                pos = match.end()  # not an object after all (e.g. text inside a stream)
                continue
            self.objects[int(match[1])] = value
            pos = lexer.pos
        for stream in [v for v in self.objects.values() if isinstance(v, Stream)]:
            if stream.info.get("Type") == "ObjStm":
                self._unpack(stream)
        for found in re.finditer(rb"trailer\s*<<", data):
            self.trailer = _Lexer(data, found.end() - 2).value()
        if "Root" not in self.trailer:  # a cross-reference stream carries the trailer keys
            for value in self.objects.values():
                if isinstance(value, Stream) and value.info.get("Type") == "XRef":
                    self.trailer = value.info
        if "Root" not in self.trailer:
            raise PdfReadError("no trailer names the document catalog")

    def _unpack(self, stream: Stream) -> None:
        """Add the objects of an object stream (ISO 32000-1 7.5.7) not defined directly."""
        data, count, first = stream.decoded(), stream.info.get("N"), stream.info.get("First")
        if not isinstance(count, int) or not isinstance(first, int):
            raise PdfReadError("an object stream without /N or /First")
        header = _Lexer(data[:first])
        for _ in range(count):
            number, offset = header.value(), header.value()
            if not isinstance(number, int) or not isinstance(offset, int):
                raise PdfReadError("a malformed object stream header")
            if number not in self.objects:
                self.objects[number] = _Lexer(data, first + offset).value()

    def _stream(self, data: bytes, pos: int, info: dict[str, Any]) -> tuple[Stream, int]:
        start = pos + len(b"stream")
        start += 2 if data.startswith(b"\r\n", start) else 1
        length = info.get("Length")
        if isinstance(length, int) and data.startswith(b"endstream", _skip_eol(data,
                                                                                 start + length)):
            end = start + length
        else:  # an indirect or wrong /Length: the data ends before "endstream"
            end = data.find(b"endstream", start)
            if end < 0:
                raise PdfReadError("unterminated stream")
            end -= 2 if data[end - 2:end] == b"\r\n" else 1 if data[end - 1:end] in b"\r\n" \
                else 0
        after = data.find(b"endstream", end) + len(b"endstream")
        return Stream(info, data[start:end]), after

    def get(self, value: Any) -> Any:
        """``value``, or the object it refers to (``None`` for a missing object)."""
        seen = 0
        while isinstance(value, Ref):
            value = self.objects.get(value.number)
            seen += 1
            if seen > 32:
                raise PdfReadError("a reference loop")
        return value

    def _dict(self, value: Any, what: str) -> dict[str, Any]:
        found = self.get(value)
        if isinstance(found, Stream):
            return found.info
        if not isinstance(found, dict):
            raise PdfReadError(f"{what} is not a dictionary")
        return found

    @property
    def catalog(self) -> dict[str, Any]:
        return self._dict(self.trailer["Root"], "the catalog")

    @property
    def info(self) -> dict[str, Any]:
        return self._dict(self.trailer.get("Info", {}), "the document information")

    def pages(self) -> list[dict[str, Any]]:
        """The page dictionaries, in page order."""
        out: list[dict[str, Any]] = []

        def walk(node: Any, depth: int) -> None:
            found = self._dict(node, "a page tree node")
            if depth > 32:
                raise PdfReadError("the page tree is too deep")
            if found.get("Type") == "Page":
                out.append(found)
            else:
                for kid in self.get(found.get("Kids", [])):
                    walk(kid, depth + 1)

        walk(self.catalog.get("Pages"), 0)
        return out

    def stream_data(self, value: Any) -> bytes:
        found = self.get(value)
        if not isinstance(found, Stream):
            raise PdfReadError("expected a stream")
        return found.decoded()

    def page_content(self, page: dict[str, Any]) -> bytes:
        contents = self.get(page.get("Contents"))
        parts = contents if isinstance(contents, list) else [page.get("Contents")]
        return b"\n".join(self.stream_data(part) for part in parts if part is not None)

    def inherited(self, page: dict[str, Any], key: str) -> Any:
        """A page attribute, from the page or the nearest page tree node above it."""
        node: Any = page
        for _ in range(32):
            if not isinstance(node, dict):
                return None
            if key in node:
                return self.get(node[key])
            node = self.get(node.get("Parent"))
        raise PdfReadError("the page tree is too deep")

    def page_fonts(self, page: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The page's font resources by name."""
        resources = self.inherited(page, "Resources")
        fonts = self.get(resources.get("Font")) if isinstance(resources, dict) else None
        return {str(name): self._dict(ref, f"font {name}")
                for name, ref in (fonts if isinstance(fonts, dict) else {}).items()}

    def page_annotations(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._dict(a, "an annotation") for a in self.get(page.get("Annots", [])) or []]

    def page_links(self, page: dict[str, Any]) -> list[str]:
        """The URIs of the page's link annotations."""
        out = []
        for annot in self.page_annotations(page):
            action = self.get(annot.get("A"))
            if isinstance(action, dict) and action.get("S") == "URI":
                uri = self.get(action.get("URI"))
                if isinstance(uri, bytes):
                    out.append(uri.decode("latin-1"))
        return out

    def attachments(self) -> dict[str, bytes]:
        """Embedded files by name (the ``/EmbeddedFiles`` name tree)."""
        names = self.get(self.catalog.get("Names"))
        tree = self.get(names.get("EmbeddedFiles")) if isinstance(names, dict) else None
        out: dict[str, bytes] = {}
        for key, spec in self._name_tree(tree, 0):
            ef = self.get(self._dict(spec, "a file specification").get("EF"))
            if not isinstance(ef, dict):
                raise PdfReadError(f"the file specification {key!r} embeds no file")
            out[key] = self.stream_data(ef.get("UF", ef.get("F")))
        return out

    def _name_tree(self, node: Any, depth: int) -> Iterator[tuple[str, Any]]:
        found = self.get(node)
        if found is None:
            return
        if not isinstance(found, dict) or depth > 32:
            raise PdfReadError("a malformed name tree")
        pairs = self.get(found.get("Names", []))
        for i in range(0, len(pairs) - 1, 2):
            yield text_string(self.get(pairs[i])), pairs[i + 1]
        for kid in self.get(found.get("Kids", [])):
            yield from self._name_tree(kid, depth + 1)


def _skip_eol(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in b"\r\n":
        pos += 1
    return pos


def text_string(value: Any) -> str:
    """A PDF text string as ``str`` (UTF-16BE with a BOM, else PDFDocEncoding ~ Latin-1)."""
    if not isinstance(value, bytes):
        raise PdfReadError(f"expected a string, not {value!r}")
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", "replace")
    return value.decode("latin-1")


def content_tokens(content: bytes) -> list[Any]:
    """A content stream as operands and operators: the same drawing however it is spaced."""
    lexer, out = _Lexer(content), []
    while not lexer.at_end():
        out.append(lexer.value())
    return out


def shown_text(content: bytes) -> list[str]:
    """The strings a content stream shows (``Tj``, ``'``, ``"``, ``TJ``), decoded as
    WinAnsiEncoding, one item per text-showing operator, in stream order."""
    return tokens_text(content_tokens(content))


def tokens_text(tokens: list[Any]) -> list[str]:
    """:func:`shown_text` of a content stream already split by :func:`content_tokens`."""
    operands: list[Any] = []
    out = []
    for token in tokens:
        if not isinstance(token, Operator):
            operands.append(token)
            continue
        shown: list[bytes] = []
        if token.word in ("Tj", "'", '"') and operands and isinstance(operands[-1], bytes):
            shown = [operands[-1]]
        elif token.word == "TJ" and operands and isinstance(operands[-1], list):
            shown = [part for part in operands[-1] if isinstance(part, bytes)]
        if shown:
            out.append(b"".join(shown).decode("cp1252", "replace"))
        operands = []
    return out
