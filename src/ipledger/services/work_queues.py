"""The back office's work queues: which rights wait for which step, read from the register.

A right is in at most one queue, decided by its lifecycle state and the facts the register
keeps (an examiner's acceptance, a pending opposition). The queues are computed from the
office's state machine (``registry/lifecycle.py``), so a profile without an examination
step sends checked applications straight to the publication queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.codec import parse_json
from ipledger.registry.access import Lister, Reader
from ipledger.registry.families.rights import profile_named
from ipledger.registry.lifecycle import StateMachine, machine_for
from ipledger.registry.records import office_record
from ipledger.search.fields import title_of

#: Queue names in the order of the procedure; each maps to the staff role that works it.
QUEUES: Mapping[str, str] = {
    "formalities": "examiner",  # awaiting the formality check
    "examination": "examiner",  # awaiting (or under) substantive examination
    "publication": "registrar",  # accepted: ready for publication
    "opposition_period": "registrar",  # published, opposition period running
    "oppositions": "examiner",  # opposed: oppositions to decide
    "renewals_due": "registrar",  # renewal window open
    "grace": "registrar",  # renewals in grace period
}
BACK_OFFICE_ROLES = ("registrar", "examiner")
PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueItem:
    """One right in a queue."""

    office: str
    kind: str
    number: str
    title: str
    state: str
    filing_date: str
    last_date: str
    disclosed: bool


@dataclass(frozen=True)
class QueuePage:
    queue: str
    items: list[QueueItem]
    total: int
    page: int
    pages: int


def _machine(office_profile: Callable[[str], str | None], office: str,
             kind: str) -> StateMachine | None:
    profile = office_profile(office)
    if profile is None:
        return None
    try:
        return machine_for(profile_named(profile), kind)
    except ValueError:
        return None


def queue_of(right: Mapping[str, Any], machine: StateMachine) -> str | None:
    """The queue a right waits in, or None."""
    state = right["state"]
    actions = {t.action: t for t in machine.transitions_from(state)}
    if state == "opposed":
        return "oppositions"
    if state == "opposition_period":
        return "opposition_period"
    if state == "renewal_due":
        return "renewals_due"
    if state == "in_grace_period":
        return "grace"
    if "check_formalities" in actions:
        return "formalities"
    if "start_examination" in actions:
        return "examination"
    accepted = bool(right.get("examination", {}).get("accepted"))
    if "accept" in actions and not accepted:
        return "examination"
    publish = actions.get("publish")
    if publish is not None:
        return "publication"
    return None


class WorkQueues:
    """Queues over a register (``read`` a record, ``list_ids`` under a prefix)."""

    def __init__(self, read: Reader, list_ids: Lister) -> None:
        self.read = read
        self.list_ids = list_ids

    def _json(self, record_id: str) -> dict[str, Any] | None:
        raw = self.read(record_id)
        return None if raw is None else dict(parse_json(raw))

    def _rights(self, offices: Iterable[str]) -> Iterable[tuple[str, dict[str, Any], StateMachine]]:
        profiles: dict[str, str | None] = {}

        def profile(office: str) -> str | None:
            if office not in profiles:
                record = self._json(office_record(office))
                profiles[office] = None if record is None else str(record["profile"])
            return profiles[office]

        for office in sorted(set(offices)):
            for record_id in self.list_ids(f"right/{office}/"):
                right = self._json(record_id)
                if right is None:
                    continue
                machine = _machine(profile, right["office"], right["kind"])
                if machine is not None:
                    yield record_id, right, machine

    def counts(self, offices: Iterable[str]) -> dict[str, int]:
        """How many rights wait in each queue, at these offices."""
        counts = dict.fromkeys(QUEUES, 0)
        for _, right, machine in self._rights(offices):
            queue = queue_of(right, machine)
            if queue is not None:
                counts[queue] += 1
        return counts

    def page(self, queue: str, offices: Iterable[str], *, kind: str = "", text: str = "",
             page: int = 1, size: int = PAGE_SIZE) -> QueuePage:
        """One page of a queue, oldest filing first, filtered by kind and text (a number,
        or part of the mark or title, any case)."""
        if queue not in QUEUES:
            raise KeyError(queue)
        needle = text.strip().casefold()
        items = []
        for _, right, machine in self._rights(offices):
            if queue_of(right, machine) != queue or (kind and right["kind"] != kind):
                continue
            title = title_of(right)
            if needle and needle not in right["number"].casefold() \
                    and needle not in title.casefold():
                continue
            history = right.get("history", [])
            items.append(QueueItem(
                right["office"], right["kind"], right["number"], title, right["state"],
                right["dates"].get("filing_date", ""),
                history[-1]["date"] if history else "", "data" in right))
        items.sort(key=lambda i: (i.filing_date, i.office, i.kind, i.number))
        pages = max(1, -(-len(items) // size))
        page = min(max(1, page), pages)
        return QueuePage(queue, items[(page - 1) * size:page * size], len(items), page, pages)
