"""A gazette issue (``services/gazette.py``) as PDF, ST.96 XML and an Atom feed.

Every format is a pure function of the issue (and, for XML, of the records as of the
issue's closing checkpoint): the same issue gives the same bytes.

- PDF: the issue printed on A4 pages (``pdf.flow_pages``), each item linking to its right's
  register extract as of the closing checkpoint; the issue's JSON is embedded
  (``gazette-issue.json``), so the printed gazette carries its machine-readable form.
- ST.96: V6_0 has no gazette document for national offices (only the Hague Designs
  Bulletin), so the issue's trade marks are exported as a ``tmk:TrademarkBag`` of their
  records as of the closing checkpoint, validated against ``Trademark_V6_0.xsd``.
- Atom (RFC 4287): one entry per issue, linking to its HTML, PDF, XML and JSON forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from ipledger.codec import canonicalize, parse_json
from ipledger.ledger import Ledger, Rejection, parse_rfc3339_ms
from ipledger.pdf import Attachment, DocumentInfo, Line, build_pdf, flow_pages
from ipledger.registry.records import party_record, right_record
from ipledger.registry.st96_export import trademark_record
from ipledger.services.certificate_layout import KIND_LABELS, printable
from ipledger.services.gazette import SECTION_TITLES, SECTIONS
from ipledger.standards.st96.trademark import trademarks_to_st96_xml

ISSUE_FILE = "gazette-issue.json"
ATOM_NS = "http://www.w3.org/2005/Atom"


def _when(rfc3339: str) -> datetime:
    return datetime.fromtimestamp(parse_rfc3339_ms(rfc3339) / 1000, UTC)


# What an item's action did, as the gazette says it (other actions: their name).
_DONE = {"publish": "published", "register": "registered", "grant": "granted",
         "renew": "renewed", "renew_late": "renewed late (grace period)", "refuse": "refused",
         "withdraw": "withdrawn", "lapse": "lapsed", "expire": "expired",
         "surrender": "surrendered", "cancel": "cancelled", "invalidate": "invalidated",
         "uphold_opposition": "refused on opposition", "assign": "assigned",
         "merge": "passed by merger"}


def _done(action: str) -> str:
    return _DONE.get(action, action.replace("_", " "))


def _party_names(parties: Sequence[Mapping[str, str]]) -> str:
    return "; ".join(f"{p['name']} ({p['party']})" for p in parties)


def item_text(item: Mapping[str, Any]) -> list[str]:
    """What an issue says of one item, as lines (the HTML page shows the same facts)."""
    right = item["right"]
    head = f"{right['office']} {KIND_LABELS.get(right['kind'], right['kind'])} {right['number']}"
    if right["title"]:
        head += f": {right['title']}"
    lines = [head]
    section = item["section"]
    if section in ("applications", "registrations"):
        lines.append(f"    {_done(item['action'])} on {item['date']}; "
                     f"owners: {_party_names(item['owners'])}")
        if right["classes"]:
            lines.append(f"    classes: {', '.join(str(c) for c in right['classes'])}")
        if "opposition" in item:
            lines.append(f"    opposition period: {item['opposition']['start']} to "
                         f"{item['opposition']['end']}")
    elif section == "assignments":
        moved = f" from {_party_names([item['from']])}" if "from" in item else ""
        moved += f" to {_party_names([item['to']])}" if "to" in item else ""
        share = f" (share {item['share'][0]}/{item['share'][1]})" if "share" in item else ""
        lines.append(f"    {_done(item['action'])}{moved}{share}, recorded on {item['date']}; "
                     f"owners now: {_party_names(item['owners'])}")
    elif section == "licences":
        lines.append(f"    licence {item['licence']} ({item['type'].replace('_', ' ')}) to "
                     f"{_party_names([item['licensee']])}, recorded on {item['date']}; "
                     f"territory {', '.join(item['territory'])}; from {item['start']}"
                     + (f" to {item['end']}" if item.get("end") else ""))
    else:
        lines.append(f"    {_done(item['action'])} on {item['date']}; status now "
                     f"{item['state'].replace('_', ' ')}")
    return lines


def period_bounds(issue: Mapping[str, Any]) -> tuple[str, str]:
    """The first and the last day of the issue's period (ISO 8601 dates, UTC)."""
    first = _when(issue["period"]["start"]).date()
    last = _when(issue["period"]["end"]).date() - timedelta(days=1)
    return first.isoformat(), last.isoformat()


def period_days(issue: Mapping[str, Any]) -> str:
    """The issue's period as days, e.g. ``2026-09-21 to 2026-09-27``."""
    first, last = period_bounds(issue)
    return first if first == last else f"{first} to {last}"


def issue_title(issue: Mapping[str, Any]) -> str:
    return f"{issue['office']['name']} ({issue['office']['code']}) gazette {issue['issue']}"


def gazette_pdf(issue: Mapping[str, Any], base_url: str) -> bytes:
    """The issue as a PDF (deterministic bytes)."""
    base = base_url.rstrip("/")
    cp = issue["checkpoint"]
    lines = [
        Line(printable(issue_title(issue)), "F2", 16.0, rule_after=True),
        Line(f"Period: {period_days(issue)} (days of ledger time, UTC; log entries "
             f"{issue['entries']['first']} to {issue['entries']['end'] - 1})"),
        Line(f"Closing checkpoint: size {cp['size']} of {cp['origin']}, ledger time "
             f"{cp['ledger_time']}"),
        Line(f"Root hash (SHA-256, base64): {cp['root_hash']}", size=8.0),
        Line(f"Register state root: {cp['state_root'] or 'none'}", size=8.0),
        Line("Each item links to its right's register extract as of this checkpoint; check it "
             "offline with: ipledger verify extract FILE --vkey LOG.vkey", size=8.0),
    ]
    for section in SECTIONS:
        items = [i for i in issue["items"] if i["section"] == section]
        lines.append(Line(f"{SECTION_TITLES[section]} ({len(items)})", "F2", 12.0,
                          space_before=8.0))
        if not items:
            lines.append(Line("None in this issue.", size=9.0))
        for item in items:
            link = base + item["right"]["extract"]
            for n, text in enumerate(item_text(item)):
                lines.append(Line(printable(text), "F2" if n == 0 else "F1", 9.5, link=link,
                                  space_before=4.0 if n == 0 else 0.0))
    created = _when(cp["ledger_time"])
    info = DocumentInfo(title=printable(issue_title(issue)), author=printable(
        issue["office"]["name"]), subject=f"Gazette {issue['issue']} as of checkpoint "
        f"{cp['size']} of {cp['origin']}", created=created,
        keywords=(issue["office"]["code"], "gazette", issue["issue"]))
    attachment = Attachment(ISSUE_FILE, canonicalize(dict(issue)), "application/json",
                            "The gazette issue (ipledger-gazette/1)", created)
    footer = f"{issue['issue']} - page {{page}} of {{pages}}"
    return build_pdf(flow_pages(lines, footer=footer), info, [attachment])


def gazette_xml(ledger: Ledger, issue: Mapping[str, Any]) -> bytes:
    """The issue's trade marks as a ST.96 ``tmk:TrademarkBag`` (records as of the closing
    checkpoint), validated against the WIPO schema; 404 if the issue has no trade mark."""
    size = issue["checkpoint"]["size"]
    store = ledger.store

    def read(record_id: str) -> dict[str, Any] | None:
        raw = store.read_record_at(record_id, size)
        return None if raw is None else dict(parse_json(raw))

    def read_party(party_id: str) -> dict[str, Any] | None:
        return read(party_record(party_id))

    seen: list[tuple[str, str, str]] = []
    for item in issue["items"]:
        r = item["right"]
        key = (r["office"], r["kind"], r["number"])
        if r["kind"] == "trademark" and key not in seen:
            seen.append(key)
    if not seen:
        raise Rejection("not-found", f"gazette issue {issue['issue']} holds no trade mark; "
                        "ST.96 V6_0 has no gazette document for other rights (use the JSON or "
                        "PDF form)", "/issue", status=404)
    records = []
    for office, kind, number in seen:
        right = read(right_record(office, kind, number))
        assert right is not None
        records.append(trademark_record(right, read_party))
    return bytes(trademarks_to_st96_xml(records, issue["office"]["code"]))


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def gazette_atom(issues: Sequence[Mapping[str, Any]], base_url: str, feed_path: str,
                 title: str) -> bytes:
    """An Atom feed of ``issues`` (newest first), UTF-8, deterministic."""
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", base + feed_path)
    _el(feed, "title", title)
    times = [i["checkpoint"]["ledger_time"] for i in issues]
    _el(feed, "updated", max(times) if times else "1970-01-01T00:00:00Z")
    _el(feed, "link", href=base + feed_path, rel="self", type="application/atom+xml")
    _el(feed, "link", href=base + "/gazette", rel="alternate", type="text/html")
    author = _el(feed, "author")
    _el(author, "name", ", ".join(sorted({i["office"]["name"] for i in issues})) or "ipledger")
    _el(feed, "generator", "ipledger")
    for issue in issues:
        entry = _el(feed, "entry")
        api = f"{base}/v1/gazette/{issue['issue']}"
        _el(entry, "id", api)
        _el(entry, "title", issue_title(issue))
        _el(entry, "updated", issue["checkpoint"]["ledger_time"])
        _el(entry, "published", issue["period"]["end"])
        _el(entry, "link", href=f"{base}/gazette/{issue['issue']}", rel="alternate",
            type="text/html")
        _el(entry, "link", href=api + ".pdf", rel="alternate", type="application/pdf")
        _el(entry, "link", href=api + ".json", rel="alternate", type="application/json")
        if any(i["right"]["kind"] == "trademark" for i in issue["items"]):
            _el(entry, "link", href=api + ".xml", rel="alternate", type="application/xml")
        counts = ", ".join(f"{SECTION_TITLES[s].lower()}: {issue['counts'][s]}"
                           for s in SECTIONS)
        cp = issue["checkpoint"]
        _el(entry, "summary", f"{issue['period']['start']} to {issue['period']['end']}; "
            f"{counts}. Proven by checkpoint {cp['size']} of {cp['origin']} (root hash "
            f"{cp['root_hash']}).")
        _el(entry, "category", term=issue["office"]["code"], label=issue["office"]["name"])
    ET.indent(feed)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"
