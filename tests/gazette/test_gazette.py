"""The office gazette over HTTP, CLI and web: issues of a walk across several periods,
confidential applications never shown, PDF/XML/Atom checked by tools nobody here wrote."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree  # type: ignore[import-untyped]

from ipledger.codec import parse_json
from ipledger.identity import NoteSigner, NoteVerifier, SigningKey
from ipledger.pdf import PdfDocument
from ipledger.registry.extract import verify_extract
from ipledger.services.gazette_check import GazetteCheckError, check_issue
from ipledger.standards.st96.schema import load_schema, st96_schema_dir
from tests.gazette.conftest import Served, cli

HERE = Path(__file__).parent
WALK = ("EM-2026-W39", "EM-2026-W52", "EM-2027-W05", "EM-2027-W06")


def _get(served: Served, path: str, **params: Any) -> httpx.Response:
    return served.http.get(served.url + path, params=params or None)


def _issue(served: Served, issue: str) -> dict[str, Any]:
    resp = _get(served, f"/v1/gazette/{issue}")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    doc: dict[str, Any] = resp.json()
    return doc


def _items(doc: dict[str, Any], section: str) -> list[tuple[str, str]]:
    return [(i["right"]["title"], i["action"]) for i in doc["items"] if i["section"] == section]


def test_the_publication_batch_publishes_what_is_ready(served: Served) -> None:
    (code1, out1), (code2, out2), (code3, out3) = served.batch
    number = served.register.numbers["HARBOUR LIGHT"]
    assert code1 == 0 and f"SKIPPED EM/trademark/{number}: publishing needs " \
        "examination_passed" in out1
    assert code2 == 0 and f"WOULD PUBLISH EM/trademark/{number} (HARBOUR LIGHT)" in out2
    assert code3 == 0 and f"PUBLISHED EM/trademark/{number} as entry" in out3
    right = _get(served, f"/v1/rights/EM/trademark/{number}").json()["right"]
    assert right["state"] == "opposition_period"
    assert right["history"][-1]["by"] == served.register.office.parties["registrar"]
    # Nothing is left to publish; the confidential application is not even listed.
    ready = _get(served, "/v1/gazette/ready", office="EM").json()
    assert ready == {"office": "EM", "ready": [], "count": 0}


def test_issues_of_the_walk(served: Served) -> None:
    w39 = _issue(served, "EM-2026-W39")
    assert w39["period"] == {"kind": "week", "start": "2026-09-21T00:00:00.000Z",
                             "end": "2026-09-28T00:00:00.000Z"}
    assert _items(w39, "applications") == [("AURORA BREW", "publish"), ("ORORA BRU", "publish")]
    assert all(i["opposition"] == {"start": "2026-09-21", "end": "2026-12-21"}
               for i in w39["items"])
    assert w39["items"][0]["owners"][0]["name"] == "Applicant"
    assert sum(w39["counts"].values()) == 2

    w52 = _issue(served, "EM-2026-W52")
    assert _items(w52, "registrations") == [("AURORA BREW", "register"),
                                            ("ORORA BRU", "register")]
    assert sum(w52["counts"].values()) == 2

    w05 = _issue(served, "EM-2027-W05")
    assert _items(w05, "assignments") == [("AURORA BREW", "assign")]
    assert w05["items"][0]["to"]["name"] == "Beta Kaffee GmbH"
    assert w05["items"][0]["share"] == [1, 2]
    licence = next(i for i in w05["items"] if i["section"] == "licences")
    assert (licence["licence"], licence["licensee"]["name"], licence["type"],
            licence["territory"]) == ("L1", "Gamma Cafés SARL", "non_exclusive", ["FR"])
    assert _items(w05, "terminations") == [("AURORA BREWING", "withdraw")]
    assert _items(w05, "applications") == [], "examined, not published yet"

    w06 = _issue(served, "EM-2027-W06")
    assert _items(w06, "applications") == [("HARBOUR LIGHT", "publish")]
    assert w06["items"][0]["opposition"]["end"] == "2027-05-09"

    empty = _issue(served, "EM-2026-W40")
    assert empty["items"] == [] and set(empty["counts"].values()) == {0}

    listed = _get(served, "/v1/gazette", office="EM").json()
    ids = [i["issue"] for i in listed["issues"]]
    assert ids[0] == "EM-2027-W06" and ids[-1] == "EM-2026-W39" and len(ids) == 21
    assert "EM-2027-W07" not in ids, "the current week is not over"


def test_every_item_is_provable_at_the_closing_checkpoint(served: Served) -> None:
    verifier = NoteVerifier.from_vkey((served.node.data / "log.vkey").read_text().strip())
    for issue in WALK:
        doc = _issue(served, issue)
        cp = doc["checkpoint"]
        stored = served.node.ledger.store.checkpoint_at(cp["size"])
        assert stored is not None and stored.note == cp["note"]
        assert cp["size"] >= doc["entries"]["end"]
        for item in doc["items"]:
            assert item["right"]["extract"].endswith(f"/extract?size={cp['size']}")
            extract = _get(served, item["right"]["extract"]).json()
            verified = verify_extract(extract, [verifier])
            assert verified.checkpoint.tree_size == cp["size"]
            assert verified.record is not None
            record = verified.record
            assert record["number"] == item["right"]["number"]
            if item["section"] != "licences":  # licences live in their own records
                assert item["index"] in [h["index"] for h in record["history"]] + [
                    c["index"] for c in record.get("owner_history", [])]


def _all_forms(served: Served, issue: str) -> dict[str, bytes]:
    forms = {fmt: _get(served, f"/v1/gazette/{issue}{fmt}").content
             for fmt in ("", ".json", ".pdf")}
    xml = _get(served, f"/v1/gazette/{issue}.xml")
    if xml.status_code == 200:
        forms[".xml"] = xml.content
    forms["html"] = _get(served, f"/gazette/{issue}").content
    return forms


def test_unpublished_applications_never_appear(served: Served, tmp_path: Path,
                                               system_tool: Callable[[str], str]) -> None:
    secret = served.register.numbers["SECRET MARK"]
    assert _get(served, f"/v1/rights/EM/trademark/{secret}").status_code == 404
    texts = [_get(served, "/v1/gazette/feed.atom").content, _get(served, "/gazette").content]
    for issue in [i["issue"] for i in _get(served, "/v1/gazette").json()["issues"]]:
        doc = _issue(served, issue)
        assert secret not in [i["right"]["number"] for i in doc["items"]]
        assert "SECRET MARK" not in [i["right"]["title"] for i in doc["items"]]
    # SECRET MARK was filed and examined in W05; W06 is the next issue.
    for issue in ("EM-2027-W05", "EM-2027-W06"):
        forms = _all_forms(served, issue)
        texts += forms.values()
        pdf = tmp_path / f"{issue}.pdf"
        pdf.write_bytes(forms[".pdf"])
        texts.append(subprocess.run([system_tool("pdftotext"), str(pdf), "-"], check=True,
                                    capture_output=True).stdout)
    for text in texts:
        assert b"SECRET MARK" not in text
        assert f"trademark/{secret}".encode() not in text
        assert f"Trade mark {secret}".encode() not in text


def test_pdf_passes_qpdf_and_shows_the_items(served: Served, tmp_path: Path,
                                             system_tool: Callable[[str], str]) -> None:
    pdf = _get(served, "/v1/gazette/EM-2027-W05.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == _get(served, "/v1/gazette/EM-2027-W05.pdf").content, "same bytes"
    path = tmp_path / "w05.pdf"
    path.write_bytes(pdf.content)
    check = subprocess.run([system_tool("qpdf"), "--check", str(path)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = subprocess.run([system_tool("pdftotext"), "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    doc = _issue(served, "EM-2027-W05")
    for needle in ("EM office (EM) gazette EM-2027-W05", "Assignments and changes of owner "
                   "recorded (1)", "AURORA BREW", "Beta Kaffee GmbH", "licence L1",
                   "Gamma Cafés SARL", "AURORA BREWING", "withdrawn on 2027-02-01",
                   f"Closing checkpoint: size {doc['checkpoint']['size']}",
                   doc["checkpoint"]["root_hash"]):
        assert needle in text, needle
    # The PDF embeds the issue it prints, and links every item to its extract.
    reader = PdfDocument(pdf.content)
    assert parse_json(reader.attachments()["gazette-issue.json"]) == doc
    links = {uri for page in reader.pages() for uri in reader.page_links(page)}
    assert {served.url + i["right"]["extract"] for i in doc["items"]} == links


def test_xml_validates_against_the_st96_schemas(served: Served) -> None:
    schema = load_schema("Trademark_V6_0.xsd")  # libxml2's validator, WIPO's XSD files
    assert Path(st96_schema_dir(), "Trademark_V6_0.xsd").is_file()
    for issue in WALK:
        resp = _get(served, f"/v1/gazette/{issue}.xml")
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/xml"
        assert resp.content == _get(served, f"/v1/gazette/{issue}.xml").content
        root = etree.fromstring(resp.content)
        schema.assertValid(root)
        ns = {"tmk": "http://www.wipo.int/standards/XMLSchema/ST96/Trademark",
              "com": "http://www.wipo.int/standards/XMLSchema/ST96/Common"}
        numbers = root.xpath("tmk:Trademark/com:ApplicationNumber/com:ApplicationNumberText/"
                             "text()", namespaces=ns)
        doc = _issue(served, issue)
        assert numbers == list(dict.fromkeys(i["right"]["number"] for i in doc["items"]))
    # An issue without trade marks has no ST.96 form: a problem, not an empty bag.
    empty = _get(served, "/v1/gazette/EM-2026-W40.xml")
    assert empty.status_code == 404
    assert empty.headers["content-type"] == "application/problem+json"


def test_atom_feed_validates_against_rfc_4287(served: Served, tmp_path: Path,
                                             system_tool: Callable[[str], str]) -> None:
    feed = _get(served, "/v1/gazette/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.content == _get(served, "/v1/gazette/feed.atom").content, "same bytes"
    good, broken = tmp_path / "feed.atom", tmp_path / "broken.atom"
    good.write_bytes(feed.content)
    # The schema is not a formality: the same feed without its id must be refused.
    broken.write_bytes(feed.content.replace(b"<id>", b"<ident>", 1)
                       .replace(b"</id>", b"</ident>", 1))
    rnc = str(HERE / "schemas" / "atom.rnc")
    run = subprocess.run([system_tool("jing"), "-c", rnc, str(good), str(broken)],
                         capture_output=True, text=True)
    errors = run.stdout.splitlines()
    assert run.returncode != 0 and errors, run.stderr
    assert all(line.startswith(str(broken)) for line in errors), run.stdout
    assert any('element "ident" not allowed' in line for line in errors)
    root = etree.fromstring(feed.content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    ids = root.xpath("a:entry/a:id/text()", namespaces=atom)
    assert ids[0] == f"{served.url}/v1/gazette/EM-2027-W06" and len(ids) == 20


def test_same_bytes_twice(served: Served) -> None:
    first = _all_forms(served, "EM-2026-W39")
    assert first == _all_forms(served, "EM-2026-W39")
    assert first[""] == first[".json"]


@pytest.mark.parametrize(("issue", "status", "rule"), [
    ("EM-2026-W54", 400, "bad-parameter"),  # 2026 has 53 ISO weeks at most (it has 53)
    ("EM-2026-W00", 400, "bad-parameter"),
    ("EM-2026-13", 400, "bad-parameter"),
    ("EM-2026-02-30", 400, "bad-parameter"),
    ("em-2026-W39", 400, "bad-parameter"),
    ("EM-2026-W39.doc", 400, "bad-parameter"),
    ("EM 2026 W39", 400, "bad-parameter"),
    ("EM-2026-09", 404, "not-found"),  # EM publishes weekly issues, not monthly
    ("EM-2026-09-22", 404, "not-found"),
    ("US-2026-W39", 404, "not-found"),  # no such office
    ("EM-2025-W01", 404, "not-found"),  # before the office existed
    ("EM-2027-W07", 404, "not-found"),  # not over yet in ledger time
    ("EM-2030-W01", 404, "not-found"),
])
def test_bad_issue_identifiers_get_problems(served: Served, issue: str, status: int,
                                            rule: str) -> None:
    size = served.node.ledger.store.tree_size()
    for suffix in ("", ".pdf", ".xml"):
        resp = _get(served, f"/v1/gazette/{issue}{suffix}")
        assert resp.status_code == status, (issue, suffix, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        problem = resp.json()
        assert (problem["rule"], problem["pointer"]) == (rule, "/issue")
    page = _get(served, f"/gazette/{issue}")
    assert page.status_code == status and "No such gazette issue" in page.text
    assert served.node.ledger.store.tree_size() == size


@pytest.mark.parametrize(("path", "params", "status", "pointer"), [
    ("/v1/gazette", {"office": "em"}, 400, "/office"),
    ("/v1/gazette", {"office": "US"}, 404, "/office"),
    ("/v1/gazette", {"limit": "0"}, 400, "/limit"),
    ("/v1/gazette", {"limit": "x"}, 400, "/limit"),
    ("/v1/gazette/feed.atom", {"office": "E1"}, 400, "/office"),
    ("/v1/gazette/ready", {}, 400, "/office"),
])
def test_bad_query_parameters_get_problems(served: Served, path: str, params: dict[str, str],
                                           status: int, pointer: str) -> None:
    resp = _get(served, path, **params)
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["pointer"] == pointer


def test_cli_list_show_get(served: Served, tmp_path: Path) -> None:
    code, out = cli("gazette", "list", "--node", served.url, "--limit", "3")
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == [
        "EM-2027-W06", "EM-2027-W05", "EM-2027-W04"]
    code, out = cli("gazette", "show", "EM-2026-W39", "--node", served.url)
    assert code == 0 and "Applications published (2)" in out
    assert "opposition period: 2026-09-21 to 2026-12-21" in out
    for fmt, magic in (("pdf", b"%PDF-1.7"), ("xml", b"<?xml"), ("json", b"{")):
        target = tmp_path / f"w39.{fmt}"
        code, _ = cli("gazette", "get", "EM-2026-W39", "--format", fmt, "--node", served.url,
                      "-o", str(target))
        assert code == 0 and target.read_bytes().startswith(magic)
        assert target.read_bytes() == _get(served, f"/v1/gazette/EM-2026-W39.{fmt}").content
    code, out = cli("gazette", "get", "EM-2026-W99", "--node", served.url,
                    "-o", str(tmp_path / "bad.pdf"))
    assert code == 1 and "bad-parameter" in out and not (tmp_path / "bad.pdf").exists()


def test_web_pages(served: Served) -> None:
    index = _get(served, "/gazette")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert 'href="/gazette/EM-2026-W39"' in index.text
    page = _get(served, "/gazette/EM-2026-W39")
    assert page.status_code == 200
    assert "Applications published (2)" in page.text
    assert "AURORA BREW" in page.text and "ORORA BRU" in page.text
    assert "opposition period: 2026-09-21 to 2026-12-21" in page.text
    size = _issue(served, "EM-2026-W39")["checkpoint"]["size"]
    assert f'href="/v1/rights/EM/trademark/000000001/extract?size={size}"' in page.text
    assert 'href="/v1/gazette/EM-2026-W39.pdf"' in page.text
    french = _get(served, "/gazette/EM-2026-W39", lang="fr")
    assert french.status_code == 200 and 'lang="fr"' in french.text


def _fetch(served: Served) -> Callable[[str], dict[str, Any]]:
    def fetch(path: str) -> dict[str, Any]:
        resp = served.http.get(served.url + path)
        assert resp.status_code == 200, (path, resp.text)
        doc: dict[str, Any] = resp.json()
        return doc
    return fetch


def test_verify_checks_every_item_and_the_period(served: Served) -> None:
    vkey = served.node.data / "log.vkey"
    for issue in WALK:
        code, out = cli("gazette", "verify", issue, "--node", served.url, "--vkey", str(vkey))
        assert code == 0 and out.startswith(f"OK {issue}: "), out
    verifiers = [NoteVerifier.from_vkey(vkey.read_text().strip())]
    fetch = _fetch(served)
    good = _issue(served, "EM-2027-W05")
    assert check_issue(good, fetch, verifiers).items == 3

    def refused(change: Callable[[dict[str, Any]], None], step: str) -> str:
        doc = copy.deepcopy(good)
        change(doc)
        with pytest.raises(GazetteCheckError) as info:
            check_issue(doc, fetch, verifiers)
        assert info.value.step == step, info.value
        return info.value.detail

    def redate(doc: dict[str, Any]) -> None:
        doc["items"][0]["date"] = "2027-02-02"

    def other_licensee(doc: dict[str, Any]) -> None:
        doc["items"][1]["licensee"]["party"] = doc["items"][0]["owners"][0]["party"]

    def earlier_start(doc: dict[str, Any]) -> None:
        doc["entries"]["first"] -= 1

    def later_end(doc: dict[str, Any]) -> None:
        doc["entries"]["end"] += 1

    def other_root(doc: dict[str, Any]) -> None:
        doc["checkpoint"]["root_hash"] = _issue(served, "EM-2026-W39")["checkpoint"]["root_hash"]

    def other_right(doc: dict[str, Any]) -> None:
        doc["items"][2]["right"]["number"] = served.register.numbers["HARBOUR LIGHT"]
        doc["items"][2]["right"]["extract"] = doc["items"][2]["right"]["extract"].replace(
            served.register.numbers["AURORA BREWING"], served.register.numbers["HARBOUR LIGHT"])

    assert "holds no assign of 2027-02-02" in refused(redate, "item")
    refused(other_licensee, "item")
    refused(earlier_start, "period")
    refused(later_end, "period")
    refused(other_root, "checkpoint")
    assert "withdraw" in refused(other_right, "item")
    other = SigningKey.generate()
    stranger = NoteSigner("registry.test/ledger", other).verifier()
    with pytest.raises(GazetteCheckError) as info:
        check_issue(good, fetch, [stranger])
    assert info.value.step == "checkpoint"


def test_verify_a_downloaded_pdf(served: Served, tmp_path: Path) -> None:
    vkey = str(served.node.data / "log.vkey")
    pdf = tmp_path / "w05.pdf"
    assert cli("gazette", "get", "EM-2027-W05", "--node", served.url, "-o", str(pdf))[0] == 0
    code, out = cli("gazette", "verify", str(pdf), "--node", served.url, "--vkey", vkey)
    assert code == 0 and out.startswith("OK EM-2027-W05: 3 items"), out
    # A changed word on the page (same length, so the file stays well formed) is caught.
    forged = pdf.read_bytes().replace(b"Gamma Caf", b"Delta Caf", 1)
    assert forged != pdf.read_bytes()
    pdf.write_bytes(forged)
    code, out = cli("gazette", "verify", str(pdf), "--node", served.url, "--vkey", vkey)
    assert code == 1 and out.startswith("FAILED ") and ": pdf: the pages are not the print" in out
    # So is a JSON issue claiming an event the register does not hold.
    doc = _issue(served, "EM-2027-W05")
    doc["items"][2]["action"] = "refuse"
    forged_json = tmp_path / "w05.json"
    forged_json.write_text(json.dumps(doc))
    code, out = cli("gazette", "verify", str(forged_json), "--node", served.url, "--vkey", vkey)
    assert code == 1 and ": item: " in out and "holds no refuse" in out
    forged_json.write_text("[1, 2]")
    code, out = cli("gazette", "verify", str(forged_json), "--node", served.url, "--vkey", vkey)
    assert code == 1 and out.startswith(f"FAILED {forged_json}: input: ")
