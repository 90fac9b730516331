"""Licences as smart contracts: grants, sublicences, royalties, expiry, termination.

A licence is recorded on a right in force by one entry that every party to it signs: the
licensor (all current owners of the right: the acting party plus endorsements from the other
owners' keys valid at ledger time) and the licensee (an endorsement: its acceptance). The
licence takes effect when recorded, i.e. when that entry is sequenced; the office profile's
``licence_recordal`` fee, if it defines one, is paid in the same entry (exact amount).

Record ids: ``licence/<office>/<kind>/<number>/<L…>``; ids are ``L1``, ``L2``, … per right (one
counter for licences and sublicences), listed in the right's ``licences``. Royalty reports are
``licence/<office>/<kind>/<number>/<L…>/royalty/<period start>``.

Overlap. Two licences overlap when all four dimensions intersect:

* territory: the ST.3 code lists share a code, or either list contains the right's own office
  code (e.g. ``EM`` on an EU trade mark, ``US`` on a US patent), which means the whole territory
  of the right;
* scope: Nice classes (trade marks) or claim numbers (patents, utility models) share a member,
  or either licence has no ``scope`` (the whole right);
* period: the date ranges ``start..end`` intersect (inclusive; no ``end`` = until the right
  ends);
* field of use: the texts are exactly equal, or either licence names none (every field).

Territory: a licence (and a sublicence) may name only states where the licensed right has
effect (``standards/territory.py: right_territory``: a national office's right -> that state, a
regional office's -> its member states, e.g. ``EM`` -> the EU member states) or the right's own
office code; any other code is refused (rule ``territory-outside-right``, pointer to the array
item, 422) and nothing is recorded.

Conflicts, among *active* licences with the same parent (top-level licences among themselves,
sublicences among their siblings): two overlapping licences conflict unless both are
non-exclusive. So an exclusive licence tolerates no overlapping licence and no overlapping
licence may join one; a sole licence excludes other licensees (sole or non-exclusive) but not
the owner, who is not a licensee. This holds whoever the licensees are: to widen a licence,
terminate it and grant anew. A sublicence must lie within its parent (territory ⊆, scope ⊆,
period ⊆, field ⊆) and be no stronger than it (an exclusive parent may grant any type, a sole
parent sole or non-exclusive, a non-exclusive parent only non-exclusive); the parent's end
bounds the child (a child without ``end`` ends with its parent).

Royalties: the amount due for a period is ``max(net_sales * rate_bp // 10000,
minimum_per_period)`` in integer minor units: the percentage rounds down (floor), and the
minimum applies in full to every period, including a last period cut short by the licence's end.
Periods run from the licence's start in steps of ``P3M``/``P6M``/``P1Y`` (months clamped to
month ends, always counted from the start date); a period can be reported once it is over.

Ends: at the end date the system entry ``system.licence_expire`` marks the licence expired
(scheduled at 00:00Z of the following day). ``licence.terminate`` ends it at the ledger date,
together with its active sublicences. A licence on a right that later ceases (lapse, expiry,
cancellation …) is not changed by that event: its record stays as recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import (
    add_days,
    add_months,
    date_of_ms,
    format_iso_date,
    months_between,
    parse_iso_date,
    start_of_day_ms,
)
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.families.rights import PAYMENT_FIELDS, profile_named
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.profiles import ISO_4217_MINOR_UNITS, RIGHT_KINDS, OfficeProfile
from ipledger.registry.records import office_record, party_record, right_record
from ipledger.registry.schema import (
    Check,
    Field,
    check_object,
    one_of,
    pattern,
    st3_codes,
    standard,
    text,
)
from ipledger.standards.st3 import st3_name, validate_st3
from ipledger.standards.territory import right_territory

TYPES = ("exclusive", "sole", "non_exclusive")
#: How strong a licence is; a sublicence may not be stronger than its parent.
_STRENGTH = {"non_exclusive": 0, "sole": 1, "exclusive": 2}
PERIODS = {"P3M": 3, "P6M": 6, "P1Y": 12}
BP_PER_UNIT = 10_000  # basis points in 100 %
MAX_AMOUNT = 10**15  # minor units; keeps every product and sum within JSON's safe integers
ACTIVE, EXPIRED, TERMINATED = "active", "expired", "terminated"
CLAIM_KINDS = frozenset({"patent", "utility_model"})

_PARTY = pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123")
_LICENCE_ID = pattern(r"L[1-9][0-9]{0,8}", "a licence id like L1")


# -- body checks ----------------------------------------------------------------------


def _iso_date(value: str, pointer: str) -> None:
    try:
        day = parse_iso_date(value)
    except ValueError:
        raise Rejection("invalid-value", "must be a date YYYY-MM-DD", pointer) from None
    if not 1900 <= day.year <= 9998:
        raise Rejection("invalid-value", "year must be 1900-9998", pointer)


_territory = st3_codes(250)


def _scope(value: list[Any], pointer: str) -> None:
    if not 1 <= len(value) <= 500:
        raise Rejection("invalid-value", "must list 1-500 classes or claim numbers", pointer)
    for i, item in enumerate(value):
        if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= 9999:
            raise Rejection("invalid-value", "must be an integer 1-9999", f"{pointer}/{i}")
    if len(set(value)) != len(value):
        raise Rejection("invalid-value", "scope members must not repeat", pointer)


def _amount(what: str, low: int = 0, high: int = MAX_AMOUNT) -> Check:
    def check(value: int, pointer: str) -> None:
        if not low <= value <= high:
            raise Rejection("invalid-value", f"{what} must be {low}-{high}", pointer)
    return check


def _currency(value: str, pointer: str) -> None:
    if value not in ISO_4217_MINOR_UNITS:
        raise Rejection("invalid-value", "must be an ISO 4217 currency code", pointer)


_ROYALTY = {
    "rate_bp": Field(int, check=_amount("the rate in basis points", 0, BP_PER_UNIT)),
    "minimum_per_period": Field(int, check=_amount("the minimum per period")),
    "currency": Field(str, check=_currency),
    "period": Field(str, check=one_of(*PERIODS)),
}


def _royalty(value: dict[str, Any], pointer: str) -> None:
    check_object(value, _ROYALTY, pointer)


def _payment(value: dict[str, Any], pointer: str) -> None:
    check_object(value, {"amount": Field(int, check=_amount("amount")),
                         "currency": Field(str, check=_currency),
                         "reference": PAYMENT_FIELDS["reference"]}, pointer)


_RIGHT_ID = {
    "office": Field(str, check=standard(validate_st3)),
    "kind": Field(str, check=one_of(*RIGHT_KINDS)),
    "number": Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an office number")),
}
_TERMS = {
    "licensee": Field(str, check=_PARTY),
    "type": Field(str, check=one_of(*TYPES)),
    "territory": Field(list, check=_territory),
    "field_of_use": Field(str, required=False, check=text(500)),
    "scope": Field(list, required=False, check=_scope),
    "start": Field(str, check=_iso_date),
    "end": Field(str, required=False, check=_iso_date),
    "royalty": Field(dict, required=False, check=_royalty),
    "sublicensable": Field(bool, required=False),
    "payment": Field(dict, required=False, check=_payment),
}


# -- helpers --------------------------------------------------------------------------


def licence_record(office: str, kind: str, number: str, licence_id: str) -> str:
    return f"licence/{office}/{kind}/{number}/{licence_id}"


def royalty_record(licence_record_id: str, period_start: str) -> str:
    return f"{licence_record_id}/royalty/{period_start}"


def _today(ctx: EntryContext) -> date:
    return date_of_ms(ctx.time_ms)


def _profile(ctx: EntryContext, office: str) -> OfficeProfile:
    record = ctx.require_shared(office_record(office), "office", "/body/office")
    return profile_named(record["profile"])


def _right(ctx: EntryContext, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    record_id = right_record(body["office"], body["kind"], body["number"])
    return record_id, ctx.require(record_id, "right", "/body/number")


def _require_in_force(right: dict[str, Any]) -> None:
    state = right["state"]
    if LIFE_STATUS.get(state) != "in_force":
        raise Rejection("right-not-in-force",
                        f"a licence needs a right in force (registered or granted); this right "
                        f"is {state} ({LIFE_STATUS.get(state, 'unknown')})", "/body/number",
                        status=409)


def _signers(ctx: EntryContext) -> set[str]:
    """The parties that signed: the acting party and every endorser whose key is valid now."""
    parties = {ctx.acting_party()}
    for did_url in ctx.endorsers:
        key = ctx.key_is_valid(did_url)
        if key is not None:
            parties.add(key["party"])
    return parties


def _require_signed_by(signers: set[str], parties: list[str], who: str) -> None:
    missing = sorted(set(parties) - signers)
    if missing:
        raise Rejection("missing-endorsement",
                        f"{who} must sign (act or endorse with a key valid at this ledger "
                        f"time): missing {', '.join(missing)}", "/endorsements", status=403)


def _owners(right: dict[str, Any]) -> list[str]:
    return sorted(o["party"] for o in right["owners"])


def _last_day(licence: dict[str, Any]) -> date | None:
    """The licence's last day: when it ended, else its agreed end (None = while the right)."""
    last = licence.get("ended") or licence.get("end")
    return parse_iso_date(last) if last else None


def _event(licence: dict[str, Any], ctx: EntryContext, action: str, by: str | None,
           **extra: Any) -> None:
    licence["history"] = [*licence["history"], {
        "action": action, "date": format_iso_date(_today(ctx)), "index": ctx.index,
        **({"by": by} if by else {}), **extra}]


def _check_payment(ctx: EntryContext, body: dict[str, Any], profile: OfficeProfile,
                   kind: str) -> int:
    due = profile.rules(kind).fees.licence_recordal or 0
    paid = body.get("payment")
    if due == 0:
        if paid is not None:
            raise Rejection("invalid-value", "this office charges no licence recordal fee",
                            "/body/payment", status=422)
        return 0
    if paid is None or paid["currency"] != profile.currency or paid["amount"] != due:
        raise Rejection("fee-not-paid", f"recording a licence needs a payment of exactly {due} "
                        f"{profile.currency} minor units", "/body/payment", status=422)
    return due


# -- overlap and conflicts ----------------------------------------------------------


def _territory_overlap(a: list[str], b: list[str], office: str) -> list[str] | None:
    """Shared territory (``[office]`` = all of it), or None if disjoint."""
    if office in a:
        return b
    if office in b:
        return a
    shared = sorted(set(a) & set(b))
    return shared or None


def _scope_overlap(a: list[int] | None, b: list[int] | None) -> tuple[bool, list[int] | None]:
    """Whether two scopes meet, and what they share (None = the whole right)."""
    if a is None:
        return True, b
    if b is None:
        return True, a
    shared = sorted(set(a) & set(b))
    return bool(shared), shared


def _overlap(terms: dict[str, Any], other: dict[str, Any], office: str) -> str | None:
    """How two licences' terms overlap (a description), or None if they do not."""
    territory = _territory_overlap(terms["territory"], other["territory"], office)
    if territory is None:
        return None
    meets, scope = _scope_overlap(terms["scope"], other["scope"])
    if not meets:
        return None
    start = max(terms["start"], other["start"])  # ISO dates compare as text
    ends = [e for e in (terms["end"], _last_iso(other)) if e is not None]
    end = min(ends) if ends else None
    if end is not None and start > end:
        return None
    a_field, b_field = terms["field_of_use"], other["field_of_use"]
    if a_field is not None and b_field is not None and a_field != b_field:
        return None
    return (f"territory {' '.join(territory)}; "
            f"scope {'whole right' if scope is None else ' '.join(map(str, scope))}; "
            f"period {start}..{end or 'end of the right'}; "
            f"field of use {a_field or b_field or 'any'}")


def _last_iso(licence: dict[str, Any]) -> str | None:
    last = licence.get("ended") or licence.get("end")
    return str(last) if last else None


def _conflicting(new_type: str, other_type: str) -> bool:
    """Overlapping licences conflict unless both are non-exclusive."""
    return not (new_type == "non_exclusive" and other_type == "non_exclusive")


def _check_conflicts(ctx: EntryContext, right: dict[str, Any], terms: dict[str, Any],
                     parent: str | None) -> None:
    for licence_id in right.get("licences", []):
        other = ctx.get(licence_record(right["office"], right["kind"], right["number"],
                                       licence_id))
        if other is None or other["status"] != ACTIVE or other.get("parent") != parent:
            continue
        if not _conflicting(terms["type"], other["type"]):
            continue
        overlap = _overlap(terms, other, right["office"])
        if overlap is None:
            continue
        reason = ("an exclusive licence excludes every overlapping licence"
                  if "exclusive" in (terms["type"], other["type"])
                  else "a sole licence excludes every other overlapping licensee")
        raise Rejection("licence-conflict",
                        f"the {terms['type']} licence would overlap the active "
                        f"{other['type']} licence {licence_id} ({overlap}): {reason}",
                        "/body/territory", status=409)


# -- granting -----------------------------------------------------------------------


def _check_territory(territory: list[str], office: str) -> None:
    """Every code names the right's office (all of its territory) or a state inside it."""
    inside = right_territory(office)
    for i, code in enumerate(territory):
        if code != office and code not in inside:
            where = (f"{office} only" if not inside or inside == {office}
                     else f"{' '.join(sorted(inside))} (or {office} for all of them)")
            raise Rejection("territory-outside-right",
                            f"{code} ({st3_name(code)}) is outside the territory where the "
                            f"licensed right of office {office} has effect: {where}",
                            f"/body/territory/{i}", status=422)


def _terms(ctx: EntryContext, body: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """The licence's terms from the body, checked against the right and ledger time."""
    kind = right["kind"]
    _check_territory(body["territory"], right["office"])
    scope = body.get("scope")
    if scope is not None:
        if kind == "trademark":
            classes = set(right.get("classes", []))
            for i, cls in enumerate(scope):
                if cls not in classes:
                    raise Rejection("outside-right",
                                    f"class {cls} is not among the trade mark's classes "
                                    f"{sorted(classes)}", f"/body/scope/{i}", status=422)
        elif kind not in CLAIM_KINDS:
            raise Rejection("invalid-value", f"a {kind} licence has no scope: omit it (the "
                            "licence covers the whole right)", "/body/scope", status=422)
        scope = sorted(scope)
    start, end = body["start"], body.get("end")
    if end is not None:
        if end < start:
            raise Rejection("invalid-value", "end must not be before start", "/body/end",
                            status=422)
        if parse_iso_date(end) < _today(ctx):
            raise Rejection("invalid-value", "end must not be before the ledger date "
                            f"{format_iso_date(_today(ctx))}", "/body/end", status=422)
    return {
        "licensee": body["licensee"], "type": body["type"],
        "territory": sorted(body["territory"]),
        "field_of_use": body.get("field_of_use"), "scope": scope,
        "start": start, "end": end,
        "royalty": body.get("royalty"), "sublicensable": body.get("sublicensable", False),
    }


def _record(ctx: EntryContext, right_id: str, right: dict[str, Any], terms: dict[str, Any],
            licensors: list[str], parent: str | None, paid: int, by: str) -> str:
    """Store a new licence, list it on the right, schedule its expiry; returns its id."""
    ids = list(right.get("licences", []))
    licence_id = f"L{len(ids) + 1}"
    record_id = licence_record(right["office"], right["kind"], right["number"], licence_id)
    licence: dict[str, Any] = {
        "id": licence_id, "office": right["office"], "kind": right["kind"],
        "number": right["number"], "right": right_id, "parent": parent, "licensors": licensors,
        **terms, "status": ACTIVE, "recorded": format_iso_date(_today(ctx)),
        "ended": None, "sublicences": [], "royalties": {"reports": 0, "total_due": 0},
        "next_event": None, "history": [],
    }
    _event(licence, ctx, "grant" if parent is None else "sublicense", by,
           **({"paid": paid} if paid else {}))
    if terms["end"] is not None:
        due_ms = start_of_day_ms(add_days(parse_iso_date(terms["end"]), 1))
        licence["next_event"] = {"action": "expire", "due_ms": due_ms}
        ctx.schedule(due_ms, record_id, "system.licence_expire", {
            "office": right["office"], "kind": right["kind"], "number": right["number"],
            "licence": licence_id, "due_ms": due_ms})
    ctx.put(record_id, licence)
    right["licences"] = [*ids, licence_id]
    ctx.put(right_id, right)
    return licence_id


def grant_licence(ctx: EntryContext, body: dict[str, Any]) -> None:
    right_id, right = _right(ctx, body)
    profile = _profile(ctx, body["office"])
    party = ctx.acting_party()
    owners = _owners(right)
    if party not in owners:
        raise Rejection("not-authorized", "only an owner of the right may grant a licence "
                        "(with every co-owner's endorsement)", "/actor", status=403)
    _require_in_force(right)
    licensee = body["licensee"]
    ctx.require(party_record(licensee), "party", "/body/licensee")
    if licensee in owners:
        raise Rejection("invalid-value", "the licensee must not be an owner of the right",
                        "/body/licensee", status=422)
    signers = _signers(ctx)
    _require_signed_by(signers, owners, "every owner of the right (the licensor)")
    _require_signed_by(signers, [licensee], "the licensee (accepting the licence)")
    terms = _terms(ctx, body, right)
    _check_conflicts(ctx, right, terms, None)
    paid = _check_payment(ctx, body, profile, body["kind"])
    _record(ctx, right_id, right, terms, owners, None, paid, party)


def _within(child: dict[str, Any], parent: dict[str, Any], office: str) -> None:
    """A sublicence lies within its parent; the rejection names the field that does not."""
    if office not in parent["territory"]:
        outside = sorted(set(child["territory"]) - set(parent["territory"]))
        if outside:
            raise Rejection("outside-parent", f"territory {' '.join(outside)} is outside the "
                            f"parent licence {parent['id']}", "/body/territory", status=422)
    if parent["scope"] is not None:
        if child["scope"] is None:
            raise Rejection("outside-parent", f"the parent licence {parent['id']} covers only "
                            f"{parent['scope']}: name a scope within it", "/body/scope",
                            status=422)
        outside_scope = sorted(set(child["scope"]) - set(parent["scope"]))
        if outside_scope:
            raise Rejection("outside-parent", f"scope {outside_scope} is outside the parent "
                            f"licence {parent['id']}", "/body/scope", status=422)
    if child["start"] < parent["start"]:
        raise Rejection("outside-parent", f"the parent licence {parent['id']} starts on "
                        f"{parent['start']}", "/body/start", status=422)
    if parent["end"] is not None:
        if child["end"] is None:
            child["end"] = parent["end"]  # the parent's end bounds the child
        elif child["end"] > parent["end"]:
            raise Rejection("outside-parent", f"the parent licence {parent['id']} ends on "
                            f"{parent['end']}", "/body/end", status=422)
        if child["start"] > parent["end"]:
            raise Rejection("outside-parent", f"the parent licence {parent['id']} ends on "
                            f"{parent['end']}", "/body/start", status=422)
    if parent["field_of_use"] is not None and child["field_of_use"] != parent["field_of_use"]:
        raise Rejection("outside-parent", f"the parent licence {parent['id']} is limited to "
                        f"the field of use {parent['field_of_use']!r}", "/body/field_of_use",
                        status=422)
    if _STRENGTH[child["type"]] > _STRENGTH[parent["type"]]:
        raise Rejection("outside-parent", f"a {parent['type']} licence cannot grant a "
                        f"{child['type']} sublicence", "/body/type", status=422)


def sublicense(ctx: EntryContext, body: dict[str, Any]) -> None:
    right_id, right = _right(ctx, body)
    profile = _profile(ctx, body["office"])
    parent_id = body["parent"]
    parent_record = licence_record(body["office"], body["kind"], body["number"], parent_id)
    parent = ctx.require(parent_record, "licence", "/body/parent")
    party = ctx.acting_party()
    if party != parent["licensee"]:
        raise Rejection("not-authorized", f"only the licensee of {parent_id} may sublicense it",
                        "/actor", status=403)
    if parent["status"] != ACTIVE:
        raise Rejection("licence-not-active", f"licence {parent_id} is {parent['status']}",
                        "/body/parent", status=409)
    if not parent["sublicensable"]:
        raise Rejection("not-sublicensable", f"licence {parent_id} does not allow sublicences",
                        "/body/parent", status=409)
    _require_in_force(right)
    licensee = body["licensee"]
    ctx.require(party_record(licensee), "party", "/body/licensee")
    if licensee == party or licensee in _owners(right):
        raise Rejection("invalid-value", "the sublicensee must be neither the sublicensor nor "
                        "an owner of the right", "/body/licensee", status=422)
    _require_signed_by(_signers(ctx), [licensee], "the sublicensee (accepting the licence)")
    terms = _terms(ctx, body, right)
    _within(terms, parent, right["office"])
    _check_conflicts(ctx, right, terms, parent_id)
    paid = _check_payment(ctx, body, profile, body["kind"])
    child_id = _record(ctx, right_id, right, terms, [party], parent_id, paid, party)
    parent = ctx.require(parent_record, "licence", "/body/parent")
    parent["sublicences"] = [*parent["sublicences"], child_id]
    ctx.put(parent_record, parent)


# -- royalties ----------------------------------------------------------------------


def _period(licence: dict[str, Any], period_start: date) -> tuple[date, date]:
    """The royalty period starting on ``period_start``: (first day, last day)."""
    months = PERIODS[licence["royalty"]["period"]]
    start = parse_iso_date(licence["start"])
    last = _last_day(licence)
    elapsed = months_between(start, period_start)
    if (period_start < start or elapsed % months != 0
            or add_months(start, elapsed) != period_start):
        raise Rejection("invalid-period", f"royalty periods of {licence['royalty']['period']} "
                        f"start on {licence['start']} and every {months} months after it",
                        "/body/period_start", status=422)
    if last is not None and period_start > last:
        raise Rejection("invalid-period", f"the licence ended on {format_iso_date(last)}",
                        "/body/period_start", status=422)
    period_end = add_days(add_months(start, elapsed + months), -1)
    if last is not None and last < period_end:
        period_end = last  # the last period is cut short by the licence's end
    return period_start, period_end


def royalty_due(net_sales: int, rate_bp: int, minimum_per_period: int) -> int:
    """``max(floor(net_sales * rate_bp / 10000), minimum_per_period)``, integers only."""
    return max(net_sales * rate_bp // BP_PER_UNIT, minimum_per_period)


def report_royalty(ctx: EntryContext, body: dict[str, Any]) -> None:
    record_id = licence_record(body["office"], body["kind"], body["number"], body["licence"])
    licence = ctx.require(record_id, "licence", "/body/licence")
    party = ctx.acting_party()
    if party != licence["licensee"]:
        raise Rejection("not-authorized", "only the licensee reports royalties", "/actor",
                        status=403)
    terms = licence["royalty"]
    if terms is None:
        raise Rejection("no-royalty", f"licence {licence['id']} is royalty-free",
                        "/body/licence", status=409)
    if body["currency"] != terms["currency"]:
        raise Rejection("invalid-value", f"royalties are reported in {terms['currency']}",
                        "/body/currency", status=422)
    first, last = _period(licence, parse_iso_date(body["period_start"]))
    if last >= _today(ctx):
        raise Rejection("invalid-period", f"the period {format_iso_date(first)}.."
                        f"{format_iso_date(last)} is not over yet", "/body/period_start",
                        status=409)
    report_id = royalty_record(record_id, body["period_start"])
    if ctx.get(report_id) is not None:
        raise Rejection("duplicate-period", f"the period starting {body['period_start']} is "
                        "already reported", "/body/period_start", status=409)
    amount = royalty_due(body["net_sales"], terms["rate_bp"], terms["minimum_per_period"])
    ctx.put(report_id, {
        "licence": licence["id"], "right": licence["right"],
        "period_start": format_iso_date(first), "period_end": format_iso_date(last),
        "net_sales": body["net_sales"], "currency": terms["currency"],
        "rate_bp": terms["rate_bp"], "minimum_per_period": terms["minimum_per_period"],
        "amount_due": amount, "reported": format_iso_date(_today(ctx)), "index": ctx.index,
        "by": party,
    })
    totals = licence["royalties"]
    licence["royalties"] = {"reports": totals["reports"] + 1,
                            "total_due": totals["total_due"] + amount}
    ctx.put(record_id, licence)


# -- ends ---------------------------------------------------------------------------


def _end(ctx: EntryContext, record_id: str, licence: dict[str, Any], status: str,
         ended: str, action: str, by: str | None, **extra: Any) -> None:
    event = licence.get("next_event")
    if event is not None:
        ctx.unschedule(event["due_ms"], record_id)
    licence.update(status=status, ended=ended, next_event=None)
    _event(licence, ctx, action, by, **extra)
    ctx.put(record_id, licence)


def _end_sublicences(ctx: EntryContext, licence: dict[str, Any], ended: str) -> None:
    """End every active sublicence of ``licence`` (and theirs) with it."""
    office, kind, number = licence["office"], licence["kind"], licence["number"]
    for child_id in licence["sublicences"]:
        child_record = licence_record(office, kind, number, child_id)
        child = ctx.get(child_record)
        if child is None or child["status"] != ACTIVE:
            continue
        _end(ctx, child_record, child, TERMINATED, ended, "terminate", None,
             reason=f"parent licence {licence['id']} ended")
        _end_sublicences(ctx, child, ended)


def end_licences_of_right(ctx: EntryContext, right: dict[str, Any]) -> None:
    """The right has ceased (lapsed, expired, surrendered...): its licences end with it."""
    today = format_iso_date(_today(ctx))
    office, kind, number = right["office"], right["kind"], right["number"]
    for licence_id in right.get("licences", []):
        record_id = licence_record(office, kind, number, licence_id)
        licence = ctx.get(record_id)
        if licence is not None and licence["status"] == ACTIVE:
            _end(ctx, record_id, licence, TERMINATED, today, "right_ceased", None,
                 reason=f"the right is {right['state']}")


def terminate_licence(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind, number = body["office"], body["kind"], body["number"]
    record_id = licence_record(office, kind, number, body["licence"])
    licence = ctx.require(record_id, "licence", "/body/licence")
    if licence["status"] != ACTIVE:
        raise Rejection("licence-not-active", f"licence {licence['id']} is already "
                        f"{licence['status']}", "/body/licence", status=409)
    if licence["parent"] is None:
        _, right = _right(ctx, body)
        licensors = _owners(right)  # licences follow the right: its owners now
    else:
        parent = ctx.require(licence_record(office, kind, number, licence["parent"]),
                             "licence", "/body/licence")
        licensors = [parent["licensee"]]
    party = ctx.acting_party()
    if party not in licensors and party != licence["licensee"]:
        raise Rejection("not-authorized", "only the licensor (or the licensee with the "
                        "licensor's endorsement) may terminate a licence", "/actor",
                        status=403)
    signers = _signers(ctx)
    _require_signed_by(signers, licensors, "the licensor (every owner of the right)"
                       if licence["parent"] is None else "the sublicensor")
    mutual = licence["licensee"] in signers
    today = format_iso_date(_today(ctx))
    _end(ctx, record_id, licence, TERMINATED, today, "terminate", party,
         consent="mutual" if mutual else "licensor",
         **({"note": body["note"]} if "note" in body else {}))
    _end_sublicences(ctx, licence, today)


def expire_licence(ctx: EntryContext, body: dict[str, Any]) -> None:
    """A system entry: the licence's end date has passed."""
    record_id = licence_record(body["office"], body["kind"], body["number"], body["licence"])
    licence = ctx.require(record_id, "licence", "/body/licence")
    event = licence.get("next_event")
    if (licence["status"] != ACTIVE or event is None or event["due_ms"] != body["due_ms"]
            or event["due_ms"] > ctx.time_ms):
        raise Rejection("invalid-transition", "no such licence expiry is due", "/body/licence")
    _end(ctx, record_id, licence, EXPIRED, licence["end"], "expire", None)


_LICENCE_REF = {**_RIGHT_ID, "licence": Field(str, check=_LICENCE_ID)}

RULES = {
    "licence.grant": Rule({**_RIGHT_ID, **_TERMS}, grant_licence,
                          "Grant a licence on a right in force: every owner signs, the "
                          "licensee endorses (accepts); recorded with the recordal fee."),
    "licence.sublicense": Rule({**_RIGHT_ID, "parent": Field(str, check=_LICENCE_ID),
                                **_TERMS}, sublicense,
                               "A licensee whose licence is sublicensable grants a sublicence "
                               "within it; the sublicensee endorses."),
    "licence.report_royalty": Rule({
        **_LICENCE_REF, "period_start": Field(str, check=_iso_date),
        "net_sales": Field(int, check=_amount("net sales")),
        "currency": Field(str, check=_currency),
    }, report_royalty, "The licensee reports a period's net sales; the amount due is computed."),
    "licence.terminate": Rule({**_LICENCE_REF, "note": Field(str, required=False,
                                                             check=text(500))},
                              terminate_licence, "End a licence now: by the licensor, or by "
                              "mutual consent (licensor and licensee sign)."),
}

SYSTEM_RULES = {
    "system.licence_expire": Rule({**_LICENCE_REF, "due_ms": Field(int)}, expire_licence,
                                  "A licence reaches its end date."),
}
