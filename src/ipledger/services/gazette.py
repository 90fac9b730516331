"""The office gazette: issues derived deterministically from the ledger.

An issue covers one period of ledger time (UTC) of one office: a day, an ISO week or a
month, as the office profile's ``gazette_period`` says (default: the ISO week). Its
identifier names both: ``EM-2026-09-21`` (day), ``EM-2026-W39`` (week), ``EM-2026-09``
(month). It lists what became public in that period, taken from the entries whose ledger
time falls in it (indexes ``first <= i < end``, found by bisecting the log's times):

- applications published (with the start and end of their opposition period),
- registrations and grants, renewals,
- recorded assignments and mergers (chain of title), recorded licences and sublicences,
- terminations: refusal, withdrawal, lapse, expiry, surrender, cancellation, invalidation.

Every right is read as of the issue's *closing checkpoint*, the first signed checkpoint
that covers every entry of the period; a right whose content is not disclosed at that
checkpoint (an application still confidential) never appears. Each item links to the
right's register extract as of that checkpoint, and the issue names it (size, root hash,
state root, the signed note), so every item can be proven offline.

An issue exists once the period is over in ledger time: the log holds an entry at or after
its end (ledger time is monotonic, so no later entry can fall in the period).
"""

from __future__ import annotations

import base64
import bisect
import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ipledger.codec import canonicalize, parse_json
from ipledger.ledger import Ledger, Rejection, format_rfc3339_ms, parse_rfc3339_ms
from ipledger.ledger.checkpoints import checkpoint_state_root
from ipledger.log import Checkpoint
from ipledger.registry.access import is_published
from ipledger.registry.calendar import add_months, format_iso_date, parse_iso_date
from ipledger.registry.families.rights import profile_named
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.profiles import GAZETTE_PERIODS, RightRules
from ipledger.registry.records import office_record, party_details, party_record
from ipledger.search.fields import title_of
from ipledger.services.certificate import extract_path
from ipledger.storage.base import StoredCheckpoint

GAZETTE_FORMAT = "ipledger-gazette/1"
#: Sections of an issue, in the order they are printed.
SECTIONS: tuple[str, ...] = ("applications", "registrations", "renewals", "assignments",
                             "licences", "terminations")
SECTION_TITLES = {"applications": "Applications published", "registrations":
                  "Registrations and grants", "renewals": "Renewals", "assignments":
                  "Assignments and changes of owner recorded", "licences": "Licences recorded",
                  "terminations": "Refusals, withdrawals, lapses, expiries and cancellations"}
_SECTION_OF_ACTION = {"publish": "applications", "register": "registrations",
                      "grant": "registrations", "renew": "renewals", "renew_late": "renewals"}
_ISSUE = re.compile(r"([A-Z]{2})-(\d{4})-(?:W(\d{2})|(\d{2})(?:-(\d{2}))?)")
MAX_LIST = 520


def _bad_issue(issue: str, why: str) -> Rejection:
    return Rejection("bad-parameter", f"{issue!r} is not a gazette issue identifier: {why} "
                     "(OFFICE-YYYY-Www for a week, OFFICE-YYYY-MM-DD for a day, OFFICE-YYYY-MM "
                     "for a month, e.g. EM-2026-W39)", "/issue")


def _no_issue(issue: str, why: str) -> Rejection:
    return Rejection("not-found", f"no gazette issue {issue}: {why}", "/issue", status=404)


@dataclass(frozen=True)
class Period:
    """One issue's period: ``start <= ledger time < end`` (UTC days)."""

    office: str
    kind: str  # one of GAZETTE_PERIODS
    start: date
    end: date

    @property
    def issue(self) -> str:
        if self.kind == "day":
            return f"{self.office}-{self.start.isoformat()}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{self.office}-{year:04d}-W{week:02d}"
        return f"{self.office}-{self.start.year:04d}-{self.start.month:02d}"

    @property
    def start_ms(self) -> int:
        return _ms(self.start)

    @property
    def end_ms(self) -> int:
        return _ms(self.end)

    def next(self) -> Period:
        return period_of(self.office, self.kind, self.end)


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def period_of(office: str, kind: str, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "day":
        return Period(office, kind, day, day + timedelta(days=1))
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(office, kind, monday, monday + timedelta(days=7))
    if kind == "month":
        first = day.replace(day=1)
        return Period(office, kind, first, add_months(first, 1))
    raise ValueError(f"unknown gazette period {kind!r}; known: {', '.join(GAZETTE_PERIODS)}")


def parse_issue(issue: str) -> Period:
    """The office and period an identifier names (400 ``bad-parameter`` if malformed)."""
    match = _ISSUE.fullmatch(issue)
    if match is None:
        raise _bad_issue(issue, "malformed")
    office, year, week, month, day = match.groups()
    try:
        if week is not None:
            start = date.fromisocalendar(int(year), int(week), 1)
            kind = "week"
        elif day is not None:
            start, kind = date(int(year), int(month), int(day)), "day"
        else:
            start, kind = date(int(year), int(month), 1), "month"
    except ValueError as exc:
        raise _bad_issue(issue, str(exc)) from None
    period = period_of(office, kind, start)
    assert period.issue == issue
    return period


# -- reading the ledger ---------------------------------------------------------------


class _Reader:
    """Entries' ledger times and records as of one tree size."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.size = self.store.tree_size()
        self._times: dict[int, int] = {}

    def time_of(self, index: int) -> int:
        if index not in self._times:
            entry = parse_json(self.store.read_entries(index, index + 1)[0])
            self._times[index] = parse_rfc3339_ms(entry["seq"]["time"])
        return self._times[index]

    def first_at_or_after(self, ms: int) -> int:
        """The index of the first entry whose ledger time is ``>= ms`` (or the tree size)."""
        return bisect.bisect_left(range(self.size), ms, key=self.time_of)

    def record(self, record_id: str, size: int) -> dict[str, Any] | None:
        raw = self.store.read_record_at(record_id, size)
        return None if raw is None else dict(parse_json(raw))

    def changed(self, prefix: str, after: int, upto: int) -> list[str]:
        feed: Any = self.store  # storage.sql.SQLStore: what changed between tree sizes
        return list(feed.changed_record_ids(prefix, after, upto))


def _office(reader: _Reader, office: str, issue: str) -> dict[str, Any]:
    record = reader.record(office_record(office), reader.size)
    if record is None:
        raise _no_issue(issue, f"no office {office} on this ledger")
    return record


@dataclass(frozen=True)
class _Closed:
    period: Period
    first: int  # index of the period's first entry
    end: int  # index of the first entry after the period
    checkpoint: StoredCheckpoint


def _closed(reader: _Reader, period: Period) -> _Closed:
    issue = period.issue
    record = _office(reader, period.office, issue)
    profile = profile_named(record["profile"])
    if profile.gazette_period != period.kind:
        raise _no_issue(issue, f"office {period.office} publishes its gazette by "
                        f"{profile.gazette_period}, not by {period.kind}")
    if period.end_ms <= int(record["since"]):
        raise _no_issue(issue, f"office {period.office} was registered after that period")
    end = reader.first_at_or_after(period.end_ms)
    if end >= reader.size:
        raise _no_issue(issue, "the period is not over in ledger time yet (no entry at or "
                        "after its end)")
    first = reader.first_at_or_after(period.start_ms)
    sizes = reader.store.checkpoint_sizes()
    pos = bisect.bisect_left(sizes, max(end, 1))
    checkpoint = reader.store.checkpoint_at(sizes[pos]) if pos < len(sizes) else None
    if checkpoint is None:
        raise _no_issue(issue, "no signed checkpoint covers the period yet")
    return _Closed(period, first, end, checkpoint)


# -- items --------------------------------------------------------------------------


def _right_summary(right: Mapping[str, Any], size: int) -> dict[str, Any]:
    return {"office": right["office"], "kind": right["kind"], "number": right["number"],
            "title": title_of(right), "classes": list(right.get("classes", [])),
            "status": right["state"],
            "extract": extract_path(right["office"], right["kind"], right["number"], size)}


def _namer(reader: _Reader, size: int) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def party(party_id: str) -> dict[str, str]:
        if party_id not in cache:
            record = reader.record(party_record(party_id), size)
            name = party_details(record).get("name") if record else None
            cache[party_id] = {"party": party_id, "name": str(name or party_id)}
        return cache[party_id]

    return party


def _lifecycle_items(right: Mapping[str, Any], rules: RightRules, closed: _Closed,
                     party: Callable[[str], dict[str, str]]) -> Iterator[dict[str, Any]]:
    for event in right.get("history", []):
        index = event.get("index")
        if not isinstance(index, int) or not closed.first <= index < closed.end:
            continue
        action, state = event["action"], event["state"]
        if "event" in event or action == "import":
            continue  # an imported record's events: its own office published them
        section = _SECTION_OF_ACTION.get(action)
        if section is None and LIFE_STATUS.get(state) == "ceased":
            section = "terminations"
        if section is None:
            continue
        item: dict[str, Any] = {"section": section, "index": index, "date": event["date"],
                                "action": action, "state": state}
        if action == "publish" and rules.opposition_period is not None:
            published = parse_iso_date(event["date"])
            item["opposition"] = {"start": event["date"], "end": format_iso_date(
                rules.opposition_period.after(published))}
        if section in ("applications", "registrations"):
            item["owners"] = [party(o["party"]) for o in right.get("owners", [])]
        yield item


def _assignment_items(right: Mapping[str, Any], closed: _Closed,
                      party: Callable[[str], dict[str, str]]) -> Iterator[dict[str, Any]]:
    for change in right.get("owner_history", [])[1:]:
        index = change.get("index")
        if not isinstance(index, int) or not closed.first <= index < closed.end:
            continue
        item: dict[str, Any] = {"section": "assignments", "index": index,
                                "date": change["date"], "action": change["action"],
                                "owners": [party(o["party"]) for o in change["owners"]]}
        for key in ("from", "to"):
            if isinstance(change.get(key), str):
                item[key] = party(change[key])
        if isinstance(change.get("share"), list):
            item["share"] = change["share"]
        yield item


def _licence_items(licence: Mapping[str, Any], closed: _Closed,
                   party: Callable[[str], dict[str, str]]) -> Iterator[dict[str, Any]]:
    for event in licence.get("history", []):
        index = event.get("index")
        if event.get("action") not in ("grant", "sublicense") or not isinstance(index, int) \
                or not closed.first <= index < closed.end:
            continue
        yield {"section": "licences", "index": index, "date": event["date"],
               "action": event["action"], "licence": licence["id"],
               "licensee": party(licence["licensee"]), "type": licence["type"],
               "territory": list(licence["territory"]), "start": licence["start"],
               "end": licence.get("end")}


def build_issue(ledger: Ledger, issue: str) -> dict[str, Any]:
    """The issue ``issue`` as JSON (a pure function of the ledger once the issue exists).

    Raises :class:`Rejection`: 400 for a malformed identifier, 404 for an issue that does
    not exist (unknown office, other period kind, before the office, not over yet)."""
    period = parse_issue(issue)
    reader = _Reader(ledger)
    closed = _closed(reader, period)
    size = closed.checkpoint.tree_size
    office = reader.record(office_record(period.office), size)  # its name as of then
    assert office is not None  # it existed before the period ended
    profile = profile_named(office["profile"])
    party = _namer(reader, size)
    # Batches write record versions at their end: any batch holding an entry of the period
    # ended after ``first``; reading as of the closing checkpoint covers all of them.
    right_ids = set(reader.changed(f"right/{period.office}/", closed.first, size))
    licences: dict[str, list[dict[str, Any]]] = {}
    for licence_id in reader.changed(f"licence/{period.office}/", closed.first, size):
        if licence_id.count("/") != 4:  # royalty reports live below a licence
            continue
        licence = reader.record(licence_id, size)
        if licence is not None:
            licences.setdefault(str(licence["right"]), []).append(licence)
            right_ids.add(str(licence["right"]))
    items: list[dict[str, Any]] = []
    for record_id in sorted(right_ids):
        right = reader.record(record_id, size)
        if right is None or not is_published(right):
            continue  # confidential until published: never in the gazette
        summary = _right_summary(right, size)
        found = [*_lifecycle_items(right, profile.rules(right["kind"]), closed, party),
                 *_assignment_items(right, closed, party)]
        for licence in sorted(licences.get(record_id, []), key=lambda lic: str(lic["id"])):
            found += _licence_items(licence, closed, party)
        items += [{**item, "right": summary} for item in found]
    items.sort(key=lambda i: (SECTIONS.index(i["section"]), i["index"], i["right"]["kind"],
                              i["right"]["number"], i.get("licence", "")))
    note = closed.checkpoint.note
    body = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
    state_root = checkpoint_state_root(body)
    last_time = reader.time_of(size - 1)
    return {
        "format": GAZETTE_FORMAT,
        "issue": issue,
        "office": {"code": period.office, "name": office["name"]},
        "period": {"kind": period.kind, "start": format_rfc3339_ms(period.start_ms),
                   "end": format_rfc3339_ms(period.end_ms)},
        "entries": {"first": closed.first, "end": closed.end},
        "checkpoint": {"origin": body.origin, "size": size,
                       "root_hash": base64.b64encode(body.root_hash).decode(),
                       "state_root": base64.b64encode(state_root).decode() if state_root
                       else None,
                       "ledger_time": format_rfc3339_ms(last_time), "note": note},
        "counts": {s: sum(1 for i in items if i["section"] == s) for s in SECTIONS},
        "items": items,
    }


_BUILT: weakref.WeakKeyDictionary[Ledger, dict[str, bytes]] = weakref.WeakKeyDictionary()
_BUILT_PER_LEDGER = 256


def issue_of(ledger: Ledger, issue: str) -> dict[str, Any]:
    """:func:`build_issue`, remembered per ledger: an issue never changes once it exists."""
    built = _BUILT.setdefault(ledger, {})
    doc = built.get(issue)
    if doc is None:
        doc = canonicalize(build_issue(ledger, issue))
        if len(built) >= _BUILT_PER_LEDGER:
            built.clear()
        built[issue] = doc
    return dict(parse_json(doc))


# -- listing ------------------------------------------------------------------------


def offices(ledger: Ledger) -> list[str]:
    prefix = office_record("")
    return [record_id[len(prefix):] for record_id in ledger.store.record_ids(prefix)]


def closed_periods(ledger: Ledger, office: str, limit: int = MAX_LIST) -> list[Period]:
    """The office's issues that exist, newest first (at most ``limit``)."""
    reader = _Reader(ledger)
    record = _office(reader, office, office)
    kind = profile_named(record["profile"]).gazette_period
    sizes = reader.store.checkpoint_sizes()
    if reader.size == 0 or not sizes:
        return []
    last_ms = reader.time_of(reader.size - 1)
    since = datetime.fromtimestamp(int(record["since"]) / 1000, UTC).date()
    period = period_of(office, kind, datetime.fromtimestamp(last_ms / 1000, UTC).date())
    out: list[Period] = []
    covered = False  # once a period is covered by a checkpoint, every older one is too
    while len(out) < limit and period.end > since:
        if period.end_ms <= last_ms:
            covered = covered or reader.first_at_or_after(period.end_ms) <= sizes[-1]
            if covered:
                out.append(period)
        period = period_of(office, kind, period.start - timedelta(days=1))
    return out


def ready_for_publication(ledger: Ledger, office: str) -> list[dict[str, Any]]:
    """Disclosed applications of ``office`` whose lifecycle allows ``publish`` now: what a
    publication batch publishes (their content is already public, so this list is too)."""
    from ipledger.registry.lifecycle import machine_for

    reader = _Reader(ledger)
    record = _office(reader, office, office)
    profile = profile_named(record["profile"])
    out = []
    for record_id in ledger.store.record_ids(f"right/{office}/"):
        raw = ledger.store.read_record(record_id)
        right = None if raw is None else dict(parse_json(raw))
        if right is None or not is_published(right) or not profile.supports(right["kind"]):
            continue
        machine = machine_for(profile, right["kind"])
        for transition in machine.transitions:
            if transition.action == "publish" and right["state"] in transition.from_states:
                out.append({"office": office, "kind": right["kind"], "number": right["number"],
                            "state": right["state"], "title": title_of(right),
                            "needs": sorted(transition.preconditions)})
    return out
