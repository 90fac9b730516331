"""Does a document's content agree with its declared media type? (Magic bytes.)

Two rules, both applied to the first :data:`HEAD_BYTES` bytes of an upload:

1. a declared type whose format we can recognise must show its signature: PDF ``%PDF-``,
   PNG, JPEG, GIF, TIFF, WebP, SVG and XML (markup after an optional BOM and white space;
   SVG also an ``<svg`` element), ZIP-based containers (OOXML, ODF, EPUB, 3MF, …), ISO
   base media files (MP4, MOV, M4A, HEIF/AVIF: an ``ftyp`` box; MOV also older atoms),
   MP3 (ID3 tag or an MPEG audio frame), WAV, Ogg, binary glTF;
2. content that carries one of the unambiguous binary signatures must not be declared as
   anything else (a PDF declared ``model/stl`` or ``text/plain`` is refused).

``text/plain`` is further checked over the whole stream (:class:`TextCheck`): valid UTF-8
without NUL characters. Types with no signature (``model/stl``, ``model/obj``, …) are
accepted when rule 2 holds.
"""

from __future__ import annotations

import codecs

HEAD_BYTES = 8192  # how much of the beginning the checks look at

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_SPACE = b" \t\r\n"


def _pdf(h: bytes) -> bool:
    return h.startswith(b"%PDF-")


def _png(h: bytes) -> bool:
    return h.startswith(b"\x89PNG\r\n\x1a\n")


def _jpeg(h: bytes) -> bool:
    return h.startswith(b"\xff\xd8\xff")


def _gif(h: bytes) -> bool:
    return h.startswith((b"GIF87a", b"GIF89a"))


def _tiff(h: bytes) -> bool:
    return h.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"))  # and BigTIFF


def _riff(h: bytes, form: bytes) -> bool:
    return h.startswith(b"RIFF") and h[8:12] == form


def _webp(h: bytes) -> bool:
    return _riff(h, b"WEBP")


def _wav(h: bytes) -> bool:
    return _riff(h, b"WAVE")


def _zip(h: bytes) -> bool:
    return h.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"))


def _isobmff(h: bytes) -> bool:
    return h[4:8] == b"ftyp"


def _quicktime(h: bytes) -> bool:
    return _isobmff(h) or h[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def _id3(h: bytes) -> bool:
    return h.startswith(b"ID3")


def _mp3(h: bytes) -> bool:
    return _id3(h) or (len(h) >= 2 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0)


def _ogg(h: bytes) -> bool:
    return h.startswith(b"OggS")


def _gltf(h: bytes) -> bool:
    return h.startswith(b"glTF")


def _markup(h: bytes) -> bytes:
    """The head without a UTF-8 BOM and leading white space."""
    return h.removeprefix(_UTF8_BOM).lstrip(_XML_SPACE)


def _xml(h: bytes) -> bool:
    return _markup(h).startswith(b"<") and b"\x00" not in h


def _svg(h: bytes) -> bool:
    return _xml(h) and b"<svg" in h


# Formats whose signature is unambiguous: content showing one is that format (rule 2).
_STRONG = {
    "pdf": _pdf, "png": _png, "jpeg": _jpeg, "gif": _gif, "tiff": _tiff, "webp": _webp,
    "wav": _wav, "zip": _zip, "isobmff": _isobmff, "ogg": _ogg, "gltf": _gltf, "mp3": _id3,
}

_ZIP_TYPES = frozenset({
    "application/zip", "application/x-zip-compressed", "application/epub+zip",
    "application/java-archive", "model/3mf", "model/vnd.usdz+zip",
    "application/vnd.google-earth.kmz", "application/vnd.etsi.asic-e+zip",
    "application/vnd.etsi.asic-s+zip",
})
_ISOBMFF_TYPES = frozenset({
    "video/mp4", "audio/mp4", "audio/x-m4a", "video/x-m4v", "video/3gpp", "video/3gpp2",
    "audio/3gpp", "image/heic", "image/heif", "image/avif",
})

# declared media type -> (format, its check)
_DECLARED = {
    "application/pdf": ("pdf", _pdf),
    "image/png": ("png", _png),
    "image/jpeg": ("jpeg", _jpeg),
    "image/gif": ("gif", _gif),
    "image/tiff": ("tiff", _tiff),
    "image/webp": ("webp", _webp),
    "image/svg+xml": ("svg", _svg),
    "application/xml": ("xml", _xml),
    "text/xml": ("xml", _xml),
    "video/quicktime": ("isobmff", _quicktime),
    "audio/mpeg": ("mp3", _mp3),
    "audio/mp3": ("mp3", _mp3),
    "audio/wav": ("wav", _wav),
    "audio/wave": ("wav", _wav),
    "audio/x-wav": ("wav", _wav),
    "audio/vnd.wave": ("wav", _wav),
    "audio/ogg": ("ogg", _ogg),
    "video/ogg": ("ogg", _ogg),
    "application/ogg": ("ogg", _ogg),
    "model/gltf-binary": ("gltf", _gltf),
    **{t: ("zip", _zip) for t in _ZIP_TYPES},
    **{t: ("isobmff", _isobmff) for t in _ISOBMFF_TYPES},
}


def declared_format(media_type: str) -> str | None:
    """The format a declared media type must show, or None if it has no signature."""
    if media_type in _DECLARED:
        return _DECLARED[media_type][0]
    if media_type.endswith("+zip") or media_type.startswith((
            "application/vnd.openxmlformats-officedocument.",
            "application/vnd.oasis.opendocument.")):
        return "zip"
    if media_type.endswith("+xml"):
        return "xml"
    if media_type == "text/plain":
        return "text"
    return None


def sniff(head: bytes) -> str | None:
    """The format whose unambiguous signature ``head`` starts with, if any."""
    for name, check in _STRONG.items():
        if check(head):
            return name
    return None


def head_mismatch(media_type: str, head: bytes) -> str | None:
    """Why ``head`` (the first :data:`HEAD_BYTES` bytes, or all of a shorter document)
    contradicts ``media_type``; None if it agrees."""
    expected = declared_format(media_type)
    found = sniff(head)
    if expected in ("xml", "svg"):
        check = _svg if expected == "svg" else _xml
        if not check(head):
            what = "an <svg> element" if expected == "svg" else "markup ('<')"
            return f"{media_type} must begin with {what} (after an optional BOM)"
        return None
    if expected is not None and expected != "text":
        check = _DECLARED[media_type][1] if media_type in _DECLARED else _STRONG[expected]
        if check(head):
            return None
        shown = f"; it looks like {found.upper()}" if found and found != expected else ""
        return f"the content does not begin with the signature of {media_type}{shown}"
    if found is not None:
        return f"the content is {found.upper()} (by its signature), not {media_type}"
    return None


class TextCheck:
    """``text/plain``: the whole stream must be valid UTF-8 without NUL characters."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.problem: str | None = None
        self._offset = 0

    def feed(self, block: bytes, final: bool = False) -> None:
        if self.problem is not None:
            return
        nul = block.find(b"\x00")
        if nul >= 0:
            self.problem = f"text/plain must not contain NUL (byte {self._offset + nul})"
            return
        try:
            self._decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            self.problem = (f"text/plain must be UTF-8: invalid byte sequence near byte "
                            f"{self._offset + max(0, exc.start)}")
        self._offset += len(block)
