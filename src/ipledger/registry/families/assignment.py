"""Chain of title: assignments of rights or shares, mergers, security interests.

Ownership lives on the right's record (``right/<office>/<kind>/<number>``):

- ``owners``: ``[{"party": P…, "share": [n, d]}]``; each share is a reduced fraction of the
  whole right and the shares always sum to exactly 1 (computed with ``fractions.Fraction``,
  never floats).
- ``owner_history``: the chain of title. Its first item is the filing (``"action": "file"``,
  the owners at filing, seeded from the record the first time ownership changes); every
  later item is one recorded change: ``{"action": "assign" | "merge", "index", "date"
  (recordal, ledger date), "executed", "from", "to", "share", "conveyance", "recorded_on"
  ("parties" | "evidence"), "by", "document_sha256"?, "paid"?, "owners"}`` where ``owners``
  is the ownership after the change.
- ``security_interests``: ``[{"id": "SI-<index>", "grantors", "secured_party", "amount",
  "currency", "document_sha256"?, "recorded", "index", "released"?}]``; an interest is in
  force until it carries ``released`` (``{"date", "index"}``).

The lifecycle ``history`` of the right is not touched: ownership is not a lifecycle state.

Rules (all from the register and ledger time only):

``assignment.record`` transfers ``share`` of the whole right from ``from`` to ``to``. Either
both parties sign (one signs the entry, the other endorses it with a key valid at ledger
time), or a registrar of the office records it on presented evidence
(``document_sha256`` required) without the parties' signatures. The profile's
``assignment_recordal`` fee for the right's kind is paid in the entry, exact amount, when
the profile defines one (any path). While a security interest is in force every secured
party must sign or endorse (consent). The right must exist and not have ended.

``assignment.merger``: a registrar records that ``from`` merged into ``to`` on evidence; every
right listed in ``rights`` (each must be owned by ``from``) passes to ``to``. The register
has no index of rights by owner yet, so the rights are listed explicitly. The recordal
fee is the sum of each listed right's ``assignment_recordal`` fee. Security interests stay
on the rights and bind the successor (universal succession needs no consent).

``security.record``: every owner and the secured party sign (one signs, the others
endorse); ``security_interest_recordal`` fee if defined. ``security.release``: the secured
party signs.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import date_of_ms, format_iso_date, parse_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.families.rights import PAYMENT_FIELDS, profile_named
from ipledger.registry.lifecycle import (
    CANCELLED,
    EXPIRED,
    INVALIDATED,
    LAPSED,
    REFUSED,
    SURRENDERED,
    WITHDRAWN,
)
from ipledger.registry.profiles import ISO_4217_MINOR_UNITS, RIGHT_KINDS, OfficeProfile
from ipledger.registry.records import office_record, party_record, right_record
from ipledger.registry.schema import Field, check_object, one_of, pattern, standard
from ipledger.standards.st3 import validate_st3

#: States in which a right has ended: no change of ownership or new encumbrance is recorded.
ENDED_STATES = frozenset({REFUSED, WITHDRAWN, LAPSED, EXPIRED, SURRENDERED, CANCELLED,
                          INVALIDATED})

#: Values of ``conveyance`` (ST.96 ``AssignmentConveyanceCategory`` is an xsd:token without
#: an enumeration; these are the categories offices use, e.g. the USPTO assignment database).
CONVEYANCES = (
    "Transfer of ownership",
    "Merger",
    "Change of name",
    "Court order",
    "Succession",
    "Other",
)
DEFAULT_CONVEYANCE = "Transfer of ownership"

MAX_DENOMINATOR = 10**9  # a sanity bound on share fractions, not a policy
MAX_MERGER_RIGHTS = 100

_PARTY = pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123")
_HEX64 = pattern(r"[0-9a-f]{64}", "64 lowercase hex digits (a SHA-256)")
_OFFICE = Field(str, check=standard(validate_st3))
_KIND = Field(str, check=one_of(*RIGHT_KINDS))
_NUMBER = Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an office number"))


# -- body checks (no state) ---------------------------------------------------------


def _share(value: list[Any], pointer: str) -> None:
    if len(value) != 2:
        raise Rejection("invalid-value", "a share is [numerator, denominator]", pointer)
    for i, item in enumerate(value):
        if not isinstance(item, int) or isinstance(item, bool):
            raise Rejection("wrong-type", "share numerator and denominator are integers",
                            f"{pointer}/{i}")
    n, d = value
    if not 1 <= d <= MAX_DENOMINATOR or not 1 <= n <= d:
        raise Rejection("invalid-value", f"a share is a fraction n/d with 1 <= n <= d <= "
                        f"{MAX_DENOMINATOR}", pointer)


def _iso_date(value: str, pointer: str) -> None:
    try:
        parse_iso_date(value)
    except ValueError as exc:
        raise Rejection("invalid-value", str(exc), pointer) from None


def _payment(value: dict[str, Any], pointer: str) -> None:
    check_object(value, {"amount": Field(int), "currency": Field(str),
                         "reference": PAYMENT_FIELDS["reference"]}, pointer)
    if value["amount"] < 0:
        raise Rejection("invalid-value", "amount must not be negative", f"{pointer}/amount")


def _amount(value: int, pointer: str) -> None:
    if value < 1:
        raise Rejection("invalid-value", "amount must be a positive number of minor units",
                        pointer)


def _currency(value: str, pointer: str) -> None:
    if value not in ISO_4217_MINOR_UNITS:
        raise Rejection("invalid-value", "must be an active ISO 4217 currency code", pointer)


def _right_list(value: list[Any], pointer: str) -> None:
    if not 1 <= len(value) <= MAX_MERGER_RIGHTS:
        raise Rejection("invalid-value", f"must list 1-{MAX_MERGER_RIGHTS} rights", pointer)
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(value):
        check_object(item, {"kind": _KIND, "number": _NUMBER}, f"{pointer}/{i}")
        key = (item["kind"], item["number"])
        if key in seen:
            raise Rejection("invalid-value", "a right is listed twice", f"{pointer}/{i}")
        seen.add(key)


# -- helpers on the register ---------------------------------------------------------


def _today(ctx: EntryContext) -> str:
    return format_iso_date(date_of_ms(ctx.time_ms))


def _profile(ctx: EntryContext, office: str) -> OfficeProfile:
    record = ctx.require_shared(office_record(office), "office", "/body/office")
    return profile_named(record["profile"])


def _live_right(ctx: EntryContext, office: str, kind: str, number: str,
                pointer: str) -> tuple[str, dict[str, Any]]:
    """The right's record id and value; rejected if it does not exist or has ended."""
    record_id = right_record(office, kind, number)
    right = ctx.require(record_id, "right", pointer)
    if right["state"] in ENDED_STATES:
        raise Rejection("right-ended", f"right {office}/{kind}/{number} is {right['state']}: "
                        "its ownership can no longer change", pointer, status=409)
    return record_id, right


def _shares(right: dict[str, Any]) -> dict[str, Fraction]:
    """Owner -> share, in the record's order."""
    return {o["party"]: Fraction(*o["share"]) for o in right["owners"]}


def _owner_list(shares: dict[str, Fraction]) -> list[dict[str, Any]]:
    if sum(shares.values(), Fraction(0)) != 1:  # an invariant; never true for valid input
        raise Rejection("inconsistent-state", "owners' shares would not sum to 1", "/body",
                        status=500)
    return [{"party": p, "share": [s.numerator, s.denominator]}
            for p, s in shares.items() if s != 0]


def _transfer(right: dict[str, Any], source: str, target: str,
              share: Fraction) -> list[dict[str, Any]]:
    """Owners after ``share`` of the whole right passes from ``source`` to ``target``."""
    shares = _shares(right)
    shares[source] -= share
    shares[target] = shares.get(target, Fraction(0)) + share  # same party: shares add up
    return _owner_list(shares)


def _signers(ctx: EntryContext, actor_party: str) -> set[str]:
    """Parties that signed the entry: the actor's party and every endorser valid now."""
    parties = {actor_party}
    for did_url in ctx.endorsers:
        key = ctx.key_is_valid(did_url)
        if key is not None:
            parties.add(key["party"])
    return parties


def _is_registrar(ctx: EntryContext, office: str, party: str) -> bool:
    return "registrar" in ctx.roles(office, party)


def _in_force(right: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in right.get("security_interests", []) if "released" not in s]


def _require_consent(right: dict[str, Any], signers: set[str]) -> None:
    for interest in _in_force(right):
        if interest["secured_party"] not in signers:
            raise Rejection(
                "consent-required",
                f"security interest {interest['id']} is recorded in favour of "
                f"{interest['secured_party']}: the secured party must endorse the assignment",
                "/endorsements", status=409)


def _fee(ctx: EntryContext, body: dict[str, Any], profile: OfficeProfile, due: int,
         fee: str) -> int:
    """Check the payment in the entry is exactly ``due`` (0: no payment may be made)."""
    paid = body.get("payment")
    if due == 0:
        if paid is not None:
            raise Rejection("invalid-value", f"no {fee} fee is due at this office",
                            "/body/payment", status=422)
        return 0
    if paid is None or paid["currency"] != profile.currency or paid["amount"] != due:
        raise Rejection("fee-not-paid", f"the {fee} fee is exactly {due} {profile.currency} "
                        "minor units, paid in the entry", "/body/payment", status=422)
    return due


def _fee_of(profile: OfficeProfile, kind: str, fee: str) -> int:
    value = getattr(profile.rules(kind).fees, fee)
    return value if isinstance(value, int) else 0


def _executed(ctx: EntryContext, body: dict[str, Any]) -> str:
    executed: str = body["executed"]
    if parse_iso_date(executed) > date_of_ms(ctx.time_ms):
        raise Rejection("invalid-value", f"executed {executed} is after the ledger date "
                        f"{_today(ctx)}", "/body/executed", status=422)
    return executed


def _record_change(ctx: EntryContext, right: dict[str, Any], change: dict[str, Any],
                   owners: list[dict[str, Any]]) -> None:
    """Append a change to the chain of title (seeded with the filing the first time)."""
    chain = right.get("owner_history")
    if chain is None:
        filing = right["history"][0] if right.get("history") else {}
        chain = [{"action": "file", "index": filing.get("index"),
                  "date": right["dates"]["filing_date"], "owners": right["owners"]}]
    right["owner_history"] = [*chain, {
        "index": ctx.index, "date": _today(ctx), **change, "owners": owners}]
    right["owners"] = owners


# -- the entry types ----------------------------------------------------------------


def record_assignment(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind, number = body["office"], body["kind"], body["number"]
    source, target = body["from"], body["to"]
    profile = _profile(ctx, office)
    record_id, right = _live_right(ctx, office, kind, number, "/body/number")
    if source == target:
        raise Rejection("invalid-value", "assignor and assignee are the same party",
                        "/body/to", status=422)
    held = _shares(right).get(source)
    if held is None:
        raise Rejection("not-an-owner", f"{source} is not an owner of the right",
                        "/body/from", status=422)
    share = Fraction(*body["share"])
    if share > held:
        raise Rejection("share-exceeds-holding", f"{source} holds {held.numerator}/"
                        f"{held.denominator} of the right, less than {share.numerator}/"
                        f"{share.denominator}", "/body/share", status=409)
    ctx.require(party_record(target), "party", "/body/to")
    executed = _executed(ctx, body)

    actor = ctx.acting_party()
    signers = _signers(ctx, actor)
    if actor in (source, target) and {source, target} <= signers:
        recorded_on = "parties"
    elif _is_registrar(ctx, office, actor):
        if "document_sha256" not in body:
            raise Rejection("missing-field", "a registrar records an assignment without the "
                            "parties' signatures only on evidence: document_sha256 (the deed)",
                            "/body/document_sha256", status=422)
        recorded_on = "evidence"
    elif actor in (source, target):
        other = target if actor == source else source
        raise Rejection("missing-endorsement", f"both sides sign an assignment: {other} must "
                        "endorse it with a key valid at this ledger time", "/endorsements",
                        status=422)
    else:
        raise Rejection("not-authorized", "an assignment is signed by the assignor and the "
                        f"assignee, or recorded by a registrar of office {office}", "/actor",
                        status=403)
    _require_consent(right, signers)
    paid = _fee(ctx, body, profile, _fee_of(profile, kind, "assignment_recordal"),
                "assignment_recordal")

    owners = _transfer(right, source, target, share)
    _record_change(ctx, right, {
        "action": "assign", "executed": executed, "from": source, "to": target,
        "share": [share.numerator, share.denominator],
        "conveyance": body.get("conveyance", DEFAULT_CONVEYANCE),
        "recorded_on": recorded_on, "by": actor,
        **({"document_sha256": body["document_sha256"]} if "document_sha256" in body else {}),
        **({"paid": paid} if paid else {}),
    }, owners)
    ctx.put(record_id, right)


def record_merger(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, source, target = body["office"], body["from"], body["to"]
    profile = _profile(ctx, office)
    registrar = ctx.require_role(office, "registrar")
    if source == target:
        raise Rejection("invalid-value", "a party does not merge into itself", "/body/to",
                        status=422)
    ctx.require(party_record(target), "party", "/body/to")
    executed = _executed(ctx, body)
    changes: list[tuple[str, dict[str, Any], Fraction, int]] = []
    if "rights" in body:
        listed = body["rights"]
    else:  # every right of this office the merged party owns, from the owner index
        prefix = f"owned/{source}/right/{office}/"
        listed = []
        for owned in ctx.ids(prefix):
            right_id = owned.removeprefix(f"owned/{source}/")
            right = ctx.get(right_id)
            if right is not None and right["state"] not in ENDED_STATES:  # ended: unchanged
                kind, number = owned.removeprefix(prefix).split("/", 1)
                listed.append({"kind": kind, "number": number})
        if not listed:
            raise Rejection("not-found", f"{source} owns no right at office {office}",
                            "/body/from", status=422)
    for i, item in enumerate(listed):
        where = f"/body/rights/{i}"
        record_id, right = _live_right(ctx, office, item["kind"], item["number"], where)
        held = _shares(right).get(source)
        if held is None:
            raise Rejection("not-an-owner", f"{source} is not an owner of right "
                            f"{office}/{item['kind']}/{item['number']}", where, status=422)
        changes.append((record_id, right, held,
                        _fee_of(profile, item["kind"], "assignment_recordal")))
    _fee(ctx, body, profile, sum(c[3] for c in changes), "assignment_recordal")
    for record_id, right, held, fee in changes:
        owners = _transfer(right, source, target, held)
        _record_change(ctx, right, {
            "action": "merge", "executed": executed, "from": source, "to": target,
            "share": [held.numerator, held.denominator], "conveyance": "Merger",
            "recorded_on": "evidence", "by": registrar,
            "document_sha256": body["document_sha256"], **({"paid": fee} if fee else {}),
        }, owners)
        ctx.put(record_id, right)


def record_security(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind, number = body["office"], body["kind"], body["number"]
    profile = _profile(ctx, office)
    record_id, right = _live_right(ctx, office, kind, number, "/body/number")
    secured = body["secured_party"]
    ctx.require(party_record(secured), "party", "/body/secured_party")
    owners = [o["party"] for o in right["owners"]]
    if secured in owners:
        raise Rejection("invalid-value", "an owner cannot hold a security interest over its "
                        "own right", "/body/secured_party", status=422)
    actor = ctx.acting_party()
    if actor not in (*owners, secured):
        raise Rejection("not-authorized", "a security interest is signed by the owners and the "
                        "secured party", "/actor", status=403)
    signers = _signers(ctx, actor)
    missing = [p for p in (*owners, secured) if p not in signers]
    if missing:
        raise Rejection("missing-endorsement", "every owner and the secured party sign a "
                        f"security interest; missing: {', '.join(missing)}", "/endorsements",
                        status=422)
    paid = _fee(ctx, body, profile, _fee_of(profile, kind, "security_interest_recordal"),
                "security_interest_recordal")
    interest = {
        "id": f"SI-{ctx.index}", "grantors": owners, "secured_party": secured,
        "amount": body["amount"], "currency": body["currency"], "recorded": _today(ctx),
        "index": ctx.index,
        **({"document_sha256": body["document_sha256"]} if "document_sha256" in body else {}),
        **({"paid": paid} if paid else {}),
    }
    right["security_interests"] = [*right.get("security_interests", []), interest]
    ctx.put(record_id, right)


def release_security(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind, number = body["office"], body["kind"], body["number"]
    record_id = right_record(office, kind, number)
    right = ctx.require(record_id, "right", "/body/number")
    interests = right.get("security_interests", [])
    position = next((i for i, s in enumerate(interests) if s["id"] == body["id"]), None)
    if position is None:
        raise Rejection("not-found", f"no security interest {body['id']} on this right",
                        "/body/id", status=404)
    interest = interests[position]
    if "released" in interest:
        raise Rejection("invalid-transition", f"security interest {body['id']} was released "
                        f"on {interest['released']['date']}", "/body/id", status=409)
    if ctx.acting_party() != interest["secured_party"]:
        raise Rejection("not-authorized", "only the secured party releases its security "
                        "interest", "/actor", status=403)
    released = {**interest, "released": {"date": _today(ctx), "index": ctx.index}}
    right["security_interests"] = [*interests[:position], released, *interests[position + 1:]]
    ctx.put(record_id, right)


_RIGHT_ID = {"office": _OFFICE, "kind": _KIND, "number": _NUMBER}
_OPTIONAL_DOC = Field(str, required=False, check=_HEX64)
_PAYMENT = Field(dict, required=False, check=_payment)

RULES = {
    "assignment.record": Rule({
        **_RIGHT_ID,
        "from": Field(str, check=_PARTY), "to": Field(str, check=_PARTY),
        "share": Field(list, check=_share),
        "executed": Field(str, check=_iso_date),
        "conveyance": Field(str, required=False, check=one_of(*CONVEYANCES)),
        "document_sha256": _OPTIONAL_DOC,
        "payment": _PAYMENT,
    }, record_assignment, "Record the transfer of a right or of a share of it (both sides "
       "sign, or a registrar records it on evidence)."),
    "assignment.merger": Rule({
        "office": _OFFICE,
        "from": Field(str, check=_PARTY), "to": Field(str, check=_PARTY),
        "rights": Field(list, required=False, check=_right_list),
        "executed": Field(str, check=_iso_date),
        "document_sha256": Field(str, check=_HEX64),
        "payment": _PAYMENT,
    }, record_merger, "Record that one party merged into another: the listed rights pass "
       "to the successor (registrar, on evidence)."),
    "security.record": Rule({
        **_RIGHT_ID,
        "secured_party": Field(str, check=_PARTY),
        "amount": Field(int, check=_amount), "currency": Field(str, check=_currency),
        "document_sha256": _OPTIONAL_DOC,
        "payment": _PAYMENT,
    }, record_security, "Record a security interest (pledge, mortgage) over a right."),
    "security.release": Rule({
        **_RIGHT_ID, "id": Field(str, check=pattern(r"SI-[0-9]{1,15}", "an id like SI-42")),
    }, release_security, "Release a security interest (the secured party)."),
}
SYSTEM_RULES: dict[str, Rule] = {}
