"""Check a gazette issue against the register's own proofs (``ipledger gazette verify``).

For an issue (its JSON form) and the office's log verifier key:

- the issue's closing checkpoint is a signed note of that key, and its size and root hash
  are the ones the issue states;
- the period's bounds in the log: the receipts of the entries just before and at ``first``
  and ``end`` show ledger times before and at-or-after the period's start and end, so the
  entries ``first <= i < end`` are exactly those of the period;
- every item: the right's extract (and a licence's own record) as of the closing checkpoint
  verifies, shows a published right, and holds the event the item states (its entry index,
  action and date) inside the period.

What a check cannot show is that no item was left out: that needs every entry of the period
(``/tlog/``), and the register's rules to read them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ipledger.identity import NoteError, NoteVerifier, open_note
from ipledger.ledger import ReceiptError, parse_rfc3339_ms, verify_receipt
from ipledger.ledger.errors import VerificationError
from ipledger.log import Checkpoint
from ipledger.registry.extract import ExtractError, verify_extract
from ipledger.registry.families.licence import licence_record
from ipledger.registry.records import right_record
from ipledger.services.certificate import extract_path

Fetch = Callable[[str], Mapping[str, Any]]  # an API path -> its JSON document


class GazetteCheckError(VerificationError):
    """A check failed; ``step`` names it."""


@dataclass(frozen=True)
class CheckedIssue:
    issue: str
    checkpoint: Checkpoint
    items: int
    receipts: int


def _checkpoint(issue: Mapping[str, Any], verifiers: Sequence[NoteVerifier]) -> Checkpoint:
    cp = issue["checkpoint"]
    try:
        body = Checkpoint.parse(open_note(str(cp["note"]), verifiers).text)
    except (NoteError, ValueError) as exc:
        raise GazetteCheckError("checkpoint", f"the closing checkpoint is not a checkpoint "
                                f"signed by the log's key: {exc}") from None
    if (body.tree_size, base64.b64encode(body.root_hash).decode(), body.origin) != (
            cp["size"], cp["root_hash"], cp["origin"]):
        raise GazetteCheckError("checkpoint", "the issue states another size, root hash or "
                                "origin than its signed checkpoint")
    return body


def _entry_time(fetch: Fetch, index: int, verifiers: Sequence[NoteVerifier]) -> int:
    try:
        receipt = verify_receipt(fetch(f"/v1/entries/{index}/receipt"), verifiers)
    except ReceiptError as exc:
        raise GazetteCheckError("period", f"entry {index}: {exc.step}: {exc.detail}") from None
    if receipt.index != index:
        raise GazetteCheckError("period", f"the receipt asked for entry {index} is of "
                                f"entry {receipt.index}")
    return parse_rfc3339_ms(receipt.entry["seq"]["time"])


def _period(issue: Mapping[str, Any], fetch: Fetch,
            verifiers: Sequence[NoteVerifier]) -> int:
    """The period's bounds in the log, proven by receipts; returns how many were read."""
    first, end = issue["entries"]["first"], issue["entries"]["end"]
    start_ms = parse_rfc3339_ms(issue["period"]["start"])
    end_ms = parse_rfc3339_ms(issue["period"]["end"])
    # (index, must the entry's time be at or after the bound, the bound)
    bounds = [(first - 1, False, start_ms), (first, True, start_ms),
              (end - 1, False, end_ms), (end, True, end_ms)]
    read = 0
    for index, at_or_after, bound in bounds:
        if index < 0 or (index >= end and not at_or_after) or (
                at_or_after and index == first and first == end):
            continue
        when = _entry_time(fetch, index, verifiers)
        read += 1
        if (when >= bound) != at_or_after:
            raise GazetteCheckError("period", f"entry {index}'s ledger time does not put the "
                                    f"period's entries at {first} to {end - 1}")
    return read


def _extract(fetch: Fetch, path: str, record_id: str, checkpoint: Checkpoint,
             verifiers: Sequence[NoteVerifier]) -> dict[str, Any]:
    try:
        verified = verify_extract(fetch(path), verifiers)
    except ExtractError as exc:
        raise GazetteCheckError("extract", f"{path}: {exc.step}: {exc.detail}") from None
    if verified.record_id != record_id or verified.checkpoint != checkpoint:
        raise GazetteCheckError("extract", f"{path} is not the extract of {record_id} as of "
                                "the issue's checkpoint")
    if verified.record is None:
        raise GazetteCheckError("item", f"{record_id} does not exist at the issue's checkpoint")
    return verified.record


def _holds(events: Sequence[Mapping[str, Any]], item: Mapping[str, Any]) -> bool:
    return any(e.get("index") == item["index"] and e.get("action") == item["action"]
               and e.get("date") == item["date"] for e in events)


def check_issue(issue: Mapping[str, Any], fetch: Fetch,
                verifiers: Sequence[NoteVerifier]) -> CheckedIssue:
    """Check ``issue``; raise :class:`GazetteCheckError` at the first failure."""
    if not verifiers:
        raise ValueError("checking an issue needs the log's verifier key")
    checkpoint = _checkpoint(issue, verifiers)
    receipts = _period(issue, fetch, verifiers)
    first, end = issue["entries"]["first"], issue["entries"]["end"]
    for n, item in enumerate(issue["items"]):
        r = item["right"]
        where = f"item {n + 1} ({r['office']}/{r['kind']}/{r['number']})"
        record_id = right_record(r["office"], r["kind"], r["number"])
        path = extract_path(r["office"], r["kind"], r["number"], checkpoint.tree_size)
        if r["extract"] != path:
            raise GazetteCheckError("item", f"{where} links to {r['extract']}, not {path}")
        right = _extract(fetch, path, record_id, checkpoint, verifiers)
        if "data" not in right:
            raise GazetteCheckError("item", f"{where}: the right is not published")
        if not first <= item["index"] < end:
            raise GazetteCheckError("item", f"{where}: entry {item['index']} is not in the "
                                    "period")
        if item["section"] == "licences":
            licence_id = licence_record(r["office"], r["kind"], r["number"], item["licence"])
            licence = _extract(fetch, f"/v1/state/{quote(licence_id, safe='/')}?size="
                               f"{checkpoint.tree_size}", licence_id, checkpoint, verifiers)
            ok = _holds(licence["history"], item) and (
                licence["licensee"], licence["type"]) == (item["licensee"]["party"],
                                                          item["type"])
        elif item["section"] == "assignments":
            ok = _holds(right.get("owner_history", []), item)
        else:
            ok = _holds(right["history"], item)
        if not ok:
            raise GazetteCheckError("item", f"{where}: the proven record holds no "
                                    f"{item['action']} of {item['date']} at entry "
                                    f"{item['index']}")
    return CheckedIssue(issue["issue"], checkpoint, len(issue["items"]), receipts)


def issue_of_pdf(pdf: bytes) -> dict[str, Any]:
    """The issue a gazette PDF embeds, once the PDF is exactly the one the register prints
    for it (same bytes: what the pages show is what the embedded issue says)."""
    from ipledger.codec import parse_json
    from ipledger.pdf import PdfDocument, PdfReadError
    from ipledger.services.gazette_formats import ISSUE_FILE, gazette_pdf

    try:
        doc = PdfDocument(pdf)
        embedded = doc.attachments()[ISSUE_FILE]
        links = [uri for page in doc.pages() for uri in doc.page_links(page)]
        issue = parse_json(embedded)
    except (PdfReadError, KeyError, TypeError, ValueError) as exc:
        raise GazetteCheckError("pdf", f"not a gazette PDF with its issue embedded: {exc}"
                                ) from None
    if not isinstance(issue, dict) or not isinstance(issue.get("items"), list):
        raise GazetteCheckError("pdf", "the embedded issue is not a gazette issue")
    base = ""
    if issue["items"] and links:  # the links are base URL + each item's extract path
        path = str(issue["items"][0]["right"]["extract"])
        base = links[0][:-len(path)] if links[0].endswith(path) else ""
    try:
        again = gazette_pdf(issue, base)
    except (KeyError, TypeError, ValueError) as exc:
        raise GazetteCheckError("pdf", f"the embedded issue cannot be printed: {exc}") from None
    if again != pdf:
        raise GazetteCheckError("pdf", "the pages are not the print of the embedded issue "
                                "(changed text, drawing, links or metadata)")
    return dict(issue)

