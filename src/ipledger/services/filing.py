"""Online filing against a node's register: offices, fee quotes, an applicant's filings.

Read-only helpers shared by the filing pages (``web/filing.py``) and the JSON API
(``api/filing.py``); every write is a signed entry the applicant submits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ipledger.codec import parse_json
from ipledger.ledger import Ledger, Rejection
from ipledger.ledger.envelope import wall_clock_ms
from ipledger.ledger.timefmt import parse_rfc3339_ms
from ipledger.registry.families.rights import check_preconditions, profile_named, right_dates
from ipledger.registry.fee_quote import RECORDALS, FeeQuote, quote, quote_for_right
from ipledger.registry.lifecycle import machine_for
from ipledger.registry.profiles import RIGHT_KINDS, OfficeProfile
from ipledger.registry.records import office_record, party_record, right_record
from ipledger.registry.schema import Field, check_object, one_of, pattern
from ipledger.search.fields import title_of

QUOTE_FIELDS = {
    "office": Field(str, check=pattern(r"[A-Z]{2}", "a two-letter ST.3 office code")),
    "kind": Field(str, check=one_of(*RIGHT_KINDS)),
    "action": Field(str, required=False, check=pattern(
        r"[a-z_]{1,40}|assignment\.record|licence\.grant",
        "a lifecycle action (file, renew ...) or assignment.record / licence.grant")),
    "classes": Field(int, required=False),
    "number": Field(str, required=False, check=pattern(r"[A-Za-z0-9/.,-]{1,40}",
                                                       "an office number")),
}
QUOTE_EXAMPLE = {"office": "EM", "kind": "trademark", "action": "file", "classes": 3}


def read_json(ledger: Ledger, record_id: str) -> dict[str, Any] | None:
    raw = ledger.store.read_record(record_id)
    return None if raw is None else dict(parse_json(raw))


def offices(ledger: Ledger) -> dict[str, OfficeProfile]:
    """Every office set up on this node, by ST.3 code, with its profile."""
    out: dict[str, OfficeProfile] = {}
    for record_id in ledger.store.record_ids("office/"):
        record = read_json(ledger, record_id)
        if record is not None and "profile" in record:
            out[record_id.split("/", 1)[1]] = profile_named(record["profile"])
    return out


def office_profile(ledger: Ledger, office: str, pointer: str = "/office") -> OfficeProfile:
    record = read_json(ledger, office_record(office))
    if record is None or "profile" not in record:
        raise Rejection("not-found", f"no office {office} on this node", pointer, status=404)
    return profile_named(record["profile"])


def fee_quote(ledger: Ledger, request: Mapping[str, Any]) -> FeeQuote:
    """The quote ``POST /v1/fees/quote`` answers: a filing (``classes``) or an action on
    the right ``number``; Rejection names the field."""
    check_object(dict(request), QUOTE_FIELDS, "")
    office, kind = request["office"], request["kind"]
    action = request.get("action", "file")
    profile = office_profile(ledger, office)
    if not profile.supports(kind):
        raise Rejection("unsupported-kind", f"office {office} does not register {kind}",
                        "/kind", status=422)
    try:
        if "number" in request:
            right = read_json(ledger, right_record(office, kind, request["number"]))
            if right is None:
                raise Rejection("not-found", "no such right", "/number", status=404)
            return quote_for_right(profile, right, action)
        classes = request.get("classes", 1)
        if not 1 <= classes <= 45:
            raise Rejection("invalid-value", "classes must be 1-45", "/classes")
        if action != "file" and action not in RECORDALS:
            raise Rejection("missing-field", f"give the number of the right to {action}",
                            "/number")
        return quote(profile, kind, action, classes=classes)
    except ValueError as exc:
        raise Rejection("invalid-transition", str(exc), "/action", status=409) from None


def party_filings(ledger: Ledger, party: str) -> list[dict[str, Any]]:
    """The rights ``party`` owns or applied for (any state, published or not), newest
    first: number, state, title (once disclosed) and dated history. What is shown of an
    unpublished application is what its ledger entries already show (no content)."""
    out = []
    for owned in ledger.store.record_ids(f"owned/{party}/right/"):
        right = read_json(ledger, owned.split("/", 2)[2])
        if right is None:
            continue
        out.append({
            "office": right["office"], "kind": right["kind"], "number": right["number"],
            "state": right["state"], "title": title_of(right),
            "filing_date": right["dates"].get("filing_date"),
            "filed_index": right["history"][0]["index"] if right["history"] else None,
            "disclosed": "data" in right, "classes": right.get("classes", []),
            "history": right["history"]})
    out.sort(key=lambda r: -(r["filed_index"] or 0))
    return out


def party_of(ledger: Ledger, party: str) -> dict[str, Any] | None:
    return read_json(ledger, party_record(party))


def ledger_now_ms(ledger: Ledger) -> int:
    """About the ledger time the next entry gets: the later of this clock and the last
    entry's time (as the sequencer does)."""
    size = ledger.store.tree_size()
    last = 0
    if size:
        # Not ledger.entry(): that one only serves entries a checkpoint already covers.
        entry = parse_json(ledger.entries(size - 1, size)[0])
        last = parse_rfc3339_ms(entry["seq"]["time"])
    return max(wall_clock_ms(), last)


def precheck_action(ledger: Ledger, profile: OfficeProfile, right: dict[str, Any],
                    action: str, body: dict[str, Any]) -> None:
    """Before anything is paid: the register's own preconditions of ``action`` on ``right``
    now (renewal window, pending oppositions ...); the register checks again at its time."""
    for transition in machine_for(profile, right["kind"]).transitions_from(right["state"]):
        if transition.action == action:
            check_preconditions(ledger_now_ms(ledger), body, profile.rules(right["kind"]),
                                transition, right, right_dates(right))
            return
    raise Rejection("invalid-transition", f"{action} is not possible while the right is "
                    f"{right['state'].replace('_', ' ')}", "/body/action", status=409)
