"""Registration certificates (PDF), checked with tools nobody here wrote (qpdf; poppler's
pdftotext, pdfdetach, pdftoppm; zbar's zbarimg) and offline by ``ipledger verify certificate``
against forged proofs and edited pages."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.cli import main
from ipledger.codec import parse_json
from ipledger.config import Config, ServerConfig
from ipledger.identity import SigningKey
from ipledger.identity.signednote import NoteSigner
from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.log import Checkpoint
from ipledger.pdf import Attachment, DocumentInfo, Link, Page, PdfDocument, build_pdf
from ipledger.registry.extract import verify_extract
from ipledger.services.certificate import (
    LAST_ENTRY_FILE,
    OFFICE_FILE,
    RIGHT_FILE,
    CertificateError,
    CertificateProof,
    certificate_pdf,
    verify_certificate,
)
from ipledger.services.certificate_layout import FALLBACK_NOTE
from tests.certificates.conftest import PENDING, REGISTERED, UNPUBLISHED, Served

Tool = Callable[[str], str]


def run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(tmp_path: Path, data: bytes, name: str = "certificate.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def parties(served: Served) -> list[str]:
    right = parse_json(served.node.ledger.store.read_record(f"right/{REGISTERED}"))
    return [*(o["party"] for o in right["owners"]), *right["representatives"]]


def verify_cli(path: Path, served: Served, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", "certificate", str(path), "--vkey", str(served.vkey)])
    return code, capsys.readouterr().out


def test_qpdf_finds_no_error(served: Served, system_tool: Tool, tmp_path: Path) -> None:
    out = run(system_tool("qpdf"), "--check", str(write(tmp_path, served.certificate)))
    assert "No syntax or stream encoding errors found" in out


def test_pdftotext_shows_the_registered_facts(served: Served, system_tool: Tool,
                                              tmp_path: Path) -> None:
    text = " ".join(run(system_tool("pdftotext"), str(write(tmp_path, served.certificate)),
                        "-").split())
    store = served.node.ledger.store
    note = store.checkpoint_at(served.size).note
    checkpoint = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
    root, state_root = checkpoint.root_hash, checkpoint_state_root(checkpoint)
    assert state_root is not None
    ledger_time = parse_json(store.read_entries(served.size - 1, served.size)[0])["seq"]["time"]
    applicant, co_owner, agent = parties(served)
    for fact in ["Certificate of registration", "EM office (EM)", "Trade mark 000000001",
                 "Application number: 000000001", "Registration number: 000000001",
                 "Mark (verbal element): AURORA BREW", "Classes (Nice): 30, 32",
                 "Status: registered (in force)", "Filing date: 2026-09-21",
                 "Registration date: 2026-12-23", "Expiry date: 2036-09-21",
                 f"1. Applicant ({applicant}), share 1/2",
                 "Address: Calle Mayor 1, 28013 Madrid; country ES",
                 f"2. <U+5F20><U+4F1F> Zhang Wei ({co_owner}), share 1/2", "; country EG",
                 f"Müller & Söhne (Patentanwälte) ({agent})",
                 "Class 30: Coffee; coffee-based beverages",
                 f"As recorded at checkpoint {served.size} (ledger time {ledger_time})",
                 f"Checkpoint root hash (SHA-256, base64): {base64.b64encode(root).decode()}",
                 f"Register state root: {base64.b64encode(state_root).decode()}",
                 FALLBACK_NOTE]:
        assert fact in text, fact
    info = run(system_tool("pdfinfo"), "-isodates", str(tmp_path / "certificate.pdf"))
    dates = {line.split()[0]: line.split()[1] for line in info.splitlines() if "Date:" in line}
    # The checkpoint's ledger time, not the wall clock.
    assert dates == {"CreationDate:": ledger_time[:19] + "Z", "ModDate:": ledger_time[:19] + "Z"}


def test_pdfdetach_gives_the_extracts_the_node_serves(served: Served, system_tool: Tool,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "attachments"
    out.mkdir()
    run(system_tool("pdfdetach"), "-saveall", "-o", str(out),
        str(write(tmp_path, served.certificate)))
    files = {p.name: json.loads(p.read_bytes()) for p in out.iterdir()}
    party_files = {f"party-{p}-extract.json": p for p in parties(served)}
    assert set(files) == {RIGHT_FILE, OFFICE_FILE, LAST_ENTRY_FILE, *party_files}
    size = served.size
    assert files[RIGHT_FILE] == served.get(f"/v1/rights/{REGISTERED}/extract", size=size).json()
    assert files[OFFICE_FILE] == served.get("/v1/state/office/EM", size=size).json()
    for name, party in party_files.items():
        assert files[name] == served.get(f"/v1/state/party/{party}", size=size).json()
    receipt = served.get(f"/v1/entries/{size - 1}/receipt").json()
    assert files[LAST_ENTRY_FILE]["entry"] == receipt["entry"]
    assert files[LAST_ENTRY_FILE]["tree_size"] == size


def test_qr_code_decodes_to_the_extract_as_of_the_checkpoint(served: Served, system_tool: Tool,
                                                             tmp_path: Path) -> None:
    pdf = write(tmp_path, served.certificate)
    run(system_tool("pdftoppm"), "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf),
        str(tmp_path / "page"))
    decoded = run(system_tool("zbarimg"), "--raw", "-q", str(tmp_path / "page-1.png")).strip()
    assert decoded == f"{served.url}/v1/rights/{REGISTERED}/extract?size={served.size}"
    resp = httpx.get(decoded, timeout=30)
    assert resp.status_code == 200
    verified = verify_extract(resp.json(), [served.node.ledger.note_signer.verifier()])
    assert verified.checkpoint.tree_size == served.size
    assert resp.json() == json.loads(PdfDocument(served.certificate).attachments()[RIGHT_FILE])
    assert PdfDocument(served.certificate).page_links(
        PdfDocument(served.certificate).pages()[0]) == [decoded]


def test_offline_verification_passes_on_the_real_certificate(
        served: Served, tmp_path: Path, system_tool: Tool,
        capsys: pytest.CaptureFixture[str]) -> None:
    pdf = write(tmp_path, served.certificate)
    code, out = verify_cli(pdf, served, capsys)
    assert code == 0, out
    applicant, co_owner, _ = parties(served)
    assert f"EM/trademark/000000001 is registered (owners {applicant}, {co_owner})" in out
    # Rewritten by another tool (object streams, QDF form): the same facts, still valid.
    qpdf = system_tool("qpdf")
    for args in (["--object-streams=generate"], ["--qdf"]):
        subprocess.run([qpdf, *args, str(pdf), str(tmp_path / "rewritten.pdf")], check=True)
        code, out = verify_cli(tmp_path / "rewritten.pdf", served, capsys)
        assert code == 0, (args, out)


@pytest.mark.parametrize(("shown", "edited"), [
    (b"AURORA BREW", b"AURORA BROW"),
    (b"share 1/2", b"share 2/2"),
    (b"Status: registered", b"Status: REGISTERED"),
    (b"Expiry date: 2036", b"Expiry date: 2046"),
])
def test_edited_visible_text_fails(served: Served, tmp_path: Path, system_tool: Tool,
                                   capsys: pytest.CaptureFixture[str], shown: bytes,
                                   edited: bytes) -> None:
    assert served.certificate.count(shown) >= 1
    pdf = write(tmp_path, served.certificate.replace(shown, edited, 1))
    assert "No syntax or stream encoding errors" in run(system_tool("qpdf"), "--check", str(pdf))
    code, out = verify_cli(pdf, served, capsys)
    assert code == 1
    assert "FAILED" in out and "visible-text" in out and edited.decode() in out, out


def test_moved_qr_module_or_link_fails(served: Served, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pdf = served.certificate
    content = PdfDocument(pdf).page_content(PdfDocument(pdf).pages()[0])
    first_rect = content.split(b"\n")[1]  # "x y w h re" of the QR code's first run
    x = first_rect.split(b" ")[0]
    moved = first_rect.replace(x, str(float(x) + 1).encode()[:len(x)].ljust(len(x), b"0"), 1)
    assert moved != first_rect and len(moved) == len(first_rect)
    code, out = verify_cli(write(tmp_path, pdf.replace(first_rect, moved, 1)), served, capsys)
    assert code == 1 and "drawing" in out, out
    link = f"extract?size={served.size}".encode()
    other = f"extract?size={served.size - 1}".encode()
    code, out = verify_cli(write(tmp_path, pdf.replace(b"(" + served.url.encode()
                                                       + f"/v1/rights/{REGISTERED}/".encode()
                                                       + link + b")", b"(" + served.url.encode()
                                                       + f"/v1/rights/{REGISTERED}/".encode()
                                                       + other + b")", 1)), served, capsys)
    assert code == 1 and "FAILED" in out and "link" in out, out


def _proof(pdf: bytes) -> CertificateProof:
    files = {k: json.loads(v) for k, v in PdfDocument(pdf).attachments().items()}
    return CertificateProof(files.pop(RIGHT_FILE), files.pop(OFFICE_FILE),
                            {k.removeprefix("party-").removesuffix("-extract.json"): v
                             for k, v in files.items() if k.startswith("party-")},
                            files[LAST_ENTRY_FILE])


def test_forged_embedded_extracts_fail(served: Served, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    verifier = served.node.ledger.note_signer.verifier()
    # A forger re-renders a consistent-looking certificate from an edited extract.
    proof = _proof(served.certificate)
    proof.right["record"]["owners"][0]["share"] = [2, 2]
    forged = certificate_pdf(proof, served.url)
    with pytest.raises(CertificateError) as info:
        verify_certificate(forged, [verifier])
    assert info.value.step == "extract" and "state-proof" in info.value.detail

    proof = _proof(served.certificate)
    co_owner = proof.parties[served.co_owner]
    co_owner["record"]["details"][0]["name"] = "Somebody Else"
    code, out = verify_cli(write(tmp_path, certificate_pdf(proof, served.url)), served, capsys)
    assert code == 1 and f"party-{served.co_owner}-extract.json: state-proof" in out, out

    # Valid extracts of another right, spliced under the first right's pages.
    pending = served.get(f"/v1/rights/{PENDING}/extract", size=served.size).json()
    proof = _proof(served.certificate)
    swapped = CertificateProof(pending, proof.office, proof.parties, proof.last_entry)
    with pytest.raises(CertificateError) as info:
        verify_certificate(_with_attachments(served.certificate, swapped.files()), [verifier])
    assert info.value.step == "extract" and "owners and representatives" in info.value.detail


def _with_attachments(pdf: bytes, files: dict[str, bytes]) -> bytes:
    """``pdf``'s pages with other attachments (as a forger splicing documents would)."""
    doc = PdfDocument(pdf)
    pages = [Page(doc.page_content(p), [Link(tuple(a["Rect"]), a["A"]["URI"].decode())
                                        for a in doc.page_annotations(p)])
             for p in doc.pages()]
    when = datetime(2026, 12, 23, tzinfo=UTC)
    return build_pdf(pages, DocumentInfo("t", "a", "s", when),
                     [Attachment(n, d, "application/json", "", when) for n, d in files.items()])


def test_a_foreign_key_does_not_verify(served: Served, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    other = NoteSigner(served.node.ledger.origin, SigningKey.generate())
    vkey = tmp_path / "other.vkey"
    vkey.write_text(other.verifier_key())
    capsys.readouterr()
    code = main(["verify", "certificate", str(write(tmp_path, served.certificate)),
                 "--vkey", str(vkey)])
    assert code == 1 and "checkpoint-signature" in capsys.readouterr().out


def test_unknown_unpublished_and_unregistered_rights_are_problems(served: Served) -> None:
    size = served.node.ledger.store.tree_size()
    for right, status, rule in [("EM/trademark/000000099", 404, "not-found"),
                                (UNPUBLISHED, 404, "not-found"),
                                (PENDING, 409, "not-registered")]:
        resp = served.get(f"/v1/rights/{right}/certificate.pdf")
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        doc = resp.json()
        assert doc["rule"] == rule and doc["pointer"] == "/number", doc
    # The unpublished right answers exactly like one that does not exist.
    missing = served.get("/v1/rights/EM/trademark/000000099/certificate.pdf").json()["detail"]
    hidden = served.get(f"/v1/rights/{UNPUBLISHED}/certificate.pdf").json()["detail"]
    assert hidden == missing.replace("000000099", "000000003")
    for params, status, rule in [({"size": "x"}, 400, "bad-parameter"),
                                 ({"size": 10**6}, 404, "not-found"),
                                 ({"at": "yesterday"}, 400, "bad-parameter")]:
        resp = served.get(f"/v1/rights/{REGISTERED}/certificate.pdf", **params)
        assert (resp.status_code, resp.json()["rule"]) == (status, rule)
    assert served.node.ledger.store.tree_size() == size  # nothing was written


def test_public_url_is_the_base_of_the_link(served: Served) -> None:
    app = create_app(served.node.ledger)
    app.state.config = Config(server=ServerConfig(public_url="https://register.office.example"))
    with TestClient(app) as client:
        pdf = client.get(f"/v1/rights/{REGISTERED}/certificate.pdf?size={served.size}").content
    doc = PdfDocument(pdf)
    assert doc.page_links(doc.pages()[0]) == [
        f"https://register.office.example/v1/rights/{REGISTERED}/extract?size={served.size}"]
    verified = verify_certificate(pdf, [served.node.ledger.note_signer.verifier()])
    assert verified.right["number"] == "000000001"


def test_cli_downloads_a_certificate(served: Served, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cert.pdf"
    assert main(["certificate", "get", REGISTERED, "--node", served.url, "-o", str(out),
                 "--size", str(served.size)]) == 0
    assert out.read_bytes() == served.certificate
    refused = tmp_path / "pending.pdf"
    capsys.readouterr()
    assert main(["certificate", "get", PENDING, "--node", served.url, "-o", str(refused)]) == 1
    assert "not-registered" in capsys.readouterr().err and not refused.exists()
    assert main(["certificate", "get", "EM/trademark", "--node", served.url,
                 "-o", str(refused)]) == 2


def test_same_bytes_for_the_same_checkpoint_after_the_register_moves_on(served: Served) -> None:
    path = f"/v1/rights/{REGISTERED}/certificate.pdf"
    assert served.get(path, size=served.size).content == served.certificate
    node = served.node
    node.clock.now_ms += 86_400_000
    node.submit(node.genesis, "office.register",
                {"office": "US", "name": "USPTO", "profile": "uspto"})
    latest = node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
    now = served.get(path)
    assert now.status_code == 200 and now.content != served.certificate
    assert f"extract?size={latest.tree_size}".encode() in now.content
    assert served.get(path, size=served.size).content == served.certificate


def test_the_route_is_in_the_openapi_document(served: Served) -> None:
    spec = served.get("/openapi.json").json()
    operation = spec["paths"]["/v1/rights/{office}/{kind}/{number}/certificate.pdf"]["get"]
    assert operation["responses"]["200"]["content"]["application/pdf"]["example"]
    assert {"200", "400", "404", "409"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["office", "kind", "number", "size",
                                                            "at"]
    assert "not-registered" in spec["components"]["schemas"]["Problem"]["properties"]["rule"][
        "enum"]
    assert served.get("/problems/not-registered").status_code == 200
    # Mirrored registers are served read-only without certificates, and say so.
    assert not [p for p in spec["paths"] if p.startswith("/v1/mirrors/") and ".pdf" in p]


@pytest.mark.parametrize(("original", "edited"), [
    # Another encoding or font program could draw other glyphs than the text says.
    (b"/BaseFont /Helvetica /Encoding /WinAnsiEncoding",
     b"/BaseFont /Helvetica /Encoding /MacRomanEncoding"),
    (b"/BaseFont /Helvetica-Bold", b"/BaseFont /Times-Bold"),
    # A crop box could hide lines (here: everything below the header).
    (b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 595 842] /CropBox [0 600 595 842]"),
])
def test_fonts_and_visible_area_are_checked(served: Served, tmp_path: Path, system_tool: Tool,
                                            capsys: pytest.CaptureFixture[str], original: bytes,
                                            edited: bytes) -> None:
    assert served.certificate.count(original) == 1
    raw = write(tmp_path, served.certificate.replace(original, edited), "raw.pdf")
    repaired = tmp_path / "edited.pdf"  # qpdf rebuilds the cross-reference table
    done = subprocess.run([system_tool("qpdf"), str(raw), str(repaired)], capture_output=True)
    assert done.returncode in (0, 3), done.stderr  # 3: repaired with warnings
    assert "No syntax or stream encoding errors" in run(system_tool("qpdf"), "--check",
                                                        str(repaired))
    code, out = verify_cli(repaired, served, capsys)
    assert code == 1 and "FAILED" in out and ": page: page 1 " in out, out


def test_an_annotation_over_the_page_fails(served: Served) -> None:
    doc = PdfDocument(served.certificate)
    page = doc.pages()[0]
    (link,) = doc.page_annotations(page)
    cover = Page(doc.page_content(page), [Link(tuple(link["Rect"]), link["A"]["URI"].decode()),
                                          Link((0, 0, 595, 842), "https://elsewhere.example/")])
    when = datetime(2026, 12, 23, tzinfo=UTC)
    pdf = build_pdf([cover], DocumentInfo("t", "a", "s", when),
                    [Attachment(n, d, "application/json", "", when)
                     for n, d in doc.attachments().items()])
    with pytest.raises(CertificateError) as info:
        verify_certificate(pdf, [served.node.ledger.note_signer.verifier()])
    assert info.value.step == "page" and "annotations" in info.value.detail
