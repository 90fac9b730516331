"""Product authenticity for customs: batches of serial commitments, distributors, inspections.

A trade mark's owner, or a licensee whose recorded licence is in force, registers a batch of
products (``authenticity.batch``). The entry names the mark, a product description, the number
of items and the SHA-256 of the batch's *commitment list* (``services/serials.py``): one salted
commitment per item, sorted, stored off the ledger in the document store. Serials never reach
the ledger; a batch of a million items is one small entry. The mark must be in force
(registered, renewal due or in its grace period) at the entry's ledger time, and the signer
must own it or hold a licence on it that is active and started on or before that date.

The owner names the authorized distributors (``authenticity.distributors``: parties and the
ST.3 territories each may sell in). A customs officer (role ``customs`` at an office, granted
by governance) records each inspection of an item (``authenticity.inspect``): the item's
commitment, where it was seen and what was done; the verification service compares places
to warn of clones.

Records: ``authenticity/batch/<commitments sha256>``, ``authenticity/distributors/<office>/
<number>``, ``authenticity/seen/<commitment>``.
"""

from __future__ import annotations

from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import date_of_ms, format_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.families.licence import ACTIVE, licence_record
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.records import office_record, party_record, right_record
from ipledger.registry.schema import Field, check_object, one_of, pattern, st3_codes, standard, text
from ipledger.standards.st3 import validate_st3, validate_st3_country

MAX_COUNT = 100_000_000
MAX_DISTRIBUTORS = 200
KEPT_INSPECTIONS = 50  # the newest inspections an item's record lists (all are counted)
OUTCOMES = ("released", "detained", "seized")

_HEX64 = pattern(r"[0-9a-f]{64}", "64 lowercase hex digits (a SHA-256)")
_PARTY = pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123")
_MARK = {
    "office": Field(str, check=standard(validate_st3)),
    "number": Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an office number")),
}


def batch_record(commitments_sha256: str) -> str:
    return f"authenticity/batch/{commitments_sha256}"


def distributors_record(office: str, number: str) -> str:
    return f"authenticity/distributors/{office}/{number}"


def seen_record(commitment: str) -> str:
    return f"authenticity/seen/{commitment}"


def mark_record(office: str, number: str) -> str:
    return right_record(office, "trademark", number)


def _count(value: int, pointer: str) -> None:
    if not 1 <= value <= MAX_COUNT:
        raise Rejection("invalid-value", f"must be 1-{MAX_COUNT}", pointer)


def _mark_in_force(ctx: EntryContext, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    record_id = mark_record(body["office"], body["number"])
    mark = ctx.require(record_id, "trade mark", "/body/number")
    state = mark["state"]
    if LIFE_STATUS.get(state) != "in_force":
        raise Rejection("right-not-in-force", f"products can be registered only under a mark "
                        f"in force; {body['office']} {body['number']} is {state} at this "
                        "ledger time", "/body/number", status=409)
    return record_id, mark


def _owners(mark: dict[str, Any]) -> list[str]:
    return sorted(o["party"] for o in mark["owners"])


def _licence_in_force(ctx: EntryContext, mark: dict[str, Any], party: str
                      ) -> tuple[str | None, str | None]:
    """(an active licence of ``party`` on the mark in force today, else why none is)."""
    today = format_iso_date(date_of_ms(ctx.time_ms))
    why = None
    for licence_id in mark.get("licences", []):
        licence = ctx.get(licence_record(mark["office"], "trademark", mark["number"],
                                         licence_id))
        if licence is None or licence["licensee"] != party:
            continue
        if licence["status"] != ACTIVE:
            why = f"licence {licence_id} is {licence['status']}"
        elif licence["start"] > today:
            why = f"licence {licence_id} starts on {licence['start']}"
        else:
            return licence_id, None
    return None, why


def register_batch(ctx: EntryContext, body: dict[str, Any]) -> None:
    _, mark = _mark_in_force(ctx, body)
    party = ctx.acting_party()
    licence_id = None
    if party not in _owners(mark):
        licence_id, why = _licence_in_force(ctx, mark, party)
        if licence_id is None:
            raise Rejection("not-authorized", "only an owner of the mark, or a licensee whose "
                            "recorded licence is in force, may register its products"
                            + (f" ({why})" if why else ""), "/actor", status=403)
    record_id = batch_record(body["commitments_sha256"])
    if ctx.get(record_id) is not None:
        raise Rejection("already-exists", "a batch with this commitment list is already "
                        "registered", "/body/commitments_sha256", status=409)
    ctx.put(record_id, {
        "batch": body["commitments_sha256"], "office": body["office"],
        "number": body["number"], "product": body["product"], "count": body["count"],
        "by": party, "as": "owner" if licence_id is None else "licensee",
        "licence": licence_id, "index": ctx.index, "time_ms": ctx.time_ms})


def _distributor_list(value: list[Any], pointer: str) -> None:
    if len(value) > MAX_DISTRIBUTORS:
        raise Rejection("invalid-value", f"at most {MAX_DISTRIBUTORS} distributors", pointer)
    seen: set[str] = set()
    for i, item in enumerate(value):
        check_object(item, {"party": Field(str, check=_PARTY),
                            "territory": Field(list, check=st3_codes(250))}, f"{pointer}/{i}")
        if item["party"] in seen:
            raise Rejection("invalid-value", "a distributor is listed once",
                            f"{pointer}/{i}/party")
        seen.add(item["party"])


def set_distributors(ctx: EntryContext, body: dict[str, Any]) -> None:
    _, mark = _mark_in_force(ctx, body)
    party = ctx.acting_party()
    if party not in _owners(mark):
        raise Rejection("not-authorized", "only an owner of the mark names its authorized "
                        "distributors", "/actor", status=403)
    for i, item in enumerate(body["distributors"]):
        ctx.require(party_record(item["party"]), "party", f"/body/distributors/{i}/party")
    ctx.put(distributors_record(body["office"], body["number"]), {
        "office": body["office"], "number": body["number"],
        "distributors": sorted(({"party": d["party"], "territory": sorted(d["territory"])}
                                for d in body["distributors"]), key=lambda d: d["party"]),
        "by": party, "index": ctx.index, "time_ms": ctx.time_ms})


def record_inspection(ctx: EntryContext, body: dict[str, Any]) -> None:
    ctx.require_shared(office_record(body["authority"]), "office", "/body/authority")
    party = ctx.require_role(body["authority"], "customs")
    record_id = seen_record(body["commitment"])
    seen = ctx.get(record_id) or {"commitment": body["commitment"], "count": 0,
                                  "inspections": []}
    inspection = {"country": body["country"], "point": body["point"],
                  "outcome": body["outcome"], "authority": body["authority"], "by": party,
                  "index": ctx.index, "time_ms": ctx.time_ms}
    seen["count"] += 1
    seen["inspections"] = [*seen["inspections"], inspection][-KEPT_INSPECTIONS:]
    ctx.put(record_id, seen)


_EXAMPLE_MARK = {"office": "EM", "number": "018000001"}

RULES = {
    "authenticity.batch": Rule({
        **_MARK, "product": Field(str, check=text(300)), "count": Field(int, check=_count),
        "commitments_sha256": Field(str, check=_HEX64),
    }, register_batch, "Register a batch of products under a trade mark in force (its owner, "
       "or a licensee whose licence is in force): the SHA-256 of the sorted list of the "
       "items' salted serial commitments, stored off the ledger.", {
        **_EXAMPLE_MARK, "product": "AURORA BREW cold brew coffee, 250 ml can",
        "count": 1_000_000, "commitments_sha256": "3b1f" * 16}),
    "authenticity.distributors": Rule({
        **_MARK, "distributors": Field(list, check=_distributor_list),
    }, set_distributors, "Name a mark's authorized distributors and their territories (ST.3) "
       "(an owner; replaces the list).", {
        **_EXAMPLE_MARK, "distributors": [{"party": "P4A1F2C3D4E5F60718293",
                                           "territory": ["DE", "AT"]}]}),
    "authenticity.inspect": Rule({
        "authority": Field(str, check=standard(validate_st3)),
        "commitment": Field(str, check=_HEX64),
        "country": Field(str, check=standard(validate_st3_country)),
        "point": Field(str, check=text(100)),
        "outcome": Field(str, check=one_of(*OUTCOMES)),
    }, record_inspection, "Record a customs inspection of an item (role customs at the "
       "authority's office): its serial commitment, where it was seen, what was done.", {
        "authority": "DE", "commitment": "77ab" * 16, "country": "DE",
        "point": "Hamburg port", "outcome": "released"}),
}

SYSTEM_RULES: dict[str, Rule] = {}
