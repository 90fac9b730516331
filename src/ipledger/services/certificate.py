"""Registration certificates as PDF: made from register extracts, checked against them.

A certificate shows a right as of one signed checkpoint and embeds its proof as PDF file
attachments, each verifiable on its own:

- ``right-extract.json``: the right's extract (``/v1/rights/…/extract?size=N``);
- ``office-extract.json`` and ``party-<id>-extract.json``: the office and every owner and
  representative, as of the same checkpoint (names and addresses live in party records);
- ``checkpoint-entry-receipt.json``: the receipt of the checkpoint's last entry, whose ledger
  time is the certificate's date.

Its QR code and link open the right's extract as of that checkpoint. :func:`verify_certificate`
verifies every attachment with the register's own verifiers (``verify_extract``,
``verify_receipt``), lays the certificate out again from the verified records and requires
the pages to be the same: a changed fact, drawing or link fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ipledger.codec import canonicalize, parse_json
from ipledger.identity import NoteVerifier
from ipledger.ledger import Ledger, ReceiptError, parse_rfc3339_ms, verify_receipt
from ipledger.ledger.errors import VerificationError
from ipledger.log import Checkpoint
from ipledger.pdf import (
    A4,
    FONTS,
    Attachment,
    DocumentInfo,
    PdfDocument,
    PdfReadError,
    build_pdf,
    content_tokens,
    tokens_text,
)
from ipledger.registry.extract import ExtractError, VerifiedExtract, make_extract, verify_extract
from ipledger.registry.records import office_record, party_record, right_record
from ipledger.services.certificate_layout import KIND_LABELS, CertificateView, render_pages
from ipledger.storage.base import StoredCheckpoint

RIGHT_FILE = "right-extract.json"
OFFICE_FILE = "office-extract.json"
LAST_ENTRY_FILE = "checkpoint-entry-receipt.json"
_PARTY_FILE = re.compile(r"party-([!-~]+)-extract\.json")


class CertificateError(VerificationError):
    """A certificate failed verification; ``step`` names the check."""


@dataclass(frozen=True)
class CertificateProof:
    """The documents a certificate embeds (all as of one checkpoint)."""

    right: dict[str, Any]
    office: dict[str, Any]
    parties: dict[str, dict[str, Any]]  # party id -> extract
    last_entry: dict[str, Any]  # receipt of the entry at index tree_size - 1

    def files(self) -> dict[str, bytes]:
        files = {RIGHT_FILE: canonicalize(self.right), OFFICE_FILE: canonicalize(self.office),
                 LAST_ENTRY_FILE: canonicalize(self.last_entry)}
        files.update({f"party-{p}-extract.json": canonicalize(e) for p, e in self.parties.items()})
        return files


def extract_path(office: str, kind: str, number: str, tree_size: int) -> str:
    """The API path of a right's extract as of the checkpoint of ``tree_size``."""
    return (f"/v1/rights/{quote(office, safe='')}/{quote(kind, safe='')}/"
            f"{quote(number, safe='')}/extract?size={tree_size}")


def _parties_of(right: Mapping[str, Any]) -> list[str]:
    owners = [o["party"] for o in right.get("owners", [])]
    return list(dict.fromkeys([*owners, *(right.get("representatives") or [])]))


def collect_proof(ledger: Ledger, right_extract: dict[str, Any],
                  checkpoint: StoredCheckpoint) -> CertificateProof:
    """The rest of a certificate's proof, given the right's extract (of a present record)."""
    right = right_extract["record"]
    parties = {p: make_extract(ledger, party_record(p), checkpoint) for p in _parties_of(right)}
    office = make_extract(ledger, office_record(right["office"]), checkpoint)
    last = ledger.receipts([checkpoint.tree_size - 1], checkpoint)[0]
    return CertificateProof(right_extract, office, parties, last)


def _view(right: Mapping[str, Any], office: Mapping[str, Any],
          parties: Mapping[str, Mapping[str, Any] | None], checkpoint: Checkpoint,
          last_entry: Mapping[str, Any], link: str) -> CertificateView:
    return CertificateView(
        right=right, office=office,
        parties={p: record for p, record in parties.items() if record is not None},
        checkpoint=checkpoint, ledger_time=str(last_entry["entry"]["seq"]["time"]), link=link)


def render_certificate(view: CertificateView, proof: CertificateProof) -> bytes:
    """The certificate's PDF bytes (the same bytes for the same view and proof)."""
    right = view.right
    when = datetime.fromtimestamp(parse_rfc3339_ms(view.ledger_time) / 1000, UTC)
    kind = KIND_LABELS.get(right["kind"], right["kind"])
    info = DocumentInfo(
        title=f"Certificate of registration: {right['office']} {kind} {right['number']}",
        author=str(view.office.get("name", right["office"])),
        subject=f"{right_record(right['office'], right['kind'], right['number'])} as of "
                f"checkpoint {view.checkpoint.tree_size} of {view.checkpoint.origin}",
        created=when, keywords=(right["office"], right["kind"], right["number"]))
    descriptions = {RIGHT_FILE: "Register extract of the right (ipledger-extract/1)",
                    OFFICE_FILE: "Register extract of the office",
                    LAST_ENTRY_FILE: "Receipt of the checkpoint's last entry (its ledger time)"}
    attachments = [Attachment(name, data, "application/json",
                              descriptions.get(name, "Register extract of a party"), when)
                   for name, data in proof.files().items()]
    return build_pdf(render_pages(view), info, attachments)


def certificate_pdf(proof: CertificateProof, base_url: str) -> bytes:
    """The certificate for ``proof`` (made by :func:`collect_proof`), linking to ``base_url``."""
    right = proof.right["record"]
    link = base_url.rstrip("/") + extract_path(right["office"], right["kind"], right["number"],
                                               proof.right["tree_size"])
    checkpoint = Checkpoint.parse(str(proof.right["checkpoint"]).split("\n\n", 1)[0] + "\n")
    parties = {p: e["record"] for p, e in proof.parties.items()}
    view = _view(right, proof.office["record"], parties, checkpoint, proof.last_entry, link)
    return render_certificate(view, proof)


# -- verification --------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedCertificate:
    right: dict[str, Any]
    checkpoint: Checkpoint
    ledger_time: str
    link: str
    parties: Mapping[str, dict[str, Any]]


def _json(name: str, data: bytes) -> dict[str, Any]:
    try:
        doc = parse_json(data)
    except ValueError as exc:
        raise CertificateError("attachment", f"{name} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CertificateError("attachment", f"{name} is not a JSON object")
    return doc


def _proof_from(files: Mapping[str, bytes]) -> CertificateProof:
    for name in (RIGHT_FILE, OFFICE_FILE, LAST_ENTRY_FILE):
        if name not in files:
            raise CertificateError("attachment", f"the certificate embeds no {name}")
    parties = {}
    for name, data in files.items():
        match = _PARTY_FILE.fullmatch(name)
        if match:
            parties[match[1]] = _json(name, data)
        elif name not in (RIGHT_FILE, OFFICE_FILE, LAST_ENTRY_FILE):
            raise CertificateError("attachment", f"unexpected attachment {name!r}")
    return CertificateProof(_json(RIGHT_FILE, files[RIGHT_FILE]),
                            _json(OFFICE_FILE, files[OFFICE_FILE]), parties,
                            _json(LAST_ENTRY_FILE, files[LAST_ENTRY_FILE]))


def _checked(name: str, doc: Mapping[str, Any], verifiers: Sequence[NoteVerifier]
             ) -> VerifiedExtract:
    try:
        return verify_extract(doc, verifiers)
    except ExtractError as exc:
        raise CertificateError("extract", f"{name}: {exc.step}: {exc.detail}") from None


def _verify_proof(proof: CertificateProof, verifiers: Sequence[NoteVerifier]
                  ) -> tuple[VerifiedExtract, VerifiedExtract, dict[str, VerifiedExtract]]:
    """Each attachment verified, all against one checkpoint, covering what is shown."""
    right = _checked(RIGHT_FILE, proof.right, verifiers)
    record = right.record
    if record is None or "data" not in record or not right.record_id.startswith("right/"):
        raise CertificateError("extract", f"{RIGHT_FILE} proves no published right")
    if right.record_id != right_record(record["office"], record["kind"], record["number"]):
        raise CertificateError("extract", f"{RIGHT_FILE} holds a record under another id")
    office = _checked(OFFICE_FILE, proof.office, verifiers)
    if office.record_id != office_record(record["office"]) or office.record is None:
        raise CertificateError("extract", f"{OFFICE_FILE} is not the extract of office "
                                          f"{record['office']}")
    parties = {p: _checked(f"party-{p}-extract.json", doc, verifiers)
               for p, doc in proof.parties.items()}
    if sorted(parties) != sorted(_parties_of(record)) or any(
            e.record_id != party_record(p) for p, e in parties.items()):
        raise CertificateError("extract", "the party extracts are not those of the right's "
                                          "owners and representatives")
    try:
        last = verify_receipt(proof.last_entry, verifiers)
    except ReceiptError as exc:
        raise CertificateError("checkpoint-entry", f"{exc.step}: {exc.detail}") from None
    checkpoints = {e.checkpoint for e in (right, office, *parties.values())}
    if checkpoints != {right.checkpoint} or last.checkpoint != right.checkpoint:
        raise CertificateError("checkpoint", "the attachments are not all proven against one "
                                             "checkpoint")
    if last.index != right.checkpoint.tree_size - 1:
        raise CertificateError("checkpoint-entry", "the receipt is not of the checkpoint's last "
                                                   "entry")
    return right, office, parties


_FONT_KEYS = {"Type", "Subtype", "BaseFont", "Encoding"}


def _check_dressing(doc: PdfDocument, pages: Sequence[dict[str, Any]]) -> None:
    """What content streams alone do not show: the fonts that draw the text (an embedded or
    re-encoded font could draw other glyphs than the text says), the visible area, and
    annotations that could cover the page."""
    for n, page in enumerate(pages, start=1):
        fonts = doc.page_fonts(page)
        if set(fonts) != set(FONTS) or any(
                set(font) - _FONT_KEYS or font.get("Subtype") != "Type1"
                or font.get("BaseFont") != FONTS[name] or font.get("Encoding") != "WinAnsiEncoding"
                for name, font in fonts.items()):
            raise CertificateError("page", f"page {n} draws its text with other fonts than the "
                                           "standard Helvetica in WinAnsiEncoding")
        box, crop = doc.inherited(page, "MediaBox"), doc.inherited(page, "CropBox")
        if not _same_box(box, [0, 0, *A4]) or not (crop is None or _same_box(crop, box)):
            raise CertificateError("page", f"page {n} is not an uncropped A4 page")
        annotations = doc.page_annotations(page)
        if len(annotations) != (1 if n == 1 else 0) or any(
                a.get("Subtype") != "Link" or "AP" in a for a in annotations):
            raise CertificateError("page", f"page {n} carries annotations other than the link "
                                           "of its QR code")


def _same_box(box: Any, want: Sequence[float]) -> bool:
    return isinstance(box, list) and len(box) == 4 and all(
        isinstance(v, int | float) and float(v) == float(w) for v, w in zip(box, want, strict=True))


def verify_certificate(pdf: bytes, verifiers: Sequence[NoteVerifier]) -> VerifiedCertificate:
    """Check a certificate offline; raise :class:`CertificateError` at the first failure."""
    if not verifiers:
        raise ValueError("verifying a certificate needs the log's verifier key")
    try:
        doc = PdfDocument(pdf)
        files = doc.attachments()
        pages = doc.pages()
        contents = [doc.page_content(page) for page in pages]
        links = [uri for page in pages for uri in doc.page_links(page)]
        _check_dressing(doc, pages)
    except (PdfReadError, KeyError, TypeError, AttributeError) as exc:
        raise CertificateError("pdf", f"not a readable certificate: {exc}") from None
    proof = _proof_from(files)
    right, office, parties = _verify_proof(proof, verifiers)
    record = right.record
    assert record is not None
    path = extract_path(record["office"], record["kind"], record["number"],
                        right.checkpoint.tree_size)
    if len(links) != 1 or not re.fullmatch(r"https?://[^/?#\s]+" + re.escape(path), links[0]):
        raise CertificateError("link", f"the certificate must link to the extract as of its "
                                       f"checkpoint (…{path}), not {links}")
    assert office.record is not None
    view = _view(record, office.record, {p: e.record for p, e in parties.items()},
                 right.checkpoint, proof.last_entry, links[0])
    have_tokens = [content_tokens(content) for content in contents]
    want_tokens = [content_tokens(page.content) for page in render_pages(view)]
    shown = [line for tokens in have_tokens for line in tokens_text(tokens)]
    wanted = [line for tokens in want_tokens for line in tokens_text(tokens)]
    for i, (have, want) in enumerate(zip(shown, wanted, strict=False)):
        if have != want:
            raise CertificateError("visible-text", f"line {i + 1} shows {have!r} where the "
                                                   f"verified extract gives {want!r}")
    if len(shown) != len(wanted):
        raise CertificateError("visible-text", f"the certificate shows {len(shown)} lines of "
                                               f"text, the verified extract gives {len(wanted)}")
    if have_tokens != want_tokens:
        raise CertificateError("drawing", "the pages' drawing (QR code, rules, positions) "
                                          "differs from the certificate of the verified extract")
    return VerifiedCertificate(record, right.checkpoint, view.ledger_time, links[0],
                               {p: e.record for p, e in parties.items() if e.record})
