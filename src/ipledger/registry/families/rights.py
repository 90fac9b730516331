"""Rights: filing, every lifecycle action of the office profile, fees, automatic time events.

A right's lifecycle is the profile's state machine (``registry.lifecycle``). An action is
allowed when the machine allows it from the current state for one of the actor's roles and
every precondition holds: fees are paid in the same entry (exact amounts from the profile),
dates are computed from ledger time, and decisions (examination passed, a final decision…)
are attested by the competent official in the entry that relies on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

from ipledger.codec import canonicalize
from ipledger.ledger import Rejection
from ipledger.registry.calendar import date_of_ms, format_iso_date, parse_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.fee_quote import fee_lines
from ipledger.registry.lifecycle import (
    ABSENT,
    GRANTED,
    LIFE_STATUS,
    OPPOSITION_PERIOD,
    PUBLISHED,
    REGISTERED,
    RightDates,
    StateMachine,
    TimeEvent,
    Transition,
    TransitionRejected,
    current_expiry,
    due_time_events,
    machine_for,
    maintenance_schedule,
)
from ipledger.registry.priority_claims import CLAIM_EXAMPLE as PRIORITY_CLAIM_EXAMPLE
from ipledger.registry.priority_claims import CLAIMS as PRIORITY_CLAIMS
from ipledger.registry.priority_claims import check_claim
from ipledger.registry.profiles import RIGHT_KINDS, OfficeProfile, RightRules, load_profile
from ipledger.registry.records import (
    document_ref_record,
    office_record,
    party_record,
    right_record,
)
from ipledger.registry.right_data import check_right_data
from ipledger.registry.schema import Field, check_object, one_of, pattern, standard, text
from ipledger.registry.st96_export import TRADEMARK_DATA_KEYS, trademark_record
from ipledger.standards.errors import StandardsError
from ipledger.standards.nice import validate_nice_class
from ipledger.standards.st3 import validate_st3

# Facts an official attests in the entry that relies on them (not derivable from the ledger).
ATTESTABLE = frozenset({
    "applicant_heard", "examination_passed", "publication_due", "opposition_decision_final",
    "cancellation_decision_final", "invalidity_decision_final",
    "recorded_right_holders_consent",
})
STAFF = ("registrar", "examiner")
# A right in these states is public: its content must have been disclosed.
PUBLIC_STATES = frozenset({PUBLISHED, OPPOSITION_PERIOD, REGISTERED, GRANTED})
_PARTY = pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123")


def _party_list(value: list[Any], pointer: str) -> None:
    if not 1 <= len(value) <= 50 or len(set(map(str, value))) != len(value):
        raise Rejection("invalid-value", "must list 1-50 distinct parties", pointer)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Rejection("wrong-type", "a party id must be a string", f"{pointer}/{i}")
        _PARTY(item, f"{pointer}/{i}")


_HEX64 = pattern(r"[0-9a-f]{64}", "64 lowercase hex digits (a SHA-256)")
_SALT = pattern(r"[0-9a-f]{32,128}", "32-128 lowercase hex digits (16-64 random bytes)")


def content_commitment(salt_hex: str, data: dict[str, Any]) -> str:
    """The filing commitment: SHA-256(salt || JCS(data)), hex."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + canonicalize(data)).hexdigest()


def _classes(value: list[Any], pointer: str) -> None:
    for i, item in enumerate(value):
        standard(validate_nice_class)(item, f"{pointer}/{i}")
    if len(set(value)) != len(value):
        raise Rejection("invalid-value", "classes must not repeat", pointer)


def _payment(value: dict[str, Any], pointer: str) -> None:
    check_object(value, PAYMENT_FIELDS, pointer)
    if value["amount"] < 0:
        raise Rejection("invalid-value", "amount must not be negative", f"{pointer}/amount")


#: A payment in an entry: the exact amount due and, optionally, the payment service's
#: receipt reference (services/payments.py), kept in the right's history for reconciliation.
PAYMENT_FIELDS = {
    "amount": Field(int), "currency": Field(str),
    "reference": Field(str, required=False, check=pattern(
        r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", "a payment reference (1-64 of A-Z a-z 0-9 . _ : -)")),
}


def _paid(body: dict[str, Any], amount: int) -> dict[str, Any]:
    """What a right's history records of a payment."""
    if not amount:
        return {}
    reference = body["payment"].get("reference")
    return {"paid": amount, **({"payment_reference": reference} if reference else {})}


def _attest(value: list[Any], pointer: str) -> None:
    for i, item in enumerate(value):
        if item not in ATTESTABLE:
            raise Rejection("invalid-value", f"can attest only: {', '.join(sorted(ATTESTABLE))}",
                            f"{pointer}/{i}")


@cache
def profile_named(name: str) -> OfficeProfile:
    return load_profile(name)


def _office_profile(ctx: EntryContext, office: str) -> OfficeProfile:
    record = ctx.require_shared(office_record(office), "office", "/body/office")
    return profile_named(record["profile"])


def _machine(profile: OfficeProfile, kind: str) -> StateMachine:
    try:
        return machine_for(profile, kind)
    except ValueError as exc:
        raise Rejection("unsupported-kind", str(exc), "/body/kind", status=422) from None


def right_dates(right: dict[str, Any]) -> RightDates:
    d = right["dates"]

    def day(name: str) -> date | None:
        return parse_iso_date(d[name]) if d.get(name) else None

    return RightDates(
        filing_date=day("filing_date"), publication_date=day("publication_date"),
        registration_date=day("registration_date"), expiry_date=day("expiry_date"),
        renewals=d.get("renewals", 0),
        maintenance_paid=tuple(parse_iso_date(x) for x in d.get("maintenance_paid", [])),
    )


# -- fees ---------------------------------------------------------------------------


def _fee_amount(rules: RightRules, fee: str, right: dict[str, Any], dates: RightDates) -> int:
    lines = fee_lines(rules, fee, len(right.get("classes", [])), dates)
    return sum(line.amount for line in lines)


def _check_payment(ctx: EntryContext, body: dict[str, Any], profile: OfficeProfile,
                   rules: RightRules, transition: Transition, right: dict[str, Any],
                   dates: RightDates) -> int:
    due = sum(_fee_amount(rules, pre.split(":", 1)[1], right, dates)
              for pre in transition.preconditions if pre.startswith("fee_paid:"))
    if due == 0:
        return 0
    paid = body.get("payment")
    if paid is None or paid["currency"] != profile.currency or paid["amount"] != due:
        raise Rejection("fee-not-paid", f"{transition.action} needs a payment of exactly {due} "
                        f"{profile.currency} minor units", "/body/payment", status=422)
    return due


# -- preconditions ------------------------------------------------------------------


def check_preconditions(time_ms: int, body: dict[str, Any], rules: RightRules,
                        transition: Transition, right: dict[str, Any],
                        dates: RightDates) -> None:
    """The transition's named preconditions (other than fees) at ledger time ``time_ms``."""
    today = date_of_ms(time_ms)
    attested = set(body.get("attest", []))
    expiry = current_expiry(rules, dates)
    for pre in transition.preconditions:
        if pre.startswith("fee_paid:"):
            continue
        if pre == "examination_passed" and right.get("examination", {}).get("accepted"):
            ok = True  # recorded by the examiner's "accept" entry
        elif pre in ATTESTABLE:
            ok = pre in attested
        elif pre == "within_opposition_period":
            ends = _opposition_end(rules, dates)
            ok = ends is not None and today <= ends
        elif pre == "opposition_period_over":
            ends = _opposition_end(rules, dates)
            ok = ends is not None and today > ends
        elif pre in ("no_pending_opposition", "no_other_pending_opposition"):
            pending = right.get("oppositions_pending", 0)
            ok = pending == 0 if pre == "no_pending_opposition" else pending <= 1
        elif pre == "within_renewal_window":
            ok = (expiry is not None and rules.renewal is not None
                  and rules.renewal.window_before.before(expiry) <= today <= expiry)
        elif pre == "renewals_remaining":
            r = rules.renewal
            ok = r is not None and (r.max_renewals is None or dates.renewals < r.max_renewals)
        elif pre == "within_grace_period":
            ok = expiry is not None and rules.renewal is not None and (
                expiry < today <= rules.renewal.grace_after.after(expiry))
            if rules.maintenance is not None:
                ok = any(m.due < today <= m.grace_ends for m in _unpaid(rules, dates))
        elif pre == "within_maintenance_window":
            ok = any(m.window_opens <= today <= m.due for m in _unpaid(rules, dates))
        else:
            raise Rejection("not-supported", f"precondition {pre!r} is not evaluated by this "
                            "version of the register", "/body/action", status=422)
        if not ok:
            raise Rejection("precondition-failed",
                            f"{transition.action} needs: {pre.replace('_', ' ')}",
                            "/body/attest" if pre in ATTESTABLE else "/body/action",
                            status=409)


def _opposition_end(rules: RightRules, dates: RightDates) -> date | None:
    if rules.opposition_period is None or dates.publication_date is None:
        return None
    return rules.opposition_period.after(dates.publication_date)


def _unpaid(rules: RightRules, dates: RightDates) -> list[Any]:
    schedule = maintenance_schedule(rules, dates)
    return list(schedule[len(dates.maintenance_paid):len(dates.maintenance_paid) + 1])


# -- roles --------------------------------------------------------------------------


def _roles(ctx: EntryContext, right: dict[str, Any] | None, body: dict[str, Any],
           office: str) -> tuple[str, set[str]]:
    party = ctx.acting_party()
    roles = {"any_party"} | ctx.roles(office, party) & set(STAFF)
    if right is None:
        if party in body["applicants"]:
            roles.add("applicant")
        if party in body.get("representatives", []):
            roles.add("representative")
    else:
        if party in [o["party"] for o in right["owners"]]:
            roles |= {"owner", "applicant"} if right["state"] in _APPLICATION else {"owner"}
        if party in right.get("representatives", []):
            roles.add("representative")
    return party, roles


_APPLICATION = ("filed", "formalities_checked", "under_examination", "published",
                "opposition_period", "opposed")


def _pick(machine: StateMachine, state: str, action: str, roles: set[str]) -> Transition:
    last: TransitionRejected | None = None
    for role in sorted(roles):
        try:
            return machine.transition(state, action, role)
        except TransitionRejected as exc:
            if exc.code != "role_not_allowed" and exc.code != "unknown_role":
                raise Rejection("invalid-transition", exc.reason, "/body/action",
                                status=409) from None
            last = exc
    reason = last.reason if last else f"no role allows {action}"
    raise Rejection("not-authorized", reason, "/actor", status=403)


# -- the entry types ----------------------------------------------------------------


def _event(right: dict[str, Any], action: str, state: str, ctx: EntryContext,
           by: str | None, **extra: Any) -> None:
    right["history"] = [*right["history"], {
        "action": action, "state": state, "date": format_iso_date(date_of_ms(ctx.time_ms)),
        "index": ctx.index, **({"by": by} if by else {}), **extra}]


def file_right(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind = body["office"], body["kind"]
    profile = _office_profile(ctx, office)
    rules = profile.rules(kind)
    machine = _machine(profile, kind)
    for i, applicant in enumerate(body["applicants"]):
        ctx.require(party_record(applicant), "party", f"/body/applicants/{i}")
    party, roles = _roles(ctx, None, body, office)
    transition = _pick(machine, ABSENT, "file", roles)
    today = format_iso_date(date_of_ms(ctx.time_ms))
    right: dict[str, Any] = {
        "office": office, "kind": kind, "state": transition.to_state,
        "owners": [{"party": p, "share": [1, len(body["applicants"])]}
                   for p in body["applicants"]],
        "representatives": body.get("representatives", []),
        "classes": sorted(set(body.get("classes", []))),
        # Confidential until published: only a salted commitment to the content.
        "commitment": body["commitment"],
        "dates": {"filing_date": today, "renewals": 0, "maintenance_paid": []},
        "history": [],
    }
    claims: list[dict[str, Any]] = []
    for i, claim in enumerate(body.get("priority_claims", [])):
        claims.append(check_claim(ctx, kind, date_of_ms(ctx.time_ms), claim, claims,
                                  f"/body/priority_claims/{i}"))
    if claims:
        right["priority_claims"] = [{**c, "index": ctx.index, "by": party} for c in claims]
    paid = _check_payment(ctx, body, profile, rules, transition, right, right_dates(right))
    counter_id = f"counter/{office}/{kind}"
    seq = (ctx.get(counter_id) or {"next": 1})["next"]
    assert rules.numbers is not None, "a supported kind has number formats"
    while True:  # skip numbers already taken (e.g. by imported records)
        number = rules.numbers.application.format(
            seq, office=office, year=date_of_ms(ctx.time_ms).year)
        seq += 1
        if ctx.get(right_record(office, kind, number)) is None:
            break
    ctx.put(counter_id, {"next": seq})
    right["number"] = number
    _event(right, "file", transition.to_state, ctx, party, **_paid(body, paid))
    _schedule(ctx, right, profile)
    ctx.put(right_record(office, kind, number), right)


def the_right(ctx: EntryContext, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The record id and value of the right a body names (office, kind, number)."""
    record_id = right_record(body["office"], body["kind"], body["number"])
    return record_id, ctx.require(record_id, "right", "/body/number")


def _party_to_the_file(ctx: EntryContext, right: dict[str, Any], body: dict[str, Any],
                       what: str) -> str:
    """The acting party, if it is the applicant/owner, a representative or office staff."""
    party, roles = _roles(ctx, right, body, body["office"])
    if not roles & {"owner", "applicant", "representative", *STAFF}:
        raise Rejection("not-authorized", f"only the applicant or owner, a representative or "
                        f"office staff may {what}", "/actor", status=403)
    return party


def disclose_right(ctx: EntryContext, body: dict[str, Any]) -> None:
    record_id, right = the_right(ctx, body)
    party = _party_to_the_file(ctx, right, body, "disclose a filing")
    if "data" in right:
        raise Rejection("invalid-transition", "the content is already disclosed", "/body",
                        status=409)
    if content_commitment(body["salt"], body["data"]) != right["commitment"]:
        raise Rejection("commitment-mismatch", "SHA-256(salt || JCS(data)) is not the "
                        "commitment made at filing", "/body/data", status=422)
    check_content(right, body["data"], lambda p: ctx.get(party_record(p)))
    right["data"] = body["data"]
    _event(right, "disclose", right["state"], ctx, party)
    ctx.put(record_id, right)


def check_content(right: dict[str, Any], data: dict[str, Any],
                  party_of: Callable[[str], dict[str, Any] | None],
                  pointer: str = "/body/data") -> None:
    """The register's rules for a right's disclosed content: a trademark's must make a
    valid ST.96 record, other kinds' follow ``right_data``. Rejection names the field."""
    if right["kind"] != "trademark":
        check_right_data(right["kind"], data, pointer)
        return
    for key in data:
        if key not in TRADEMARK_DATA_KEYS:
            raise Rejection("unknown-field", f"a trademark discloses only "
                            f"{', '.join(TRADEMARK_DATA_KEYS)}", f"{pointer}/{key}")
    try:
        trademark_record(right, party_of, data)
    except StandardsError as exc:
        raise Rejection(exc.rule, exc.detail, pointer + exc.pointer, status=422) from None


def add_document(ctx: EntryContext, body: dict[str, Any]) -> None:
    """Attach a document (its SHA-256 and media type; the file stays off the ledger)."""
    record_id, right = the_right(ctx, body)
    party = _party_to_the_file(ctx, right, body, "file documents")
    documents = right.get("documents", [])
    if any(d["sha256"] == body["sha256"] for d in documents):
        raise Rejection("already-exists", "this document is already on the file",
                        "/body/sha256", status=409)
    document = {k: body[k] for k in ("sha256", "media_type", "title", "category") if k in body}
    right["documents"] = [*documents, {**document, "index": ctx.index, "by": party,
                                       "date": format_iso_date(date_of_ms(ctx.time_ms))}]
    ctx.put(record_id, right)
    # Which rights list a document: the document store's access rule reads this index.
    ctx.put(document_ref_record(body["sha256"], record_id), {})


def act_on_right(ctx: EntryContext, body: dict[str, Any]) -> None:
    office, kind = body["office"], body["kind"]
    record_id, right = the_right(ctx, body)
    profile = _office_profile(ctx, office)
    rules = profile.rules(kind)
    machine = _machine(profile, kind)
    party, roles = _roles(ctx, right, body, office)
    transition = _pick(machine, right["state"], body["action"], roles)
    if transition.to_state in PUBLIC_STATES and "data" not in right:
        raise Rejection("precondition-failed", f"{transition.action} makes the right public: "
                        "disclose its content first (right.disclose)", "/body/action", status=409)
    dates = right_dates(right)
    check_preconditions(ctx.time_ms, body, rules, transition, right, dates)
    paid = _check_payment(ctx, body, profile, rules, transition, right, dates)
    _apply_effects(ctx, right, transition, dates, rules)
    if transition.action == "accept":
        if right.get("examination", {}).get("accepted"):
            raise Rejection("already-exists", "the examination already accepted this "
                            "application", "/body/action", status=409)
        right["examination"] = {"accepted": True, "index": ctx.index, "by": party}
    _event(right, transition.action, transition.to_state, ctx, party, **_paid(body, paid),
           **({"attested": sorted(body["attest"])} if body.get("attest") else {}),
           **({"note": body["note"]} if body.get("note") else {}))
    _end_licences_if_ceased(ctx, right)
    _schedule(ctx, right, profile)
    ctx.put(record_id, right)


def _apply_effects(ctx: EntryContext, right: dict[str, Any], transition: Transition,
                   dates: RightDates, rules: RightRules) -> None:
    today = format_iso_date(date_of_ms(ctx.time_ms))
    d = right["dates"]
    action = transition.action
    if action == "publish":
        d["publication_date"] = today
    elif action in ("register", "grant"):
        d["registration_date"] = today
    elif action in ("renew", "renew_late"):
        d["renewals"] = dates.renewals + 1
    elif action in ("pay_maintenance_fee", "pay_maintenance_fee_late"):
        d["maintenance_paid"] = [*d.get("maintenance_paid", []), today]
    elif action == "file_opposition":
        right["oppositions_pending"] = right.get("oppositions_pending", 0) + 1
    elif action in ("withdraw_opposition", "reject_opposition", "uphold_opposition"):
        right["oppositions_pending"] = max(0, right.get("oppositions_pending", 0) - 1)
    expiry = current_expiry(rules, right_dates(right))
    if expiry is not None:
        d["expiry_date_computed"] = format_iso_date(expiry)
    right["state"] = transition.to_state


def _end_licences_if_ceased(ctx: EntryContext, right: dict[str, Any]) -> None:
    if LIFE_STATUS.get(right["state"]) == "ceased" and right.get("licences"):
        # Imported here: the licence family builds on this one.
        from ipledger.registry.families.licence import end_licences_of_right

        end_licences_of_right(ctx, right)


# -- automatic time events ----------------------------------------------------------

FAR_FUTURE_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z


_PENDING_EVENTS: dict[tuple[int, str, str, RightDates], tuple[OfficeProfile,
                                                               list[TimeEvent]]] = {}


def _pending_events(profile: OfficeProfile, kind: str, state: str,
                    dates: RightDates) -> list[TimeEvent]:
    """``due_time_events`` up to the end of time: a pure function of its arguments, and
    rights filed the same day share it, so it is remembered (bounded; read it only)."""
    key = (id(profile), kind, state, dates)
    hit = _PENDING_EVENTS.get(key)
    if hit is not None and hit[0] is profile:
        return hit[1]
    events = due_time_events(profile, kind, state, dates, FAR_FUTURE_MS)
    if len(_PENDING_EVENTS) >= 65_536:
        _PENDING_EVENTS.clear()
    _PENDING_EVENTS[key] = (profile, events)
    return events


def _schedule(ctx: EntryContext, right: dict[str, Any], profile: OfficeProfile) -> None:
    """Set when the right's next automatic event falls due (or that none is pending).

    Updates ``right["next_event"]`` and the schedule; the caller puts the right afterwards.
    """
    record_id = right_record(right["office"], right["kind"], right["number"])
    events = _pending_events(profile, right["kind"], right["state"], right_dates(right))
    previous = right.get("next_event")
    nxt: dict[str, Any] | None = None
    if events:
        nxt = {"action": events[0].action, "due_ms": events[0].effective_ms,
               "reason": events[0].reason}
    if nxt != previous:
        if previous is not None:
            ctx.unschedule(previous["due_ms"], record_id)
        if nxt is not None:
            ctx.schedule(nxt["due_ms"], record_id, "system.right_event", {
                "office": right["office"], "kind": right["kind"], "number": right["number"],
                "action": nxt["action"], "due_ms": nxt["due_ms"]})
        right["next_event"] = nxt


def apply_time_event(ctx: EntryContext, body: dict[str, Any]) -> None:
    """A system entry: the right's scheduled automatic event, now due."""
    office, kind = body["office"], body["kind"]
    record_id, right = the_right(ctx, body)
    profile = _office_profile(ctx, office)
    rules = profile.rules(kind)
    event = right.get("next_event")
    if event is None or event["action"] != body["action"] or event["due_ms"] > ctx.time_ms:
        raise Rejection("invalid-transition", "no such automatic event is due", "/body/action")
    transition = _pick(_machine(profile, kind), right["state"], body["action"], {"system"})
    dates = right_dates(right)
    if body["action"] in ("register", "grant"):
        dates = replace(dates)
    _apply_effects(ctx, right, transition, dates, rules)
    _event(right, transition.action, transition.to_state, ctx, None, reason=event["reason"])
    _end_licences_if_ceased(ctx, right)
    right["next_event"] = None
    ctx.unschedule(event["due_ms"], record_id)
    _schedule(ctx, right, profile)
    ctx.put(record_id, right)


_RIGHT_ID = {
    "office": Field(str, check=standard(validate_st3)),
    "kind": Field(str, check=one_of(*RIGHT_KINDS)),
    "number": Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an office number")),
}

RULES = {
    "right.file": Rule({
        "office": _RIGHT_ID["office"], "kind": _RIGHT_ID["kind"],
        "applicants": Field(list, check=_party_list),
        "representatives": Field(list, required=False, check=_party_list),
        "classes": Field(list, required=False, check=_classes),
        "commitment": Field(str, check=_HEX64),
        "payment": Field(dict, required=False, check=_payment),
        "priority_claims": PRIORITY_CLAIMS,
    }, file_right, "File an application (content committed, not disclosed); the office "
       "profile assigns its number. Priority claims (Paris Convention Art. 4) are checked "
       "at ledger time, with a referenced priority deposit's SHA-256.", {
        "office": "EM", "kind": "trademark", "applicants": ["P4A1F2C3D4E5F60718293"],
        "classes": [30, 32], "commitment": "9f2c" * 16,
        "payment": {"amount": 90000, "currency": "EUR"},
        "priority_claims": [PRIORITY_CLAIM_EXAMPLE]}),
    "right.disclose": Rule({
        **_RIGHT_ID, "data": Field(dict), "salt": Field(str, check=_SALT),
    }, disclose_right, "Disclose a filing's content: it must match the filing's commitment.", {
        "office": "EM", "kind": "trademark", "number": "000000001", "salt": "5a17" * 8,
        "data": {"MarkRepresentation": {"MarkFeatureCategory": "Word", "MarkReproduction": {
            "WordMarkSpecification": {"MarkVerbalElementText": "AURORA BREW"}}},
            "GoodsServicesBag": [{"ClassNumber": 30, "GoodsServicesDescriptionText": "Coffee"}]}}),
    "right.add_document": Rule({
        **_RIGHT_ID, "sha256": Field(str, check=_HEX64),
        "media_type": Field(str, check=pattern(
            r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}",
            "an RFC 6838 type/subtype")),
        "title": Field(str, required=False, check=text(300)),
        "category": Field(str, required=False, check=one_of(
            "application", "representation", "specification", "claims", "drawings",
            "priority_document", "evidence", "decision", "correspondence", "other")),
    }, add_document, "Attach a document to a right: its SHA-256 and media type (the file "
       "stays off the ledger, e.g. in the office's document store).", {
        "office": "EM", "kind": "trademark", "number": "000000001",
        "sha256": "9f2c" * 16, "media_type": "image/png", "title": "Mark representation",
        "category": "representation"}),
    "right.act": Rule({
        **_RIGHT_ID, "action": Field(str, check=pattern(r"[a-z_]{1,40}", "an action name")),
        "payment": Field(dict, required=False, check=_payment),
        "attest": Field(list, required=False, check=_attest),
        "note": Field(str, required=False, check=text(2000)),
    }, act_on_right, "Take a lifecycle action (examine, accept, publish, register, renew, "
       "...); ``note`` gives the reasons or grounds of a decision and is kept in the right's "
       "history.", {
        "office": "EM", "kind": "trademark", "number": "000000001", "action": "renew",
        "payment": {"amount": 90000, "currency": "EUR"}}),
}

SYSTEM_RULES = {
    "system.right_event": Rule({**_RIGHT_ID, "action": Field(str), "due_ms": Field(int)},
                               apply_time_event, "An automatic event of a right's lifecycle."),
}
