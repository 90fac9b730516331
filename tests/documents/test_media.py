"""Magic bytes against declared media types (documents/media.py)."""

from __future__ import annotations

import pytest

from ipledger.documents.media import TextCheck, declared_format, head_mismatch, sniff

SAMPLES = {
    "application/pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/gif": b"GIF89a\x01\x00\x01\x00",
    "image/tiff": b"II*\x00\x08\x00\x00\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "image/svg+xml": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    "application/xml": b"\xef\xbb\xbf\r\n<Trademark/>",
    "application/zip": b"PK\x03\x04\x14\x00\x00\x00",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        b"PK\x03\x04\x14\x00\x06\x00",
    "application/vnd.oasis.opendocument.text": b"PK\x03\x04\x14\x00\x00\x08",
    "video/mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00",
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "audio/wav": b"RIFF\x24\x08\x00\x00WAVEfmt ",
    "audio/ogg": b"OggS\x00\x02\x00\x00",
    "model/gltf-binary": b"glTF\x02\x00\x00\x00",
    "text/plain": "Wortmarke AURORA BREW – Klasse 30\n".encode(),
}


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_each_sniffable_type_accepts_its_own_signature(media_type: str) -> None:
    assert head_mismatch(media_type, SAMPLES[media_type]) is None


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_each_sniffable_type_refuses_another_formats_content(media_type: str) -> None:
    other = SAMPLES["image/png" if media_type != "image/png" else "application/pdf"]
    assert head_mismatch(media_type, other) is not None


def test_older_quicktime_atoms_and_bare_mp3_frames() -> None:
    assert head_mismatch("video/quicktime", b"\x00\x00\x00\x08wide\x00\x00") is None
    assert head_mismatch("video/mp4", b"\x00\x00\x00\x08wide\x00\x00") is not None
    assert head_mismatch("audio/mpeg", b"\xff\xfb\x90\x64\x00") is None
    assert head_mismatch("image/svg+xml", b"<?xml version='1.0'?><html/>") is not None


def test_types_without_a_signature_refuse_content_that_has_one() -> None:
    assert declared_format("model/stl") is None
    assert head_mismatch("model/stl", b"solid mark\n facet normal 0 0 1") is None
    assert head_mismatch("model/stl", b"\x00" * 80 + b"\x01\x00\x00\x00") is None
    assert "PDF" in (head_mismatch("model/stl", SAMPLES["application/pdf"]) or "")
    assert "ZIP" in (head_mismatch("model/obj", SAMPLES["application/zip"]) or "")
    assert sniff(b"hello") is None and sniff(b"") is None
    assert head_mismatch("application/pdf", b"") is not None  # an empty "PDF"


def test_text_check_is_incremental() -> None:
    data = "ä✓𝄞".encode() * 3
    check = TextCheck()
    for i in range(len(data)):  # one byte at a time: every split point of every sequence
        check.feed(data[i:i + 1])
    check.feed(b"", final=True)
    assert check.problem is None
    truncated = TextCheck()
    truncated.feed(data[:-1])
    truncated.feed(b"", final=True)
    assert truncated.problem is not None and "UTF-8" in truncated.problem
    nul = TextCheck()
    nul.feed(b"abc")
    nul.feed(b"de\x00f")
    assert nul.problem == "text/plain must not contain NUL (byte 5)"
