"""Imports: a registrar records an existing right exactly as its office published it.

``right.import`` takes one WIPO ST.96 trademark record (the register's JSON form, see
``standards/st96/model.py``) and the right's lifecycle ``state``, and writes the same kind of
record ``right.file`` … ``right.act`` build (``right/<office>/trademark/<number>``), so the
ST.96 export, extracts, time events and later ``right.act`` entries work on it unchanged:

- ``data``: the disclosed content (``TRADEMARK_DATA_KEYS`` of the ST.96 record: published
  already, so nothing is committed or withheld), ``classes`` from ``GoodsServicesBag``;
- ``dates``: ``filing_date`` = ``ApplicationDate``, ``registration_date`` = ``RegistrationDate``,
  ``publication_date`` = the first "Application published" event; ``ExpiryDate`` becomes a
  number of ``renewals`` when the office profile's term rules give exactly that date, and an
  explicit ``expiry_date`` otherwise;
- ``history``: one item per ``MarkEventBag`` event (``action`` from its ST.96 category, the
  source event kept under ``event``), then an ``import`` item (who imported, and the state);
- ``owners`` / ``representatives``: party ids, as for filed rights. An imported applicant is
  not asked to ``party.register``: the import writes a key-less party record for it,
  ``party/P…`` with ``P`` + the first 20 hex digits of SHA-256 over the office and the ST.96
  party object (without its record-specific ``CommentText``), so the same owner in many
  records is one party. It holds the name, address and country the export needs, and the
  ST.96 party as published under ``imported``. Having no key, it can sign nothing until it
  is linked to a registered identity;
- ``source``: the whole ST.96 record as received (national status code, registration number,
  assignments… that the register's own fields do not carry), with the import entry's index.

Importing a number again writes a new version of the record (the office's latest publication
wins); a right *filed* in this register is never overwritten by an import.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from ipledger.codec import canonicalize
from ipledger.ledger import Rejection
from ipledger.registry.calendar import date_of_ms, format_iso_date, parse_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.families.rights import (
    _machine,
    _office_profile,
    _schedule,
)
from ipledger.registry.lifecycle import (
    ABSENT,
    ALL_STATES,
    GRANTED,
    IN_GRACE_PERIOD,
    REGISTERED,
    RENEWAL_DUE,
    RightDates,
    current_expiry,
)
from ipledger.registry.profiles import OfficeProfile, RightRules
from ipledger.registry.records import party_record, right_record
from ipledger.registry.schema import Field, one_of, pattern, standard
from ipledger.registry.st96_export import TRADEMARK_DATA_KEYS
from ipledger.standards.st3 import validate_st3
from ipledger.standards.st96.model import validate_trademark_json

IMPORT_TYPE = "right.import"
IMPORT_STATES = tuple(s for s in ALL_STATES if s != ABSENT)
IN_FORCE = frozenset({REGISTERED, GRANTED, RENEWAL_DUE, IN_GRACE_PERIOD})
# Dates a few hours ahead of ledger time are the source office's time zone, not the future.
_DATE_SLACK = timedelta(days=1)
_MAX_RENEWALS = 100

# ST.96 MarkEventCategory -> (register action, state it leads to); the inverse of the
# export's mapping (registry/st96_export.py), so an exported event keeps its category.
CATEGORY_ACTION = {
    "Application filed": ("file", "filed"),
    "Filing date accorded": ("check_formalities", "formalities_checked"),
    "Application published": ("publish", "published"),
    "Opposition pending": ("file_opposition", "opposed"),
    "Registration published": ("register", "registered"),
    "Application refused": ("refuse", "refused"),
    "Application withdrawn": ("withdraw", "withdrawn"),
    "Registration cancelled": ("cancel", "cancelled"),
    "Registration surrendered": ("surrender", "surrendered"),
}
OTHER_EVENT_ACTION = "national_event"
_NUMBER = pattern(r"[A-Za-z0-9/.,-]{1,40}", "an office number (1-40 of A-Z a-z 0-9 / . , -)")
_RECORD = "/body/record"


def _check_record(value: dict[str, Any], pointer: str) -> None:
    """The ST.96 record is valid on its own (checked in the validation workers)."""
    standard(validate_trademark_json)(value, pointer)
    if "RegistrationOfficeCode" not in value:
        raise Rejection("missing-field", "the record must name its RegistrationOfficeCode",
                        f"{pointer}/RegistrationOfficeCode", status=422)
    _NUMBER(value["ApplicationNumber"]["ApplicationNumberText"],
            f"{pointer}/ApplicationNumber/ApplicationNumberText")


# -- parties ------------------------------------------------------------------------


def imported_party_id(office: str, party: dict[str, Any]) -> str:
    """The register id of a party as ``office`` published it (same party, same id)."""
    identity = {k: v for k, v in party.items() if k != "CommentText"}
    digest = hashlib.sha256(b"ipledger/imported-party/v1\x00" + office.encode() + b"\x00"
                            + canonicalize(identity)).hexdigest()
    return "P" + digest[:20].upper()


def _party_country(party: dict[str, Any]) -> str | None:
    address = party.get("PostalStructuredAddress", {})
    country = (party.get("NationalityCode") or party.get("IncorporationCountryCode")
               or address.get("CountryCode"))
    return country if isinstance(country, str) else None


def _party_address(party: dict[str, Any]) -> str | None:
    if "PostalStructuredAddress" in party:
        a = party["PostalStructuredAddress"]
        parts = [*a["AddressLineText"],
                 *(a[k] for k in ("CityName", "GeographicRegionName", "PostalCode") if k in a)]
        return ", ".join(parts)
    if "PostalAddressText" in party:
        return ", ".join(party["PostalAddressText"])
    return None


def _import_party(ctx: EntryContext, office: str, party: dict[str, Any]) -> str | None:
    """The party id for an ST.96 party (its record written if new); None without a country."""
    country = _party_country(party)
    if country is None:
        return None
    party_id = imported_party_id(office, party)
    if ctx.peek(party_record(party_id)) is None:  # peek: no decode of a known party
        natural = "PersonFullName" in party
        details: dict[str, Any] = {
            "from": ctx.time_ms, "index": ctx.index,
            "name": party["PersonFullName" if natural else "OrganizationStandardName"],
            "country": country,
        }
        address = _party_address(party)
        if address:
            details["address"] = address
        ctx.put(party_record(party_id), {
            "party": party_id, "kind": "natural" if natural else "legal",
            "details": [details], "keys": [],
            "imported": {"office": office,
                         "st96": {k: v for k, v in party.items() if k != "CommentText"}},
        })
    return party_id


# -- dates and history --------------------------------------------------------------


def _not_after(day: str, latest: date, pointer: str) -> date:
    parsed = parse_iso_date(day)
    if parsed > latest:
        raise Rejection("invalid-value", f"{day} is after the ledger's date: a published "
                        "record cannot come from the future", pointer, status=422)
    return parsed


def _term(rules: RightRules, record: dict[str, Any], dates: dict[str, Any]) -> None:
    """Express ``ExpiryDate`` as renewals of the profile's term (or record it as given)."""
    if "ExpiryDate" not in record:
        return
    expiry = parse_iso_date(record["ExpiryDate"])
    base = RightDates(
        filing_date=parse_iso_date(dates["filing_date"]),
        registration_date=(parse_iso_date(dates["registration_date"])
                           if "registration_date" in dates else None))
    renewals = 0
    for n in range(_MAX_RENEWALS + 1):
        computed = current_expiry(rules, replace(base, renewals=n))
        if computed is None or computed > expiry:
            break
        renewals = n
        if computed == expiry:
            dates["renewals"] = n
            return
        if rules.renewal is None:
            break
    dates["renewals"] = renewals
    dates["expiry_date"] = record["ExpiryDate"]


def _history(record: dict[str, Any], ctx: EntryContext) -> tuple[list[dict[str, Any]], str | None]:
    """History items for the source's events, and the first publication date."""
    history: list[dict[str, Any]] = []
    state, published = "filed", None
    for event in record.get("MarkEventBag", []):
        action, reached = CATEGORY_ACTION.get(event["MarkEventCategory"],
                                               (OTHER_EVENT_ACTION, state))
        state = reached
        if action == "publish" and published is None:
            published = event["MarkEventDate"]
        history.append({"action": action, "state": state, "date": event["MarkEventDate"],
                        "index": ctx.index, "event": event})
    return history, published


# -- the entry type -----------------------------------------------------------------


_STATES: dict[tuple[str, str], tuple[str, ...]] = {}


def _states(profile: OfficeProfile, kind: str) -> tuple[str, ...]:
    """The lifecycle states a right can be imported in (by profile name: profiles are
    loaded once per name and never change)."""
    key = (profile.name, kind)
    if key not in _STATES:
        _STATES[key] = tuple(s for s in _machine(profile, kind).states if s != ABSENT)
    return _STATES[key]


def import_right(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind, state, record = body["office"], body["kind"], body["state"], body["record"]
    profile = _office_profile(ctx, office)
    registrar = ctx.require_role(office, "registrar")
    if record["RegistrationOfficeCode"] != office:
        raise Rejection("office-mismatch", f"the record belongs to office "
                        f"{record['RegistrationOfficeCode']}, not {office}",
                        f"{_RECORD}/RegistrationOfficeCode", status=422)
    states = _states(profile, kind)
    if state not in states:
        raise Rejection("invalid-value", f"{kind} at office {office} has no state {state!r}; "
                        f"states: {', '.join(states)}", "/body/state", status=422)
    number = record["ApplicationNumber"]["ApplicationNumberText"]
    record_id = right_record(office, kind, number)
    previous = ctx.get(record_id)
    if previous is not None and "source" not in previous:
        raise Rejection("already-exists", f"{kind} {number} was filed in this register; an "
                        "import cannot overwrite it", f"{_RECORD}/ApplicationNumber/"
                        "ApplicationNumberText", status=409)

    today = date_of_ms(ctx.time_ms)
    latest = today + _DATE_SLACK
    filed = _not_after(record["ApplicationDate"], latest, f"{_RECORD}/ApplicationDate")
    dates: dict[str, Any] = {"filing_date": record["ApplicationDate"]}
    if "RegistrationDate" in record:
        registered = _not_after(record["RegistrationDate"], latest, f"{_RECORD}/RegistrationDate")
        if registered < filed:
            raise Rejection("invalid-value", "RegistrationDate is before ApplicationDate",
                            f"{_RECORD}/RegistrationDate", status=422)
        dates["registration_date"] = record["RegistrationDate"]
    elif state in IN_FORCE:
        raise Rejection("missing-field", f"a right in state {state} needs its RegistrationDate",
                        f"{_RECORD}/RegistrationDate", status=422)
    for i, event in enumerate(record.get("MarkEventBag", [])):
        _not_after(event["MarkEventDate"], latest, f"{_RECORD}/MarkEventBag/{i}/MarkEventDate")
    history, published = _history(record, ctx)
    if published is not None:
        dates["publication_date"] = published
    rules = profile.rules(kind)
    dates["renewals"] = 0
    _term(rules, record, dates)
    dates["maintenance_paid"] = []
    right_dates = RightDates(
        filing_date=filed,
        publication_date=parse_iso_date(published) if published else None,
        registration_date=(parse_iso_date(dates["registration_date"])
                           if "registration_date" in dates else None),
        expiry_date=parse_iso_date(dates["expiry_date"]) if "expiry_date" in dates else None,
        renewals=dates["renewals"])
    expiry = current_expiry(rules, right_dates)
    if expiry is not None:
        dates["expiry_date_computed"] = format_iso_date(expiry)

    owners: list[str] = []
    for i, applicant in enumerate(record["ApplicantBag"]):
        party = _import_party(ctx, office, applicant)
        if party is None:
            raise Rejection("missing-field", "an owner needs a country: NationalityCode, "
                            "IncorporationCountryCode or PostalStructuredAddress/CountryCode",
                            f"{_RECORD}/ApplicantBag/{i}", status=422)
        if party not in owners:
            owners.append(party)
    representatives = [p for p in (_import_party(ctx, office, r)
                                   for r in record.get("RepresentativeBag", []))
                       if p is not None]

    # The status as published: dated by the source, never before its last event.
    status_date = max([record.get("MarkCurrentStatusDate", ""),
                       *(h["date"] for h in history[-1:])]) or format_iso_date(today)
    _not_after(status_date, latest, f"{_RECORD}/MarkCurrentStatusDate")
    history.append({"action": "import", "state": state, "date": status_date,
                    "index": ctx.index, "by": registrar,
                    **({"status_code": record["MarkCurrentStatusCode"]}
                       if "MarkCurrentStatusCode" in record else {})})

    right: dict[str, Any] = {
        "office": office, "kind": kind, "number": number, "state": state,
        "owners": [{"party": p, "share": [1, len(owners)]} for p in owners],
        "representatives": list(dict.fromkeys(representatives)),
        "classes": [gs["ClassNumber"] for gs in record.get("GoodsServicesBag", [])],
        "dates": dates,
        "data": {k: record[k] for k in TRADEMARK_DATA_KEYS if k in record},
        "history": history,
        "source": {"record": record, "index": ctx.index,
                   "versions": (previous["source"]["versions"] + 1) if previous else 1},
    }
    if previous is not None and previous.get("next_event") is not None:
        right["next_event"] = previous["next_event"]  # so _schedule moves it
    _schedule(ctx, right, profile)
    ctx.put(record_id, right)


RULES = {
    IMPORT_TYPE: Rule({
        "office": Field(str, check=standard(validate_st3)),
        "kind": Field(str, check=one_of("trademark")),
        "state": Field(str, check=one_of(*IMPORT_STATES)),
        "record": Field(dict, check=_check_record),
    }, import_right, "Record an existing right as its office published it (ST.96 record; "
       "registrar). Importing the same number again updates it."),
}

SYSTEM_RULES: dict[str, Rule] = {}
